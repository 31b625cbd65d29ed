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
# Fixtures that ingest the shared corpus or load the real embedding model: a test that uses
# one is slow, whatever its file says, so `make test-fast` (-m "not slow") is unit tests only.
SLOW_FIXTURES = frozenset({"corpus_engine", "real_store", "new_store", "embedder"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


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
