"""The store's own guarantees, fast: WAL, a generation any process can watch, an outbox that
brings the vector index in line after any failure, one writer at a time per data dir."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from ingest import Store, StoreError, ingest_paths
from ingest.lock import WriteLock
from ingest.model import Chunk
from ingest.store import EMBEDDED
from tests.conftest import SEED


class Vectors:
    """A vector index in a dict; `fail_after` upserts raise, as a crash in Chroma would."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.texts: dict[str, str] = {}
        self.fail_after = fail_after

    def upsert(self, chunks: list[Chunk]) -> None:
        if self.fail_after is not None:
            if self.fail_after == 0:
                raise RuntimeError("chroma went away")
            self.fail_after -= 1
        self.texts.update({c.chunk_id: c.text for c in chunks})

    def delete(self, chunk_ids: list[str]) -> None:
        for i in chunk_ids:
            self.texts.pop(i, None)

    def ids(self) -> set[str]:
        return set(self.texts)

    def search(self, query: str, k: int, doc_ids: list[str] | None) -> list[tuple[str, float]]:
        return []


def embedded(store: Store) -> set[str]:
    return {c.chunk_id for c in store.chunks() if c.kind in EMBEDDED}


def test_wal_and_a_generation_that_every_write_bumps(tmp_path: Path) -> None:
    store = Store(tmp_path)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    before = store.generation()
    [result] = ingest_paths([SEED], store)
    other = Store(tmp_path)  # another connection, as another process would have
    assert other.generation() > before
    seen = other.generation()
    store.delete_document(result.doc_id)
    assert other.generation() > seen


def test_a_reader_is_not_blocked_by_a_write_transaction(tmp_path: Path) -> None:
    store = Store(tmp_path)
    ingest_paths([SEED], store)
    writer = sqlite3.connect(tmp_path / "budgetqa.sqlite", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM facts")
    started = time.perf_counter()
    assert len(Store(tmp_path).facts()) > 100  # the committed state, at once
    assert time.perf_counter() - started < 1
    writer.execute("ROLLBACK")


def test_a_read_leaves_no_statement_open_on_the_shared_connection(tmp_path: Path) -> None:
    """A result handed back half read would go on stepping outside the connection's lock,
    inside whatever transaction another thread opened meanwhile. A reader that still holds
    its snapshot makes a truncating checkpoint from another connection report busy."""
    store = Store(tmp_path)
    ingest_paths([SEED], store)
    rows = store.db.execute("SELECT doc_id, value FROM facts")
    first = rows.fetchone()
    other = sqlite3.connect(tmp_path / "budgetqa.sqlite", isolation_level=None)
    busy, _, _ = other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0
    rest = rows.fetchall()
    assert first is not None and len(rest) > 100 and rows.fetchone() is None
    with store.db.transaction() as db:  # and a write's rowcount still says what it did
        assert db.execute("UPDATE facts SET value=value WHERE doc_id=?", (first[0],)).rowcount > 0


def test_delete_removes_the_documents_vectors(tmp_path: Path) -> None:
    vectors = Vectors()
    store = Store(tmp_path, vectors)
    [result] = ingest_paths([SEED], store)
    assert vectors.ids() == embedded(store) and vectors.ids()
    store.delete_document(result.doc_id)
    assert vectors.ids() == set() and store.pending_vectors() == 0


def test_a_failed_vector_write_is_replayed_from_the_outbox(tmp_path: Path) -> None:
    vectors = Vectors(fail_after=0)
    store = Store(tmp_path, vectors)
    [result] = ingest_paths([SEED], store)  # stored, and it says the vectors are owed
    assert not result.error and result.vectors_pending == store.pending_vectors() > 0
    assert store.documents()
    vectors.fail_after = None
    reopened = Store(tmp_path, vectors)
    assert reopened.reconcile() == (0, 0)  # the outbox replay already added them
    assert vectors.ids() == embedded(reopened) and reopened.pending_vectors() == 0


def test_reconcile_deletes_orphans_and_adds_missing_vectors(tmp_path: Path) -> None:
    vectors = Vectors()
    store = Store(tmp_path, vectors)
    ingest_paths([SEED], store)
    missing = sorted(vectors.ids())[:3]
    vectors.delete(missing)
    vectors.texts["orphan"] = "text of a deleted document"
    assert store.reconcile() == (3, 1)
    assert vectors.ids() == embedded(store)


def test_a_second_writer_waits_and_says_so(tmp_path: Path) -> None:
    Store(tmp_path)
    heard: list[str] = []
    first, second = WriteLock(tmp_path), WriteLock(tmp_path, on_wait=heard.append)
    released = threading.Event()

    def hold() -> None:
        with first.hold():
            time.sleep(0.6)
        released.set()

    thread = threading.Thread(target=hold)
    thread.start()
    time.sleep(0.1)
    with second.hold():
        assert released.is_set()
    thread.join()
    assert len(heard) == 1 and "等待" in heard[0]
    with first.hold(), pytest.raises(StoreError, match="another process"):
        with WriteLock(tmp_path).hold(timeout=0.3):
            pass
