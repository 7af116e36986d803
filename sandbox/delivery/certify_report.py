"""The certification as a self-contained HTML page (no script at all, everything escaped, a
Content-Security-Policy that lets nothing load) and as JUnit XML: one row, one case each."""

from __future__ import annotations

import html
from typing import Any

from sandbox.delivery.certify import Certification
from sandbox.delivery.certify_cases import FAIL, PASS, SKIPPED, WARN, CaseResult, Exchange
from sandbox.query.junit import junit_xml

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d1d1f}
h1{font-size:1.4rem;margin:0 0 .25rem}
.meta{color:#555;margin-bottom:1rem}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ddd;padding:.45rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f6}
code{font:12px/1.4 ui-monospace,monospace;word-break:break-all;white-space:pre-wrap}
.pass{color:#0a6b2d}.warn{color:#8a5a00}.fail{color:#b00020}.skipped{color:#666}
.badge{font-weight:600;text-transform:uppercase;font-size:12px}
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'"
SHOWN_BYTES = 300


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _sent(exchange: Exchange) -> str:
    body = ""
    if exchange.body:
        body = f"<br><code>{_e(exchange.body[:SHOWN_BYTES].decode('utf-8', 'replace'))}</code>"
    return f"<code>{_e(exchange.method)} {_e(exchange.url)}</code>{body}"


def _answered(exchange: Exchange) -> str:
    status = exchange.status if exchange.status is not None else exchange.error
    tries = f" after {exchange.attempts} attempts" if exchange.attempts > 1 else ""
    answer = exchange.answer[:SHOWN_BYTES].decode("utf-8", "replace")
    logged = f" (run {exchange.run_id})" if exchange.run_id is not None else ""
    return (f"{_e(status)}{_e(tries)}{_e(logged)}"
            + (f"<br><code>{_e(answer)}</code>" if answer else ""))


def _latency(exchange: Exchange) -> str:
    return "-" if exchange.latency_ms is None else f"{exchange.latency_ms:.1f} ms"


def _row(result: CaseResult) -> str:
    verdict = result.verdict
    exchanges = result.exchanges
    cells = [
        f"<strong>{_e(result.case.name)}</strong><br>{_e(result.case.what)}",
        "<br>".join(_sent(x) for x in exchanges) or "-",
        "<br>".join(_answered(x) for x in exchanges) or "-",
        "<br>".join(_e(_latency(x)) for x in exchanges) or "-",
        f'<span class="badge {_e(verdict.outcome)}">{_e(verdict.outcome)}</span> '
        f"{_e(verdict.says)}",
        _e(verdict.next_step) or "-",
    ]
    return ('<tr class="case">' + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")


def report_html(done: Certification) -> str:
    rows = "\n".join(_row(result) for result in done.results)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>Postback endpoint certification: {_e(done.target)}</title>
<style>{STYLE}</style></head>
<body>
<h1>Postback endpoint certification</h1>
<p class="meta">Target <code>{_e(done.target)}</code>, postbacks shaped as
<strong>{_e(done.preset)}</strong> sends them, started {_e(done.started_at)}.
<span class="pass">{done.count(PASS)} passed</span>, <span class="warn">{done.count(WARN)}
warned</span>, <span class="fail">{done.count(FAIL)} failed</span>,
<span class="skipped">{done.count(SKIPPED)} skipped</span>.</p>
<table>
<thead><tr><th>case</th><th>sent</th><th>answered</th><th>latency</th><th>verdict</th>
<th>what a real MMP would do next</th></tr></thead>
<tbody>
{rows}
</tbody></table>
<p class="meta">Made by <code>postback-sandbox certify</code>; every request and answer is in
the sandbox's delivery log (the run named beside each answer).</p>
</body></html>
"""


def report_junit(done: Certification) -> str:
    cases = [{"name": result.case.name, "ok": result.verdict.outcome != FAIL,
              "message": result.verdict.says,
              "details": f"{result.verdict.outcome}: {result.verdict.says}; next: "
                         f"{result.verdict.next_step}", "waited": 0}
             for result in done.results]
    return junit_xml(cases, suite=f"certify {done.target}")
