/* The postbacks page: new rows arrive over Server-Sent Events; Pause stops the stream. */
"use strict";

(function () {
  const ui = window.inspector;
  const table = document.getElementById("postbacks");
  if (!table || !table.dataset.stream) return;
  const tbody = table.tBodies[0];
  const state = document.getElementById("live-state");
  const pauseButton = document.getElementById("pause");
  const shown = document.getElementById("shown");
  const stored = document.getElementById("stored");
  const moreNote = document.getElementById("more-note");
  const MAX_ROWS = 500;
  let lastId = Number(table.dataset.after) || 0;
  let source = null;

  function setState(text, className) {
    state.textContent = text;
    state.className = "live " + className;
  }

  function cell(text, className) {
    return ui.el("td", text, className);
  }

  function buildRow(row) {
    const href = "/ui/postbacks/" + encodeURIComponent(row.id);
    const tr = document.createElement("tr");
    tr.dataset.id = String(row.id);
    tr.className = "fresh";
    const idCell = cell();
    idCell.appendChild(ui.link(href, row.id));
    tr.appendChild(idCell);
    tr.appendChild(cell(String(row.received_at || "").slice(11, 23), "time"));
    tr.appendChild(cell(row.channel));
    tr.appendChild(cell(row.method));
    const pathCell = cell(null, "path");
    pathCell.appendChild(ui.link(href, row.path + (row.query_string ? "?" + row.query_string : "")));
    tr.appendChild(pathCell);
    tr.appendChild(cell(row.event_name || ""));
    tr.appendChild(cell(row.click_id || "", "mono"));
    const statusCell = cell();
    statusCell.appendChild(ui.el("span", row.status, "status s" + Math.floor((row.status || 0) / 100)));
    tr.appendChild(statusCell);
    const verdictCell = cell();
    if (row.verdict) {
      const badge = ui.el("span", row.verdict, "verdict");
      badge.classList.add("v-" + String(row.verdict).replace(/[^a-z_]/g, ""));
      verdictCell.appendChild(badge);
    }
    tr.appendChild(verdictCell);
    tr.appendChild(cell(ui.size(row.body_size), "num"));
    return tr;
  }

  function addRows(rows) {
    const empty = document.getElementById("empty");
    if (empty && rows.length) empty.remove();
    for (const row of rows) {
      if (tbody.querySelector('tr[data-id="' + Number(row.id) + '"]')) continue;
      tbody.insertBefore(buildRow(row), tbody.firstChild);
    }
    while (tbody.rows.length > MAX_ROWS) tbody.deleteRow(tbody.rows.length - 1);
    shown.textContent = String(tbody.rows.length);
    stored.textContent = String(Number(stored.textContent) + rows.length);
  }

  function connect() {
    const separator = table.dataset.stream.indexOf("?") >= 0 ? "&" : "?";
    source = new EventSource(table.dataset.stream + separator + "after_id=" + lastId);
    source.addEventListener("ready", function () { setState("live", "on"); });
    source.addEventListener("postbacks", function (event) {
      const data = JSON.parse(event.data);
      addRows(data.rows);
      lastId = Math.max(lastId, Number(event.lastEventId) || 0);
      if (data.more) moreNote.hidden = false;
      setState("live", "on");
    });
    source.addEventListener("reset", function () {
      while (tbody.rows.length) tbody.deleteRow(0);
      lastId = 0;
      shown.textContent = "0";
      stored.textContent = "0";
    });
    source.addEventListener("error", function () {
      if (source && source.readyState === EventSource.CLOSED) setState("disconnected", "");
      else setState("reconnecting…", "");
    });
  }

  function disconnect() {
    if (source) source.close();
    source = null;
  }

  pauseButton.addEventListener("click", function () {
    const pausing = source !== null;
    pauseButton.setAttribute("aria-pressed", pausing ? "true" : "false");
    pauseButton.textContent = pausing ? "Resume" : "Pause";
    if (pausing) {
      disconnect();
      setState("paused", "paused");
    } else {
      setState("connecting…", "");
      connect();
    }
  });
  window.addEventListener("pagehide", disconnect);
  connect();
})();
