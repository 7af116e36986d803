"""A version number of the channel settings, shared by every process through a small file.

The receiver reads a channel's settings on every capture. Asking SQLite each time costs a
statement and a read lock that contends with the captures being committed; instead each process
caches the settings it read together with this version, and any change to the channels table's
settings writes a new version (after its commit), so every process re-reads on its next capture.
Reading it is a load from a shared memory map: no system call.

Measured: bench_capture.py --duration 8 --runs 3 --baseline <a tree reading the table on each
capture>, POST x1.061 and GET x1.010 requests/s (two identical trees: x1.012 and x0.997). Issue
17 removed it on figures from a --baseline that ran the same tree twice; it was put back.
"""

from __future__ import annotations

import mmap
import os
import time

SIZE = 8


class SettingsVersion:
    def __init__(self, path: str | None) -> None:
        self._map: mmap.mmap | None = None
        if path is None:
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if os.fstat(fd).st_size < SIZE:
                os.ftruncate(fd, SIZE)
            self._map = mmap.mmap(fd, SIZE)
        finally:
            os.close(fd)

    @property
    def shared(self) -> bool:
        return self._map is not None

    def read(self) -> int:
        return int.from_bytes(self._map[:SIZE], "little") if self._map is not None else 0

    def bump(self) -> None:
        """Announce a change; a clock value needs no read-modify-write between processes."""
        if self._map is not None:
            self._map[:SIZE] = max(time.time_ns(), self.read() + 1).to_bytes(SIZE, "little")

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
