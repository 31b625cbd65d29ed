"""The benchmark's parts that need no server: questions from a manifest, judging replies,
percentiles and the table."""

from __future__ import annotations

import os
from pathlib import Path

from eval.bench import markdown, percentile, summarize
from eval.bench_http import Load, merged, tree_rss_mb
from eval.bench_questions import Question, judge, make_questions, units_named
from eval.synth import generate


def test_questions_name_their_document(tmp_path: Path) -> None:
    docs = generate(40, tmp_path, seed=4)
    ids = {(d.unit, d.year): f"id{i}" for i, d in enumerate(docs)}
    qs = make_questions(docs, ids, per_kind=10, seed=1)
    kinds = [q.kind for q in qs]
    assert kinds.count("lookup") == kinds.count("prose") == kinds.count("compare") == 10
    for q in qs:
        if q.kind == "lookup":
            [unit] = q.expect_units
            assert unit in q.message and q.expect_value and len(q.expect_docs) == 1
        if q.kind == "prose":
            assert q.doc_id and q.expect_docs == (q.doc_id,)
        if q.kind == "compare":
            a, b = q.expect_units
            assert a != b and a in q.message and b in q.message and len(set(q.expect_docs)) == 2


def test_judge_counts_wrong_documents_and_other_units() -> None:
    q = Question("lookup", "和静县教育局2025年的三公经费是多少", None, ("d1",), ("和静县教育局",), "52.44")
    right = judge(q, {"answer": "三公经费 52.44万元", "status": "answered", "citations": [{"doc_id": "d1"}]},
                  0.01, [])
    wrong = judge(q, {"answer": "三公经费 52.44万元", "status": "answered", "citations": [{"doc_id": "d2"}]},
                  0.01, [])
    assert right.right_value and not right.wrong_doc
    assert wrong.wrong_doc and not wrong.right_value
    units = ["和静县教育局", "和硕县教育局", "新和县财政局"]
    c = Question("compare", "…", None, ("d1", "d2"), ("和静县教育局", "和硕县教育局"))
    listed = judge(c, {"answer": "1. 和静县教育局 3万元；2. 新和县财政局 2万元", "status": "answered"}, 0.0, units)
    assert (listed.units_listed, listed.other_units) == (2, 1)
    both = judge(c, {"answer": "…", "status": "answered", "citations": [{"doc_id": "d2"}, {"doc_id": "d1"}]}, 0, units)
    one = judge(c, {"answer": "…", "status": "answered", "citations": [{"doc_id": "d1"}]}, 0, units)
    assert both.right_value and not both.wrong_doc and not one.right_value


def test_units_named_keeps_the_longest_name() -> None:
    assert units_named("上海市普陀区司法局", ["普陀区司法局", "上海市普陀区司法局"]) == {"上海市普陀区司法局"}


def test_percentile_and_summary() -> None:
    assert percentile([0.3, 0.1, 0.2, 0.4], 0.5) == 0.2
    assert percentile(list(range(1, 101)), 0.95) == 95
    q = Question("ranking", "哪个单位三公经费最多")
    s = summarize([judge(q, {"answer": "x" * 30, "status": "answered"}, 0.05, [])])
    assert s["p50_ms"] == 50.0 and s["reply_chars_max"] == 30 and s["status"] == {"answered": 1}


def test_markdown_has_a_column_per_size() -> None:
    kind = {"asked": 1, "p50_ms": 10.0, "p95_ms": 20.0, "max_ms": 30.0, "status": {"answered": 1},
            "wrong_doc": 0, "right_value": 1, "errors": 0, "reply_chars_max": 5, "reply_chars_mean": 5,
            "units_listed_mean": 2.0, "other_units_mean": 0.0}
    r = {"n": 50, "backend": "sqlite", "ingest": {"seconds_per_document": 3.3, "ingested": 50, "seconds": 165},
         "own_documents": 50, "start_seconds": 12.0, "rss_start_mb": 1000, "rss_peak_mb": 1200,
         "kinds": dict.fromkeys(("lookup", "prose", "ranking", "compare"), kind), "load": {}}
    table = markdown([r, {**r, "n": 200}])
    assert "| N = 50 (sqlite) | N = 200 (sqlite) |" in table
    assert "| server start to first answer | 12.0 s | 12.0 s |" in table


def test_rss_of_this_process() -> None:
    assert tree_rss_mb(os.getpid()) > 10


def test_rounds_of_a_level_merge_into_its_rate_and_percentiles() -> None:
    fast = Load(20, 10.0, 1, 3000, 0, (0.01,) * 3000)
    slow = Load(20, 10.0, 1, 1000, 2, (0.05,) * 1000)
    both = merged([fast, slow])
    assert (both.requests, both.errors, both.seconds, both.throughput) == (4000, 2, 20.0, 200.0)
    assert percentile(both.latencies, 0.5) == 0.01 and percentile(both.latencies, 0.95) == 0.05
