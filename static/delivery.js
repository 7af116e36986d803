/* One delivery: re-send it (POST /api/deliveries/<id>/resend) and add the new attempt. */
"use strict";

(function () {
  const ui = window.inspector;
  const button = document.getElementById("resend");
  const result = document.getElementById("resend-result");
  if (!button) return;

  /* The same bar the page draws: full width for the slowest attempt shown. */
  function latencyBar(latency, ok) {
    const table = document.getElementById("attempts");
    const width = Number(table.dataset.width);
    let slowest = latency;
    for (const row of table.querySelectorAll("tbody tr")) {
      slowest = Math.max(slowest, Number(row.dataset.latency) || 0);
    }
    const svgNs = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(svgNs, "svg");
    svg.setAttribute("class", "latency-bar");
    svg.setAttribute("viewBox", "0 0 " + width + " 10");
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("aria-hidden", "true");
    const rect = document.createElementNS(svgNs, "rect");
    rect.setAttribute("class", ok ? "series-2" : "series-4");
    rect.setAttribute("width", String(Math.max(Math.round(width * latency / (slowest || 1)), 1)));
    rect.setAttribute("height", "10");
    svg.appendChild(rect);
    return svg;
  }

  function attemptRow(attempt) {
    const ok = attempt.status !== null && attempt.status >= 200 && attempt.status < 300;
    const row = ui.el("tr", null, "attempt fresh " + (ok ? "ok" : "bad"));
    row.dataset.number = String(attempt.number);
    row.appendChild(ui.el("td", attempt.number));
    row.appendChild(ui.el("td", attempt.started_at, "mono"));
    const answer = ui.el("td");
    if (attempt.status !== null) {
      answer.appendChild(ui.el("span", attempt.status, "status s" + Math.floor(attempt.status / 100)));
    }
    if (attempt.error) answer.appendChild(ui.el("span", " " + attempt.error, "error"));
    row.appendChild(answer);
    row.dataset.latency = String(attempt.latency_ms || 0);
    const cell = ui.el("td", null, "latency");
    cell.appendChild(latencyBar(attempt.latency_ms || 0, ok));
    cell.appendChild(document.createTextNode(
      " " + (attempt.latency_ms === null ? "" : attempt.latency_ms.toFixed(1)) + " ms"));
    row.appendChild(cell);
    const response = ui.el("td");
    if (attempt.response.body) response.appendChild(ui.el("pre", attempt.response.body, "raw snippet"));
    else response.appendChild(ui.el("span", "(no body)", "muted"));
    row.appendChild(response);
    return row;
  }

  button.addEventListener("click", async function () {
    button.disabled = true;
    ui.setResult(result, "sending…");
    const sent = await ui.send("POST", "/api/deliveries/" + encodeURIComponent(button.dataset.id) + "/resend");
    button.disabled = false;
    if (!sent.ok) {
      ui.setResult(result, ui.message(sent), false);
      return;
    }
    const delivery = sent.body;
    const newest = delivery.attempt_log[delivery.attempt_log.length - 1];
    document.querySelector("#attempts tbody").appendChild(attemptRow(newest));
    const state = document.getElementById("delivery-state");
    state.textContent = delivery.state;
    state.className = "state st-" + delivery.state;
    document.getElementById("attempt-count").textContent = String(delivery.attempts);
    const answer = newest.status !== null ? "HTTP " + newest.status : newest.error;
    ui.setResult(result, "attempt " + newest.number + ": " + answer + " → " + delivery.state,
                 delivery.state === "delivered");
  });
})();
