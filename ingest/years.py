"""The years a document speaks of: its own year where it describes itself, the year
before where it compares, and — when the unit's previous document is loaded — the
changes it states against what that document printed.

A 2019 budget that says "纳入本部门 2018 年部门汇总预算编制范围" describes itself with
last year's words; "比 2026 年预算增加" in a 2026 budget compares with itself. A change
"与上年相比增加 392.92 万元" of an item whose previous document prints 382.92 万元 less
than this year's figure by 10 万元 more does not follow from the two documents.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ingest.audit import same_amount
from ingest.crosscheck import cite
from ingest.hierarchy import row_name
from ingest.model import MONEY_UNITS as MONEY
from ingest.model import Document, Fact, Finding, places_of
from ingest.names import unit_key
from ingest.rates import Precision, in_yuan

if TYPE_CHECKING:
    from ingest.store import Store

CHANGES = ("比上年增加", "比上年减少")
AGAINST_YEAR = re.compile(r"(?:与|同)(20\d\d)年度?(?:相比|同期)"
                          r"|(?:比|较)(20\d\d)年度?[^，。；]{0,6}?(?:增加|减少|增长|下降|持平)")
# a sentence that describes the document itself, naming the year it is for
OWN_YEAR = re.compile(r"纳入[^，。；]{0,8}?(20\d\d)年度?[^，。；]{0,10}?(?:预算|决算)[^，。；]{0,6}?编制范围"
                      r"|(20\d\d)年度?(?:本部门|本单位)?(?:部门|单位)(?:汇总)?(?:预算|决算)(?:包括|编制范围)")
# a change against something other than last year's budget or accounts
NOT_LAST_YEARS = re.compile(r"执行数|调整")


def findings_of(store: Store, doc_id: str | None) -> list[Finding]:
    """A document's audit (every document's, without one): what was found at ingest, and
    the changes it states checked against the unit's previous document of the same kind,
    when that is loaded."""
    if doc_id is None:
        return [f for d in store.documents() for f in findings_of(store, d.doc_id)]
    stored = store.findings(doc_id)
    doc = store.document(doc_id)
    if doc is None or doc.year is None:
        return stored
    previous = previous_document(store.documents(), doc)
    if previous is None:
        return stored
    return stored + across_years(doc, store.facts(doc_id), previous, store.facts(previous.doc_id))


def previous_document(docs: list[Document], doc: Document) -> Document | None:
    """The same unit's document of the same kind (and scope) for the year before."""
    if doc.year is None:
        return None
    scope = _scope(doc)
    same = [d for d in docs if d.year == doc.year - 1 and d.kind == doc.kind and unit_key(d.unit) == unit_key(doc.unit)]
    return next((d for d in same if _scope(d) == scope), same[0] if same else None)


def _scope(doc: Document) -> str:
    return "单位" if "单位预算" in doc.title or "单位决算" in doc.title else "部门"


def prose_years(doc_id: str, prose: list[Fact], year: int | None) -> list[Finding]:
    """A change stated against a year other than the one before, and a description of the
    document itself with a year that is not its own."""
    if year is None:
        return []
    out: list[Finding] = []
    seen: set[str] = set()
    for f in prose:
        if f.quote in seen:
            continue
        text = re.sub(r"\s+", "", f.quote)
        m = AGAINST_YEAR.search(text) if f.column in CHANGES + ("增长率", "下降率") else None
        if m is not None and int(m.group(1) or m.group(2)) != year - 1:
            base = int(m.group(1) or m.group(2))
            seen.add(f.quote)
            out.append(Finding(
                doc_id, "prose", False,
                f"正文「{f.row}」的增减以 {base} 年为基数（{cite(f, m.group(0))}），而本文件是 {year} 年的，"
                f"上年应为 {year - 1} 年", f.page, "正文", places_of(f), f"{base} ≠ {year} − 1"))
            continue
        own = OWN_YEAR.search(text)
        if own is not None and int(own.group(1) or own.group(2)) != year:
            said = int(own.group(1) or own.group(2))
            seen.add(f.quote)
            out.append(Finding(
                doc_id, "prose", False,
                f"正文说明本文件的范围时写 {said} 年（{cite(f, own.group(0))}），而本文件是 {year} 年的",
                f.page, "正文", places_of(f), f"{said} ≠ {year}"))
    return out


def across_years(doc: Document, facts: list[Fact], previous: Document, before: list[Fact]) -> list[Finding]:
    """Each stated change of an item against the previous document's figure for it: this
    year's figure is found in this document's tables, the same table type, column and code
    (or row) in the previous one gives last year's."""
    tables = [f for f in facts if f.table != "正文"]
    prose = [f for f in facts if f.table == "正文"]
    precision = Precision.of(facts + before)
    out: list[Finding] = []
    for i, change in enumerate(prose):
        if change.column not in CHANGES or NOT_LAST_YEARS.search(change.quote) or not change.value:
            continue
        amount = next((f for f in reversed(prose[:i + 1]) if f.row == change.row and f.column == "金额"
                       and f.section == change.section and f.unit == change.unit), None)
        if amount is None:
            continue
        said_as = {row_name(amount.row), row_name(amount.row) + "支出"}  # "住房保障（类）" is 住房保障支出
        now = next((t for t in tables if row_name(t.row) in said_as and same_amount(t, amount, precision)), None)
        last = _same_item(now, before) if now is not None else None
        if now is None or last is None:
            continue
        now_yuan, last_yuan, said = in_yuan(now), in_yuan(last), in_yuan(change)
        assert now_yuan is not None and last_yuan is not None and said is not None
        diff = now_yuan - last_yuan
        slack = sum(precision.half(f) * MONEY[f.unit] for f in (now, last, change))
        if abs(abs(diff) - said) <= slack and (diff >= 0) == (change.column == "比上年增加"):
            continue
        stated = f"{change.column[3:]} {change.value}{change.unit}"
        gap = f"{(diff / MONEY[change.unit]).normalize():f}{change.unit}"
        out.append(Finding(
            doc.doc_id, "years", False,
            f"正文写「{change.row}」{stated}（{cite(change, str(change.value))}），而本年 {now.table}「{now.row}」"
            f"{now.column} 为 {now.value}{now.unit}（第{now.page}页），上年文件《{previous.title}》{last.table}"
            f"「{last.row}」为 {last.value}{last.unit}（第{last.page}页），两年相差 {gap}",
            change.page, "正文", places_of(change, now, last),
            f"{now.value}{now.unit} − {last.value}{last.unit} = {gap}，写作{stated}"))
    return out


def _same_item(now: Fact, before: list[Fact]) -> Fact | None:
    same = [f for f in before if f.table_type == now.table_type and f.column == now.column and f.unit == now.unit]
    if now.code:
        return next((f for f in same if f.code == now.code), None)
    return next((f for f in same if row_name(f.row) == row_name(now.row)), None)
