"""The server and other writers of its data dir: it sees what they ingest, and a delete
that meets a long ingest is refused with a message instead of hanging or failing."""

from __future__ import annotations

import time
from pathlib import Path

from conftest import STAFF, MakeClient

from ingest import Store, ingest_paths
from ingest.lock import WriteLock
from tests.conftest import SEED


def test_the_server_sees_documents_another_process_ingested(make_client: MakeClient, tmp_path: Path) -> None:
    client = make_client()
    assert client.get("/api/documents").json() == []
    ingest_paths([SEED], Store(tmp_path / "empty"))  # its own connection, as the CLI's
    deadline, docs = time.monotonic() + 10, []
    while not docs and time.monotonic() < deadline:
        time.sleep(0.3)
        docs = client.get("/api/documents").json()
    assert len(docs) == 1 and docs[0]["facts"] > 100
    answer = client.post("/api/chat", json={"message": "卫生健康支出是多少？"}).json()["answer"]
    assert "16.91" in answer


def test_a_delete_during_another_write_is_409(make_client: MakeClient, seeded_dir: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import server.documents

    monkeypatch.setattr(server.documents, "DELETE_WAIT", 0.3)
    client = make_client(seeded_dir)
    doc_id = client.get("/api/documents").json()[0]["doc_id"]
    with WriteLock(seeded_dir).hold():
        r = client.delete(f"/api/documents/{doc_id}", headers=STAFF)
    assert r.status_code == 409 and "another process" in r.json()["detail"]
    assert client.delete(f"/api/documents/{doc_id}", headers=STAFF).status_code == 200
