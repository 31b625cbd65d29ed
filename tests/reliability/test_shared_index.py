"""A process that keeps an embedded Chroma open (the server) sees the vectors another process
(the CLI) wrote once it reopens the index, as the server does when the store's generation
changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import reopen, run_ingest

from ingest.store import EMBEDDED
from tests.conftest import SEED

pytestmark = pytest.mark.slow


def test_a_reopened_index_sees_what_another_process_wrote(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = reopen(data)
    assert store.vectors is not None and store.vectors.search("处室", 5, None) == []
    assert run_ingest(data, SEED).returncode == 0
    store.vectors.reopen()  # type: ignore[attr-defined]
    hits = store.vectors.search("处室", 5, None)
    embedded = {c.chunk_id for c in store.chunks() if c.kind in EMBEDDED}
    assert len(hits) == 5 and {chunk_id for chunk_id, _ in hits} <= embedded
    assert run_ingest(data, SEED).returncode == 0  # nothing new: the index is still whole
    assert len(store.vectors.search("处室", 5, None)) == 5


def test_a_stale_index_reopens_itself_instead_of_failing_a_search(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = reopen(data)
    assert store.vectors is not None
    assert run_ingest(data, SEED).returncode == 0  # Chroma's files change under this process
    assert len(store.vectors.search("处室", 5, None)) == 5
