"""kill -9 of an ingest at every point that matters, and two ingests racing on one data
dir: SQLite stays intact, Chroma and SQLite agree (no missing, no orphan vector), what was
stored before survives, and running the ingest again ends exactly where a clean one does."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import assert_consistent, reopen, run_ingest, start_ingest, state

from tests.conftest import SEED
from tests.pdfs import draw_table_pdf

pytestmark = pytest.mark.slow

KILLED = -9


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The seed; a new version of it (one prose sentence differs: one vector to delete,
    one to add); a small PDF of another unit."""
    folder = tmp_path_factory.mktemp("files")
    seed = folder / SEED.name
    shutil.copy(SEED, seed)
    text = SEED.read_text(encoding="utf-8")
    assert "下设 5 个处" in text
    v2 = folder / "和静县社会保险中心2024年单位预算（修订）.txt"
    v2.write_text(text.replace("下设 5 个处", "下设 6 个处"), encoding="utf-8")
    pdf = folder / "tiny.pdf"
    draw_table_pdf(pdf, [("210 卫生健康支出", "120.50", "100.00", "20.50"),
                         ("21001 卫生健康管理事务", "120.50", "100.00", "20.50"),
                         ("合计", "120.50", "100.00", "")])
    return seed, v2, pdf


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, files: tuple[Path, Path, Path]) -> dict[str, Any]:
    """The seed, then its new version, ingested with nothing going wrong."""
    seed, v2, _ = files
    data = tmp_path_factory.mktemp("clean")
    done = run_ingest(data, seed, v2)  # in this order
    assert done.returncode == 0, done.stderr
    store = reopen(data)
    assert_consistent(data, store)
    return state(store)


@pytest.mark.parametrize(("point", "step"), [
    ("before_commit", 1),  # inside the SQLite transaction
    ("after_commit", 1),  # committed, no vector written yet
    ("during_embedding", 1),  # the first batch of vectors written, not the rest
    ("after_vectors", 1),  # every vector written, the outbox not yet cleared
    ("before_delete", 2),  # a new version committed, its old vector not yet deleted
])
def test_a_kill_leaves_stores_that_agree(point: str, step: int, files: tuple[Path, Path, Path],
                                         clean: dict[str, Any], tmp_path: Path) -> None:
    seed, v2, _ = files
    data = tmp_path / "data"
    if step == 2:
        assert run_ingest(data, seed).returncode == 0
    killed = run_ingest(data, seed if step == 1 else v2, crash_at=point)
    assert killed.returncode == KILLED, killed.stderr[-2000:]
    store = reopen(data)
    assert_consistent(data, store)
    if point == "before_commit":
        assert store.documents() == []
    else:
        [doc] = store.documents()
        assert len(store.facts(doc.doc_id)) > 100
    store.close()
    again = run_ingest(data, seed, v2)
    assert again.returncode == 0 and "Traceback" not in again.stderr, again.stderr[-2000:]
    store = reopen(data)
    assert_consistent(data, store)
    assert state(store) == clean


def test_two_ingests_at_once_take_turns(files: tuple[Path, Path, Path], tmp_path: Path) -> None:
    seed, _, pdf = files
    data, reference = tmp_path / "data", tmp_path / "reference"
    racers = [start_ingest(data, seed, pdf), start_ingest(data, pdf, seed)]
    outputs = [racer.communicate(timeout=180) for racer in racers]
    for racer, (_, err) in zip(racers, outputs, strict=True):
        assert racer.returncode == 0 and "Traceback" not in err, err[-2000:]
    assert any("等待" in err for _, err in outputs), "neither ingest said it waited for the other"
    assert run_ingest(reference, seed, pdf).returncode == 0
    store = reopen(data)
    assert_consistent(data, store)
    assert state(store) == state(reopen(reference)) and len(store.documents()) == 2
