"""Shared fixtures: the bundled seed, ingested once into a temp data dir (no vectors)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest import Store, ingest_paths
from qa import Engine

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "samples" / "000_0733fe522b96b6fc.txt"


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(tmp_path_factory.mktemp("seed-data"))
    [result] = ingest_paths([SEED], store)
    assert not result.error
    return store


@pytest.fixture(scope="session")
def seed_engine(seed_store: Store) -> Engine:
    return Engine(seed_store)


CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The seed and the real PDFs together, ingested once: many units, years and kinds at once."""
    store = Store(tmp_path_factory.mktemp("corpus-data"))
    results = ingest_paths([CORPUS], store)
    assert results and not [r.error for r in results if r.error]
    return store


@pytest.fixture(scope="session")
def corpus_engine(corpus_store: Store) -> Engine:
    return Engine(corpus_store)
