"""Cells of every seed table against the document, and the audit of its sums."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ingest import Store

# (table number, code or row name, column, value as printed in the document, 万元)
CELLS = [
    ("表1", "本年收入", "预算数", "390.33"), ("表1", "一般财力", "预算数", "308.44"),
    ("表1", "上年结转结余", "预算数", "5.51"), ("表1", "收入总计", "预算数", "395.84"),
    ("表1", "208", "预算数", "345.12"), ("表1", "221", "预算数", "21.86"),
    ("表2", "208", "总计", "345.12"), ("表2", "208", "财政拨款小计", "339.61"),
    ("表2", "208", "一般公共预算", "257.72"),
    ("表2", "208", "上级一般公共预算安排的转移支付", "81.89"),
    ("表2", "208", "财政拨款结转", "5.51"), ("表2", "2080601", "财政拨款结转", "1.55"),
    ("表2", "2080699", "上级一般公共预算安排的转移支付", "47.00"),
    ("表2", "2080109", "一般公共预算", "202.32"), ("表2", "合计", "总计", "395.84"),
    ("表3", "2080109", "合计", "202.32"), ("表3", "2080109", "基本支出", "202.32"),
    ("表3", "20806", "项目支出", "83.40"), ("表3", "2080601", "基本支出", "16.27"),
    ("表3", "合计", "项目支出", "87.40"), ("表3", "2101103", "合计", "4.62"),
    ("表4", "208", "一般公共预算", "339.61"), ("表4", "一般公共预算", "合计", "390.33"),
    ("表4", "支出总计", "合计", "390.33"),
    ("表5", "208", "合计", "339.61"), ("表5", "2080601", "项目支出", "30.89"),
    ("表5", "合计", "基本支出", "308.44"), ("表5", "2080699", "项目支出", "47.00"),
    ("表6", "30101", "人员经费", "63.71"), ("表6", "30102", "合计", "72.89"),
    ("表6", "30201", "公用经费", "6.84"), ("表6", "30231", "公用经费", "2.14"),
    ("表6", "303", "人员经费", "40.75"), ("表6", "合计", "人员经费", "297.64"),
    ("表6", "合计", "公用经费", "10.80"),
    ("表7", "2080601", "项目支出合计", "30.89"), ("表7", "合计", "项目支出合计", "81.89"),
    ("表10", "合计", "合计", "2.28"), ("表10", "公务接待费", "一般公共预算", "0.14"),
    ("表10", "公务用车运行费", "合计", "2.14"), ("表10", "因公出国（境）费", "合计", "0"),
    ("表11", "合计", "总计", "5.51"), ("表11", "合计", "财政拨款合计", "5.51"),
]


def _find(store: Store, number: str, key: str, column: str) -> list[Decimal]:
    return [f.value for f in store.facts() if f.table.split(" ")[0] == number
            and (f.code == key or f.row == key) and f.column == column]


@pytest.mark.parametrize(("number", "key", "column", "value"), CELLS)
def test_seed_cell_matches_document(seed_store: Store, number: str, key: str, column: str,
                                    value: str) -> None:
    assert Decimal(value) in _find(seed_store, number, key, column)


def test_cells_cover_every_nonempty_table() -> None:
    assert len(CELLS) >= 40
    assert {c[0] for c in CELLS} >= {f"表{i}" for i in (1, 2, 3, 4, 5, 6, 7, 10, 11)}


def test_empty_tables_are_recorded_empty(seed_store: Store) -> None:
    empty = {t.number for t in seed_store.tables() if t.empty}
    assert empty == {"表8", "表9"}
    assert all(t.unit == "万元" for t in seed_store.tables())


def test_ambiguous_cells_are_not_stored(seed_store: Store) -> None:
    # 表7's economic columns cannot be told apart once the blanks are lost: never guessed
    assert not _find(seed_store, "表7", "2080199", "商品和服务支出")
    assert not _find(seed_store, "表7", "2080199", "工资福利支出")


def test_every_table_total_is_consistent(seed_store: Store) -> None:
    totals = [f for f in seed_store.findings() if f.check == "totals"]
    assert totals and all(f.ok for f in totals)
    assert not [f for f in seed_store.findings() if f.check == "cross_table" and not f.ok]


def test_audit_finds_the_prose_slips_and_nothing_false(seed_store: Store) -> None:
    slips = [f.message for f in seed_store.findings() if f.check == "prose" and not f.ok]
    assert len(slips) == 2
    assert any("395.83" in m and "395.84" in m for m in slips)
    assert any("308.43" in m and "308.44" in m for m in slips)
