"""A postback receiver that behaves badly, on loopback, for the tests of `send` and `certify`:
it answers by its ``mode`` (always500, lenient, flaky, dedup) and with a hostile HTML body."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

XSS = b"<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">"


class BadReceiver(BaseHTTPRequestHandler):
    """Answers by the server's ``mode``: always500, lenient (200 to anything), flaky (500 the
    first time a URL is seen), dedup (409 for a URL seen before)."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        server = self.server
        seen = self.path in server.seen  # type: ignore[attr-defined]
        server.seen.add(self.path)  # type: ignore[attr-defined]
        mode = server.mode  # type: ignore[attr-defined]
        status = {"always500": 500, "lenient": 200, "flaky": 200 if seen else 500,
                  "dedup": 409 if seen else 200}[mode]
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(XSS)))
        self.end_headers()
        self.wfile.write(XSS)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def running_bad_receiver() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BadReceiver)
    httpd.seen = set()  # type: ignore[attr-defined]
    httpd.mode = "lenient"  # type: ignore[attr-defined]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
