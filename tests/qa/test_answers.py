"""Answers on the seed through the engine (lexical retrieval only: no model needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.scoring import figures_in
from ingest import Store, ingest_paths
from ingest.errors import QuestionError
from ingest.model import OCR_UNCONFIRMED
from qa import Conversation, Engine
from qa.library import UNCONFIRMED
from tests.conftest import SEED


@pytest.mark.parametrize(("question", "figure"), [
    ("2080109科目预算多少？", "202.32万元"),
    ("一般公共预算安排的卫生健康支出是多少？", "16.91万元"),
    ("公用经费是多少？", "10.80万元"),
    ("公车运行费是多少？", "2.14万元"),
    ("津贴补贴和奖金合计多少？", "118.43万元"),
    ("公用经费占基本支出的比例是多少？", "3.50%"),
    ("三公经费合计多少元？", "22800元"),
    ("政府采购货物预算是多少？", "5.30万元"),
])
def test_figure_answers(seed_engine: Engine, question: str, figure: str) -> None:
    reply = seed_engine.answer(question)
    assert reply.status == "answered"
    assert figure in reply.answer
    assert reply.citations


def test_computed_answer_shows_its_working(seed_engine: Engine) -> None:
    reply = seed_engine.answer("人员经费占基本支出的比例是多少？")
    assert reply.calculation is not None
    assert reply.calculation.expression == "297.64 / 308.44 * 100"
    assert [str(o.value) for o in reply.calculation.operands] == ["297.64", "308.44"]
    assert all(c.table for c in reply.citations)


def test_followups_over_three_turns(seed_engine: Engine) -> None:
    conv = Conversation()
    assert "308.44" in seed_engine.answer("基本支出是多少？", conv).answer
    assert "87.40" in seed_engine.answer("项目支出呢？", conv).answer
    assert "395.84万元" in seed_engine.answer("两者合计多少？", conv).answer


def test_unknown_unit_year_and_item_are_not_found(seed_engine: Engine) -> None:
    for q in ("和静县教育局的三公经费是多少？", "和静县社会保险中心2030年的预算是多少？",
              "无人机购置费是多少？"):
        reply = seed_engine.answer(q)
        assert reply.status == "not_found", q
        assert not [f for f in figures_in(reply.answer) if f[1] in ("元", "万元", "%")], reply.answer


def test_prose_question_is_answered_from_the_text(seed_engine: Engine) -> None:
    reply = seed_engine.answer("单位下设哪些处室？")
    assert "稽核股" in reply.answer and reply.citations


@pytest.mark.parametrize("question", ["", "   ", "问" * 10_000])
def test_empty_or_huge_question_is_refused_with_a_message(seed_engine: Engine, question: str) -> None:
    with pytest.raises(QuestionError) as exc:
        seed_engine.answer(question)
    assert "问题" in str(exc.value)


def test_a_scanned_figure_no_sum_confirmed_is_said_so(tmp_path: Path) -> None:
    # as a scan whose digits its table's sums could not confirm (ingest.digits) is stored
    store = Store(tmp_path / "data")
    assert not ingest_paths([SEED], store)[0].error
    with store.db.transaction() as db:
        db.execute("UPDATE facts SET confidence=? WHERE row=?", (OCR_UNCONFIRMED, "卫生健康支出"))
    engine = Engine(Store(tmp_path / "data"))
    looked_up = engine.answer("卫生健康支出是多少？")
    assert UNCONFIRMED in looked_up.answer and "16.91" in looked_up.answer, looked_up.answer
    added = engine.answer("卫生健康支出和住房保障支出一共多少？")
    assert "38.77" in added.answer and "注意：" in added.answer and "计算结果同样未经核实" in added.answer, added.answer
    other = engine.answer("住房保障支出是多少？")
    assert UNCONFIRMED not in other.answer and "注意" not in other.answer, other.answer
