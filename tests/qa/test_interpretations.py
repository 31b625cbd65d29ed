"""`interpret` on its own, over a fixture file of question → interpretation (operation, the rows
and columns of its items, the problem when it cannot be answered): what the engine understood,
tested apart from what it then computes. The fixture lines were written for the mechanisms
(predicate words, codes with names, people's words, shares with their wholes, follow-ups, a
决算's measures, units named or not), not copied from any question set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa import Conversation, Engine

FIXTURES = Path(__file__).parent / "fixtures" / "interpretations.jsonl"
LINES = [json.loads(line) for line in FIXTURES.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_fixture_file_covers_every_operation() -> None:
    assert len(LINES) >= 150
    ops = {line["op"] for line in LINES}
    assert ops >= {"lookup", "sum", "difference", "share", "change", "growth", "completion", "per_unit", "compare",
                   "rank", "count", "text"}


@pytest.mark.parametrize("line", LINES, ids=[line["q"] for line in LINES])
def test_a_question_is_read_as_its_fixture_says(corpus_engine: Engine, line: dict) -> None:
    conv = Conversation()
    if line["doc"]:
        doc = corpus_engine.document_named(line["doc"])
        assert doc is not None, line["doc"]
        conv.doc_ids = [doc.doc_id]
    for earlier in line["before"]:
        corpus_engine.answer(earlier, conv)
    got = corpus_engine.interpretation(line["q"], conv)
    assert got.problem == line.get("problem"), (got.problem, got.detail)
    if line.get("problem"):
        return
    assert got.op == line["op"]
    if line["items"]:
        assert [[i.row, i.column] for i in got.items] == line["items"]
    if "docs" in line:
        assert len(got.docs) == line["docs"]
    if "unit" in line:
        assert got.unit == line["unit"]
