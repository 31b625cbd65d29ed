"""A PDF laid out unlike the seven real ones: no ruling lines at all, figures right-aligned."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from ingest import Store, ingest_paths
from tests.pdfs import draw_unruled_pdf


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
