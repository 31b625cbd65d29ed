"""kill -9 of an ingest into PostgreSQL and a Chroma server, and two ingests racing there:
the transaction gives what SQLite's WAL gives (all of a document or none), the outbox
brings the Chroma server in line, and the advisory lock makes the racers take turns."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from ingest import Settings, Store, open_store
from ingest.store import EMBEDDED
from tests.conftest import ROOT, SEED
from tests.pdfs import draw_table_pdf

pytestmark = pytest.mark.slow

RUN_INGEST = ROOT / "tests" / "reliability" / "run_ingest.py"
KILLED = -9


def start(data: Path, database_url: str, chroma_url: str, *paths: Path, crash_at: str = "") -> subprocess.Popen[str]:
    env = {**os.environ, "BUDGETQA_CRASH_AT": crash_at, "BUDGETQA_DATABASE_URL": database_url,
           "BUDGETQA_CHROMA_URL": chroma_url}
    return subprocess.Popen([sys.executable, str(RUN_INGEST), str(data), *map(str, paths)], cwd=ROOT, env=env,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def reopen(data: Path, database_url: str, chroma_url: str) -> Store:
    settings = Settings(data_dir=data, database_url=database_url, chroma_url=chroma_url)
    return open_store(settings, embedder=DeterministicFakeEmbedding(size=16))


def assert_consistent(store: Store) -> None:
    assert store.vectors is not None and store.pending_vectors() == 0
    assert store.vectors.ids() == {c.chunk_id for c in store.chunks() if c.kind in EMBEDDED}


@pytest.mark.parametrize("point", ["before_commit", "after_commit", "during_embedding", "after_vectors"])
def test_a_kill_leaves_postgres_and_chroma_in_agreement(point: str, database_url: str, chroma_url: str,
                                                         tmp_path: Path) -> None:
    killed = start(tmp_path, database_url, chroma_url, SEED, crash_at=point)
    _, err = killed.communicate(timeout=120)
    assert killed.returncode == KILLED, err[-2000:]
    store = reopen(tmp_path, database_url, chroma_url)
    assert_consistent(store)
    if point == "before_commit":
        assert store.documents() == [] and store.facts() == []
    else:
        [doc] = store.documents()
        assert len(store.facts(doc.doc_id)) > 100
    again = start(tmp_path, database_url, chroma_url, SEED)
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0 and "Traceback" not in err, err[-2000:]
    store = reopen(tmp_path, database_url, chroma_url)
    assert_consistent(store)
    assert len(store.documents()) == 1


def test_two_ingests_into_one_database_take_turns(database_url: str, chroma_url: str, tmp_path: Path) -> None:
    pdf = tmp_path / "tiny.pdf"
    draw_table_pdf(pdf, [("210 卫生健康支出", "120.50", "100.00", "20.50"),
                         ("21001 卫生健康管理事务", "120.50", "100.00", "20.50"),
                         ("合计", "120.50", "100.00", "")])
    # Two data dirs, as two machines would have: only the database's lock serialises them.
    racers = [start(tmp_path / "a", database_url, chroma_url, SEED, pdf),
              start(tmp_path / "b", database_url, chroma_url, pdf, SEED)]
    outputs = [racer.communicate(timeout=180) for racer in racers]
    for racer, (_, err) in zip(racers, outputs, strict=True):
        assert racer.returncode == 0 and "Traceback" not in err, err[-2000:]
    assert any("等待" in err for _, err in outputs), "neither ingest said it waited for the other"
    store = reopen(tmp_path / "c", database_url, chroma_url)
    assert_consistent(store)
    assert len(store.documents()) == 2
    reference = Store(tmp_path / "reference")
    from ingest import ingest_paths

    ingest_paths([SEED, pdf], reference)
    assert sorted(map(str, store.facts())) == sorted(map(str, reference.facts()))
