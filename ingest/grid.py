"""Tables of a PDF rebuilt from the positions of their words.

Text order loses the column of a figure whenever a cell is blank; positions keep
it. Within a table's lines, figures that overlap horizontally form a column (a
bin); code-like integers under a 编码/代码/类款项 header are code bins; the text
between bins is a row label, and text to the right of a figure bin starts another
section (a two-sided table's 支出 half). The header cells above a bin, each widened
to the ruling lines around it, give the column's path ("“三公”经费/公务用车购置及
运行费/购置费"). Rows are the bands between horizontal rules when the table has
them, and otherwise lines joined where a wrapped label continues.
"""

from __future__ import annotations

import re

from ingest.catalogue import contents_entries, contents_pages, contents_titles, is_listed
from ingest.layout import Geometry, Line
from ingest.model import Page
from ingest.rows import Bin, page_rows
from ingest.schemas import classify_table, squash
from ingest.segment import untitled
from ingest.tables import EMPTY_NOTE, NOTE, PART_MARK, UNIT_MARK, RawTable

NUMBERED_TITLE = re.compile(
    r"^(?:(?:公开|附)?\s*(?:表\s*)?(\d{1,2}(?:[-－]\d{1,2})?)\s*表?|表\s*(\d{1,2}))\s*[:：、.．]?\s*(.*)$")
TITLE_END = re.compile(r"表(（[^）]{1,10}）|\([^)]{1,10}\))?$")
HEADER_WORDS = re.compile(r"^(项目|科目|功能分类|经济分类|收入|支出)|(合计|金额|预算数|决算数)$")
ORDINAL_START = re.compile(r"^[一二三四五六七八九十]+[、.．]")
PROSE_START = re.compile(r"^(详见|见|参见|根据|按照|其中|注|说明)")
CODE_TOKEN = re.compile(r"^\d{2,7}$")


def is_pdf(pages: list[Page]) -> bool:
    return any(p.geometry is not None for p in pages)


def find_grid_tables(pages: list[Page]) -> tuple[list[RawTable], list[tuple[int, str]]]:
    """The tables of a PDF's pages and the lines outside them (the prose)."""
    stream = [(p, ln) for p in pages if p.geometry is not None for ln in p.geometry.lines]
    titles = _titles(stream, Listed(pages))
    titles = sorted(titles + untitled(stream, titles, contents_entries(pages), _is_data))
    tables: list[RawTable] = []
    prose: list[tuple[int, str]] = []
    i = 0
    starts = {s: (end, number, title, unit) for s, end, number, title, unit in titles}
    while i < len(stream):
        if i in starts:
            end, number, title, unit = starts[i]
            tt = classify_table(title)
            table = RawTable(number=number, title=title, table_type=tt, unit=unit, page=stream[i][0].number)
            j = _table_end(stream, end, titles, i)
            _fill(table, stream[end:j], tables[-1].unit if tables else "万元")
            tables.append(table)
            i = j
            continue
        page, line = stream[i]
        prose.append((page.number, line.text))
        i += 1
    return tables, prose


class Listed:
    """What the document's contents promise: a title it lists, or a table type it lists and
    that has not been found yet, starts a table even with no 单位 line or known header below."""

    def __init__(self, pages: list[Page]) -> None:
        entries = contents_titles(pages)
        self.titles = {t for _, t in entries}
        self.types = {tt.name for _, t in entries if (tt := classify_table(t)) is not None}
        self.contents = contents_pages(pages)
        self.found: set[str] = set()

    def promised(self, title: str) -> bool:
        tt = classify_table(title)
        if tt is None or PROSE_START.match(title) or re.search(r"[，。；,;]", title) or len(title) > 60:
            return False  # a sentence wrapped onto a title's words is prose
        return is_listed(title, self.titles) or (tt.name in self.types and tt.name not in self.found)


def _titles(stream: list[tuple[Page, Line]], listed: Listed) -> list[tuple[int, int, str, str, str]]:
    """(first line, line after the title, number, title, unit printed beside the title) of
    each table: a line naming a standard table and followed closely by a 单位 line or its
    header, or numbered 表N / 公开N表, or one the contents page lists."""
    out: list[tuple[int, int, str, str, str]] = []
    for i, (page, line) in enumerate(stream):
        if page.number in listed.contents:
            continue
        text = squash(line.text)
        if not text or len(text) > 60 or text.endswith(("。", "；")) or "……" in text or "..." in text:
            continue
        if _is_data(line):
            continue
        unit_here = UNIT_MARK.search(text.replace(":", "："))
        if unit_here:  # "收支预算总表 单位：万元" printed on one line
            text = text[:unit_here.start()].rstrip("（(")
        m = NUMBERED_TITLE.match(text)
        number, title = "", text
        if not m and classify_table(text + "表") is None:
            continue
        if m and (m.group(3) or "") and ("表" in text[: m.start(3)] or text.startswith("公开")):
            number = f"表{m.group(1) or m.group(2)}"
            title = m.group(3)
        nxt = [squash(ln.text) for p, ln in stream[i + 1:i + 5] if p is page]
        k = 0  # a title wrapped over lines: "…会议费、培训费" + "支出预算表"
        while not TITLE_END.search(title) and k < len(nxt) and len(nxt[k]) < 30 \
                and not UNIT_MARK.search(nxt[k]) and "部门：" not in nxt[k] \
                and not NUMBERED_TITLE.match(nxt[k]) and not re.search(r"\d\.\d", nxt[k]) \
                and not _own_title(nxt[k]):
            title += nxt[k]
            k += 1
        if not TITLE_END.search(title) or classify_table(title) is None or re.search(r"[，。；,;]", title):
            continue  # a sentence that ends on a title's words is prose
        below = nxt[k:k + 3]
        if len(nxt) - k <= 1:  # a caption at the foot of its page: its 单位 line and header open the next
            below += [squash(ln.text) for p, ln in stream[i + 1 + k:i + 5 + k] if p is not page][:3]
        if not unit_here and not any(UNIT_MARK.search(t) or t.startswith(("编制", "部门：", "单位名称", "预算单位"))
                                     or HEADER_WORDS.search(t) for t in below) and not listed.promised(title):
            continue
        if out and out[-1][1] > i:
            continue
        tt = classify_table(title)
        if tt is not None:
            listed.found.add(tt.name)
        unit = unit_here.group(1) if unit_here else ""
        out.append((i, i + 1 + k, number, re.sub(r"^\d{4}年(度)?", "", title), unit))
    return out


def _own_title(text: str) -> bool:
    """A line that is a table's title by itself ("三、2017年度…支出预算总表") starts a table;
    it does not finish the line above it."""
    numbered = ORDINAL_START.match(text) or re.match(r"^20\d\d年", text)
    return bool(numbered and TITLE_END.search(text)) and classify_table(text) is not None


def _table_end(stream: list[tuple[Page, Line]], start: int, titles: list[tuple[int, int, str, str, str]],
               first: int) -> int:
    """Where a table stops: the next title, a part heading, or a page that does not continue it."""
    nxt = min((s for s, *_ in titles if s >= start and s > first), default=len(stream))
    page = stream[start][0] if start < len(stream) else None
    j = start
    while j < nxt:
        p, line = stream[j]
        if PART_MARK.match(squash(line.text)):
            return j
        if p is not page:
            if not _continues(stream[j:nxt], p):
                return j
            page = p
        j += 1
    return nxt


def _continues(rest: list[tuple[Page, Line]], page: Page) -> bool:
    """A new page continues a table when figures come before any prose on it."""
    for p, line in rest[:8]:
        if p is not page:
            return False
        text = squash(line.text)
        if _is_data(line):
            return True
        if len(text) > 40 or text.endswith("。"):
            return False
    return False


def _is_data(line: Line) -> bool:
    cells = line.cells
    if any(c.is_number and ("." in c.text or "," in c.text) for c in cells):
        return True
    if len(cells) >= 2 and bool(CODE_TOKEN.match(cells[0].text)) and not cells[1].is_number \
            and not (re.fullmatch(r"20\d\d", cells[0].text) and cells[1].text.startswith("年")):  # "2017 年…表"
        return True
    # a line of codes alone ("301 302": each half's 类, printed above its name)
    return all(re.fullmatch(r"\d{1,7}", c.text) for c in cells) and any(len(c.text) >= 3 for c in cells)


def _fill(table: RawTable, items: list[tuple[Page, Line]], unit_before: str) -> None:
    """Header, bins, sections and rows of one table, page by page."""
    pages: dict[int, list[Line]] = {}
    geos: dict[int, Geometry] = {}
    for p, line in items:
        pages.setdefault(p.number, []).append(line)
        assert p.geometry is not None
        geos[p.number] = p.geometry
    header_lines: list[Line] = []
    known: list[Bin] = []
    known_labels: set[int] = set()
    for number, lines in pages.items():
        body: list[Line] = []
        head: list[Line] = []
        for line in lines:
            text = squash(line.text)
            unit = UNIT_MARK.search(text.replace(":", "："))
            if unit and not table.unit:
                table.unit = unit.group(1)
            if NOTE.match(text) or EMPTY_NOTE.search(text):
                table.notes.append(line.text)
                break
            if unit or text.startswith(("编制", "部门：", "单位名称", "预算单位")):
                continue
            if not body and not _is_data(line):
                head.append(line)
                continue
            body.append(line)
        if not header_lines and head:
            header_lines = head
            table.head = tuple((c.top, *geos[number].span(c), squash(c.text))  # a cell's reach is its ruled box
                               for ln in head for c in ln.cells if not c.is_number)
        if body:
            table.pages.add(number)
            table.scanned = table.scanned or geos[number].scanned
            rows, bins, labels, transposed = page_rows(body, geos[number], head, known, known_labels, number)
            table.transposed = table.transposed or transposed
            table.rows += rows
            if not known:
                known, known_labels = bins, labels
    table.unit = table.unit or unit_before  # no 单位 printed: as the table before it
    table.header = " ".join(ln.text for ln in header_lines)
