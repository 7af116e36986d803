"""Room to free room, and what the last writes said about the disk.

In WAL mode SQLite appends every page a DELETE frees to the WAL before the database file
(measured: deleting 10 MB of rows appends about 10 MB to the WAL), so on a full filesystem even
clearing captures fails. Each database keeps a reserve file beside it (``<db>.reserve``,
``RESERVE_BYTES`` allocated for real); a clear that meets a full disk releases it and deletes in
batches that fit, checkpointing after each (see ``CaptureRepository.delete``). The reserve comes
back once the filesystem has room for it and as much again for the WAL.

``WriteHealth`` is what /api/health reports: when a write last failed because the disk was full
and when one last succeeded, shared by every process through a small memory-mapped file.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sandbox.errors import SandboxError

RESERVE_BYTES = 8 * 1024 * 1024
BATCH_BYTES = RESERVE_BYTES // 8  # rows deleted per transaction when making room: WAL to spare
_FIELD = 8  # bytes per time stamp: failed at, succeeded at (ns since the epoch)


def is_disk_full(exc: BaseException | None) -> bool:
    return isinstance(exc, sqlite3.Error) and getattr(exc, "sqlite_errorcode", None) == (
        sqlite3.SQLITE_FULL)


def free_bytes(path: str) -> int:
    """Bytes an unprivileged writer may still use on the filesystem holding ``path``."""
    stat = os.statvfs(os.path.dirname(os.path.abspath(path)))
    return stat.f_bavail * stat.f_frsize


class DiskFull(SandboxError):
    status = 503
    code = "disk_full"


def _checkpoint(conn: sqlite3.Connection) -> None:
    # TRUNCATE gives the WAL's space back; a full disk or a reader may stop it this time.
    with contextlib.suppress(sqlite3.Error):
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


def delete_making_room(
    conn: sqlite3.Connection, reserve: SpaceReserve, delete_batch: Callable[[], int]
) -> int:
    """Delete on a full disk: release the reserve, then run ``delete_batch`` (one transaction
    deleting about ``BATCH_BYTES`` of rows, answering how many) until it deletes nothing, with
    a checkpoint before and after each so the WAL never holds more than one batch."""
    reserve.release()
    deleted = 0
    _checkpoint(conn)
    while True:
        try:
            count = delete_batch()
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise DiskFull(f"could not free space: {exc} even with the {RESERVE_BYTES >> 20} "
                           f"MiB reserve released ({deleted} deleted); free space on the "
                           "database's filesystem by other means") from None
        _checkpoint(conn)
        if not count:
            break
        deleted += count
    reserve.restore()
    return deleted


class SpaceReserve:
    """The reserve of one database. Only a served database has one (``serve`` lays it down);
    a store opened where the file exists keeps it, any other store never creates one."""

    def __init__(self, db_path: str | None) -> None:
        self.path = None if db_path is None else f"{db_path}.reserve"
        self.wanted = self.path is not None and os.path.exists(self.path)

    def present(self) -> bool:
        return not self.wanted or os.path.exists(str(self.path))

    def keep(self) -> bool:
        """Lay the reserve down now and keep it from here on; answer whether it is in place."""
        self.wanted = self.path is not None
        return self.restore()

    def release(self) -> None:
        if self.path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)

    def restore(self) -> bool:
        """Allocate the reserve if it is missing and the filesystem has room for it twice over
        (what is left keeps the WAL going); answer whether it is in place."""
        if self.present():
            return True
        assert self.path is not None  # wanted
        try:
            if free_bytes(self.path) < 2 * RESERVE_BYTES:
                return False
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o644)
            try:
                os.posix_fallocate(fd, 0, RESERVE_BYTES)  # real blocks, not a sparse file
            finally:
                os.close(fd)
        except OSError:
            self.release()  # a half-allocated reserve would only mislead
            return False
        return True


class WriteHealth:
    """The last full-disk failure and the last success of a write, across processes.

    Written only when the state changes, so a healthy commit costs one load from the map.
    Without the shared file (an in-memory database, or no room to create it) it is per process.
    """

    def __init__(self, path: str | None) -> None:
        self._map: mmap.mmap | None = None
        self._local = bytearray(2 * _FIELD)
        if path is not None:
            try:
                self._map = self._open(path)
            except OSError:
                self._map = None

    @staticmethod
    def _open(path: str) -> mmap.mmap:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            os.posix_fallocate(fd, 0, 2 * _FIELD)  # writing a page of a sparse file may SIGBUS
            return mmap.mmap(fd, 2 * _FIELD)
        finally:
            os.close(fd)

    def _get(self, slot: int) -> int:
        data = self._map if self._map is not None else self._local
        return int.from_bytes(data[slot * _FIELD:(slot + 1) * _FIELD], "little")

    def _set(self, slot: int) -> None:
        data = self._map if self._map is not None else self._local
        data[slot * _FIELD:(slot + 1) * _FIELD] = time.time_ns().to_bytes(_FIELD, "little")

    def failing_since(self) -> int | None:
        failed, succeeded = self._get(0), self._get(1)
        return failed if failed > succeeded else None

    def failed(self) -> None:
        self._set(0)

    def succeeded(self) -> None:
        if self.failing_since() is not None:
            self._set(1)

    def problem(self) -> str | None:
        """Why writes are failing, or None when the last one did not fail for want of space."""
        since = self.failing_since()
        if since is None:
            return None
        at = datetime.fromtimestamp(since / 1e9, UTC).isoformat(timespec="seconds")
        return (f"the last write failed at {at.replace('+00:00', 'Z')}: database or disk is "
                "full, and no write has succeeded since; free space with DELETE /api/postbacks")

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
