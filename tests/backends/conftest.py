"""Fixtures over real servers: one PostgreSQL cluster and one Chroma server per session, a
fresh database and an empty collection per test. A server that cannot start skips the
tests on a developer's machine and fails them in CI (CI=true), where .ci/run installs
Debian's postgresql."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import NoReturn

import psycopg
import pytest

from tests.backends.servers import Chroma, Postgres, Unavailable, start_chroma, start_postgres


def unavailable(why: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI needs this server: {why}", pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    try:
        server = start_postgres()
    except Unavailable as exc:
        unavailable(f"PostgreSQL cannot start: {exc}")
    yield server
    server.stop()


@pytest.fixture
def database_url(postgres: Postgres) -> Iterator[str]:
    """A new empty database of the session's cluster."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres.url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield postgres.database_url(name)
    with psycopg.connect(postgres.url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def chroma_server() -> Iterator[Chroma]:
    try:
        server = start_chroma()
    except Unavailable as exc:
        unavailable(f"the Chroma server cannot start: {exc}")
    yield server
    server.stop()


@pytest.fixture
def chroma_url(chroma_server: Chroma) -> str:
    """The session's Chroma server, its collection emptied."""
    import chromadb
    from chromadb.config import Settings

    from ingest.vectors import COLLECTION

    client = chromadb.HttpClient(host="127.0.0.1", port=chroma_server.port,
                                 settings=Settings(anonymized_telemetry=False))
    if COLLECTION in {c.name for c in client.list_collections()}:
        client.delete_collection(COLLECTION)
    return chroma_server.url
