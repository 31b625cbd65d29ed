"""The Excel exports, written by the CLI and opened back with openpyxl: a sheet per table type
in the document's own columns, the audit with its places, and no text ever run as a formula."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from budget_qa_cli import main
from tests.conftest import SEED

FORMULA = "=HYPERLINK(\"http://example.com\",\"点此\")"


def _data_dir(tmp_path: Path) -> Path:
    text = SEED.read_text(encoding="utf-8")
    line = "208 05 行政事业单位养老支出 39.13 39.13 39.13"
    assert text.count(line) == 1
    path = tmp_path / "formula.txt"  # a quote that a spreadsheet would run
    path.write_text(text.replace(line, line.replace("行政事业单位养老支出", FORMULA + "养老支出")), encoding="utf-8")
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "ingest", str(path)]) == 0
    return data


def test_facts_and_audit_workbooks_open_back(tmp_path: Path) -> None:
    data = _data_dir(tmp_path)
    facts, audit = tmp_path / "facts.xlsx", tmp_path / "audit.xlsx"
    assert main(["--data-dir", str(data), "facts", "--xlsx", str(facts)]) == 0
    assert main(["--data-dir", str(data), "audit", "formula.txt", "--xlsx", str(audit)]) == 0

    book = openpyxl.load_workbook(facts)
    assert {"收支总表", "支出总表", "一般公共预算基本支出表", "三公经费表", "正文"} <= set(book.sheetnames)
    sheet = book["一般公共预算基本支出表"]
    head = [c.value for c in sheet[1]]
    assert head[:5] == ["文件", "来源", "表", "科目编码", "行"] and {"合计", "人员经费", "公用经费"} <= set(head)
    assert all(sheet.cell(row=r, column=1).value == "和静县社会保险中心2024年单位预算公开"
               for r in range(2, sheet.max_row + 1))
    cells = [c for name in book.sheetnames for row in book[name].iter_rows(min_row=2) for c in row
             if isinstance(c.value, str) and c.value.startswith("=")]
    assert cells and all(c.data_type == "s" and c.value.startswith(FORMULA) for c in cells)  # text, never run
    figures = [c.value for row in book["收入总表"].iter_rows(min_row=2) for c in row]
    assert 39.13 in [float(v) for v in figures if isinstance(v, int | float)]

    rows = list(openpyxl.load_workbook(audit)["审计"].iter_rows(values_only=True))
    head = list(rows[0])
    assert head[:5] == ["文件", "检查", "结论", "说明", "计算"] and "位置1·原文" in head and "位置2·页" in head
    slip = next(r for r in rows[1:] if r[2] == "问题" and "395.83" in r[3])
    assert "395.84" in slip[4] and slip[head.index("位置1·页")] == 21 and slip[head.index("位置2·页")] == 1


def test_an_unwritable_export_path_is_a_clear_error(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    data = _data_dir(tmp_path)
    assert main(["--data-dir", str(data), "facts", "--xlsx", str(tmp_path / "no" / "such" / "dir.xlsx")]) == 2
    assert "cannot write" in capsys.readouterr().err
