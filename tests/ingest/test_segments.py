"""Tables cut where the document says: a caption at the foot of the page before, a table
that shares its page with another and printed only its header."""

from __future__ import annotations

from pathlib import Path

from ingest import Store, ingest_paths
from tests.pdfs import draw_caption_at_foot_pdf, draw_shared_page_pdf


def _ingest(path: Path, tmp_path: Path) -> Store:
    store = Store(tmp_path / "data")
    [result] = ingest_paths([path], store)
    assert not result.error, result.error
    return store


def test_a_caption_at_the_foot_of_a_page_starts_the_table_on_the_next(tmp_path: Path) -> None:
    path = tmp_path / "foot.pdf"
    draw_caption_at_foot_pdf(path)
    store = _ingest(path, tmp_path)
    [table] = store.tables()
    assert table.table_type == "三公经费表" and table.page == 1
    facts = {(f.row, f.value) for f in store.facts() if f.table_type == "三公经费表"}
    assert {(r, str(v)) for r, v in facts} >= {("合计", "25.00"), ("因公出国（境）费", "5.00"),
                                                ("公务接待费", "5.00")}
    assert not [f for f in store.facts() if f.table == "正文" and str(f.value) == "25.00"]


def test_a_table_with_only_its_header_below_another_is_the_next_listed(tmp_path: Path) -> None:
    path = tmp_path / "shared.pdf"
    draw_shared_page_pdf(path)
    store = _ingest(path, tmp_path)
    assert sorted(t.table_type for t in store.tables()) == ["支出总表", "收入总表"]
    spending = {(f.code, f.column, str(f.value)) for f in store.facts() if f.table_type == "支出总表"}
    assert ("201", "基本支出", "100.00") in spending and ("201", "项目支出", "20.00") in spending
    income = [f for f in store.facts() if f.table_type == "收入总表"]
    assert income and not [f for f in income if f.column in ("基本支出", "项目支出")]
