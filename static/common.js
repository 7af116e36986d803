/* Shared helpers of the inspector pages. Captured data only ever goes into textContent. */
"use strict";

window.inspector = (function () {
  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function link(href, text) {
    const node = el("a", text);
    node.href = href;
    return node;
  }

  function size(bytes) {
    if (bytes === null || bytes === undefined) return "";
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KiB";
    return (bytes / (1024 * 1024)).toFixed(1) + " MiB";
  }

  /* fetch JSON; resolve {ok, status, body}; a network failure resolves with ok false too. */
  async function send(method, url, body) {
    const options = { method: method, headers: { "Accept": "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    try {
      const response = await fetch(url, options);
      let data = null;
      try { data = await response.json(); } catch (ignored) { data = null; }
      return { ok: response.ok, status: response.status, body: data };
    } catch (error) {
      return { ok: false, status: 0, body: { error: { message: String(error) } } };
    }
  }

  function message(result) {
    const error = result.body && result.body.error;
    return error && error.message ? error.message : "request failed (HTTP " + result.status + ")";
  }

  async function copy(text, button) {
    const label = button.textContent;
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch (ignored) {
      button.textContent = "Select and copy";
    }
    setTimeout(function () { button.textContent = label; }, 1500);
  }

  function setResult(node, text, ok) {
    node.textContent = text;
    node.classList.toggle("ok", ok === true);
    node.classList.toggle("bad", ok === false);
  }

  return { el: el, link: link, size: size, send: send, message: message, copy: copy,
           setResult: setResult };
})();
