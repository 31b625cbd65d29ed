"""The store's behaviours on PostgreSQL and a Chroma server, against what SQLite and a
dict-backed index do: the same rows in the same order after save, replace, absorb and
delete; a generation other connections see; an outbox that brings Chroma in line after a
failure; one writer at a time, across processes, through an advisory lock."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from ingest import Settings, Store, StoreError, ingest_paths
from ingest.lock import AdvisoryLock
from ingest.model import Chunk
from ingest.store import EMBEDDED
from ingest.vectors import ChromaIndex
from ingest.worker import isolated
from tests.conftest import ROOT, SEED
from tests.pdfs import draw_table_pdf

REAL = ROOT.parent / "shared" / "corpus" / "real"


def chroma(url: str) -> ChromaIndex:
    return ChromaIndex(DeterministicFakeEmbedding(size=16), None, url)


def state(store: Store) -> dict[str, Any]:
    """Everything stored, in the order the store hands it back."""
    return {"documents": store.documents(), "facts": store.facts(), "tables": store.tables(),
            "chunks": [(c.chunk_id, c.doc_id, c.kind, c.text, c.page, c.table, c.meta) for c in store.chunks()],
            "findings": store.findings(),
            "files": {d.doc_id: store.file_rows(d.doc_id) for d in store.documents()}}


def embedded(store: Store) -> set[str]:
    return {c.chunk_id for c in store.chunks() if c.kind in EMBEDDED}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The seed, a new version of it (one sentence differs), a small PDF of another unit."""
    folder = tmp_path_factory.mktemp("files")
    text = SEED.read_text(encoding="utf-8")
    seed = folder / SEED.name
    seed.write_text(text, encoding="utf-8")
    v2 = folder / "和静县社会保险中心2024年单位预算（修订）.txt"
    v2.write_text(text.replace("下设 5 个处", "下设 6 个处"), encoding="utf-8")
    pdf = folder / "tiny.pdf"
    draw_table_pdf(pdf, [("210 卫生健康支出", "120.50", "100.00", "20.50"),
                         ("21001 卫生健康管理事务", "120.50", "100.00", "20.50"),
                         ("合计", "120.50", "100.00", "")])
    return seed, v2, pdf


def test_save_replace_and_delete_agree_with_sqlite(files: tuple[Path, Path, Path], database_url: str,
                                                   chroma_url: str, tmp_path: Path) -> None:
    seed, v2, pdf = files
    vectors = chroma(chroma_url)
    pg, lite = Store(tmp_path / "pg", vectors, database_url=database_url), Store(tmp_path / "lite")
    watcher = Store(tmp_path / "watcher", database_url=database_url)  # another process's connection
    assert pg.db.dialect == "postgresql" and watcher.generation() == 0
    for path in (seed, pdf, seed, v2):  # the seed twice: unchanged; v2 replaces it
        [a] = ingest_paths([path], pg)
        [b] = ingest_paths([path], lite)
        assert (a.doc_id, a.unchanged, a.replaced, a.facts, a.error) == (b.doc_id, b.unchanged, b.replaced,
                                                                           b.facts, b.error)
        assert state(pg) == state(lite)
        assert vectors.ids() == embedded(pg) and pg.pending_vectors() == 0
    assert watcher.generation() == pg.generation() == 3 and len(watcher.documents()) == 2
    doc = next(d for d in pg.documents() if "社会保险" in d.title)
    assert pg.files(doc.doc_id) == [v2.name]
    assert pg.delete_document(doc.doc_id) and not pg.delete_document(doc.doc_id)
    assert watcher.generation() > 3 and len(watcher.documents()) == 1
    assert vectors.ids() == embedded(pg) and not any(c.doc_id == doc.doc_id for c in pg.chunks())


@pytest.mark.parametrize("order", [["js_2019_swbgt_budget_tables.pdf", "js_2019_swbgt_budget.pdf"],
                                   ["js_2019_swbgt_budget.pdf", "js_2019_swbgt_budget_tables.pdf"]],
                         ids=["tables-first", "prose-first"])
def test_a_document_absorbing_its_other_half_agrees_with_sqlite(order: list[str], database_url: str,
                                                                tmp_path: Path) -> None:
    pg, lite = Store(tmp_path / "pg", database_url=database_url), Store(tmp_path / "lite")
    for name in order:  # on PostgreSQL parsed as the CLI and the server do: in a limited child process
        assert not ingest_paths([REAL / name], pg, parse=isolated(Settings().limits))[0].error
        assert not ingest_paths([REAL / name], lite)[0].error
    assert not (tmp_path / "pg" / "budgetqa.sqlite").exists()  # the child read PostgreSQL too
    [doc] = pg.documents()
    assert sorted(pg.files(doc.doc_id)) == sorted(order)
    assert state(pg) == state(lite)


class Failing:
    """A vector index that fails after `left` upserts, as a Chroma server that goes away."""

    def __init__(self, inner: ChromaIndex, left: int) -> None:
        self.inner, self.left = inner, left

    def upsert(self, chunks: list[Chunk]) -> None:
        if self.left == 0:
            raise RuntimeError("chroma went away")
        self.left -= 1
        self.inner.upsert(chunks)

    def delete(self, chunk_ids: list[str]) -> None:
        self.inner.delete(chunk_ids)

    def ids(self) -> set[str]:
        return self.inner.ids()

    def search(self, query: str, k: int, doc_ids: list[str] | None) -> list[tuple[str, float]]:
        return self.inner.search(query, k, doc_ids)


def test_the_outbox_and_reconcile_bring_the_chroma_server_in_line(database_url: str, chroma_url: str,
                                                                   tmp_path: Path) -> None:
    vectors = chroma(chroma_url)
    store = Store(tmp_path, Failing(vectors, 1), database_url=database_url)
    [result] = ingest_paths([SEED], store)  # stored, and it says the vectors are owed
    assert not result.error and result.vectors_pending == store.pending_vectors() > 0
    assert store.documents()  # committed
    reopened = Store(tmp_path, vectors, database_url=database_url)
    assert reopened.reconcile() == (0, 0)  # the outbox replay added them
    assert vectors.ids() == embedded(reopened) and reopened.pending_vectors() == 0
    missing = sorted(vectors.ids())[:3]
    vectors.delete(missing)
    orphan = Chunk("orphan", "gone", "prose", "一个已删除文件的段落", 1, None)
    vectors.upsert([orphan])
    assert reopened.reconcile() == (3, 1)
    assert vectors.ids() == embedded(reopened)
    hits = vectors.search("处室", 5, [store.documents()[0].doc_id])
    assert len(hits) == 5 and {i for i, _ in hits} <= embedded(reopened)


def test_a_second_writer_waits_for_the_advisory_lock_and_says_so(database_url: str) -> None:
    heard: list[str] = []
    first, second = AdvisoryLock(database_url), AdvisoryLock(database_url, on_wait=heard.append)
    released = threading.Event()

    def hold() -> None:
        with first.hold():
            time.sleep(0.6)
        released.set()

    thread = threading.Thread(target=hold)
    thread.start()
    time.sleep(0.2)
    with second.hold():
        assert released.is_set()
    thread.join()
    assert len(heard) == 1 and "等待" in heard[0] and "pid" in heard[0]
    with first.hold(), pytest.raises(StoreError, match="another process .*pid"):
        with AdvisoryLock(database_url).hold(timeout=0.3):
            pass


def test_a_killed_holder_leaves_the_lock_free(database_url: str) -> None:
    code = ("import sys, time\nfrom ingest.lock import AdvisoryLock\n"
            "with AdvisoryLock(sys.argv[1]).hold():\n    print('held', flush=True)\n    time.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", code, database_url], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreError):
            with AdvisoryLock(database_url).hold(timeout=0.3):
                pass
    finally:
        holder.kill()
        holder.wait()
    with AdvisoryLock(database_url).hold(timeout=10):  # the server dropped the dead session's lock
        pass


def test_a_search_while_the_chroma_server_is_down_finds_nothing_instead_of_failing() -> None:
    from tests.backends.servers import start_chroma

    server = start_chroma()
    try:
        vectors = chroma(server.url)
        vectors.upsert([Chunk("c1", "d1", "prose", "机构设置：下设 5 个处室", 1, None)])
        assert [i for i, _ in vectors.search("处室", 1, None)] == ["c1"]
    finally:
        server.stop()
    assert vectors.search("处室", 1, None) == []


@pytest.mark.slow
def test_a_scanned_table_keeps_its_confidence_on_postgresql(files: tuple[Path, Path, Path], database_url: str,
                                                            tmp_path: Path) -> None:
    from tests.ingest.test_scan import rasterize

    scan = rasterize(files[2], tmp_path / "scanned")  # the small table, as an image-only PDF
    pg, lite = Store(tmp_path / "pg", database_url=database_url), Store(tmp_path / "lite")
    assert not ingest_paths([scan], pg, parse=isolated(Settings().limits))[0].error
    assert not ingest_paths([scan], lite)[0].error
    assert state(pg) == state(lite)
    assert {f.confidence for f in pg.facts() if f.table != "正文"} == {"ocr"}  # every sum adds up
