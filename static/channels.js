/* Channels: edit a channel's answer (PUT /api/channels/<name>), clear its postbacks. */
"use strict";

(function () {
  const ui = window.inspector;
  const NUMBERS = ["status", "delay_ms", "fail_first", "fail_status", "fail_fraction", "seed"];

  function answerFrom(form) {
    const answer = {};
    for (const name of NUMBERS) {
      const value = form.elements[name].value.trim();
      if (value !== "") answer[name] = Number(value);
    }
    const body = form.elements.body.value;
    if (body.trim() !== "") answer.body = body;
    const headers = {};
    for (const line of form.elements.headers.value.split("\n")) {
      const colon = line.indexOf(":");
      if (line.trim() === "") continue;
      if (colon <= 0) throw new Error("a header line is Name: value, got " + JSON.stringify(line));
      headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
    }
    if (Object.keys(headers).length) answer.headers = headers;
    return answer;
  }

  function channelUrl(name) {
    return "/api/channels/" + encodeURIComponent(name);
  }

  for (const form of document.querySelectorAll("form.answer-form")) {
    const result = form.querySelector(".result");
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      let answer;
      try {
        answer = answerFrom(form);
      } catch (error) {
        ui.setResult(result, error.message, false);
        return;
      }
      // PUT replaces the whole channel: send its verification settings back unchanged
      // (revealed, so secrets survive; they are not shown on the page).
      const current = await ui.send("GET", channelUrl(form.dataset.channel) + "?reveal=1");
      const payload = { answer: answer };
      if (current.ok && current.body.verification) payload.verification = current.body.verification;
      const saved = await ui.send("PUT", channelUrl(form.dataset.channel), payload);
      ui.setResult(result, saved.ok ? "Saved" : ui.message(saved), saved.ok);
    });
  }

  for (const card of document.querySelectorAll("section.channel")) {
    const clear = card.querySelector("button.clear");
    const confirm = card.querySelector(".confirm");
    const result = card.querySelector(".danger .result");
    clear.addEventListener("click", function () {
      confirm.hidden = false;
      clear.hidden = true;
    });
    card.querySelector("button.confirm-no").addEventListener("click", function () {
      confirm.hidden = true;
      clear.hidden = false;
    });
    card.querySelector("button.confirm-yes").addEventListener("click", async function () {
      const name = card.dataset.channel;
      const done = await ui.send("DELETE", "/api/postbacks?channel=" + encodeURIComponent(name));
      confirm.hidden = true;
      clear.hidden = false;
      if (done.ok) {
        ui.setResult(result, "Deleted " + done.body.deleted + " postbacks", true);
        card.querySelector(".postback-count").textContent = "0";
      } else {
        ui.setResult(result, ui.message(done), false);
      }
    });
  }

  const add = document.getElementById("add-channel");
  if (add) {
    add.addEventListener("submit", async function (event) {
      event.preventDefault();
      const name = add.elements.name.value.trim();
      const created = await ui.send("PUT", channelUrl(name), { answer: {} });
      const error = document.getElementById("add-error");
      if (created.ok) {
        window.location.assign("/ui/channels#channel-" + encodeURIComponent(name));
        window.location.reload();
      } else {
        error.hidden = false;
        error.textContent = ui.message(created);
      }
    });
  }
})();
