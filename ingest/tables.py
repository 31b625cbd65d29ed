"""Find the standard tables in a text extract and cut them into raw rows.

A text extract keeps each row's cells in order but loses blank cells, so a raw
row here is (code, label, amounts) without columns; `ingest.solve` assigns the
amounts to columns by the arithmetic of the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from ingest.catalogue import contents_pages, contents_titles, is_listed
from ingest.model import Page
from ingest.schemas import KNOWN_LABELS, TableType, classify_table, squash

TABLE_MARK = re.compile(r"^(?:表\s*(\d{1,2})|公开\s*(\d{1,2})\s*表)\s*[:：]?\s*(.*)$")
BARE_NUMBER = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[)）])")
HEADER_START = re.compile(r"^(项目|科目|功能分类|经济分类|收入|支出|单位名称|部门名称)")
PART_MARK = re.compile(r"^第[一二三四五六七八九十]+部分")
UNIT_MARK = re.compile(r"单位\s*[:：]\s*(万元|亿元|元)")
AMOUNT = re.compile(r"^-?(?:\d{1,3}(?:,\d{3})+|\d+)\.\d{1,2}$|^-?\d{1,3}(?:,\d{3})+$")
CODE = re.compile(r"^(\d{3})(?:\s?(\d{2}))?(?:\s?(\d{2}))?(?=\s|$|[^\d.,%])")
NOTE = re.compile(r"^(备注|注|说明)\s*[:：]")
EMPTY_NOTE = re.compile(r"空表|本表无数据|无数据|本年度无|没有使用|本[部单][门位]无|无此项")


@dataclass
class RawRow:
    code: str | None
    label: str
    amounts: list[Decimal]
    page: int
    quote: str
    side: str = ""  # two-sided tables: 收入 | 支出
    placed: dict[tuple[str, ...], Decimal] | None = None  # PDFs: header path → value, blanks absent
    columns: tuple[tuple[str, ...], ...] = ()  # PDFs: the header paths of the row's section
    spans: tuple[tuple[float, float, str], ...] = ()  # PDFs: the label's cells, (middle x, top, text)
    figure_top: float | None = None  # PDFs: the top of the line that prints the row's figures


@dataclass
class RawTable:
    number: str
    title: str
    table_type: TableType | None
    unit: str
    page: int
    header: str = ""
    rows: list[RawRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pages: set[int] = field(default_factory=set)
    transposed: bool = False  # one unlabeled row: the header names the items ("三公" tables)
    head: tuple[tuple[float, float, float, str], ...] = ()  # PDFs: header text cells (top, x0, x1, text)
    scanned: bool = False  # read by OCR: its figures are checked by its arithmetic (ingest.digits)

    @property
    def empty(self) -> bool:
        return not any(r.amounts for r in self.rows)


def parse_amount(token: str) -> Decimal:
    return Decimal(token.replace(",", ""))


def split_amounts(line: str) -> tuple[str, list[Decimal]]:
    """A line's text and the amounts that end it: "合计 395.84 308.44" → ("合计", [...])."""
    tokens = line.split()
    amounts: list[Decimal] = []
    while tokens and AMOUNT.match(tokens[-1]):
        amounts.insert(0, parse_amount(tokens.pop()))
    return " ".join(tokens), amounts


def split_code(text: str) -> tuple[str | None, str]:
    m = CODE.match(text)
    if not m:
        return None, text
    return "".join(g for g in m.groups() if g), text[m.end():].strip()


def find_tables(pages: list[Page]) -> tuple[list[RawTable], list[tuple[int, str]]]:
    """The tables of a document, and the lines outside tables (the prose) with pages."""
    tables: list[RawTable] = []
    prose: list[tuple[int, str]] = []
    current: RawTable | None = None
    lines_of: list[list[tuple[int, str]]] = []
    contents = contents_pages(pages)
    listed = {t for _, t in contents_titles(pages)}
    for page in pages:
        lines = page.text.split("\n")
        i = 0
        while i < len(lines):
            line = lines[i].strip()
            m = TABLE_MARK.match(line)
            start: tuple[str, str, int] | None = None
            if m:
                title, skip = _title_after(lines, i, m.group(3))
                start = (f"表{m.group(1) or m.group(2)}", title, skip)
            elif page.number not in contents:
                start = _bare_title(lines, i, listed)
            tt = classify_table(start[1]) if start else None
            if start and tt is not None:
                number, title, skip = start
                current = RawTable(number=number, title=title, table_type=tt, unit="", page=page.number)
                tables.append(current)
                lines_of.append([])
                i = skip
                continue
            if current is not None and PART_MARK.match(line):
                current = None
            if current is None:
                prose.append((page.number, lines[i]))
            else:
                lines_of[-1].append((page.number, lines[i]))
            i += 1
    for table, table_lines in zip(tables, lines_of, strict=True):
        _fill_table(table, table_lines)
    return tables, prose


def _bare_title(lines: list[str], i: int, listed: set[str]) -> tuple[str, str, int] | None:
    """A title with no 表N mark ("一、收支预算总表", "2024年部门收入预算总表"): a short line
    ending in 表 that names a standard table, with its 单位 or 编制单位 line just below (or
    listed on the contents page). Returns (number, title, next line)."""
    text = squash(lines[i])
    m = BARE_NUMBER.match(text)
    title = text[m.end():] if m else text  # a number in words is not a 表N number
    if not title.endswith("表") or len(title) > 60 or re.search(r"[，。；,;]", title) \
            or classify_table(title) is None or re.match(r"^(详见|见|参见|根据|按照|其中)", title):
        return None
    below = [x.strip() for x in lines[i + 1:i + 8] if x.strip()][:3]
    if not any(UNIT_MARK.search(x) or x.startswith(("编制单位", "编制部门")) or HEADER_START.match(squash(x))
               for x in below) and not is_listed(title, listed):
        return None
    return "", re.sub(r"^20\d\d年度?", "", title), i + 1


def _title_after(lines: list[str], i: int, rest: str) -> tuple[str, int]:
    """The title printed on the mark's line or on the next non-blank lines."""
    if squash(rest).endswith("表"):
        return squash(rest), i + 1
    title = squash(rest)
    j = i + 1
    while j < len(lines) and len(title) < 40:
        line = lines[j].strip()
        j += 1
        if not line:
            continue
        if UNIT_MARK.search(line) or line.startswith("编制单位"):
            break
        title += squash(line)
        if title.endswith("表"):
            break
    return title, j


def _fill_table(table: RawTable, lines: list[tuple[int, str]]) -> None:
    header: list[str] = []
    data: list[tuple[int, str]] = []
    in_data: dict[int, bool] = {}
    for page, raw in lines:
        line = raw.strip()
        unit = UNIT_MARK.search(line)
        if unit and not table.unit:
            table.unit = unit.group(1)
        if line.startswith("编制单位") or (unit and len(squash(line)) < 12):
            continue
        if NOTE.match(line) or EMPTY_NOTE.search(line):
            table.notes.append(line)
            in_data[page] = False
            continue
        if not in_data.get(page):
            if line and _starts_data(line):
                in_data[page] = True
            else:
                if page == table.page or not data:
                    header.append(line)
                continue
        table.pages.add(page)
        data.append((page, line))
    table.unit = table.unit or "万元"
    table.header = " ".join(header)
    tt = table.table_type
    table.rows = _two_sided_rows(data) if tt and tt.two_sided else _list_rows(data)


def _starts_data(line: str) -> bool:
    text, amounts = split_amounts(line)
    if amounts:
        return True
    code, _ = split_code(line)
    return code is not None


def _list_rows(data: list[tuple[int, str]]) -> list[RawRow]:
    """Rows of a one-sided table; a row ends at its amounts or where the next row starts."""
    rows: list[RawRow] = []
    buf: list[str] = []
    buf_page = 0

    def flush() -> None:
        if not buf:
            return
        text = " ".join(buf)
        label, amounts = split_amounts(text)
        code, label = split_code(label)
        rows.append(RawRow(code, squash(label), amounts, buf_page, " ".join(text.split())))
        buf.clear()

    for page, line in data:
        if not line:
            continue
        code, _ = split_code(line)
        if buf and (code is not None or _starts_new_row(buf, line)):
            flush()
        if not buf:
            buf_page = page
        buf.append(line)
        if split_amounts(line)[1]:
            flush()
    flush()
    return rows


def _starts_new_row(buf: list[str], line: str) -> bool:
    """Whether a line without a code begins a new row rather than wrapping the last one."""
    if line.startswith(("（", "(", "[", "【")):
        return False
    so_far = squash(" ".join(buf))
    so_far = re.sub(r"^其中[:：]", "", so_far)
    return so_far in KNOWN_LABELS or squash(line).startswith(("其中", "合计", "总计"))


def _segments(line: str) -> list[tuple[str, list[Decimal]]]:
    """A two-sided line cut into (label, amounts) cells: text after amounts or a code starts one."""
    segs: list[tuple[str, list[Decimal]]] = []
    label: list[str] = []
    amounts: list[Decimal] = []
    tokens = line.split()
    for k, tok in enumerate(tokens):
        is_amount = bool(AMOUNT.match(tok))
        nxt = tokens[k + 1] if k + 1 < len(tokens) else ""
        is_code = bool(re.fullmatch(r"\d{3}", tok)) and bool(re.match(r"[\u4e00-\u9fff]", nxt))
        if is_amount and (label or amounts):
            amounts.append(parse_amount(tok))
            continue
        if (amounts or (is_code and label)) and label:
            segs.append((" ".join(label), amounts))
            label, amounts = [], []
        label.append(tok)
    if label:
        segs.append((" ".join(label), amounts))
    return segs


def _two_sided_rows(data: list[tuple[int, str]]) -> list[RawRow]:
    rows: list[RawRow] = []
    for page, line in data:
        if not line:
            continue
        segs = _segments(line)
        if len(segs) == 1 and not segs[0][1] and len(squash(segs[0][0])) <= 3 and rows \
                and not CODE.match(segs[0][0]):
            last = rows[-1]  # a wrapped cell: "…转移支" + "付"
            rows[-1] = RawRow(last.code, last.label + squash(segs[0][0]), last.amounts,
                              last.page, last.quote + segs[0][0], last.side)
            continue
        for k, (label, amounts) in enumerate(segs):
            code, name = split_code(label)
            side = "支出" if (code is not None or k > 0 or "支出" in squash(name)) else "收入"
            if len(segs) == 1 and code is None and "支出" not in squash(name):
                side = "收入"
            rows.append(RawRow(code, squash(name), amounts, page, " ".join(line.split()), side))
    return rows
