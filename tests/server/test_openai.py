"""The OpenAI-compatible endpoint answers seed questions, plain and streamed."""

from __future__ import annotations

import json

from conftest import MakeClient

from qa import Engine

SHARE = "人员经费占基本支出的比例是多少？"


def test_models_lists_one_model(make_client: MakeClient, seed_engine: Engine) -> None:
    body = make_client(engine=seed_engine).get("/v1/models").json()
    assert body["object"] == "list" and [m["id"] for m in body["data"]] == ["budget-qa"]


def test_completion_answers_with_sources(make_client: MakeClient, seed_engine: Engine) -> None:
    r = make_client(engine=seed_engine).post("/v1/chat/completions", json={
        "model": "budget-qa", "temperature": 0,
        "messages": [{"role": "system", "content": "你是助手"}, {"role": "user", "content": SHARE}]})
    assert r.status_code == 200
    body = r.json()
    content = body["choices"][0]["message"]["content"]
    assert body["object"] == "chat.completion" and body["choices"][0]["finish_reason"] == "stop"
    assert "96.50" in content and "来源" in content and "表6" in content
    assert body["budget_qa"]["calculation"]["result"] == 96.5


def test_streamed_completion(make_client: MakeClient, seed_engine: Engine) -> None:
    r = make_client(engine=seed_engine).post("/v1/chat/completions", json={
        "stream": True, "messages": [{"role": "user", "content": [{"type": "text", "text": SHARE}]}]})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    lines = [line[len("data: "):] for line in r.text.split("\n\n") if line.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    chunks = [json.loads(line) for line in lines[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert "96.50" in text and "来源" in text


def test_earlier_messages_give_the_follow_up_its_context(
        make_client: MakeClient, seed_engine: Engine) -> None:
    r = make_client(engine=seed_engine).post("/v1/chat/completions", json={"messages": [
        {"role": "user", "content": "卫生健康支出是多少？"},
        {"role": "assistant", "content": "卫生健康支出为16.91万元。"},
        {"role": "user", "content": "其中公务员医疗补助占多少比例？"}]})
    assert "27.32" in r.json()["choices"][0]["message"]["content"]


def test_bad_requests_get_openai_style_errors(make_client: MakeClient, seed_engine: Engine) -> None:
    client = make_client(engine=seed_engine)
    for payload in ({"messages": [{"role": "user", "content": "问" * 501}]},
                    {"messages": [{"role": "assistant", "content": "只有助手"}]},
                    {"messages": []}, {}):
        r = client.post("/v1/chat/completions", json=payload)
        assert r.status_code == 422, payload
        assert r.json()["error"]["message"] == r.json()["detail"]
