"""Server logging: one line per capture without one write system call per line.

Python's stderr is line-buffered, so each capture's log line cost a write(); at thousands of
captures a second that is a noticeable share of the capture path. Lines go to a block-buffered
copy of stderr instead, flushed at least twice a second by a background thread, and at once
for warnings and errors.
"""

from __future__ import annotations

import logging
import sys
import threading

FLUSH_SECONDS = 0.5
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class BufferedHandler(logging.StreamHandler):
    def __init__(self) -> None:
        stream = open(sys.stderr.fileno(), "w", buffering=1 << 16, closefd=False)  # noqa: SIM115
        super().__init__(stream)
        self._ticker = threading.Thread(target=self._tick, name="sandbox-log-flush", daemon=True)
        self._ticker.start()

    def flush(self) -> None:  # called after every record: defer it
        pass

    def emit(self, record: logging.LogRecord) -> None:
        super().emit(record)
        if record.levelno >= logging.WARNING:
            self.flush_now()

    def flush_now(self) -> None:
        with self.lock or threading.Lock():
            self.stream.flush()

    def _tick(self) -> None:
        event = threading.Event()
        while not event.wait(FLUSH_SECONDS):
            self.flush_now()


class SecondsFormatter(logging.Formatter):
    """The standard format, with the time text made once per second instead of per line."""

    def __init__(self, fmt: str) -> None:
        super().__init__(fmt)
        self._second = -1
        self._text = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        second = int(record.created)
        if second != self._second:
            self._second, self._text = second, super().formatTime(record, datefmt)[:-4]
        return f"{self._text},{int(record.msecs):03d}"


def configure(level: str) -> None:
    # The format names no thread, process or source line: skip gathering them for each record
    # (the logging documentation's own advice for hot paths).
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging._srcfile = None  # no caller frame look-up per record
    handler = BufferedHandler()
    handler.setFormatter(SecondsFormatter(FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
