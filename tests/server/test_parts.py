"""The server's own parts, without HTTP: limits, expiry, answer pieces, charts, names."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi import HTTPException

from ingest.model import Fact
from qa.reply import Citation, Reply
from server.charts import build_chart
from server.chat import pieces
from server.limits import TIDY_EVERY, Conversations, RateLimiter
from server.upload import file_name


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_conversations_expire_when_idle_and_stay_bounded() -> None:
    clock = Clock()
    conversations = Conversations(limit=2, ttl=60, clock=clock)
    a, conv = conversations.get(None)
    conv.doc_ids.append("d1")
    conversations.save(a, conv)  # what a turn does after its answer
    clock.now += 59
    assert conversations.get(a) == (a, conv)  # used: its idle time starts again
    clock.now += 59
    assert conversations.get(a)[0] == a
    clock.now += 61
    b, fresh = conversations.get(a)
    assert b != a and fresh.doc_ids == [] and len(conversations) == 1
    c, _ = conversations.get(None)
    d, _ = conversations.get(None)
    assert len(conversations) == 2
    assert conversations.get(d)[0] == d and conversations.get(c)[0] == c
    assert conversations.get(b)[0] != b  # the least recently used went first


def test_turns_save_in_one_statement_and_clean_up_every_few_turns() -> None:
    clock = Clock()
    conversations = Conversations(limit=3, ttl=60, clock=clock)
    kept = None
    for i in range(TIDY_EVERY):
        with conversations.turn(None) as (cid, conv):
            conv.doc_ids.append(f"d{i}")
        kept = kept or cid
        clock.now += 1
    rows = conversations.db.execute("SELECT count(*) FROM conversations").fetchone()[0]
    assert rows == 3 and len(conversations) == 3  # the clean-up kept the three used last
    with conversations.turn(kept) as (again, conv):
        assert again != kept and conv.doc_ids == []  # the first went, least recently used
    clock.now += 61
    with conversations.turn(again) as (later, _):
        assert later != again  # idle longer than the ttl: not read again, before any clean-up


def test_rate_limiter_is_a_token_bucket_per_client() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=3, clock=clock)
    assert [limiter.allow("1.2.3.4") for _ in range(3)] == [0, 0, 0]
    wait = limiter.allow("1.2.3.4")
    assert 19 < wait <= 20
    assert limiter.allow("5.6.7.8") == 0  # another client has its own bucket
    clock.now += 20
    assert limiter.allow("1.2.3.4") == 0 and limiter.allow("1.2.3.4") > 0
    assert RateLimiter(per_minute=0).allow("x") == 0  # 0 turns it off


@pytest.mark.parametrize("text", [
    "计算结果为96.50%（297.64 / 308.44 * 100）。依据：一般公共预算基本支出情况表合计（人员经费） 297.64万元；",
    "短", "", "没有标点的一段很长很长很长很长很长很长很长很长很长很长很长很长的文字1234567.89元",
])
def test_pieces_rebuild_the_text_and_never_cut_a_number(text: str) -> None:
    parts = pieces(text)
    assert "".join(parts) == text
    for left, right in zip(parts, parts[1:], strict=False):
        assert not (left[-1].isdigit() and (right[0].isdigit() or right[0] == "."))


def _fact(row: str, code: str | None, value: str, table: str = "表3 支出总表", column: str = "合计",
          quote: str = "") -> Fact:
    return Fact("d", table, code, row, column, Decimal(value), "万元", 5, quote or f"{code} {row} {value}",
                "支出总表")


FACTS = [_fact("合计", None, "30.00"), _fact("卫生健康支出", "210", "20.00"),
         _fact("行政事业单位医疗", "21011", "20.00"), _fact("行政单位医疗", "2101101", "12.00"),
         _fact("公务员医疗补助", "2101103", "8.00"), _fact("住房保障支出", "221", "10.00")]


def _reply(answer: str, *facts: Fact) -> Reply:
    return Reply("q", answer, "answered", tuple(Citation("d", "t", f.page, f.table, f.quote) for f in facts))


def test_a_subject_with_parts_gets_a_chart_of_them() -> None:
    chart = build_chart(_reply("卫生健康支出为20.00万元。", FACTS[1]), FACTS)
    assert chart is not None and chart.title == "卫生健康支出：行政事业单位医疗的构成"
    assert [(i.label, i.value) for i in chart.items] == [("行政单位医疗", "12.00"), ("公务员医疗补助", "8.00")]
    total = build_chart(_reply("合计为30.00万元。", FACTS[0]), FACTS)
    assert total is not None and [i.label for i in total.items] == ["卫生健康支出", "住房保障支出"]


def test_no_chart_for_parts_that_do_not_add_up_or_a_leaf_or_a_refusal() -> None:
    broken = [*FACTS[:3], _fact("行政单位医疗", "2101101", "1.00"), _fact("公务员医疗补助", "2101103", "8.00")]
    assert build_chart(_reply("卫生健康支出为20.00万元。", broken[1]), broken) is None
    assert build_chart(_reply("公务员医疗补助为8.00万元。", FACTS[4]), FACTS) is None
    assert build_chart(Reply("q", "文件没有披露。", "not_found"), FACTS) is None


def test_several_cited_figures_of_one_column_are_compared() -> None:
    chart = build_chart(_reply("住房保障支出10.00万元，卫生健康支出20.00万元。", FACTS[5], FACTS[1]), FACTS)
    assert chart is not None and [i.value for i in chart.items] == ["20.00", "10.00"]


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("../../etc/2024年预算.pdf", b"%PDF-1.7", "2024年预算.pdf"),
    ("C:\\tmp\\x.PDF", b"%PDF-1.7", "x.PDF"),
    ("report", b"%PDF-1.7", "report.pdf"),
    ("预算.txt", "预算".encode(), "预算.txt"),
    ("预算.csv", "预算".encode(), "预算.csv.txt"),
    (None, b"text", "upload.txt"),
])
def test_upload_names_are_safe_and_say_what_the_content_is(name: str | None, data: bytes,
                                                          expected: str) -> None:
    assert file_name(name, data) == expected


def test_binary_and_undecodable_uploads_are_415() -> None:
    assert file_name("x.txt", "预算".encode("gbk")) == "x.txt"  # GBK from a Windows tool is read
    for data in (b"\x89PNG\r\n\x1a\n\x00\x00", b"caf\xe9\xff\xff"):
        with pytest.raises(HTTPException) as err:
            file_name("x.txt", data)
        assert err.value.status_code == 415


def test_a_conversation_saved_and_loaded_answers_follow_ups_alike(seed_engine) -> None:  # type: ignore[no-untyped-def]
    from qa.engine import Conversation
    from server.serial import dump_conversation, load_conversation

    kept, saved = Conversation(), Conversation()
    for question in ("三公经费是多少？", "公务接待费呢？", "这两项加起来呢？", "比上年增长多少？"):
        expected = seed_engine.answer(question, kept)
        saved = load_conversation(dump_conversation(saved))  # as another worker would see it
        assert seed_engine.answer(question, saved) == expected
        assert load_conversation(dump_conversation(saved)) == saved
    assert saved.turns and any(o.citation is not None for t in saved.turns for o in t.figures)
    assert load_conversation("not json") == Conversation()
