"""Staff accounts with hashed tokens, the activity record of every write, metrics and request
ids, and the honest states: a database removed or replaced under the server, a job its
process did not live to finish."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from conftest import STAFF, MakeClient
from prometheus_client.parser import text_string_to_metric_families
from test_documents import _upload, finished

from budget_qa_cli import main
from ingest.db import SQLiteDatabase
from server.jobs import Jobs
from server.staff import StaffAccounts
from tests.conftest import SEED


def test_staff_tokens_are_stored_hashed_and_revoke_at_once(make_client: MakeClient, seeded_dir: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(seeded_dir), "staff", "add", "wang"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert token.startswith("bqa_") and len(token) > 40
    raw = (seeded_dir / "budgetqa.sqlite").read_bytes()
    assert token.encode() not in raw and token.split("_", 2)[2].encode() not in raw
    assert main(["--data-dir", str(seeded_dir), "staff", "add", "wang"]) == 2  # one active token a name
    client = make_client(seeded_dir, admin_token="")
    me = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/activity", headers=me).status_code == 200
    assert client.get("/api/activity", headers={"Authorization": f"Bearer {token}x"}).status_code == 401
    assert main(["--data-dir", str(seeded_dir), "staff", "list"]) == 0
    assert "wang" in capsys.readouterr().out
    assert main(["--data-dir", str(seeded_dir), "staff", "add", "zhao"]) == 0
    assert main(["--data-dir", str(seeded_dir), "staff", "revoke", "wang"]) == 0
    assert client.get("/api/activity", headers=me).status_code == 401  # at once, though verified before
    assert main(["--data-dir", str(seeded_dir), "staff", "revoke", "zhao"]) == 0
    assert client.get("/api/activity", headers=me).status_code == 403  # no admin token set, no account left
    capsys.readouterr()
    assert main(["--data-dir", str(seeded_dir), "staff", "revoke", "zhao"]) == 1


def test_every_write_is_in_the_activity_record(make_client: MakeClient, tmp_path: Path) -> None:
    data = tmp_path / "data"
    token = StaffAccounts(SQLiteDatabase(data / "budgetqa.sqlite")).add("li")
    client = make_client(data)
    li = {"Authorization": f"Bearer {token}"}
    job = finished(client, _upload(client, "seed.txt", SEED.read_bytes(), li))
    doc_id = job["result"]["doc_id"]
    assert finished(client, _upload(client, "seed-again.txt", SEED.read_bytes(), STAFF))["result"]["unchanged"]
    assert client.post("/api/taught", json={"said": "吃喝费", "means": "没有这一行", "kind": "item"},
                       headers=li).status_code == 400
    assert client.delete(f"/api/documents/{doc_id}", headers=STAFF).status_code == 200
    log = client.get("/api/activity", headers=STAFF).json()
    seen = [(a["who"], a["action"], a["result"]) for a in reversed(log)]
    assert seen == [("li", "upload", "done"), ("admin", "upload", "unchanged"), ("li", "teach", "refused"),
                    ("admin", "delete", "done")]
    upload = log[-1]
    assert upload["target"] == "seed.txt" and upload["detail"]["doc_id"] == doc_id
    assert len(upload["detail"]["sha256"]) == 64 and upload["at"].endswith("Z")
    assert log[0]["detail"]["files"][0]["name"] == "seed.txt"


def test_metrics_parse_and_every_response_has_a_request_id(make_client: MakeClient, seeded_dir: Path) -> None:
    client = make_client(seeded_dir)
    reply = client.post("/api/chat", json={"message": "三公经费是多少"}, headers={"X-Request-ID": "proxy-42"})
    assert reply.headers["x-request-id"] == "proxy-42"
    assert len(client.get("/nowhere").headers["x-request-id"]) == 32
    assert client.get("/api/health", headers={"X-Request-ID": "bad id\n"}).headers["x-request-id"] != "bad id\n"
    client.post("/api/feedback", json={"message_id": reply.json()["message_id"], "rating": "down"})
    families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").text)}
    assert {"budgetqa_http_requests", "budgetqa_http_request_duration_seconds", "budgetqa_replies",
            "budgetqa_feedback", "budgetqa_documents", "budgetqa_store_generation",
            "budgetqa_engine_reloads", "budgetqa_ingest_jobs"} <= set(families)
    chats = [s for s in families["budgetqa_http_requests"].samples
             if s.labels.get("route") == "/api/chat" and s.name.endswith("_total")]
    assert chats and chats[0].value >= 1 and chats[0].labels["status"] == "200"
    assert any(s.value >= 1 for s in families["budgetqa_feedback"].samples if s.labels.get("rating") == "down")
    assert next(s.value for s in families["budgetqa_documents"].samples) == 1


@pytest.mark.parametrize("how", ["removed", "replaced"])
def test_a_database_removed_or_replaced_under_the_server_is_reported_and_writes_refused(
        make_client: MakeClient, seeded_dir: Path, how: str) -> None:
    client = make_client(seeded_dir)
    assert client.get("/api/health").json()["status"] == "ok"
    db = seeded_dir / "budgetqa.sqlite"
    db.unlink()
    for suffix in ("-wal", "-shm"):
        (seeded_dir / f"budgetqa.sqlite{suffix}").unlink(missing_ok=True)
    if how == "replaced":
        sqlite3.connect(db).execute("CREATE TABLE other (x)").connection.close()
    health = client.get("/api/health").json()
    assert health["status"] == "degraded" and how[:-1] in health["problem"].replace("删除", "remove") \
        .replace("替换", "replace")
    assert client.post("/api/chat", json={"message": "三公经费是多少"}).status_code == 200  # from memory
    refused = _upload(client, "seed.txt", SEED.read_bytes())
    assert refused.status_code == 503 and "数据库文件" in refused.json()["detail"]
    doc_id = client.get("/api/documents").json()[0]["doc_id"]
    assert client.delete(f"/api/documents/{doc_id}", headers=STAFF).status_code == 503
    assert db.exists() == (how == "replaced")  # never a silent new store


def test_jobs_of_a_dead_process_end_interrupted_saying_whether_their_file_was_stored(tmp_path: Path) -> None:
    from ingest import Store, ingest_paths
    from ingest.read import file_sha256

    store = Store(tmp_path)
    ingest_paths([SEED], store)
    db = SQLiteDatabase(tmp_path / "budgetqa.sqlite")
    jobs = Jobs(lambda job, path: None, db=db)
    dead = f"{os.uname().nodename}:999999"
    for job_id, sha in (("stored", file_sha256(SEED)), ("lost", "0" * 64)):
        db.execute("INSERT INTO jobs (job_id, file, status, pages_done, pages_total, error, created, owner, sha256) "
                   "VALUES (?, 'a.txt', 'running', 3, 9, '', 1.0, ?, ?)", (job_id, dead, sha))
    assert Jobs(lambda job, path: None, db=db).recover() == 2
    stored, lost = jobs.get("stored"), jobs.get("lost")
    assert stored is not None and lost is not None
    assert (stored.status, lost.status) == ("interrupted", "interrupted")
    assert "已经存入" in stored.error and "未存入" in lost.error
