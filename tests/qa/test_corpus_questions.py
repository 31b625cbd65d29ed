"""Questions over many documents at once: scope, clarify, comparison, ranking, what-if,
unit conversion and follow-ups (the seed and the real PDFs ingested together)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qa import Conversation, Engine


@pytest.mark.parametrize(("question", "unit"), [
    ("省检察院2018年三公经费是多少？", "江苏省人民检察院"),
    ("普陀区司法局的三公经费是多少？", "上海市普陀区司法局"),
    ("社保中心今年三公经费多少？", "和静县社会保险中心"),
    ("江苏省委办公厅2019年基本支出是多少？", "中共江苏省委办公厅"),
])
def test_short_names_of_units_find_their_document(corpus_engine: Engine, question: str, unit: str) -> None:
    reply = corpus_engine.answer(question)
    assert reply.status == "answered", reply.answer
    assert {corpus_engine.by_id[c.doc_id].unit for c in reply.citations} == {unit}


def test_question_naming_no_unit_gets_clarify_with_candidates(corpus_engine: Engine) -> None:
    reply = corpus_engine.answer("三公经费是多少？")
    assert reply.status == "clarify"
    assert len(reply.candidates) == len(corpus_engine.documents)
    assert not reply.citations


def test_conversation_that_fixed_the_document_needs_no_clarify(corpus_engine: Engine) -> None:
    conv = Conversation()
    first = corpus_engine.answer("社保中心2024年基本支出是多少？", conv)
    assert "308.44万元" in first.answer
    second = corpus_engine.answer("三公经费是多少？", conv)
    assert second.status == "answered"
    assert "2.28万元" in second.answer


def test_unknown_unit_or_year_is_not_found(corpus_engine: Engine) -> None:
    assert corpus_engine.answer("北京市财政局2024年三公经费是多少？").status == "not_found"
    assert corpus_engine.answer("社保中心2019年三公经费是多少？").status == "not_found"


def test_two_units_compared_with_both_sources_and_the_gap(corpus_engine: Engine) -> None:
    reply = corpus_engine.answer("普陀区司法局和财政局的三公经费哪个多？")
    assert reply.status == "answered"
    units = {corpus_engine.by_id[c.doc_id].unit for c in reply.citations}
    assert units == {"上海市普陀区司法局", "上海市普陀区财政局"}
    assert reply.answer.index("上海市普陀区司法局") < reply.answer.index("上海市普陀区财政局")
    assert reply.calculation is not None
    assert reply.calculation.result == Decimal("10.81")  # 10.81万元 budget vs 0.00万元 spent


def test_ranking_across_units_puts_the_largest_first(corpus_engine: Engine) -> None:
    reply = corpus_engine.answer("哪个单位的三公经费最多？")
    assert reply.status == "answered"
    # every unit is either ranked, with its source, in the reply's table, or said not to state the
    # figure (a “三公”经费、会议费、培训费 table's total is not the 三公 figure)
    ranked = {row[1] for row in reply.table.rows} if reply.table else set()
    assert len(ranked) >= 10 and len(reply.citations) == 10
    assert all(d.unit in ranked or d.unit in reply.answer for d in corpus_engine.documents)
    first = reply.answer.split("1. ", 1)[1]
    assert first.startswith("上海市普陀区人民政府办公室")


def test_ranking_the_units_of_a_place_said_alone(corpus_engine: Engine) -> None:
    reply = corpus_engine.answer("普陀区这几个单位的三公经费排个名")
    assert reply.status == "answered" and "「三公经费」" in reply.answer
    putuo = {d.doc_id for d in corpus_engine.documents if "普陀区" in d.unit}
    assert {c.doc_id for c in reply.citations} <= putuo and len(reply.citations) >= 3


def test_a_ranking_states_as_many_as_asked_and_converts_other_units(corpus_engine: Engine) -> None:
    reply = corpus_engine.answer("各单位人员经费排名前5")
    assert "前 5 名" in reply.answer and "6. " not in reply.answer and len(reply.citations) == 5
    assert reply.table is not None and len(reply.table.rows) > 5
    assert "88537451元（即8853.7451万元）" in reply.answer  # a table kept in 元, shown in 万元 too


def test_ranking_a_rows_parts(corpus_engine: Engine) -> None:
    conv = Conversation()
    corpus_engine.answer("社保中心2024年基本支出是多少？", conv)
    reply = corpus_engine.answer("一般公共预算基本支出前三项是哪些？", conv)
    assert reply.status == "answered"
    assert reply.answer.index("工资福利支出 256.89万元") < reply.answer.index("对个人和家庭的补助 40.75万元") \
        < reply.answer.index("商品和服务支出 10.80万元")


@pytest.mark.parametrize(("question", "figure"), [
    ("社保中心三公经费是多少元？", "22800元"),
    ("社保中心三公经费是多少亿元？", "0.000228亿元"),
    ("普陀区司法局2026年三公经费是多少元？", "108100元"),
])
def test_unit_conversion(corpus_engine: Engine, question: str, figure: str) -> None:
    reply = corpus_engine.answer(question)
    assert figure in reply.answer
    assert reply.calculation is not None


def test_what_if_percentage(corpus_engine: Engine) -> None:
    reply = corpus_engine.answer("社保中心2024年，如果三公经费减少10%，是多少？")
    assert reply.calculation is not None
    assert reply.calculation.expression == "2.28 * (1 - 10 / 100)"
    assert reply.calculation.result == Decimal("2.05")


def test_followups_over_three_turns_keep_row_and_swap_column(corpus_engine: Engine) -> None:
    conv = Conversation()
    assert "119385303元" in corpus_engine.answer("万里街道2024年城乡社区支出预算是多少？", conv).answer
    assert "76609000元" in corpus_engine.answer("这里面基本支出有多少？", conv).answer
    assert "42776303元" in corpus_engine.answer("项目支出呢？", conv).answer


def test_followups_with_a_pronoun(corpus_engine: Engine) -> None:
    conv = Conversation()
    corpus_engine.answer("社保中心2024年卫生健康支出是多少？", conv)
    corpus_engine.answer("其中公务员医疗补助呢？", conv)
    reply = corpus_engine.answer("它占卫生健康支出的比例是多少？", conv)
    assert reply.calculation is not None
    assert reply.calculation.expression == "4.62 / 16.91 * 100"


def test_final_accounts_answer_with_what_was_spent_unless_budget_is_asked(corpus_engine: Engine) -> None:
    spent = corpus_engine.answer("普陀区财政局2024年三公经费是多少？")
    assert "决算数" in spent.answer and "0.00万元" in spent.answer
    budget = corpus_engine.answer("普陀区财政局2024年三公经费的预算是多少？")
    assert "0.95万元" in budget.answer


def test_a_name_the_found_figure_does_not_cover_is_refused_without_a_figure(corpus_engine: Engine) -> None:
    reply = corpus_engine.answer("江苏省委办公厅2019年东郊国宾馆安排了多少支出？")
    assert reply.status == "not_found"
    assert "国宾馆" in reply.answer
    assert "万元" not in reply.answer


def test_gold_style_document_names_resolve(corpus_engine: Engine) -> None:
    assert corpus_engine.document_named("sh_2026_pt_sifaju_budget.pdf").unit == "上海市普陀区司法局"  # type: ignore[union-attr]
    assert corpus_engine.document_named("sh_2024_pt_caizhengju_final").kind == "决算"  # type: ignore[union-attr]
    assert corpus_engine.document_named("nowhere-2030") is None


def test_count_from_the_prose_or_from_a_rows_parts(corpus_engine: Engine) -> None:
    stated = corpus_engine.answer("普陀区财政局2024年有几个项目编报了绩效目标？")
    assert "4个" in stated.answer and stated.citations[0].page == 23
    parts = corpus_engine.answer("社保中心2024年基本支出有几项？")
    assert "3 项" in parts.answer
    assert all(name in parts.answer for name in ("工资福利支出", "商品和服务支出", "对个人和家庭的补助"))


def test_not_found_names_what_the_document_does_disclose_nearby(corpus_engine: Engine) -> None:
    reply = corpus_engine.answer("普陀区财政局2024年办公用房租金是多少？")
    assert reply.status == "not_found"
    assert "办公费" in reply.answer
    assert "万元" not in reply.answer


def test_two_items_of_one_document_compared(corpus_engine: Engine) -> None:
    reply = corpus_engine.answer("社保中心2024年人员经费和公用经费哪个少？")
    assert reply.answer.startswith("人员经费（297.64万元）比公用经费（10.80万元）多286.84万元，公用经费更少")
    assert reply.calculation is not None and reply.calculation.result == Decimal("286.84")


def test_a_difference_asked_the_wrong_way_round_says_less(corpus_engine: Engine) -> None:
    reply = corpus_engine.answer("社保中心2024年公用经费比人员经费多多少？")
    assert reply.answer.startswith("公用经费比人员经费少286.84万元")


def test_citizen_phrasing_over_a_conversation(corpus_engine: Engine) -> None:
    conv = Conversation()
    assert "395.84万元" in corpus_engine.answer("社保中心今年一共有多少钱可以花？", conv).answer
    spent = corpus_engine.answer("钱主要花在哪里？", conv)
    assert spent.answer.index("社会保障和就业支出 345.12万元") < spent.answer.index("住房保障支出 21.86万元")
    assert "6181.11万元" in corpus_engine.answer("一般公共预算比去年少了多少？", conv).answer
    why = corpus_engine.answer("为什么少了这么多？", conv)
    assert "代编" in why.answer and why.citations


def test_a_measure_the_question_names_is_the_one_answered(corpus_engine: Engine) -> None:
    asked = corpus_engine.answer("普陀区财政局2024年行政运行的年初预算是多少？")
    assert "1560.05万元" in asked.answer  # not the 决算 1511.89 of the table
    missing = corpus_engine.answer("普陀区财政局2024年行政单位医疗的调整预算是多少？")
    assert missing.status == "not_found" and "万元" not in missing.answer


def test_a_zero_denominator_is_explained_in_chinese(corpus_engine: Engine) -> None:
    reply = corpus_engine.answer("普陀区财政局2024年公务接待费占三公经费决算数的比例是多少？")
    assert reply.status in ("not_found", "answered")
    assert "division" not in reply.answer
