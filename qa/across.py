"""One item in many documents, ranked: each document's figure with its source, the first TOP (or
as many as asked) in the text, every document in the reply's table. Over many documents the
row a few of them ground the item to (printed name, table type, column) is read for every
document at once through the store's row index, so a ranking over a thousand documents reads
one row each."""

from __future__ import annotations

from collections import Counter

from ingest.model import MONEY_UNITS, Document, Fact
from qa import calc
from qa.calc import Operand
from qa.library import Library, Result, fact_of, label
from qa.reply import Listing
from qa.value import Interpretation

TOP = 10  # entries a ranking states in its text; the reply's table holds them all
MAX_LISTED = 50


def rank_documents(interp: Interpretation, lib: Library) -> Result:
    docs = [lib.documents[d] for d in interp.docs]
    found = _found(interp, lib, docs)
    if not found:
        return Result("problem", interp, problem="none_disclose", detail=interp.said)
    low = interp.direction == "less"
    found.sort(key=lambda x: (_yuan(x[1]), x[0].unit), reverse=not low)
    top = max(1, min(interp.top or TOP, MAX_LISTED))
    shown = found[:top]
    lines = "；".join(f"{i}. {d.unit}（{d.year}年{d.kind}）{_amount(f, found)}" for i, (d, f) in enumerate(shown, 1))
    missing = [d.unit for d in docs if d not in {x[0] for x in found}]
    absent = "没有披露这一项" if len(docs) <= PER_DOCUMENT else "中没有找到同名的一项"
    note = (f"（{'、'.join(missing)}的文件{absent}）" if len(missing) <= 5 else
            f"（另有 {len(missing)} 份文件{absent}）") if missing else ""
    facts = tuple((f"{d.unit}{label(f)}", f) for d, f in shown)
    table = _listing(found) if len(found) > top else None
    if len(found) == 1:
        return Result("figures", interp, facts, lead=f"「{interp.said}」：{lines}。{note}")
    (d1, f1), (d2, f2) = found[0], found[1]
    a = Operand(f"{d1.unit}{label(f1)}", f1.value, f1.unit, f1)
    b = Operand(f"{d2.unit}{label(f2)}", f2.value, f2.unit, f2)
    unit = "万元" if {f1.unit, f2.unit} <= set(MONEY_UNITS) else f1.unit
    c = calc.difference(a, b, unit) if not low else calc.difference(b, a, unit)
    order = "从少到多" if low else "从多到少"
    head = f"「{interp.said}」{order}" if len(found) <= top else \
        f"比较了 {len(found)} 份文件的「{interp.said}」，{order}前 {top} 名"
    rest = f"全部 {len(found)} 份见表格。" if len(found) > top else ""
    word = "最少" if low else "最多"
    lead = (f"{head}：{lines}。{note}{d1.unit}{word}，"
            f"与{d2.unit}相差{calc.format_amount(abs(c.result), c.unit)}（{c.expression}）。{rest}")
    return Result("listing", interp, facts, c, listing=table, lead=lead)


PER_DOCUMENT = 20  # up to this many documents are each grounded from their own reading


def _found(interp: Interpretation, lib: Library, docs: list[Document]) -> list[tuple[Document, Fact]]:
    by_doc = {i.doc_id: i for i in interp.items}
    if len(docs) <= PER_DOCUMENT or not by_doc:
        return [(d, f) for d in _latest(docs, interp) if d.doc_id in by_doc
                and (f := fact_of(by_doc[d.doc_id], lib)).unit in MONEY_UNITS]
    keys = {(f.table_type, f.row, f.column, f.code) for f in (fact_of(i, lib) for i in interp.items)
            if f.table != "正文"}
    wanted = {d.doc_id: d for d in _latest(docs, interp)}
    best: dict[str, Fact] = {}
    for f in lib.rows(sorted({k[1] for k in keys}), list(wanted)):
        k = (f.table_type, f.row, f.column, f.code)
        if k in keys and (f.doc_id not in best or (f.page or 0) < (best[f.doc_id].page or 0)):
            best[f.doc_id] = f
    for i in interp.items:  # a document grounded whole keeps its own reading
        if i.doc_id in wanted:
            best[i.doc_id] = fact_of(i, lib)
    return [(wanted[i], f) for i, f in best.items() if f.unit in MONEY_UNITS]


def _latest(docs: list[Document], interp: Interpretation) -> list[Document]:
    """Units compared without a year: each unit's latest document (of the kind most are)."""
    if interp.measure == "all-years":
        return docs
    kinds = Counter(d.kind for d in docs)
    best: dict[str, Document] = {}
    for d in docs:
        old = best.get(d.unit)
        if old is None or ((d.year or 0), kinds[d.kind]) > ((old.year or 0), kinds[old.kind]):
            best[d.unit] = d
    return [d for d in docs if best[d.unit] is d]


def _yuan(f: Fact):  # type: ignore[no-untyped-def]
    return calc.convert(f.value, f.unit, "元")


def _amount(f: Fact, found: list[tuple[Document, Fact]]) -> str:
    """A figure in its document's unit, and also in the unit most of the others use."""
    common = Counter(g.unit for _, g in found).most_common(1)[0][0]
    shown = calc.format_amount(f.value, f.unit)
    if f.unit == common or common not in MONEY_UNITS:
        return shown
    return f"{shown}（即{calc.convert(f.value, f.unit, common).normalize():f}{common}）"


def _listing(found: list[tuple[Document, Fact]]) -> Listing:
    rows = tuple((str(i), d.unit, str(d.year or ""), d.kind, f"{f.value:.2f}", f.unit, label(f), f.table,
                  str(f.page or "")) for i, (d, f) in enumerate(found, start=1))
    return Listing(("名次", "单位", "年度", "类别", "金额", "单位（金额）", "项目", "来源表", "页码"), rows)

