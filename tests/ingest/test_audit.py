"""A planted inconsistency is found; re-ingesting changes nothing."""

from __future__ import annotations

from pathlib import Path

from ingest import Store, ingest_paths
from tests.conftest import SEED


def test_planted_total_error_is_reported(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8")
    planted = text.replace("合计 395.84 308.44 87.40", "合计 395.84 308.44 87.41", 1)
    assert planted != text
    path = tmp_path / "planted.txt"
    path.write_text(planted, encoding="utf-8")
    store = Store(tmp_path / "data")
    [result] = ingest_paths([path], store)
    assert not result.error
    bad = [f for f in store.findings() if not f.ok and "表3" in (f.table or "")]
    assert bad, "the changed 表3 total must be reported"
    assert all("87.41" not in str(f.value) for f in store.facts() if f.table.startswith("表3"))


def test_reingest_is_idempotent(tmp_path: Path) -> None:
    store = Store(tmp_path)
    ingest_paths([SEED], store)
    before = (len(store.facts()), len(store.chunks()), len(store.documents()))
    [again] = ingest_paths([SEED], store)
    assert again.unchanged
    assert (len(store.facts()), len(store.chunks()), len(store.documents())) == before
