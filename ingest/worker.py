"""A file's parse in a process of its own, under limits: a hostile file costs that process
its memory and time, never the caller's. The child gets an address-space limit
(resource.setrlimit), a CPU limit, and the wall-time limit is the caller's: past it the
child is killed. It reads the store (to merge a file with its document) but writes
nothing; the caller saves what it returns."""

from __future__ import annotations

import multiprocessing
import resource
import time
from multiprocessing.connection import Connection
from pathlib import Path

from ingest.errors import IngestError
from ingest.limits import LimitExceeded, Limits, check_pdf
from ingest.pipeline import OnPage, Prepare, Prepared, prepare
from ingest.read import PDF_MAGIC
from ingest.scan import pages_read
from ingest.store import Store

MB = 1024 * 1024


def isolated(limits: Limits) -> Prepare:
    """A `prepare` for ingest_file/ingest_paths that runs in a limited child process."""

    def run(path: Path, sha: str, store: Store, on_page: OnPage | None) -> Prepared:
        return prepare_in_child(path, sha, store.data_dir, limits, on_page, store.database_url)

    return run


def prepare_in_child(path: Path, sha: str, data_dir: Path, limits: Limits,
                     on_page: OnPage | None = None, database_url: str = "") -> Prepared:
    """`prepare` in a child process under the limits; it reads the store (the data dir's
    SQLite, or the database `database_url` names) to merge the file with its document."""
    # spawn, not fork: the child must not share a server's threads, model or address space.
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(sender, path, sha, data_dir, limits, database_url),
                            daemon=True)
    child.start()
    sender.close()
    started, scanned = time.monotonic(), 0
    try:
        while True:
            allowed = limits.max_seconds + scanned * limits.ocr_page_seconds  # OCR takes seconds a page
            left = started + allowed - time.monotonic()
            if left <= 0:
                raise LimitExceeded(f"{path.name}: reading took longer than {allowed:.0f} s; stopped")
            if not receiver.poll(min(left, 0.5)):
                continue
            try:
                kind, *rest = receiver.recv()
            except EOFError:
                child.join(1)
                raise IngestError(_death(path, child.exitcode, limits)) from None
            if kind == "page":
                done, total, scanned = rest
                if on_page is not None:
                    on_page(done, total)
            elif kind == "error":
                raise (LimitExceeded if rest[1] else IngestError)(rest[0])
            elif kind == "ok":
                prepared: Prepared = rest[0]
                return prepared
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()


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


def _child(out: Connection, path: Path, sha: str, data_dir: Path, limits: Limits, database_url: str) -> None:
    memory = limits.max_memory_mb * MB
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    # the wall time the parent allows is the limit; this one only stops a child left running
    seconds = int(limits.max_seconds + limits.max_pages * limits.ocr_page_seconds) + 5
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
    try:
        with path.open("rb") as f:
            if f.read(len(PDF_MAGIC)) == PDF_MAGIC:
                check_pdf(path, limits)
        store = Store(data_dir, database_url=database_url)
        prepared = prepare(path, sha, store, lambda done, total: out.send(("page", done, total, pages_read())))
        store.close()
        out.send(("ok", prepared))
    except MemoryError:
        out.send(("error", _no_memory(path, limits), True))
    except IngestError as exc:  # a parser's MemoryError may come wrapped in its own error
        if _caused_by_memory(exc):
            out.send(("error", _no_memory(path, limits), True))
        else:
            out.send(("error", str(exc), isinstance(exc, LimitExceeded)))
    except RecursionError:
        out.send(("error", f"{path.name}: the file nests too deeply to read", True))
    except Exception as exc:  # a parser's private error on a broken file: a message, not a trace
        out.send(("error", f"{path.name}: cannot be read ({type(exc).__name__})", False))
    finally:
        out.close()
