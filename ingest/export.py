"""Spreadsheets for finance staff: the facts with one sheet per table type laid out in the
documents' own columns, and the audit with the places each finding cites.

A facts sheet has a line per table row (document, table, code, row, its text labels) and a
column per column the tables of that type print, so a 支出总表 reads as it was printed:
合计, 基本支出, 项目支出. Figures are numbers; every text cell is written as text, so a
quote that starts with "=" or "+" is shown, never run as a formula.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ingest.errors import BudgetQAError
from ingest.model import Document, Fact, Finding, Table
from ingest.rates import decimals
from ingest.years import findings_of

if TYPE_CHECKING:
    from ingest.store import Store

PROSE_SHEET = "正文"
AUDIT_SHEET = "审计"
MAX_PLACES = 6  # cited places shown in columns of their own; the rest are counted
SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})


@dataclass(frozen=True)
class DocumentFacts:
    doc: Document
    files: list[str]
    tables: list[Table]
    facts: list[Fact]


def gather(store: Store, doc_ids: Iterable[str] | None = None) -> list[DocumentFacts]:
    """The documents (all, or these) with their tables and facts, as the store holds them."""
    wanted = set(doc_ids) if doc_ids is not None else None
    return [DocumentFacts(d, store.files(d.doc_id), store.tables(d.doc_id), store.facts(d.doc_id))
            for d in store.documents() if wanted is None or d.doc_id in wanted]


def facts_workbook(docs: list[DocumentFacts]) -> Any:
    """A workbook: a sheet per table type, then the prose figures."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    by_type: dict[str, list[tuple[DocumentFacts, Fact]]] = {}
    for d in docs:
        for f in d.facts:
            by_type.setdefault(PROSE_SHEET if f.table == "正文" else f.table_type or "其他", []).append((d, f))
    for table_type, facts in by_type.items():
        if table_type != PROSE_SHEET:
            _table_sheet(book, table_type, facts, docs)
    if PROSE_SHEET in by_type:
        _prose_sheet(book, by_type[PROSE_SHEET])
    if not book.sheetnames:
        book.create_sheet("数据").append(["没有数据"])
    return book


def _table_sheet(book: Any, name: str, facts: list[tuple[DocumentFacts, Fact]], docs: list[DocumentFacts]) -> None:
    columns: list[str] = []
    for d in docs:  # the tables' own column order first, then any column a fact adds
        for t in d.tables:
            if t.table_type == name:
                columns += [c for c in t.columns if c not in columns]
    label_columns = list(dict.fromkeys(k for _, f in facts for k, _ in f.labels))  # 政府采购's text columns
    columns = [c for c in columns if c not in label_columns]
    for _, f in facts:
        if f.column not in columns:
            columns.append(f.column)
    rows: dict[tuple[str, str, str, str, tuple[tuple[str, str], ...]], dict[str, Any]] = {}
    for d, f in facts:
        key = (d.doc.doc_id, f.table, f.code or "", f.row, f.labels)
        line = rows.setdefault(key, {"文件": d.doc.title, "来源": "；".join(d.files), "表": f.table,
                                     "科目编码": f.code or "", "行": f.row, **dict(f.labels),
                                     "单位": f.unit, "页": f.page, "原文": f.quote})
        line[f.column] = f.value
    head = ["文件", "来源", "表", "科目编码", "行", *label_columns, *columns, "单位", "页", "原文"]
    sheet = book.create_sheet(_sheet_name(book, name))
    sheet.append(head)
    for line in rows.values():
        _append(sheet, [line.get(h) for h in head])
    sheet.freeze_panes = "F2"


def _prose_sheet(book: Any, facts: list[tuple[DocumentFacts, Fact]]) -> None:
    sheet = book.create_sheet(PROSE_SHEET)
    head = ["文件", "来源", "章节", "主题", "口径", "数值", "单位", "页", "原文"]
    sheet.append(head)
    for d, f in facts:
        _append(sheet, [d.doc.title, "；".join(d.files), f.section, f.row, f.column, f.value, f.unit, f.page,
                        f.quote])


def audit_workbook(findings: list[tuple[Document, Finding]]) -> Any:
    """One sheet: each finding with its check, verdict, computation and the places it cites."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = AUDIT_SHEET
    widest = min(MAX_PLACES, max((len(f.places) for _, f in findings), default=0))
    head = ["文件", "检查", "结论", "说明", "计算", "页", "表"]
    for k in range(1, widest + 1):
        head += [f"位置{k}·页", f"位置{k}·表", f"位置{k}·原文"]
    head.append("其余位置")
    sheet.append(head)
    for doc, f in sorted(findings, key=lambda x: (x[0].title, x[1].ok)):
        places: list[Any] = []
        for p in f.places[:widest]:
            places += [p.page, p.table, p.quote]
        places += [None] * (3 * widest - len(places))
        more = len(f.places) - widest
        _append(sheet, [doc.title, f.check, "通过" if f.ok else "问题", f.message, f.computation, f.page, f.table,
                        *places, f"另有 {more} 处" if more > 0 else None])
    sheet.freeze_panes = "D2"
    return book


def write_facts_xlsx(store: Store, target: str | Path | IO[bytes], doc_ids: Iterable[str] | None = None) -> int:
    """The facts of the documents (all, or these) to an .xlsx; returns how many were written."""
    docs = gather(store, doc_ids)
    _save(facts_workbook(docs), target)
    return sum(len(d.facts) for d in docs)


def write_audit_xlsx(store: Store, target: str | Path | IO[bytes], doc_ids: Iterable[str] | None = None) -> int:
    """The audit of the documents (all, or these) to an .xlsx; returns how many findings."""
    wanted = set(doc_ids) if doc_ids is not None else None
    findings = [(d, f) for d in store.documents() if wanted is None or d.doc_id in wanted
                for f in findings_of(store, d.doc_id)]
    _save(audit_workbook(findings), target)
    return len(findings)


def _save(book: Any, target: str | Path | IO[bytes]) -> None:
    try:
        book.save(target)
    except OSError as exc:
        raise BudgetQAError(f"cannot write {target}: {exc.strerror or exc}") from None


def _sheet_name(book: Any, name: str) -> str:
    base = name.translate(SHEET_CHARS)[:31] or "表"
    out, k = base, 2
    while out in book.sheetnames:
        out, k = f"{base[:28]}_{k}", k + 1
    return out


def _append(sheet: Any, values: list[Any]) -> None:
    """A line of cells: figures as numbers, text as text (never a formula)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    row = sheet.max_row + 1
    for col, value in enumerate(values, start=1):
        if value is None or value == "":
            continue
        cell = sheet.cell(row=row, column=col)
        if isinstance(value, Decimal | int | float):
            cell.value = value
            if isinstance(value, Decimal) and decimals(value) == 2:
                cell.number_format = "#,##0.00"
            continue
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", str(value))
        cell.data_type = "s"  # "=SUM(A1)" in a quote stays the quote
