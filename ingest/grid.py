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
from dataclasses import dataclass, field
from decimal import Decimal

from ingest.layout import Cell, Geometry, Line
from ingest.model import Page
from ingest.schemas import classify_table, squash
from ingest.tables import EMPTY_NOTE, NOTE, PART_MARK, UNIT_MARK, RawRow, RawTable

NUMBERED_TITLE = re.compile(
    r"^(?:(?:公开|附)?\s*(?:表\s*)?(\d{1,2}(?:[-－]\d{1,2})?)\s*表?|表\s*(\d{1,2}))\s*[:：、.．]?\s*(.*)$")
TITLE_END = re.compile(r"表(（[^）]{1,10}）|\([^)]{1,10}\))?$")
HEADER_WORDS = re.compile(r"^(项目|科目|功能分类|经济分类|收入|支出)|(合计|金额|预算数|决算数)$")
CODE_TOKEN = re.compile(r"^\d{2,7}$")
CODE_HEADER = re.compile(r"编码|代码|科目编号|^[类款项]$")
BLANK = {"-", "—", "－", "--", "——", "/", "无"}
MARKER = re.compile(r"^(其中[:：]?|[一二三四五六七八九十]+[、.．]|\d+[、.．](?!\d)|[（(][一二三四五六七八九十\d]+[)）]"
                    r"|合计|总计|小计|本年|年初|年末|结余|用事业)")
MEASURES = ("年初预算数", "调整预算数", "全年预算数", "预算数", "决算数", "执行数", "预算", "决算")
ITEM_HEADER = re.compile(r"^(项目|科目名称|功能科目名称|功能分类科目名称|经济分类科目名称|项目名称|名称|单位名称|部门|"
                         r"科目|项目\(按功能分类\)|项目（按功能分类）)$")


@dataclass
class Bin:
    x0: float
    x1: float
    numbers: list[str] = field(default_factory=list)
    code: bool = False
    path: tuple[str, ...] = ()

    @property
    def mid(self) -> float:
        return (self.x0 + self.x1) / 2

    def holds(self, cell: Cell) -> bool:
        """A figure in this column; a text cell only when it lies mostly inside it."""
        overlap = min(cell.x1, self.x1 + 2) - max(cell.x0, self.x0 - 2)
        if cell.is_number:
            return overlap > 0
        return overlap >= 0.6 * (cell.x1 - cell.x0)


@dataclass
class Section:
    codes: list[int]  # bin indexes
    amounts: list[int]
    label_at: int | None  # text cells with this many bins left of them are this section's labels
    side: str = ""


def is_pdf(pages: list[Page]) -> bool:
    return any(p.geometry is not None for p in pages)


def find_grid_tables(pages: list[Page]) -> tuple[list[RawTable], list[tuple[int, str]]]:
    """The tables of a PDF's pages and the lines outside them (the prose)."""
    stream = [(p, ln) for p in pages if p.geometry is not None for ln in p.geometry.lines]
    titles = _titles(stream)
    tables: list[RawTable] = []
    prose: list[tuple[int, str]] = []
    i = 0
    starts = {s: (end, number, title) for s, end, number, title in titles}
    while i < len(stream):
        if i in starts:
            end, number, title = starts[i]
            tt = classify_table(title)
            table = RawTable(number=number, title=title, table_type=tt, unit="", page=stream[i][0].number)
            j = _table_end(stream, end, titles)
            _fill(table, stream[end:j])
            tables.append(table)
            i = j
            continue
        page, line = stream[i]
        prose.append((page.number, line.text))
        i += 1
    return tables, prose


def _titles(stream: list[tuple[Page, Line]]) -> list[tuple[int, int, str, str]]:
    """(first line, line after the title, number, title) of each table: a line naming a
    standard table and followed closely by a 单位 line, or numbered 表N / 公开N表."""
    out: list[tuple[int, int, str, str]] = []
    for i, (page, line) in enumerate(stream):
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
                and not NUMBERED_TITLE.match(nxt[k]) and not re.search(r"\d\.\d", nxt[k]):
            title += nxt[k]
            k += 1
        if not TITLE_END.search(title) or classify_table(title) is None:
            continue
        if not unit_here and not any(UNIT_MARK.search(t) or t.startswith(("编制", "部门：", "单位名称", "预算单位"))
                                     or HEADER_WORDS.search(t) for t in nxt[k:k + 3]):
            continue
        if out and out[-1][1] > i:
            continue
        out.append((i, i + 1 + k, number, re.sub(r"^\d{4}年(度)?", "", title)))
    return out


def _table_end(stream: list[tuple[Page, Line]], start: int, titles: list[tuple[int, int, str, str]]) -> int:
    """Where a table stops: the next title, a part heading, or a page that does not continue it."""
    nxt = min((s for s, *_ in titles if s >= start), default=len(stream))
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
    if len(cells) >= 2 and bool(CODE_TOKEN.match(cells[0].text)) and not cells[1].is_number:
        return True
    # a line of codes alone ("301 302": each half's 类, printed above its name)
    return all(re.fullmatch(r"\d{1,7}", c.text) for c in cells) and any(len(c.text) >= 3 for c in cells)


def _fill(table: RawTable, items: list[tuple[Page, Line]]) -> None:
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
        if body:
            table.pages.add(number)
            rows, bins, labels = _rows(body, geos[number], head, known, known_labels, number, table)
            table.rows += rows
            if not known:
                known, known_labels = bins, labels
    table.unit = table.unit or "万元"
    table.header = " ".join(ln.text for ln in header_lines)


def _bins(lines: list[Line]) -> list[Bin]:
    cells = sorted((c for ln in lines for c in ln.cells if c.is_number), key=lambda c: c.x0)
    bins: list[Bin] = []
    for c in cells:
        if bins and c.x0 < bins[-1].x1 - 0.5:
            bins[-1].x1 = max(bins[-1].x1, c.x1)
            bins[-1].numbers.append(c.text)
        else:
            bins.append(Bin(c.x0, c.x1, [c.text]))
    return bins


def _header_path(b: Bin, head: list[Line], geo: Geometry) -> tuple[str, ...]:
    """The header cells above a bin, top to bottom; a cell's reach is the ruled box around it."""
    levels: list[tuple[float, float, float, str]] = []  # (top, left, right, text)
    for line in head:
        for c in line.cells:
            if c.is_number:  # a code or a column number is not a column's name
                continue
            left, right = geo.span(c)
            if not (left - 1 <= b.mid <= right + 1 or (c.x0 < b.x1 and c.x1 > b.x0)):
                continue
            if levels and abs(levels[-1][1] - left) < 3 and abs(levels[-1][2] - right) < 3 \
                    and c.top - levels[-1][0] < 3 * (c.bottom - c.top):
                top, lft, rgt, text = levels[-1]  # the next line of a wrapped header cell
                levels[-1] = (c.top, lft, rgt, text + squash(c.text))
            else:
                levels.append((c.top, left, right, squash(c.text)))
    return tuple(t for *_, t in levels if t)


def _sections(lines: list[Line], bins: list[Bin], known: set[int]) -> tuple[list[Section], set[int]]:
    """Split the bins into sections at the text columns between them."""
    positions: dict[int, int] = dict.fromkeys(known, 2)
    for ln in lines:
        for c in ln.cells:
            if c.is_number or any(b.holds(c) for b in bins) or c.text in BLANK:
                continue
            pos = sum(1 for b in bins if b.x1 <= c.mid)
            positions[pos] = positions.get(pos, 0) + 1
    label_at = sorted(p for p, n in positions.items() if n >= 2 or len(lines) <= 2)
    sections: list[Section] = []
    if not label_at:
        return [Section([], [i for i, b in enumerate(bins) if not b.code], None)], set()
    bounds = [*label_at, len(bins) + 1]
    prev_end = 0
    for k, at in enumerate(label_at):
        codes = [i for i in range(prev_end, at) if bins[i].code]
        amounts = [i for i in range(at, min(bounds[k + 1], len(bins))) if not bins[i].code]
        prev_end = at
        sections.append(Section(codes, amounts, at))
    if label_at[0] > 0:  # figures left of every label: a section without labels
        lead = [i for i in range(label_at[0]) if not bins[i].code]
        if lead:
            sections.insert(0, Section([], lead, None))
    return sections, set(label_at)


def _rows(lines: list[Line], geo: Geometry, head: list[Line], known: list[Bin], known_labels: set[int],
          page: int, table: RawTable) -> tuple[list[RawRow], list[Bin], set[int]]:
    """Rows of a table's lines on one page; a page without a header reuses the columns
    of the table's first page, matched by position."""
    bins = _bins(lines)
    if head and len(lines) == 1:  # a one-row table: a measure column left blank still exists
        empty = [c for c in head[-1].cells if (squash(c.text) in MEASURES or re.fullmatch(r"\S{2,}费", squash(c.text)))
                 and not any(b.holds(c) for b in bins)]
        bins = sorted(bins + [Bin(c.x0, c.x1, []) for c in empty], key=lambda b: b.x0)
    carried = bool(known) and not any(_header_path(b, head, geo) for b in bins)
    if carried:
        bins = _carry(known, bins)
    for b in bins:
        b.path = b.path or _header_path(b, head, geo)
        b.code = b.code or all(re.fullmatch(r"\d{1,7}", n) for n in b.numbers) and (
            any(CODE_HEADER.search(t) for t in b.path) or _left_of_text(b, lines))
    sections, labels = _sections(lines, bins, known_labels if carried else set())
    pieces = [_pieces(sec, bins, lines) for sec in sections]
    for left, right in zip(pieces, pieces[1:], strict=False):
        _pass_labels(left, right)
    rows: list[RawRow] = []
    for sec, sec_pieces in zip(sections, pieces, strict=True):
        sec.side = _side(sec, bins, head, geo)
        lo = min((bins[i].x0 for i in sec.codes + sec.amounts), default=0.0)
        span = (lo, max((bins[i].x1 for i in sec.amounts), default=lo + 1))
        joined = [_join(band) if len(band) > 1 and _compatible(band) else band
                  for band in _bands(sec_pieces, geo, span)]
        rows += _assemble([p for band in joined for p in band], sec, bins, page)
    if not any(s.label_at is not None for s in sections):  # one unlabeled row: columns name items
        table.transposed = True
    return rows, bins, labels


def _left_of_text(b: Bin, lines: list[Line]) -> bool:
    """Code-like integers directly followed by a label on their lines."""
    hits = 0
    for ln in lines:
        for k, c in enumerate(ln.cells[:-1]):
            if c.is_number and b.holds(c) and not ln.cells[k + 1].is_number:
                hits += 1
    return hits >= max(1, len(b.numbers) // 2)


def _side(sec: Section, bins: list[Bin], head: list[Line], geo: Geometry) -> str:
    for i in sec.amounts:
        for t in bins[i].path:
            if "收入" in t and "支出" not in t:
                return "收入"
            if "支出" in t or "收入" in t:
                return "支出"
    return ""


@dataclass
class _Piece:
    top: float
    bottom: float
    code: str
    label: str
    cells: dict[int, Decimal]
    texts: list[str]


def _carry(known: list[Bin], found: list[Bin]) -> list[Bin]:
    """A continuation page's bins: the first page's columns, widened by what this page holds."""
    bins = [Bin(k.x0, k.x1, [], k.code, k.path) for k in known]
    for f in found:
        home = next((b for b in bins if f.x0 < b.x1 + 1 and f.x1 > b.x0 - 1), None)
        if home is None:
            bins.append(f)
        else:
            home.x0, home.x1 = min(home.x0, f.x0), max(home.x1, f.x1)
            home.numbers += f.numbers
    return sorted(bins, key=lambda b: b.x0)


def _pass_labels(left: list[_Piece], right: list[_Piece]) -> None:
    """A label whose figures sit in the next section (a summary row printed across the
    table: "支出合计 … 21,955.35") moves to that section's piece on the same line."""
    by_top = {round(p.top): p for p in right}
    for p in left:
        q = by_top.get(round(p.top))
        if q is not None and p.label.endswith("计") and not p.cells and not p.code and q.cells \
                and not q.label:
            q.label, p.label = p.label, ""
            q.texts[:0] = p.texts
            p.texts = []
    left[:] = [p for p in left if p.label or p.cells or p.code]


def _pieces(sec: Section, bins: list[Bin], lines: list[Line]) -> list[_Piece]:
    pieces: list[_Piece] = []
    for ln in lines:
        code, label, cells, texts = "", "", {}, []
        for c in ln.cells:
            pos = sum(1 for b in bins if b.x1 <= c.mid)
            owner = next((i for i in sec.codes + sec.amounts if bins[i].holds(c)), None)
            if owner is not None and bins[owner].code and c.is_number:
                code += c.text if owner == sec.codes[0] else c.text.zfill(2)  # 款/项 printed "7"
                texts.append(c.text)
            elif owner is not None and not bins[owner].code:
                if c.is_number:
                    cells[owner] = Decimal(c.text.replace(",", "").replace("−", "-"))
                    texts.append(c.text)
                elif c.text in BLANK:
                    texts.append(c.text)
                elif re.search(r"[\u4e00-\u9fff]", c.text) and c.x0 < bins[owner].x0:
                    label += squash(c.text)  # a merged summary cell reaching into the figures
                    texts.append(c.text)
            elif sec.label_at is not None and pos == sec.label_at and not c.is_number \
                    and not any(b.holds(c) for b in bins):
                label += squash(c.text)
                texts.append(c.text)
        if code or label or cells:
            pieces.append(_Piece(ln.top, ln.bottom, code, label, cells, texts))
    return pieces


def _bands(pieces: list[_Piece], geo: Geometry, span: tuple[float, float]) -> list[list[_Piece]]:
    """Pieces cut at horizontal rules across the section (a ruled table's row borders)."""
    bands: list[list[_Piece]] = []
    for p in pieces:
        if bands and not geo.hrule_between(bands[-1][-1].bottom - 1, p.top + 1, span[0], span[1]) \
                and _ruled(geo, span):
            bands[-1].append(p)
        else:
            bands.append([p])
    return bands


def _ruled(geo: Geometry, span: tuple[float, float]) -> bool:
    return sum(1 for r in geo.hrules if r.a <= span[0] + 2 and r.b >= span[1] - 2) >= 4


def _assemble(band: list[_Piece], sec: Section, bins: list[Bin], page: int) -> list[RawRow]:
    """Pieces (a band's pieces already joined) into rows: a piece with figures is a row; a
    label-only piece is the first line of the row below when that row has no label of its
    own, else the last line of the row above when it carries on without a gap."""
    rows: list[list[_Piece]] = []
    pending: list[_Piece] = []
    for p in band:
        if p.code and not p.cells and not p.label:  # a code printed a little above its row's text
            if pending and pending[-1].code:
                rows.append(pending)
                pending = []
            pending.append(p)
            continue
        if p.cells or p.code:
            apart = bool(pending) and p.top - pending[-1].bottom >= 0.8 * (p.bottom - p.top)
            if pending and p.label and (MARKER.match(p.label) or apart):
                rows.append(pending)
                pending = []
            rows.append([*pending, p])
            pending = []
            continue
        prev = pending[-1] if pending else rows[-1][-1] if rows else None
        close = prev is not None and p.top - prev.bottom < 0.8 * (p.bottom - p.top)
        if close and not MARKER.match(p.label):
            (pending or rows[-1]).append(p)
            continue
        if pending:
            rows.append(pending)
        pending = [p]
    if pending:
        rows.append(pending)
    return [_row(r, sec, bins, page) for r in rows]


def _join(band: list[_Piece]) -> list[_Piece]:
    cells: dict[int, Decimal] = {}
    for p in band:
        cells.update(p.cells)
    return [_Piece(band[0].top, band[-1].bottom, "".join(p.code for p in band),
                   "".join(p.label for p in band), cells, [t for p in band for t in p.texts])]


def _compatible(band: list[_Piece]) -> bool:
    seen: set[int] = set()
    codes = [p.code for p in band if p.code]
    for p in band:
        if seen & set(p.cells):
            return False
        seen |= set(p.cells)
    return len(codes) <= 1 or len(set(codes)) == 1 or all(len(c) <= 3 for c in codes[1:])


def _row(pieces: list[_Piece], sec: Section, bins: list[Bin], page: int) -> RawRow:
    code = "".join(p.code for p in pieces)
    label = "".join(p.label for p in pieces)
    cells: dict[int, Decimal] = {}
    for p in pieces:
        cells.update(p.cells)
    quote = " ".join(t for p in pieces for t in p.texts)
    placed = {bins[i].path: v for i, v in cells.items()}
    ordered = [cells[i] for i in sorted(cells)]
    return RawRow(code or None, label, ordered, page, quote, sec.side, placed=placed,
                  columns=tuple(bins[i].path for i in sec.amounts))
