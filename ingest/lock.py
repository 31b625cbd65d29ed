"""One writer per data dir, across processes: an advisory lock on `write.lock` that the
kernel drops when its holder dies (kill -9 included), so a crash never leaves it held.

Also the crash points the reliability tests kill an ingest at (BUDGETQA_CRASH_AT).
"""

from __future__ import annotations

import fcntl
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ingest.errors import StoreError

POLL = 0.2  # seconds between tries while another process writes


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


def crash_point(name: str) -> None:
    """Kill this process here, as `kill -9` would, when BUDGETQA_CRASH_AT names this point;
    the reliability tests use it to prove that every kill leaves the stores consistent."""
    if os.environ.get("BUDGETQA_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
