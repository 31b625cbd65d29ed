"""The figures the prose states, bound to what they are of: an item titled in a paragraph of its
own, a project's description and its 年度预算安排, a heading that states a figure, a clause that
is only a total, a completion rate; over the corpus, no subject is a figure or a measure word."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.pipeline import _contents_pages, clean_pages, find_grid_tables, find_tables, is_pdf, read_pages
from ingest.prose import paragraphs, prose_facts
from tests.conftest import CORPUS, SEED


def _facts(lines: list[str]) -> list[tuple[str, str, str]]:
    paras = paragraphs([(1, line) for line in lines])
    return [(f.row, f.column, f"{f.value}{f.unit}") for f in prose_facts("d", paras)]


def test_an_item_titled_alone_is_the_subject_of_the_next_paragraph() -> None:
    facts = _facts(["2、一般公共服务支出（类）社会工作事务（款）事业运行（项）", "。",
                    "主要用于：事业单位人员支出。全年预算为 17.68 万元，支出决算为 11.31 万元，",
                    "完成全年预算数的 63.97%。"])
    assert facts == [("事业运行", "全年预算数", "17.68万元"), ("事业运行", "决算数", "11.31万元"),
                     ("事业运行", "完成全年预算的比例", "63.97%")]


def test_a_projects_budget_is_the_projects_and_its_total_clause_too() -> None:
    facts = _facts(["某某服务专项（政策资金）经费情况说明", "一、项目概述", "用于支持某某。", "六、年度预算安排",
                    "2025年度项目总预算300.00万，其中支持甲100.00万，支持乙200.00万，合计300.00万。"])
    assert facts == [("某某服务专项（政策资金）", "金额", "300.00万元"), ("支持甲", "金额", "100.00万元"),
                     ("支持乙", "金额", "200.00万元"), ("某某服务专项（政策资金）", "金额", "300.00万元")]


def test_a_heading_that_states_a_figure_gives_it() -> None:
    facts = _facts(["某某调解项目经费情况说明", "一、项目概述", "购买服务。", "六、年度预算安排795万元",
                    "七、绩效目标", "提高满意度。"])
    assert facts == [("某某调解项目", "金额", "795万元")]


def test_a_title_naming_no_project_names_none() -> None:
    facts = _facts(["项目经费情况说明", "一、项目概况", "新建工程。", "六、年度预算安排",
                    "第一季度用款计划25.88万元，第二季度用款计划180.74万元。"])
    assert [row for row, _, _ in facts] == ["第一季度用款计划", "第二季度用款计划"]


def _corpus_prose(path: Path) -> list:  # type: ignore[type-arg]
    pages = clean_pages(read_pages(path, None))
    _, lines = find_grid_tables(pages) if is_pdf(pages) else find_tables(pages)
    contents = _contents_pages(pages)
    return prose_facts(path.stem, paragraphs([(p, line) for p, line in lines if p not in contents]))


FILES = sorted((CORPUS / "real").glob("*.pdf")) + [SEED]


@pytest.mark.slow
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_no_prose_subject_is_a_figure_or_a_measure_word(path: Path) -> None:
    bad = [(f.page, f.row) for f in _corpus_prose(path)
           if re.search(r"\d+(\.\d+)?万元(?!（?含?）?以上)|^(全年|年初)?预算(数)?为|^完成", f.row)]
    assert bad == []
