"""The real FastAPI app through its test client, over the ingested seed."""

from __future__ import annotations

from fastapi.testclient import TestClient

from ingest import Settings
from qa import Engine
from server.app import create_app


def _client(engine: Engine) -> TestClient:
    return TestClient(create_app(Settings(), engine=engine))


def test_chat_answers_with_citation_and_keeps_the_conversation(seed_engine: Engine) -> None:
    client = _client(seed_engine)
    r = client.post("/api/chat", json={"message": "卫生健康支出是多少？"})
    assert r.status_code == 200
    body = r.json()
    assert "16.91" in body["answer"] and body["citations"][0]["table"]
    r2 = client.post("/api/chat", json={"message": "其中公务员医疗补助占多少比例？",
                                        "conversation_id": body["conversation_id"]})
    assert "27.32%" in r2.json()["answer"]


def test_bad_questions_get_a_message_not_a_trace(seed_engine: Engine) -> None:
    client = _client(seed_engine)
    for payload in ({"message": ""}, {"message": "问" * 501}, {"message": "   "}, {}):
        r = client.post("/api/chat", json=payload)
        assert r.status_code == 422, payload
        assert "detail" in r.json() and "Traceback" not in r.text


def test_health_documents_and_page(seed_engine: Engine) -> None:
    client = _client(seed_engine)
    assert client.get("/api/health").json()["documents"] == 1
    assert client.get("/api/documents").json()[0]["unit"] == "和静县社会保险中心"
    assert "预算" in client.get("/").text
