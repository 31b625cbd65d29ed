"""The app over a store of its own: a fresh temp data dir with the seed ingested."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ingest import Store, ingest_paths
from qa import Engine
from server.app import create_app
from server.settings import ServerSettings
from tests.conftest import SEED

TOKEN = "test-staff-token"
STAFF = {"Authorization": f"Bearer {TOKEN}"}
MakeClient = Callable[..., TestClient]


@pytest.fixture
def seeded_dir(tmp_path: Path) -> Path:
    store = Store(tmp_path)
    [result] = ingest_paths([SEED], store)
    assert not result.error
    store.close()
    return tmp_path


@pytest.fixture
def make_client(tmp_path: Path) -> MakeClient:
    """A client over the given data dir (default: an empty one), no vectors; settings
    override the defaults (staff token set, rate limit off)."""

    def make(data_dir: Path | None = None, engine: Engine | None = None, **settings: Any) -> TestClient:
        folder = data_dir or tmp_path / "empty"
        options: dict[str, Any] = {"admin_token": TOKEN, "rate_limit_per_minute": 0, **settings}
        app = create_app(ServerSettings(data_dir=folder, **options),
                         engine=engine or Engine(Store(folder)))
        return TestClient(app)

    return make
