/* One postback: copy buttons, replay to a URL, and "assert on this". */
"use strict";

(function () {
  const ui = window.inspector;

  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", function () {
      const source = document.getElementById(button.dataset.copy);
      if (source) ui.copy(source.textContent, button);
    });
  }

  const replayForm = document.getElementById("replay-form");
  const replayResult = document.getElementById("replay-result");
  if (replayForm) {
    replayForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      const url = replayForm.elements.url.value;
      ui.setResult(replayResult, "sending…");
      const result = await ui.send(
        "POST", "/api/postbacks/" + encodeURIComponent(replayForm.dataset.id) + "/replay",
        { url: url });
      replayResult.textContent = "";
      if (!result.ok) {
        ui.setResult(replayResult, ui.message(result), false);
        return;
      }
      const answer = result.body;
      const line = answer.error
        ? "failed after " + answer.elapsed_ms + " ms: " + answer.error
        : answer.method + " " + answer.url + " → " + answer.status + " in " + answer.elapsed_ms + " ms";
      replayResult.appendChild(ui.el("p", line, "replay-line"));
      replayResult.classList.toggle("ok", !answer.error && answer.status < 400);
      replayResult.classList.toggle("bad", Boolean(answer.error) || answer.status >= 400);
      if (answer.body) replayResult.appendChild(ui.el("pre", answer.body, "raw"));
    });
  }

  const assertForm = document.getElementById("assert-form");
  const assertError = document.getElementById("assert-error");
  const assertResult = document.getElementById("assert-result");
  if (assertForm) {
    assertForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      const params = new URLSearchParams();
      for (const box of assertForm.querySelectorAll('input[name="field"]:checked')) {
        params.append("field", box.value);
      }
      params.append("count", assertForm.elements.count.value);
      const result = await ui.send(
        "GET", "/api/postbacks/" + encodeURIComponent(assertForm.dataset.id) + "/assertion?" + params);
      assertError.hidden = result.ok;
      if (!result.ok) {
        assertError.textContent = ui.message(result);
        return;
      }
      document.getElementById("assert-json").textContent = JSON.stringify(result.body.assertion, null, 2);
      document.getElementById("assert-cli").textContent = result.body.cli;
      document.getElementById("assert-pytest").textContent = result.body.pytest;
      ui.setResult(assertResult, "");
    });
  }

  const checkButton = document.getElementById("assert-check");
  if (checkButton) {
    checkButton.addEventListener("click", async function () {
      let assertion;
      try {
        assertion = JSON.parse(document.getElementById("assert-json").textContent);
      } catch (error) {
        ui.setResult(assertResult, "the assertion is not valid JSON: " + error, false);
        return;
      }
      const result = await ui.send("POST", "/api/assert", assertion);
      if (result.body && typeof result.body.ok === "boolean") {
        ui.setResult(assertResult, result.body.message || (result.body.ok ? "holds" : "fails"), result.body.ok);
      } else {
        ui.setResult(assertResult, ui.message(result), false);
      }
    });
  }
})();
