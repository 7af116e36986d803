"""Server logging: the standard library's handler and format, one line per capture.

A block-buffered stderr flushed on a timer, a per-second time-text cache and a log call that
skipped the LogRecord were measured against this on bench_capture (paired, median of 5 runs)
and paid nothing beyond the noise (the buffer: GET x0.906 / POST x1.046, an earlier run x1.146
/ x0.986; the time text: GET x1.005 / POST x1.023; two identical trees: GET x1.019 / POST
x0.985), so the server logs the plain way.
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
