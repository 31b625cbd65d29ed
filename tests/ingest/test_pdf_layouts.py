"""A PDF laid out unlike the seven real ones: no ruling lines at all, figures right-aligned."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from ingest import Store, ingest_paths
from qa import Engine
from tests.pdfs import draw_columns_pdf, draw_unruled_pdf


def test_unruled_two_sided_and_one_row_tables(tmp_path: Path) -> None:
    path = tmp_path / "unruled.pdf"
    draw_unruled_pdf(path)
    store = Store(tmp_path / "data")
    [result] = ingest_paths([path], store)
    assert not result.error, result.error
    assert result.tables_by_type == {"收支总表": 1, "三公经费表": 1}
    facts = {(f.table_type, f.row, f.column): f.value for f in store.facts()}
    assert facts[("收支总表", "财政拨款收入", "预算数")] == Decimal("1200.00")
    assert facts[("收支总表", "其他收入", "预算数")] == Decimal("0")  # a blank income line is nil
    assert facts[("收支总表", "社会保障和就业支出", "预算数")] == Decimal("450.00")
    assert facts[("收支总表", "支出总计", "预算数")] == Decimal("1500.00")
    assert facts[("三公经费表", "因公出国（境）费", "合计")] == Decimal("5.00")
    assert facts[("三公经费表", "公务用车运行费", "合计")] == Decimal("15.00")
    assert facts[("三公经费表", "公务用车购置费", "合计")] == Decimal("0")  # printed blank
    assert facts[("三公经费表", "公务接待费", "合计")] == Decimal("5.00")
    assert {f.unit for f in store.facts()} == {"万元"}


def test_final_account_and_last_year_columns(tmp_path: Path) -> None:
    path = tmp_path / "columns.pdf"
    draw_columns_pdf(path)
    store = Store(tmp_path / "data")
    [result] = ingest_paths([path], store)
    assert not result.error, result.error
    facts = {(f.code or f.row, f.column): (f.value, f.unit) for f in store.facts()}
    assert facts[("20101", "年初预算数")] == (Decimal("100.00"), "万元")
    assert facts[("20101", "决算数")] == (Decimal("95.00"), "万元")
    assert facts[("20101", "完成预算%")] == (Decimal("95.00"), "%")  # a rate, not money
    assert facts[("教育支出", "上年预算数")] == (Decimal("80.00"), "万元")
    assert facts[("教育支出", "本年预算数")] == (Decimal("100.00"), "万元")
    engine = Engine(store)
    assert "80.00万元" in engine.answer("教育支出上年预算数是多少？").answer
    assert "95.00万元" in engine.answer("人大事务决算数是多少？").answer
    assert "95.00%" in engine.answer("人大事务完成预算比例是多少？").answer
