"""What holds what in a document: a share's whole when the question leaves it unsaid (the row's
own total column, the row above that holds more, its table's total), the whole of its spending,
items read from one table, and a row that contains another (by code, as a total, or as the rows
printed after it that add up to it)."""

from __future__ import annotations

from qa.value import Item
from qa.vocabulary import Entry, Vocabulary, clean


def whole_budget(voc: Vocabulary, measure: str | None, side: str = "支出") -> Item | None:
    """A document's total spending (or income): the total of its 支出总表 (收入总表)."""
    for e in voc.entries:
        if e.total and e.table_type == side + "总表":
            f = e.main(voc.doc.kind)
            return Item(side + "合计", voc.doc.doc_id, e.id, e.name, e.code, e.table, f.column, 1.0, "implied",
                        side + "合计")
    return None


def whole_of(item: Item, voc: Vocabulary) -> Item | None:
    """A share's whole when unsaid: the row's own total column (人员经费 of 基本支出), the row above
    by code, or its table's total."""
    if item.doc_id != voc.doc.doc_id:
        return None
    e = voc.entry(item.entry)
    main = e.main(voc.doc.kind)
    if main.column != item.column and e.total:
        return Item(e.name, item.doc_id, e.id, e.name, e.code, e.table, main.column, 1.0, "implied",
                    topic_of(voc, e) or e.name)
    total = voc.total_of(e.table)
    if main.column != item.column and total is not None and total.column(item.column) is not None:
        # "行政运行在基本支出中占多少": of the table's total in the column said
        return Item(item.column, item.doc_id, total.id, total.name, total.code, total.table, item.column, 1.0,
                    "implied", item.column)
    ups = [voc.entry(k) for k in reversed(e.parents)] + [voc.total_of(e.table)]
    mine = main.value
    # the row above that is more than this row (a 款 whose only 项 it is holds the same figure)
    up = next((u for u in ups if u is not None and u.id != e.id and u.main(voc.doc.kind).value != mine), None)
    if up is None:
        return None
    return Item(up.name, item.doc_id, up.id, up.name, up.code, up.table, up.main(voc.doc.kind).column, 1.0,
                "implied", topic_of(voc, up) or up.name)


def topic_of(voc: Vocabulary, e: Entry) -> str:
    return next((n.text for n in voc.names if n.entry == e.id and n.how in ("topic", "type")), "")


def aligned(items: tuple[Item, ...], voc: Vocabulary) -> tuple[Item, ...]:
    """The items of one calculation read from one table where they can be: an item printed in another
    item's table too is read there (公务员医疗补助 and 卫生健康支出 both from the 支出 table)."""
    if len(items) < 2:
        return items
    out = list(items)
    for k, item in enumerate(items):
        others = [i.table for j, i in enumerate(items) if j != k and i.doc_id == item.doc_id]
        if item.doc_id != voc.doc.doc_id or not others or item.table in others:
            continue
        name = clean(item.named)
        for n in voc.names:
            e = voc.entry(n.entry)
            if n.text == name and e.table in others and not e.prose:
                column = n.column or (item.column if e.column(item.column) else e.main(voc.doc.kind).column)
                out[k] = Item(item.said, item.doc_id, e.id, e.name, e.code, e.table, column, item.score, item.how,
                              item.name)
                break
    return tuple(out)


def is_below(a: Item, b: Item, voc: Vocabulary) -> bool:
    """Whether row `a` is printed under row `b` (by code, in one table of this document)."""
    if a.doc_id != voc.doc.doc_id or b.doc_id != a.doc_id or a.table != b.table:
        return False
    ea, eb = voc.entry(a.entry), voc.entry(b.entry)
    return bool(ea.code and eb.code and ea.code.startswith(eb.code) and ea.code != eb.code)


def part_of_other(items: tuple[Item, ...], voc: Vocabulary) -> str:
    """"A已包含B" when one item of a sum is a part of another (三公经费 and its 公务接待费)."""
    for a in items:
        for b in items:
            if a is b or a.doc_id != b.doc_id or a.doc_id != voc.doc.doc_id:
                continue
            if voc.holds(voc.entry(a.entry), voc.entry(b.entry)):
                return f"{a.named}已包含{b.named}"
    return ""
