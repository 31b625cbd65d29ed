"""Ingest reads the next files while it merges and saves one: a file read ahead is still
merged with its document as stored when its turn comes, a hostile file read ahead still
ends as its own error, and an unchanged file costs no model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest import Store, ingest_paths
from ingest.embedding import LazyEmbedder
from ingest.limits import Limits
from ingest.pipeline import OnPage, Prepared, Reader, ReadHere, Reading
from ingest.settings import Settings
from ingest.vectors import ChromaIndex
from ingest.worker import isolated
from tests import hostile
from tests.conftest import CORPUS, SEED

REAL = CORPUS / "real"
HALVES = ["js_2018_swbgt_budget.pdf", "js_2018_swbgt_budget_tables.pdf"]  # one document's prose and tables


class Logged:
    """A Reader that says when each reading starts and finishes."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def __call__(self, path: Path, sha: str, store: Store) -> Reading:
        self.events.append(("start", path.name))
        events, inner = self.events, ReadHere(path, sha, store)

        class Read:
            def finish(self, on_page: OnPage | None) -> Prepared:
                events.append(("finish", path.name))
                return inner.finish(on_page)

            def cancel(self) -> None:
                events.append(("cancel", path.name))

        return Read()


def test_the_next_file_is_started_before_one_is_finished(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):  # three files; the last a copy of the first, so it is known at its turn
        shutil.copy(SEED if i != 1 else REAL / HALVES[0], folder / f"{i}_{'seed.txt' if i != 1 else 'a.pdf'}")
    reader: Reader = Logged()
    results = ingest_paths([folder], Store(tmp_path / "data"), parse=reader, ahead=2)
    events = reader.events  # type: ignore[attr-defined]
    assert events.index(("start", "1_a.pdf")) < events.index(("finish", "0_seed.txt"))
    assert [r.unchanged for r in results] == [False, False, True] and not any(r.error for r in results)
    # the copy was started before the first was stored, and dropped unused at its turn
    assert ("start", "2_seed.txt") in events and ("cancel", "2_seed.txt") in events
    assert ("finish", "2_seed.txt") not in events


@pytest.mark.slow
def test_a_half_read_ahead_joins_the_document_its_other_half_saved(tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    results = ingest_paths([REAL / n for n in HALVES], store, parse=isolated(Limits()), ahead=1)
    assert not [r.error for r in results if r.error]
    [doc] = store.documents()
    assert sorted(store.files(doc.doc_id)) == sorted(HALVES)
    one_by_one = Store(tmp_path / "one")
    for name in HALVES:
        assert not ingest_paths([REAL / name], one_by_one, parse=isolated(Limits()), ahead=0)[0].error
    [same] = one_by_one.documents()
    assert {(f.table, f.code, f.row, f.column, f.value) for f in store.facts(doc.doc_id)} == \
        {(f.table, f.code, f.row, f.column, f.value) for f in one_by_one.facts(same.doc_id)}


@pytest.mark.slow
def test_a_hostile_file_read_ahead_is_its_own_error(tmp_path: Path) -> None:
    bomb = hostile.rectangle_bomb(tmp_path / "r.pdf")
    store = Store(tmp_path / "data")
    results = ingest_paths([SEED, bomb, REAL / HALVES[0]], store, parse=isolated(Limits()), ahead=2)
    assert [bool(r.error) for r in results] == [False, True, False]
    assert "draws more than 50,000 objects" in results[1].error
    assert len(store.documents()) == 2


def test_an_unchanged_file_loads_no_model(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    ingest_paths([SEED], Store(tmp_path))  # stored without vectors
    embedder = LazyEmbedder(None, settings.model_cache)
    store = Store(tmp_path, ChromaIndex(embedder, tmp_path / "chroma"))
    [result] = ingest_paths([SEED], store)
    assert result.unchanged and embedder._model is None
