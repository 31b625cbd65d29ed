"""A PDF page as positioned text: lines of cells, and the ruling lines drawn on it.

pdfplumber gives every word with its box. Words on one baseline (within half a
character's height) form a line; words of a line that touch form a cell. The
ruling lines (drawn lines and the edges of drawn rectangles) tell where a table's
cells begin and end, when a table has them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

NUMBER = re.compile(r"^[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
ASCII_END = re.compile(r"[A-Za-z0-9.,%]$")
ASCII_START = re.compile(r"^[A-Za-z0-9]")


@dataclass(frozen=True)
class Cell:
    x0: float
    x1: float
    top: float
    bottom: float
    text: str

    @property
    def mid(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def is_number(self) -> bool:
        return bool(NUMBER.match(self.text))


@dataclass(frozen=True)
class Line:
    top: float
    bottom: float
    cells: tuple[Cell, ...]

    @property
    def text(self) -> str:
        return " ".join(c.text for c in self.cells)


@dataclass(frozen=True)
class Rule:
    """A ruling line: vertical (x fixed, from a to b in y) or horizontal (y fixed, a to b in x)."""

    at: float
    a: float
    b: float


@dataclass(frozen=True)
class Geometry:
    width: float
    lines: tuple[Line, ...]
    vrules: tuple[Rule, ...] = ()
    hrules: tuple[Rule, ...] = ()
    scanned: bool = False  # read by OCR from a page image: its figures need the arithmetic's check

    def vrule_between(self, x0: float, x1: float, top: float, bottom: float) -> bool:
        """Whether a vertical rule crosses the band top..bottom strictly between x0 and x1."""
        return any(x0 + 0.5 < r.at < x1 - 0.5 and r.a <= top + 1 and r.b >= bottom - 1
                   for r in self.vrules)

    def hrule_between(self, y0: float, y1: float, x0: float, x1: float) -> bool:
        """Whether a horizontal rule lies between y0 and y1 under the span x0..x1."""
        return any(y0 - 0.5 <= r.at <= y1 + 0.5 and r.a <= x0 + 2 and r.b >= x1 - 2
                   for r in self.hrules)

    def span(self, cell: Cell) -> tuple[float, float]:
        """The cell's box between the nearest vertical rules either side, or its own extent."""
        left = [r.at for r in self.vrules if r.at <= cell.x0 + 1 and r.a <= cell.top + 1
                and r.b >= cell.bottom - 1]
        right = [r.at for r in self.vrules if r.at >= cell.x1 - 1 and r.a <= cell.top + 1
                 and r.b >= cell.bottom - 1]
        return (max(left) if left else cell.x0, min(right) if right else cell.x1)


def page_geometry(page: Any) -> Geometry:
    """Lines of cells of a pdfplumber page, top to bottom, and its ruling lines."""
    vrules, hrules = _rules(page)
    words = page.extract_words(x_tolerance=1.5, y_tolerance=2, keep_blank_chars=False,
                               use_text_flow=False)
    return words_geometry(words, float(page.width), merge_rules(vrules), merge_rules(hrules))


def words_geometry(words: list[dict[str, Any]], width: float, vrules: list[Rule], hrules: list[Rule],
                   scanned: bool = False) -> Geometry:
    """Lines of cells from word boxes ({"text", "x0", "x1", "top", "bottom"}, in points) and
    ruling lines: a text layer's words or the words OCR read on a scan."""
    rows: list[list[dict[str, Any]]] = []
    for w in sorted(words, key=lambda w: (w["top"] + w["bottom"]) / 2):
        mid, h = (w["top"] + w["bottom"]) / 2, w["bottom"] - w["top"]
        if rows:
            last = rows[-1]
            lmid = sum((x["top"] + x["bottom"]) / 2 for x in last) / len(last)
            lh = max(x["bottom"] - x["top"] for x in last)
            if abs(mid - lmid) < 0.45 * max(h, lh):
                last.append(w)
                continue
        rows.append([w])
    geo = Geometry(width, (), tuple(vrules), tuple(hrules))
    lines = [_line(sorted(r, key=lambda w: w["x0"]), geo) for r in rows]
    return Geometry(width, tuple(lines), tuple(vrules), tuple(hrules), scanned)


def _line(words: list[dict[str, Any]], geo: Geometry) -> Line:
    cells: list[Cell] = []
    for w in words:
        cell = Cell(float(w["x0"]), float(w["x1"]), float(w["top"]), float(w["bottom"]), w["text"])
        if cells and _touch(cells[-1], cell, geo):
            prev = cells[-1]
            sep = " " if ASCII_END.search(prev.text) and ASCII_START.match(cell.text) else ""
            cells[-1] = Cell(prev.x0, cell.x1, min(prev.top, cell.top), max(prev.bottom, cell.bottom),
                             prev.text + sep + cell.text)
        else:
            cells.append(cell)
    cells = _inline_numbers(cells)
    return Line(min(c.top for c in cells), max(c.bottom for c in cells), tuple(cells))


def _inline_numbers(cells: list[Cell]) -> list[Cell]:
    """A short integer set between two words of text ("空调机（总预算 20 万以下）") is part of
    the text, not a figure column."""
    out: list[Cell] = []
    i = 0
    while i < len(cells):
        c = cells[i]
        if out and i + 1 < len(cells) and re.fullmatch(r"\d{1,2}", c.text) \
                and not out[-1].is_number and not cells[i + 1].is_number:
            a, b = out[-1], cells[i + 1]
            size = max(a.bottom - a.top, b.bottom - b.top)
            if c.x0 - a.x1 < 0.9 * size and b.x0 - c.x1 < 0.9 * size:
                out[-1] = Cell(a.x0, b.x1, min(a.top, b.top), max(a.bottom, b.bottom), f"{a.text}{c.text}{b.text}")
                i += 2
                continue
        out.append(c)
        i += 1
    return out


def _touch(a: Cell, b: Cell, geo: Geometry) -> bool:
    """Two words are one cell when close and not numbers (numbers stand alone in a table)."""
    if a.is_number or b.is_number:
        return False
    size = max(a.bottom - a.top, b.bottom - b.top)
    if b.x0 - a.x1 > 0.9 * size:
        return False
    return not geo.vrule_between(a.x1, b.x0, max(a.top, b.top), min(a.bottom, b.bottom))


def _rules(page: Any) -> tuple[list[Rule], list[Rule]]:
    vrules: list[Rule] = []
    hrules: list[Rule] = []
    for e in page.edges:
        x0, x1, top, bottom = float(e["x0"]), float(e["x1"]), float(e["top"]), float(e["bottom"])
        if e["orientation"] == "v" and bottom - top > 4:
            vrules.append(Rule(x0, top, bottom))
        elif e["orientation"] == "h" and x1 - x0 > 4:
            hrules.append(Rule(top, x0, x1))
    return vrules, hrules


def merge_rules(rules: list[Rule]) -> list[Rule]:
    """Join collinear pieces (tables drawn cell by cell) into whole rules."""
    out: list[Rule] = []
    for r in sorted(rules, key=lambda r: (round(r.at), r.a)):
        if out and abs(out[-1].at - r.at) < 1 and r.a <= out[-1].b + 2:
            last = out[-1]
            out[-1] = Rule(last.at, last.a, max(last.b, r.b))
        else:
            out.append(r)
    return out
