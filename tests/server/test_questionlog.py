"""The question log and feedback over the real app: an entry per channel with no IP, user agent
or conversation id stored, retention, the log off, feedback round trips, the 问题 page's
groups and exports."""

from __future__ import annotations

import io
import json
import sqlite3
import time
from pathlib import Path

import pytest
from conftest import STAFF, MakeClient
from fastapi.testclient import TestClient

from budget_qa_cli import main
from server.questionlog import STATUSES, Entry
from server.review import Logged, group_questions, wording

ASK = "三公经费是多少？"
AGENT = "Mozilla/5.0 (test-agent-7731)"


def _rows(data_dir: Path) -> list[sqlite3.Row]:
    db = sqlite3.connect(data_dir / "budgetqa.sqlite")
    db.row_factory = sqlite3.Row
    return db.execute("SELECT * FROM question_log ORDER BY at").fetchall()


def _flush(client: TestClient) -> None:
    client.app.state.services.questions.flush()  # type: ignore[attr-defined]


def test_every_channel_is_logged_without_ip_agent_or_conversation_id(make_client: MakeClient,
                                                                     seeded_dir: Path) -> None:
    client = make_client(seeded_dir)
    head = {"User-Agent": AGENT}
    web = client.post("/api/chat", json={"message": ASK}, headers={**head, "X-BudgetQA-Channel": "web"}).json()
    api = client.post("/api/chat", json={"message": "明年天气怎么样", "conversation_id": web["conversation_id"]},
                      headers=head).json()
    v1 = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": ASK}]},
                     headers=head).json()
    assert client.post("/api/chat", json={"message": "\x1d"}).status_code == 422  # blank to the engine: refused
    _flush(client)
    rows = _rows(seeded_dir)
    assert [r["channel"] for r in rows[:3]] == ["web", "api", "v1"]
    assert [r["message_id"] for r in rows[:3]] == [web["message_id"], api["message_id"],
                                                   v1["budget_qa"]["message_id"]]
    assert rows[0]["status"] == "answered" and rows[0]["docs"] != "[]" and rows[0]["latency_ms"] > 0
    assert rows[1]["status"] in STATUSES and rows[3]["status"] == "refused"
    assert len(rows) == 4 and rows[3]["channel"] == "api"  # a refused question is logged too
    # One conversation, two turns: the same hash, and the id itself nowhere.
    assert rows[0]["conversation"] == rows[1]["conversation"] != ""
    dump = "\n".join(" ".join(map(str, tuple(r))) for r in rows)
    for secret in (web["conversation_id"], "testclient", "127.0.0.1", AGENT, "test-agent"):
        assert secret not in dump
    assert not {"ip", "client", "user_agent", "agent"} & set(rows[0].keys())


def test_a_web_reply_log_status_follows_the_reason(make_client: MakeClient, seeded_dir: Path) -> None:
    from server.questionlog import log_status

    assert log_status({"status": "not_found", "reason": "not_understood"}) == "not_understood"
    assert log_status({"status": "not_found", "reason": None}) == "not_disclosed"
    assert log_status({"status": "not_found"}) == "not_disclosed"
    assert log_status({"status": "clarify"}) == "clarify"


def test_retention_purges_old_entries_and_their_feedback(make_client: MakeClient, seeded_dir: Path) -> None:
    client = make_client(seeded_dir, log_days=30)
    log = client.app.state.services.questions  # type: ignore[attr-defined]
    old, new = log.new_message_id(), log.new_message_id()
    now = time.time()
    for mid, at in ((old, now - 31 * 86400), (new, now - 29 * 86400)):
        log.record(Entry(mid, at, "api", f"问题{mid[:4]}", "answered", "", None, (), 1.0, ""))
    log.flush()  # the writer purges at its first batch, then hourly
    assert [r["message_id"] for r in _rows(seeded_dir)] == [new]
    log.feedback(old, "down", "错了")
    log.feedback(new, "up", None)
    log.db.execute("UPDATE feedback SET at=? WHERE message_id=?", (now - 31 * 86400, old))
    assert log.purge(now=now + 2 * 86400) == 1  # two days on, the newer entry is past 30 days too
    assert _rows(seeded_dir) == [] and log.db.execute("SELECT count(*) FROM feedback").fetchone()[0] == 1


def test_with_the_log_off_nothing_is_written_and_feedback_still_works(make_client: MakeClient,
                                                                      seeded_dir: Path) -> None:
    client = make_client(seeded_dir, log_questions=False)
    reply = client.post("/api/chat", json={"message": ASK}).json()
    _flush(client)
    assert _rows(seeded_dir) == []
    r = client.post("/api/feedback", json={"message_id": reply["message_id"], "rating": "up", "note": None})
    assert r.status_code == 201


def test_feedback_refuses_unknown_ids_and_bad_ratings(make_client: MakeClient, seeded_dir: Path) -> None:
    client = make_client(seeded_dir)
    reply = client.post("/api/chat", json={"message": ASK}).json()
    assert client.post("/api/feedback", json={"message_id": "0" * 32, "rating": "up"}).status_code == 404
    assert client.post("/api/feedback", json={"message_id": "nope", "rating": "down"}).status_code == 404
    bad = client.post("/api/feedback", json={"message_id": reply["message_id"], "rating": "meh"})
    assert bad.status_code == 422 and "rating" in bad.json()["detail"]
    long = client.post("/api/feedback", json={"message_id": reply["message_id"], "rating": "down", "note": "x" * 501})
    assert long.status_code == 422


def test_feedback_limited_like_chat(make_client: MakeClient, seeded_dir: Path) -> None:
    client = make_client(seeded_dir, rate_limit_per_minute=2)
    reply = client.post("/api/chat", json={"message": ASK}).json()
    codes = [client.post("/api/feedback", json={"message_id": reply["message_id"], "rating": "up"}).status_code
             for _ in range(3)]
    assert codes[0] == 201 and 429 in codes


def test_thumbed_down_questions_are_grouped_on_the_questions_page(make_client: MakeClient,
                                                                  seeded_dir: Path) -> None:
    client = make_client(seeded_dir)
    ids = [client.post("/api/chat", json={"message": q}).json()["message_id"]
           for q in (ASK, "三公经费是多少", " 三公经费是多少 ？", "明年天气怎么样")]
    client.post("/api/feedback", json={"message_id": ids[1], "rating": "down", "note": "少了公务用车"})
    client.post("/api/feedback", json={"message_id": ids[2], "rating": "up"})
    assert client.get("/api/questions").status_code == 401
    groups = client.get("/api/questions", headers=STAFF).json()
    by_q = {g["question"]: g for g in groups}
    three = next(g for g in groups if g["count"] == 3)
    assert (three["up"], three["down"], three["notes"]) == (1, 1, ["少了公务用车"]) and len(by_q) == 2
    assert set(three) >= {"question", "status", "count", "last_seen", "up", "down"}
    assert groups[0]["last_seen"] >= groups[-1]["last_seen"]
    down = client.get("/api/questions", params={"status": "down"}, headers=STAFF).json()
    assert [g["count"] for g in down] == [1]  # only the entry thumbed down
    today = time.strftime("%Y-%m-%d", time.gmtime())
    assert client.get("/api/questions", params={"until": "2000-01-01"}, headers=STAFF).json() == []
    assert len(client.get("/api/questions", params={"since": today}, headers=STAFF).json()) == 2
    assert client.get("/api/questions", params={"status": "nonsense"}, headers=STAFF).status_code == 422


def test_near_duplicate_wordings_join_by_their_vectors() -> None:
    vectors = {"三公经费是多少": [1.0, 0.0, 0.0], "三公经费是多少钱": [0.99, 0.1, 0.0],
               "公务接待费是多少": [0.6, 0.8, 0.0]}
    entries = [Logged(str(i), 100.0 - i, "api", q, wording(q), "not_understood", "", [], None, None)
               for i, q in enumerate(["三公经费是多少钱？", "三公经费是多少", "三公经费是多少", "公务接待费是多少"])]
    groups = group_questions(entries, lambda texts: [vectors[t] for t in texts], similarity=0.98)
    assert [(g.question, g.count) for g in groups] == [("三公经费是多少", 3), ("公务接待费是多少", 1)]
    assert sorted(groups[0].wordings) == ["三公经费是多少", "三公经费是多少钱？"]
    assert [g.count for g in group_questions(entries, None)] == [1, 2, 1]  # without a model: the same text only


def test_exports_as_csv_and_xlsx_are_recorded(make_client: MakeClient, seeded_dir: Path) -> None:
    from openpyxl import load_workbook

    client = make_client(seeded_dir)
    client.post("/api/chat", json={"message": "=HYPERLINK(\"x\")三公经费"})
    text = client.get("/api/questions/export", params={"format": "csv"}, headers=STAFF).content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("question,status,count") and "'=HYPERLINK" in text
    book = load_workbook(io.BytesIO(client.get("/api/questions/export", params={"format": "xlsx"},
                                               headers=STAFF).content))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("question", "status", "count") and rows[1][2] == 1
    actions = [(a["who"], a["action"], a["target"]) for a in client.get("/api/activity", headers=STAFF).json()]
    assert actions[:2] == [("admin", "export", "questions.xlsx"), ("admin", "export", "questions.csv")]


def test_a_gold_export_runs_in_budget_qa_eval(make_client: MakeClient, seeded_dir: Path, tmp_path: Path,
                                              capsys) -> None:  # type: ignore[no-untyped-def]
    client = make_client(seeded_dir)
    reply = client.post("/api/chat", json={"message": ASK}).json()
    figure = reply["calculation"]["result"] if reply["calculation"] else \
        next(c["quote"] for c in reply["citations"])  # what the engine said, cited
    value = str(figure) if reply["calculation"] else None
    items = [{"question": "明年天气怎么样", "expected": {"not_found": True}},
             {"question": ASK, "expected": {"keywords": [["三公"]]}}]
    if value:
        items.append({"question": ASK, "turns_before": ["你好"], "expected": {"value": value, "unit": "万元"}})
    r = client.post("/api/questions/gold", json={"name": "第一批", "items": items}, headers=STAFF)
    assert r.status_code == 200, r.text
    lines = [json.loads(x) for x in r.text.splitlines()]
    assert [x["kind"] for x in lines[:2]] == ["refusal", "text"] and lines[0]["answer"] == {"status": "not_found"}
    gold = tmp_path / "gold.jsonl"
    gold.write_text(r.text, encoding="utf-8")
    assert main(["--data-dir", str(seeded_dir), "eval", str(gold)]) == 0
    printed = capsys.readouterr().out
    assert str(len(lines)) in printed
    bad = client.post("/api/questions/gold", json={"name": "x", "items": [{"question": "q", "expected": {}}]},
                      headers=STAFF)
    assert bad.status_code == 400 and "期望" in bad.json()["detail"]
    assert client.get("/api/activity", headers=STAFF).json()[0]["target"] == "gold 第一批"


@pytest.mark.slow
def test_the_shipped_model_joins_rewordings_and_keeps_other_questions_apart() -> None:
    from ingest import Settings
    from ingest.embedding import load_embedder
    from server.review import EmbeddingCache

    settings = Settings()
    model = load_embedder(settings.embedding_model or None, settings.model_cache)
    asked = ["三公经费是多少", "三公经费是多少钱？", "三公经费有多少", "今年三公经费多少", "三公经费为什么增加了",
             "公务接待费是多少", "机关运行经费是多少", "社保中心今年一共有多少钱"]
    entries = [Logged(str(i), 100.0 - i, "web", q, wording(q), "not_understood", "", [], None, None)
               for i, q in enumerate(asked)]
    groups = group_questions(entries, EmbeddingCache(model.embed_documents), similarity=0.98)
    together = next(g for g in groups if g.count == 4)
    assert set(together.wordings) == set(asked[:4]) and len(groups) == 5
