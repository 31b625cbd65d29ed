"""A table's lines on one page → its columns, sections and rows (see ingest.grid).

Figures that overlap horizontally are a column (a Bin); text between columns is a
section's labels; pieces of a line per section are joined into rows where a band
between ruling lines, a wrapped label or a code printed above its text says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from ingest.layout import Cell, Geometry, Line
from ingest.schemas import MEASURES, squash
from ingest.tables import RawRow

CODE_HEADER = re.compile(r"编码|代码|科目编号|^[类款项]$")
BLANK = {"-", "—", "－", "--", "——", "/", "无"}
MARKER = re.compile(r"^(其中[:：]?|[一二三四五六七八九十]+[、.．]|\d+[、.．](?!\d)|[（(][一二三四五六七八九十\d]+[)）]"
                    r"|合计|总计|小计|本年|年初|年末|结余|用事业)")


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


def page_rows(lines: list[Line], geo: Geometry, head: list[Line], known: list[Bin], known_labels: set[int],
              page: int) -> tuple[list[RawRow], list[Bin], set[int], bool]:
    """Rows of a table's lines on one page, its columns, its label positions, and whether it
    is one unlabeled row (the header then names the items). A page without a header reuses
    the columns of the table's first page, matched by position."""
    bins = _bins(lines)
    if head and len(lines) == 1:  # a one-row table: a measure column left blank still exists
        empty = [c for c in head[-1].cells if _column_word(squash(c.text))
                 and not any(min(c.x1, b.x1) > max(c.x0, b.x0) - 2 for b in bins)]  # no figure under it
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
    transposed = not any(s.label_at is not None for s in sections)
    return rows, bins, labels, transposed


def _column_word(text: str) -> bool:
    """A header word that names a column of its own: a measure, or an item of 费."""
    return text in (*MEASURES, "预算", "决算") or bool(re.fullmatch(r"\S{2,}费", text))


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
    spans: list[tuple[float, float, str]] = field(default_factory=list)  # label cells: (middle, top, text)
    figure_top: float | None = None  # the top of the line holding the piece's figures


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
            q.spans[:0] = p.spans
            p.texts, p.spans = [], []
    left[:] = [p for p in left if p.label or p.cells or p.code]


def _pieces(sec: Section, bins: list[Bin], lines: list[Line]) -> list[_Piece]:
    pieces: list[_Piece] = []
    for ln in lines:
        code, label, cells, texts = "", "", {}, []
        spans: list[tuple[float, float, str]] = []
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
                    spans.append((c.mid, c.top, squash(c.text)))
            elif sec.label_at is not None and pos == sec.label_at and not c.is_number \
                    and not any(b.holds(c) for b in bins):
                label += squash(c.text)
                texts.append(c.text)
                spans.append((c.mid, c.top, squash(c.text)))
        if code or label or cells:
            pieces.append(_Piece(ln.top, ln.bottom, code, label, cells, texts, spans, ln.top if cells else None))
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
    return [_Piece(band[0].top, band[-1].bottom, "".join(dict.fromkeys(p.code for p in band if p.code)),
                   "".join(p.label for p in band), cells, [t for p in band for t in p.texts],
                   [x for p in band for x in p.spans], _figure_top(band))]


def _figure_top(pieces: list[_Piece]) -> float | None:
    return min((p.figure_top for p in pieces if p.figure_top is not None), default=None)


def _compatible(band: list[_Piece]) -> bool:
    seen: set[int] = set()
    codes = [p.code for p in band if p.code]
    for p in band:
        if seen & set(p.cells):
            return False
        seen |= set(p.cells)
    return len(codes) <= 1 or len(set(codes)) == 1 or all(len(c) <= 3 for c in codes[1:])


def _row(pieces: list[_Piece], sec: Section, bins: list[Bin], page: int) -> RawRow:
    code = "".join(dict.fromkeys(p.code for p in pieces if p.code))  # 类+款 join; a repeated code does not
    label = "".join(p.label for p in pieces)
    cells: dict[int, Decimal] = {}
    for p in pieces:
        cells.update(p.cells)
    quote = " ".join(t for p in pieces for t in p.texts)
    placed = {bins[i].path: v for i, v in cells.items()}
    ordered = [cells[i] for i in sorted(cells)]
    return RawRow(code or None, label, ordered, page, quote, sec.side, placed=placed,
                  columns=tuple(dict.fromkeys(bins[i].path for i in sec.amounts)),
                  spans=tuple(x for p in pieces for x in p.spans),
                  figure_top=_figure_top(pieces))
