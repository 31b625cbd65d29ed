"""One writer per store, across processes: on SQLite an advisory lock on the data dir's
`write.lock` that the kernel drops when its holder dies (kill -9 included); on PostgreSQL
a session advisory lock, which serialises writers on every machine and which the server
drops when its holder's connection goes (a killed process included). Either way a crash
never leaves it held.

Also the crash points the reliability tests kill an ingest at (BUDGETQA_CRASH_AT).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ingest.errors import StoreError

if TYPE_CHECKING:
    import psycopg

POLL = 0.2  # seconds between tries while another process writes
WRITE_LOCK = (0x6271, 2)  # pg_advisory_lock(classid, objid): budget-qa's writers


class Lock(Protocol):
    """What the store holds while it writes: `hold(timeout)` waits for the lock, tells
    `on_wait` once whom it waits for, and raises StoreError after `timeout` seconds."""

    def hold(self, timeout: float | None = None) -> contextlib.AbstractContextManager[None]: ...


def write_lock(data_dir: Path, database_url: str = "", timeout: float = 600.0,
               on_wait: Callable[[str], None] | None = None) -> Lock:
    """The lock that serialises writers of this store: the data dir's on SQLite, the
    database's on PostgreSQL."""
    from ingest.db import is_postgres

    if is_postgres(database_url):
        return AdvisoryLock(database_url, timeout, on_wait)
    return WriteLock(data_dir, timeout, on_wait)


class WriteLock:
    """`hold()` waits for the data dir's write lock; `on_wait(message)` is told once when it
    has to wait, and after `timeout` seconds it gives up with a StoreError."""

    def __init__(self, data_dir: Path, timeout: float = 600.0,
                 on_wait: Callable[[str], None] | None = None) -> None:
        self.path = data_dir / "write.lock"
        self.timeout, self.on_wait = timeout, on_wait
        self._held = threading.local()  # this thread holds it already (a save inside an ingest)

    @contextmanager
    def hold(self, timeout: float | None = None) -> Iterator[None]:
        if getattr(self._held, "yes", False):
            yield
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            self._acquire(fd, self.timeout if timeout is None else timeout)
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            self._held.yes = True
            try:
                yield
            finally:
                self._held.yes = False
                os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _acquire(self, fd: int, timeout: float) -> None:
        deadline, told = time.monotonic() + timeout, False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            if time.monotonic() >= deadline:
                raise StoreError(f"another process (pid {holder}) is writing {self.path.parent}; "
                                 f"gave up after {timeout:.0f} s, try again later")
            if not told and self.on_wait is not None:
                self.on_wait(f"另一个进程（pid {holder}）正在写入 {self.path.parent}，等待它完成…")
                told = True
            time.sleep(POLL)


class AdvisoryLock:
    """The PostgreSQL store's write lock, held through a connection of its own (so that it
    never mixes with the store's transactions) named after its process, so a writer that
    waits can say whom it waits for."""

    def __init__(self, url: str, timeout: float = 600.0,
                 on_wait: Callable[[str], None] | None = None) -> None:
        from ingest.db import redact

        self.url, self.where = url, redact(url)
        self.timeout, self.on_wait = timeout, on_wait
        self._held = threading.local()

    @contextmanager
    def hold(self, timeout: float | None = None) -> Iterator[None]:
        if getattr(self._held, "yes", False):
            yield
            return
        import psycopg

        name = f"budget-qa pid {os.getpid()} on {socket.gethostname()}"[:63]
        try:
            conn = psycopg.connect(self.url, autocommit=True, application_name=name)
        except psycopg.Error as exc:
            raise StoreError(f"the database {self.where} cannot be used: {exc}") from exc
        try:
            self._acquire(conn, self.timeout if timeout is None else timeout)
            self._held.yes = True
            try:
                yield
            finally:
                self._held.yes = False
                conn.execute("SELECT pg_advisory_unlock(%s, %s)", WRITE_LOCK)
        finally:
            conn.close()

    def _acquire(self, conn: psycopg.Connection, timeout: float) -> None:  # type: ignore[type-arg]
        deadline, told = time.monotonic() + timeout, False
        while True:
            row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", WRITE_LOCK).fetchone()
            if row and row[0]:
                return
            holder = self._holder(conn)
            if time.monotonic() >= deadline:
                raise StoreError(f"another process ({holder}) is writing {self.where}; "
                                 f"gave up after {timeout:.0f} s, try again later")
            if not told and self.on_wait is not None:
                self.on_wait(f"另一个进程（{holder}）正在写入 {self.where}，等待它完成…")
                told = True
            time.sleep(POLL)

    @staticmethod
    def _holder(conn: psycopg.Connection) -> str:  # type: ignore[type-arg]
        row = conn.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s "
            "AND l.objsubid = 2 AND l.database = (SELECT oid FROM pg_database WHERE datname = "
            "current_database())", WRITE_LOCK).fetchone()
        name = (row[0] if row else "") or "?"
        return name.removeprefix("budget-qa ")


def crash_point(name: str) -> None:
    """Kill this process here, as `kill -9` would, when BUDGETQA_CRASH_AT names this point;
    the reliability tests use it to prove that every kill leaves the stores consistent."""
    if os.environ.get("BUDGETQA_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
