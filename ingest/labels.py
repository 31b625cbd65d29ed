"""Rows named by several text columns: a 政府采购 table prints 采购品目大类, 专项名称,
经济科目, 采购物品名称 and 采购组织形式 before its one figure, each in a column of its own,
and each wrapping within its column ("便携式计算机（20万以" … "下）").

A row's label cells are assigned to the header column whose ruled box holds them (the
nearest header otherwise), joined within a column, and carried down the table as its
levels are: an item under "省委办公厅承办的会议费 / 会议费" belongs to that project. A
row is named by the columns it prints itself; the columns that describe rather than
name it (采购组织形式) are its labels, with the ones it inherits.
"""

from __future__ import annotations

from dataclasses import replace

from ingest.hierarchy import row_name
from ingest.schemas import squash
from ingest.tables import RawRow

# the label columns of each table type, in order (a higher level first), with the words a
# header prints for each; DESCRIBE columns say how, not what
LABEL_COLUMNS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "政府采购表": (("采购品目大类", ("采购品目", "品目大类", "品目")),
              ("专项名称", ("项目名称", "专项")),
              ("经济科目", ("支出经济分类", "经济分类")),
              ("采购物品名称", ("物品名称", "采购项目", "采购目录", "采购品目名称")),
              ("采购组织形式", ("组织形式", "采购方式"))),
}
DESCRIBE = ("采购组织形式",)

Head = tuple[tuple[float, float, float, str], ...]  # (top, left, right, text) of the header's text cells
Column = tuple[str, float, float]  # (canonical name, left, right)


def label_columns(table_type: str, head: Head) -> list[Column]:
    """The header's label columns, left to right: cells stacked in one box are one name
    ("采购品目大" over "类")."""
    wanted = LABEL_COLUMNS.get(table_type)
    if not wanted or not head:
        return []
    boxes: list[list[tuple[float, float, float, str]]] = []
    for cell in sorted(head, key=lambda c: (c[1], c[0])):
        width = cell[2] - cell[1]
        box = next((b for b in boxes if min(b[0][2], cell[2]) - max(b[0][1], cell[1]) > 0.5 * width), None)
        if box is None:
            boxes.append([cell])
        else:
            box.append(cell)
    out: list[Column] = []
    for box in boxes:
        text = "".join(c[3] for c in sorted(box))
        name = next((n for n, words in wanted if _names(text, n, words)), None)
        if name is not None and name not in [c[0] for c in out]:
            out.append((name, min(c[1] for c in box), max(c[2] for c in box)))
    return sorted(out, key=lambda c: c[1])


def _names(text: str, name: str, words: tuple[str, ...]) -> bool:
    text = squash(text)
    return text == name or text in words or (len(text) >= 4 and (text in name or name in text))


Span = tuple[float, float, str]  # a label cell: (middle x, top, text)


def _column(columns: list[Column], mid: float) -> str:
    inside = [c for c in columns if c[1] - 1 <= mid <= c[2] + 1]
    return (inside[0] if inside else min(columns, key=lambda c: abs((c[1] + c[2]) / 2 - mid)))[0]


def split_label(columns: list[Column], spans: tuple[Span, ...]) -> dict[str, str]:
    """The row's own text per label column (in column order), its wrapped pieces joined."""
    out: dict[str, str] = {}
    for mid, _, text in spans:
        name = _column(columns, mid)
        out[name] = out.get(name, "") + text
    return {c[0]: out[c[0]] for c in columns if c[0] in out}


def regroup(columns: list[Column], rows: list[RawRow]) -> list[RawRow]:
    """A cell's text is set around its row's figures: a line printed below one row's
    figures whose column the next row continues below its own figures, and does not print
    on its figures' line, is the first line of the next row's cell ("便携式计算机（20万以"
    above "分散自行组织 12.00" and "下）")."""
    out = list(rows)
    for i in range(len(out) - 1):
        a, b = out[i], out[i + 1]
        if a.figure_top is None or b.figure_top is None:
            continue
        below_b = {_column(columns, m) for m, top, _ in b.spans if top > b.figure_top + 1}
        on_b = {_column(columns, m) for m, top, _ in b.spans if top <= b.figure_top + 1}
        moved = [s for s in a.spans if s[1] > a.figure_top + 1 and _column(columns, s[0]) in below_b - on_b]
        if moved:
            out[i] = replace(a, spans=tuple(s for s in a.spans if s not in moved))
            out[i + 1] = replace(b, spans=(*moved, *b.spans))
    return out


def carry_down(columns: list[Column], rows: list[dict[str, str]]) -> list[tuple[tuple[str, str], ...]]:
    """Each row's labels with the levels above it that it does not print: a column stays
    set until a row prints it or a column left of it."""
    order = [c[0] for c in columns]
    context: dict[str, str] = {}
    out = []
    for own in rows:
        if own:
            first = min(order.index(k) for k in own)
            context = {k: v for k, v in context.items() if order.index(k) < first}
            context.update(own)
        out.append(tuple((k, context[k]) for k in order if k in context))
    return out


def row_title(own: dict[str, str]) -> str:
    """The name a row is asked by: the naming columns it prints, " / "-joined, each without
    its numbering ("一、货物A" is 货物A)."""
    naming = [v for k, v in own.items() if k not in DESCRIBE] or list(own.values())
    return " / ".join(row_name(v) for v in naming)
