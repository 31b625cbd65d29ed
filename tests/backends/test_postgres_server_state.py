"""Conversations, rate limits and ingest jobs in PostgreSQL: two apps over one database (two
workers, or two machines) continue each other's conversations, count one client's
requests against one limit and report each other's jobs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from ingest import Store, ingest_paths
from ingest.db import PostgresDatabase
from qa import Engine
from server.app import create_app
from server.jobs import Job, Jobs
from server.limits import Conversations, RateLimiter
from server.schemas import UploadResult
from server.settings import ServerSettings
from tests.conftest import SEED


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_conversations_and_limits_are_shared_through_the_database(database_url: str) -> None:
    clock = Clock()
    one = Conversations(limit=2, ttl=60, clock=clock, db=PostgresDatabase(database_url))
    two = Conversations(limit=2, ttl=60, clock=clock, db=PostgresDatabase(database_url))
    cid, conv = one.get(None)
    conv.doc_ids.append("d1")
    one.save(cid, conv)
    assert two.get(cid) == (cid, conv)
    clock.now += 61
    assert two.get(cid)[0] != cid and len(one) == 1  # expired for both
    limit_one = RateLimiter(3, clock=clock, db=PostgresDatabase(database_url))
    limit_two = RateLimiter(3, clock=clock, db=PostgresDatabase(database_url))
    assert [limit_one.allow("1.2.3.4"), limit_two.allow("1.2.3.4"), limit_one.allow("1.2.3.4")] == [0, 0, 0]
    assert 19 < limit_two.allow("1.2.3.4") <= 20 and limit_two.allow("5.6.7.8") == 0


def test_a_job_is_reported_by_any_worker(database_url: str, tmp_path: Path) -> None:
    result = UploadResult(file="a.pdf", doc_id="d", title="t", unchanged=False, tables=1, tables_by_type={},
                          facts=2, chunks=3, findings=0, problems=0, seconds=0.5)

    def run(job: Job, path: Path) -> None:
        job.result, job.status = result, "done"

    here, there = Jobs(run, db=PostgresDatabase(database_url)), Jobs(run, db=PostgresDatabase(database_url))
    job = here.submit("a.pdf", tmp_path / "a.pdf")
    deadline = time.monotonic() + 10
    while not here.idle() and time.monotonic() < deadline:
        time.sleep(0.05)
    seen = there.get(job.job_id)
    assert seen is not None and seen.status == "done" and seen.result == result
    assert there.get("unknown") is None


def test_two_apps_on_one_database_continue_one_conversation(database_url: str, tmp_path: Path) -> None:
    store = Store(tmp_path / "ingest", database_url=database_url)
    assert not ingest_paths([SEED], store)[0].error

    def app(name: str, **options: Any) -> TestClient:
        settings = ServerSettings(data_dir=tmp_path / name, database_url=database_url, **options)
        return TestClient(create_app(settings, engine=Engine(Store(tmp_path / name, database_url=database_url))))

    workers = [app("a", rate_limit_per_minute=5), app("b", rate_limit_per_minute=5)]
    first = workers[0].post("/api/chat", json={"message": "三公经费是多少？"}).json()
    assert "2.28" in first["answer"]
    follow = workers[1].post("/api/chat", json={"message": "比上年增长多少？",
                                                 "conversation_id": first["conversation_id"]}).json()
    assert "0.02" in follow["answer"] and follow["conversation_id"] == first["conversation_id"]
    codes = [workers[i % 2].post("/api/chat", json={"message": "三公经费是多少？"}).status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]  # five requests in all were allowed, whichever worker took them
