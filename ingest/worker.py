"""A file's parse in a process of its own, under limits: a hostile file costs that process
its memory and time, never the caller's. The child gets an address-space limit
(resource.setrlimit), a CPU limit, and the wall-time limit is the caller's: past it the
child is killed. It reads the file as soon as it starts (ingest_paths starts the next
files' children while it merges and saves one) and the store only when the file's turn
comes (to merge the file with its document); it writes nothing, the caller saves what it
returns."""

from __future__ import annotations

import multiprocessing
import resource
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ingest.errors import IngestError
from ingest.limits import LimitExceeded, Limits, check_pdf
from ingest.pipeline import OnPage, Prepared, Reader, Reading, assemble, read_file
from ingest.read import PDF_MAGIC
from ingest.scan import pages_read
from ingest.store import Store

MB = 1024 * 1024


def isolated(limits: Limits) -> Reader:
    """A Reader for ingest_paths/ingest_file: each file read in a limited child process."""

    def start(path: Path, sha: str, store: Store) -> Reading:
        return ChildReading(path, sha, store.data_dir, limits, store.database_url)

    return start


class ChildReading:
    """A file read in a limited child process from the moment it is made (the PDF's layout,
    OCR: ingest.pipeline.read_file). The child then waits, using no CPU, until `finish`
    says the file's turn has come, and only then merges the pages with the document as
    the store (the data dir's SQLite, or the database `database_url` names) holds it."""

    def __init__(self, path: Path, sha: str, data_dir: Path, limits: Limits, database_url: str = "") -> None:
        # spawn, not fork: the child must not share a server's threads, model or address space.
        context = multiprocessing.get_context("spawn")
        self._conn, theirs = context.Pipe()
        self._child = context.Process(target=_child, args=(theirs, path, sha, data_dir, limits, database_url),
                                      daemon=True)
        self._child.start()
        theirs.close()
        self._path, self._limits, self._started = path, limits, time.monotonic()

    def finish(self, on_page: OnPage | None) -> Prepared:
        try:
            self._wait("read", on_page, self._started)
            self._conn.send(("go",))
            prepared: Prepared = self._wait("ok", None, time.monotonic())
            return prepared
        finally:
            self.cancel()

    def cancel(self) -> None:
        self._conn.close()
        if self._child.is_alive():
            self._child.kill()
        self._child.join()

    def _wait(self, until: str, on_page: OnPage | None, since: float) -> Any:
        """The child's message `until`, the pages it reports on the way; past the wall time
        allowed since `since` (more for each page read by OCR) the child is stopped. A
        message already waiting is taken first: a file read ahead may have long finished."""
        limits, scanned = self._limits, 0
        while True:
            allowed = limits.max_seconds + scanned * limits.ocr_page_seconds
            left = since + allowed - time.monotonic()
            if not self._conn.poll(max(0.0, min(left, 0.5))):
                if left <= 0:
                    raise LimitExceeded(f"{self._path.name}: reading took longer than {allowed:.0f} s; stopped")
                continue
            try:
                kind, *rest = self._conn.recv()
            except EOFError:
                self._child.join(1)
                raise IngestError(_death(self._path, self._child.exitcode, limits)) from None
            if kind == "page":
                done, total, scanned = rest
                if on_page is not None:
                    on_page(done, total)
            elif kind == "error":
                raise (LimitExceeded if rest[1] else IngestError)(rest[0])
            elif kind == until:
                return rest[0] if rest else None


def _death(path: Path, exitcode: int | None, limits: Limits) -> str:
    if exitcode is not None and exitcode < 0:
        return (f"{path.name}: reading stopped (signal {-exitcode}), past the limits of "
                f"{limits.max_memory_mb} MB or {limits.max_seconds:.0f} s")
    return f"{path.name}: reading stopped unexpectedly (exit code {exitcode})"


def _no_memory(path: Path, limits: Limits) -> str:
    return f"{path.name}: reading needs more than {limits.max_memory_mb} MB of memory; stopped"


def _caused_by_memory(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, MemoryError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _child(conn: Connection, path: Path, sha: str, data_dir: Path, limits: Limits, database_url: str) -> None:
    memory = limits.max_memory_mb * MB
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    # the wall time the parent allows is the limit; this one only stops a child left running
    seconds = int(2 * limits.max_seconds + limits.max_pages * limits.ocr_page_seconds) + 5
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
    try:
        with path.open("rb") as f:
            if f.read(len(PDF_MAGIC)) == PDF_MAGIC:
                check_pdf(path, limits)
        pages = read_file(path, lambda done, total: conn.send(("page", done, total, pages_read())))
        conn.send(("read",))
        if conn.recv() != ("go",):
            return
        store = Store(data_dir, database_url=database_url)
        prepared = assemble(path, sha, pages, store)
        store.close()
        conn.send(("ok", prepared))
    except (EOFError, BrokenPipeError):
        return  # the parent dropped the reading
    except MemoryError:
        _tell(conn, ("error", _no_memory(path, limits), True))
    except IngestError as exc:  # a parser's MemoryError may come wrapped in its own error
        if _caused_by_memory(exc):
            _tell(conn, ("error", _no_memory(path, limits), True))
        else:
            _tell(conn, ("error", str(exc), isinstance(exc, LimitExceeded)))
    except RecursionError:
        _tell(conn, ("error", f"{path.name}: the file nests too deeply to read", True))
    except Exception as exc:  # a parser's private error on a broken file: a message, not a trace
        _tell(conn, ("error", f"{path.name}: cannot be read ({type(exc).__name__})", False))
    finally:
        conn.close()


def _tell(conn: Connection, message: tuple[Any, ...]) -> None:
    try:
        conn.send(message)
    except OSError:
        pass  # the parent went
