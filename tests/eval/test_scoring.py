import math
from decimal import Decimal
from pathlib import Path

import pytest

from eval.scoring import (
    ItemScore,
    figures_in,
    format_report,
    load_gold,
    matches_keywords,
    matches_value,
    score_item,
    summarize,
)

SEED = Path("/work/shared/eval/seed_qa.jsonl")
REAL = Path("/work/shared/eval/real_qa.jsonl")


def reply(text: str, status: str = "answered") -> dict:
    return {"question": "q", "answer": text, "status": status, "citations": [], "calculation": None}


def value_gold(value, unit: str, kind: str = "lookup") -> dict:
    return {"id": "x1", "kind": kind, "turns": ["q"], "answer": {"value": value, "unit": unit}}


REFUSAL = {"id": "s060", "kind": "refusal", "turns": ["q"], "answer": {"status": "not_found"}}
KEYWORDS = {
    "id": "s043",
    "kind": "text",
    "turns": ["q"],
    "answer": {"keywords": [["代编"], ["城乡居民养老保险", "机关事业单位养老保险"]]},
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("395.84万元", [(Decimal("395.84"), "万元")]),
        ("395.84 万元", [(Decimal("395.84"), "万元")]),
        ("22,800元", [(Decimal("22800"), "元")]),
        ("96.50%", [(Decimal("96.50"), "%")]),
        ("96.5％", [(Decimal("96.5"), "%")]),
        ("1837平方米", [(Decimal("1837"), "平方米")]),
        ("16人", [(Decimal("16"), "人")]),
        ("0辆", [(Decimal("0"), "辆")]),
        ("3.96 万", [(Decimal("3.96"), "万元")]),
        ("0.0462亿元", [(Decimal("0.0462"), "亿元")]),
        ("百分之8.54", [(Decimal("8.54"), "%")]),
        ("下降3个百分点", [(Decimal("3"), "百分点")]),
        ("比上年增长-1.15万元", [(Decimal("-1.15"), "万元")]),
        ("297.64 / 308.44 * 100", [(Decimal("297.64"), ""), (Decimal("308.44"), ""), (100, "")]),
        # Ignored: years, dates, codes, table/page numbers, list numbers, citations.
        (
            "2024年公务员医疗补助为4.62万元（表3 支出总体情况表，210 11 03）。",
            [(Decimal("4.62"), "万元")],
        ),
        ("社会保险经办机构（2080109）", []),
        ("科目2080109", []),
        ("2024 年度，2023-2024年，2024-01-05，1月5日", []),
        ("见表3，第2页，公开05表，依据104号文件", []),
        ("1. 基本支出\n2、项目支出\n3) 其他", []),
        ("主要用于：1.人员经费；2.公用经费", []),
        ("[1] 和静县2024年单位预算", []),
    ],
)
def test_figures_in(text: str, expected: list) -> None:
    assert figures_in(text) == [(Decimal(v), u) for v, u in expected]


@pytest.mark.parametrize(
    ("text", "value", "unit", "expected"),
    [
        ("公务员医疗补助为4.62万元。", 4.62, "万元", True),
        ("公务员医疗补助为46200元。", 4.62, "万元", True),
        ("公务员医疗补助为46,200.00 元。", 4.62, "万元", True),
        ("公务员医疗补助为0.000462亿元。", 4.62, "万元", True),
        ("公务员医疗补助为0.0462亿元。", 4.62, "万元", False),  # that is 462万元
        ("收支总预算为0.0462亿元。", 462, "万元", True),
        ("公务员医疗补助为4.620 万元。", 4.62, "万元", True),
        ("公务员医疗补助为4.63万元。", 4.62, "万元", False),
        ("公务员医疗补助为14.62万元。", 4.62, "万元", False),
        ("公务员医疗补助为4.625万元。", 4.62, "万元", False),
        ("公务员医疗补助为4.62元。", 4.62, "万元", False),
        ("公务员医疗补助为4.62。", 4.62, "万元", False),
        ("公务员医疗补助为4.62%。", 4.62, "万元", False),
        ("合计2.28万元", 22800, "元", True),
        ("合计22800元", 22800, "元", True),
        ("合计9101.68万元", 91016775.35, "元", False),  # rounded, not an exact conversion
        ("占比96.50%", 96.5, "%", True),
        ("占比96.5%", 96.5, "%", True),
        ("占比96.50 ％", 96.5, "%", True),
        ("占比96.498%", 96.5, "%", True),  # percentages compare to two decimals
        ("占比96%", 96.5, "%", False),
        ("占比96.5万元", 96.5, "%", False),
        ("占比196.50%", 96.5, "%", False),
        ("未安排，为0.00万元", 0, "万元", True),
        ("未安排，为0万元", 0, "万元", True),
        ("未安排，为0元", 0, "万元", True),
        ("执法执勤用车0辆", 0, "辆", True),
        ("执法执勤用车0", 0, "辆", False),
        ("房屋面积1837平方米", 1837, "平方米", True),
        ("房屋面积1837", 1837, "平方米", False),
        ("房屋面积11837平方米", 1837, "平方米", False),
        ("在职人员16人", 16, "人", True),
        ("在职人员16名", 16, "人", True),
        ("在职人员16辆", 16, "人", False),
        ("比上年减少1.15万元", 1.15, "万元", True),
        ("变动-1.15万元", 1.15, "万元", True),  # gold states decreases as positive amounts
        ("2024年预算为10,883.36万元", 10883.36, "万元", True),
    ],
)
def test_matches_value(text: str, value: float, unit: str, expected: bool) -> None:
    assert matches_value(text, value, unit) is expected


@pytest.mark.parametrize(
    ("text", "groups", "expected"),
    [
        ("行政单位离退休人员增加 1 人。", [["增加1人", "增加 1 人"]], True),
        ("行政单位离退休人员增加1人。", [["增加 1 人"]], True),
        ("由 代 编 城乡居民养老保险 所致", KEYWORDS["answer"]["keywords"], True),
        ("由代编\n机关事业\u3000单位养老保险所致", KEYWORDS["answer"]["keywords"], True),
        ("由城乡居民养老保险所致", KEYWORDS["answer"]["keywords"], False),
        ("由代编所致", KEYWORDS["answer"]["keywords"], False),
    ],
)
def test_matches_keywords(text: str, groups: list[list[str]], expected: bool) -> None:
    assert matches_keywords(text, groups) is expected


@pytest.mark.parametrize(
    ("gold", "last", "correct", "confidently_wrong"),
    [
        (value_gold(4.62, "万元"), reply("公务员医疗补助为4.62万元（表3）。"), True, False),
        (value_gold(4.62, "万元"), reply("公务员医疗补助为16.91万元。"), False, True),
        (value_gold(4.62, "万元"), reply("4.62万元", status="clarify"), False, False),
        (value_gold(4.62, "万元"), reply("文件未列出该项。", "not_found"), False, False),
        (value_gold(4.62, "万元"), reply("文件未列出该项。"), False, False),
        (REFUSAL, reply("文件中没有2025年的预算。", "not_found"), True, False),
        (REFUSAL, reply("没有2025年数据；2024年预算为395.84万元。", "not_found"), False, False),
        (REFUSAL, reply("没有2025年数据，增长8.54%。", "not_found"), False, False),
        (REFUSAL, reply("2025年预算为395.84万元。"), False, True),
        (REFUSAL, reply("文件中没有2025年的预算。"), False, False),
        (KEYWORDS, reply("收入由代编城乡居民养老保险所致。"), True, False),
        (KEYWORDS, reply("收入减少了12.5万元。"), False, True),
        (KEYWORDS, reply("收入由代编城乡居民养老保险所致。", "not_found"), False, False),
    ],
)
def test_score_item(gold: dict, last: dict, correct: bool, confidently_wrong: bool) -> None:
    score = score_item(gold, [reply("earlier turn 99.99万元"), last])
    assert (score.correct, score.confidently_wrong) == (correct, confidently_wrong)
    assert (score.reason == "") is correct
    assert score.id == gold["id"] and score.kind == gold["kind"]


def test_only_last_reply_is_judged() -> None:
    gold = value_gold(4.62, "万元", kind="followup")
    assert not score_item(gold, [reply("4.62万元"), reply("16.91万元")]).correct
    assert score_item(gold, [reply("16.91万元"), reply("4.62万元")]).correct
    assert score_item(gold, []).reason == "no reply"


def test_miss_reason_names_expected_and_stated() -> None:
    score = score_item(value_gold(4.62, "万元"), [reply("公务员医疗补助为16.91万元。")])
    assert score.reason == "expected 4.62 万元; reply states 16.91万元"
    score = score_item(KEYWORDS, [reply("由代编所致")])
    assert "城乡居民养老保险|机关事业单位养老保险" in score.reason
    score = score_item(REFUSAL, [reply("预算为395.84万元")])
    assert score.reason == "expected not_found; status answered; states 395.84万元"


def test_unsupported_via_predicate() -> None:
    known = {(Decimal("297.64"), "万元"), (Decimal("308.44"), "万元"), (Decimal("96.50"), "%")}
    calls: list[tuple[Decimal, str]] = []

    def supported(value: Decimal, unit: str) -> bool:
        calls.append((value, unit))
        return (value, unit) in known

    text = "人员经费297.64万元占基本支出308.44万元的96.50%，另有12.34万元，12.34万元。"
    score = score_item(value_gold(96.5, "%"), [reply(text)], supported)
    assert score.correct
    assert score.unsupported == ["12.34万元"]  # stated twice, reported once
    assert len(calls) == 4
    assert score_item(value_gold(96.5, "%"), [reply(text)]).unsupported == []


@pytest.mark.parametrize(
    ("latencies", "p50", "p95"),
    [
        ([100.0], 100.0, 100.0),
        ([100.0, 200.0], 150.0, 195.0),
        ([float(x) for x in range(1, 101)], 50.5, 95.05),
        ([5.0, 1.0, 3.0, 2.0, 4.0], 3.0, 4.8),
    ],
)
def test_summarize_percentiles(latencies: list[float], p50: float, p95: float) -> None:
    report = summarize([], latencies)
    assert report.latency_ms_p50 == pytest.approx(p50)
    assert report.latency_ms_p95 == pytest.approx(p95)


def test_summarize_counts_and_format() -> None:
    scores = [
        ItemScore("s001", "lookup", True, False, [], ""),
        ItemScore(
            "s002", "lookup", False, True, ["1.00万元"], "expected 1 万元; reply states 2万元"
        ),
        ItemScore("s060", "refusal", True, False, [], ""),
        ItemScore("s043", "text", False, False, ["3人", "4人"], "missing 代编"),
    ]
    report = summarize(scores, [])
    assert (report.total, report.correct) == (4, 2)
    assert report.by_kind == {"lookup": (1, 2), "refusal": (1, 1), "text": (0, 1)}
    assert (report.confidently_wrong, report.unsupported) == (1, 3)
    assert [m.id for m in report.misses] == ["s002", "s043"]
    assert math.isnan(report.latency_ms_p50)
    text = format_report(report)
    assert "2/4 50.0%" in text
    assert "lookup" in text and "1/2 50.0%" in text
    assert "s002 lookup expected 1 万元; reply states 2万元" in text
    assert "latency p50/p95     n/a" in text
    assert "15 / 20 ms" in format_report(summarize([], [10.0, 20.0]))


@pytest.mark.parametrize(
    ("content", "lineno", "fragment"),
    [
        (
            '{"id": "a", "kind": "lookup", "turns": ["q"], "answer": {"value": 1, "unit": "元"}}\n'
            '{"id": "b", "kind": "lookup", "turns": ["q"], "answer": {"value": 1\n',
            2,
            "invalid JSON",
        ),
        ('\n["not", "an", "object"]\n', 2, "not a JSON object"),
        (
            '{"id": "a", "kind": "text", "turns": ["q"], "answer": {"keywords": [[]]}}\n',
            1,
            "keywords",
        ),
        (
            '{"id": "a", "kind": "lookup", "turns": [], "answer": {"status": "not_found"}}\n',
            1,
            "turns",
        ),
        (
            '{"id": "a", "kind": "x", "turns": ["q"], "answer": {"status": "not_found"}}\n' * 2,
            2,
            "duplicate id",
        ),
    ],
)
def test_load_gold_reports_bad_line(tmp_path: Path, content: str, lineno: int, fragment: str):
    path = tmp_path / "gold.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=rf"gold\.jsonl:{lineno}: .*{fragment}"):
        load_gold(path)


@pytest.mark.skipif(not SEED.exists(), reason="seed set not available")
def test_load_real_seed_set() -> None:
    items = load_gold(SEED)
    assert len(items) == 66
    assert {i["kind"] for i in items} == {"lookup", "arithmetic", "text", "refusal", "followup"}


@pytest.mark.skipif(not REAL.exists(), reason="real set not available")
def test_real_set_values_match_when_stated() -> None:
    # Gold values such as 66410000.0 元 or 91016775.35 元 must match a reply that states them,
    # in the gold unit and (for 元 amounts that convert exactly) in 万元.
    items = load_gold(REAL)
    assert len(items) == 62
    for item in items:
        ans = item["answer"]
        if "value" not in ans:
            continue
        value = Decimal(str(ans["value"]))
        assert score_item(item, [reply(f"答案是{value:f}{ans['unit']}。")]).correct, item["id"]
        if ans["unit"] == "元":
            assert matches_value(f"合计{value / 10000:f}万元", ans["value"], "元"), item["id"]
