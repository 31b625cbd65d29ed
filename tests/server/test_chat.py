"""The chat API: JSON and streamed replies, the document picker, limits and expiry."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from conftest import MakeClient

from qa import Engine


def events(body: str) -> list[tuple[str, dict]]:
    out = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        out.append((lines.get("event", "message"), json.loads(lines["data"])))
    return out


def test_stream_sends_the_answer_in_pieces_then_the_whole_reply(
        make_client: MakeClient, seed_engine: Engine) -> None:
    client = make_client(engine=seed_engine)
    r = client.post("/api/chat/stream", json={"message": "人员经费占基本支出的比例是多少？"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    got = events(r.text)
    deltas = [data["text"] for event, data in got if event == "delta"]
    [reply] = [data for event, data in got if event == "reply"]
    assert got[-1][0] == "reply" and len(deltas) > 1
    assert "".join(deltas) == reply["answer"] and "96.50" in reply["answer"]
    assert reply["calculation"]["expression"] and reply["citations"] and reply["conversation_id"]


def test_stream_reports_a_bad_question_as_json(make_client: MakeClient, seed_engine: Engine) -> None:
    r = make_client(engine=seed_engine).post("/api/chat/stream", json={"message": "问" * 501})
    assert r.status_code == 422 and "500" in r.json()["detail"]


def test_a_501_character_question_is_refused_with_a_message(
        make_client: MakeClient, seed_engine: Engine) -> None:
    client = make_client(engine=seed_engine)
    r = client.post("/api/chat", json={"message": "问" * 501})
    assert r.status_code == 422 and "message" in r.json()["detail"]
    assert client.post("/api/chat", json={"message": "问" * 500}).status_code == 200


def test_doc_id_fixes_the_document_and_an_unknown_one_is_404(
        make_client: MakeClient, seed_engine: Engine) -> None:
    client = make_client(engine=seed_engine)
    doc_id = client.get("/api/documents").json()[0]["doc_id"]
    r = client.post("/api/chat", json={"message": "卫生健康支出是多少？", "doc_id": doc_id})
    assert r.status_code == 200 and r.json()["citations"][0]["doc_id"] == doc_id
    r = client.post("/api/chat", json={"message": "卫生健康支出是多少？", "doc_id": "0" * 16})
    assert r.status_code == 404 and "没有这份文件" in r.json()["detail"]


def test_a_breakdown_reply_carries_a_chart_that_adds_up(
        make_client: MakeClient, seed_engine: Engine) -> None:
    client = make_client(engine=seed_engine)
    charts = [client.post("/api/chat", json={"message": q}).json()["chart"]
              for q in ("卫生健康支出是多少？", "“三公”经费是多少？", "社会保障和就业支出是多少？")]
    drawn = [c for c in charts if c]
    assert drawn, "no breakdown chart for any of the seed's subtotals"
    for chart in drawn:
        assert len(chart["items"]) >= 2 and chart["unit"] in ("元", "万元", "亿元")
        assert all(Decimal(i["value"]) > 0 for i in chart["items"])


def test_rate_limit_per_client(make_client: MakeClient, seed_engine: Engine) -> None:
    client = make_client(engine=seed_engine, rate_limit_per_minute=3)
    codes = [client.post("/api/chat", json={"message": "卫生健康支出是多少？"}).status_code
             for _ in range(3)]
    assert codes == [200, 200, 200]
    r = client.post("/api/chat/stream", json={"message": "卫生健康支出是多少？"})
    assert r.status_code == 429 and r.json()["detail"] and int(r.headers["retry-after"]) >= 1
    r = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "你好"}]})
    assert r.status_code == 429 and r.json()["error"]["message"]
    assert client.get("/api/health").status_code == 200  # only the chat routes are limited


def test_a_conversation_expires_after_its_ttl(make_client: MakeClient, seed_engine: Engine) -> None:
    kept = make_client(engine=seed_engine)
    first = kept.post("/api/chat", json={"message": "卫生健康支出是多少？"}).json()["conversation_id"]
    again = kept.post("/api/chat", json={"message": "其中公务员医疗补助占多少比例？",
                                         "conversation_id": first}).json()
    assert again["conversation_id"] == first and "27.32" in again["answer"]
    expiring = make_client(engine=seed_engine, conversation_ttl=0.0)
    first = expiring.post("/api/chat", json={"message": "卫生健康支出是多少？"}).json()["conversation_id"]
    later = expiring.post("/api/chat", json={"message": "其中公务员医疗补助占多少比例？",
                                             "conversation_id": first}).json()
    assert later["conversation_id"] != first


def test_an_oversized_body_is_refused_before_it_is_read(
        make_client: MakeClient, seed_engine: Engine) -> None:
    client = make_client(engine=seed_engine)
    r = client.post("/api/chat", content=b'{"message": "' + b"x" * 2_000_000 + b'"}',
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["detail"]

    def chunked() -> object:
        yield b'{"message": "'
        for _ in range(40):
            yield b"x" * 64_000
        yield b'"}'

    r = client.post("/api/chat", content=chunked(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["detail"]


def test_bad_json_and_unknown_routes_get_json_messages(
        make_client: MakeClient, seed_engine: Engine) -> None:
    client = make_client(engine=seed_engine)
    r = client.post("/api/chat", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"]
    for r in (client.get("/api/nothing"), client.put("/api/chat", json={})):
        assert r.status_code in (404, 405) and r.json()["detail"] and "Traceback" not in r.text


class Slow(Engine):
    """The seed engine, each answer held until `go` is set; counts the answers running."""

    def __init__(self, engine: Engine) -> None:
        self.__dict__.update(engine.__dict__)
        self.go, self.guard = threading.Event(), threading.Lock()
        self.running = self.most = 0

    def answer(self, question: str, conv: Any) -> Any:
        with self.guard:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            self.go.wait(10)
            return super().answer(question, conv)
        finally:
            with self.guard:
                self.running -= 1


def test_turns_beyond_the_answer_threads_wait_their_turn_and_other_routes_do_not(
        make_client: MakeClient, seed_engine: Engine) -> None:
    engine = Slow(seed_engine)
    client = make_client(engine=engine, answer_threads=2)
    with client, ThreadPoolExecutor(6) as pool:
        asked = [pool.submit(client.post, "/api/chat", json={"message": "三公经费是多少？"}) for _ in range(6)]
        deadline = time.monotonic() + 10
        while engine.running < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)  # had a third turn been let in, it would be running by now
        assert (engine.running, engine.most) == (2, 2)
        assert client.get("/api/health").status_code == 200  # not queued behind the answers
        engine.go.set()
        replies = [f.result(20) for f in asked]
    assert [r.status_code for r in replies] == [200] * 6 and engine.most == 2
    assert len({r.json()["conversation_id"] for r in replies}) == 6
