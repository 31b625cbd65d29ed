"""The audit (勾稽) across a document: the same figure in two tables, prose against tables.

Each table's own sums are checked where its facts are made (ingest.facts); here a
finding is raised only where two statements of one figure disagree.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from ingest.hierarchy import TOTAL_LABELS, row_name
from ingest.model import MONEY_UNITS as MONEY
from ingest.model import Fact, Finding, places_of
from ingest.rates import Precision, decimals, in_yuan, rounded

# (table type, column) pairs that state the same figure for the same subject (its code, or
# its name where one table prints no codes)
SAME_FIGURE = (
    (("收入总表", "总计"), ("支出总表", "合计")),
    (("收支总表", "预算数"), ("支出总表", "合计")),
    (("一般公共预算支出表", "合计"), ("财政拨款收支总表", "一般公共预算")),
    (("支出总表", "基本支出"), ("一般公共预算基本支出表", "合计")),
)
SAME_ROW = ((("三公经费表", "合计"), ("一般公共预算基本支出表", "合计")),)


def audit_document(doc_id: str, facts: list[Fact]) -> list[Finding]:
    return _cross_table(doc_id, facts) + _prose_against_tables(doc_id, facts)


def same_amount(a: Fact, b: Fact, precision: Precision) -> bool:
    """One figure printed twice: equal once the finer is rounded as the coarser unit prints
    (2,366,350 元 and 236.64 万元 are one figure)."""
    ya, yb = in_yuan(a), in_yuan(b)
    if ya is None or yb is None:
        return False
    if a.unit == b.unit:
        return ya == yb
    coarse, fine = (a, b) if MONEY[a.unit] > MONEY[b.unit] else (b, a)
    places = max(precision.places.get(coarse.unit, 2), decimals(coarse.value))
    fine_yuan = in_yuan(fine)
    assert fine_yuan is not None
    return rounded(fine_yuan / MONEY[coarse.unit], places) == coarse.value


def _index(facts: list[Fact]) -> dict[tuple[str, str], dict[str, Fact]]:
    """(table type, column) → the figures by code ("code:20101"), by row name, and by the
    name of a row without a code or of a 类 ("class:…", what a table without codes prints)."""
    index: dict[tuple[str, str], dict[str, Fact]] = defaultdict(dict)
    for f in facts:
        if f.table == "正文":
            continue
        figures = index[(f.table_type, f.column)]
        if f.code:
            figures.setdefault("code:" + f.code, f)
        figures.setdefault("row:" + row_name(f.row), f)
        if not f.code or len(f.code) == 3:  # a table without codes names its 类 rows
            figures.setdefault("class:" + row_name(f.row), f)
    return index


def _cross_table(doc_id: str, facts: list[Fact]) -> list[Finding]:
    index = _index(facts)
    precision = Precision.of(facts)
    findings: list[Finding] = []
    agreed = 0
    pairs = [(a, b, False) for a, b in SAME_FIGURE] + [(a, b, True) for a, b in SAME_ROW]
    for a, b, by_row in pairs:
        left, right = index.get(a, {}), index.get(b, {})
        coded = any(k.startswith("code:") for k in right) and any(k.startswith("code:") for k in left)
        for key, fa in left.items():
            if by_row and (not key.startswith("row:") or key == "row:合计" or fa.code):
                continue
            if not by_row and (key.startswith("row:") or key.startswith("class:") and coded
                               and key[6:] not in TOTAL_LABELS):
                continue  # both tables print codes: compared by code
            fb = right.get(key)
            if fb is None or (key.startswith("class:") and fa.code and fb.code):
                continue
            if same_amount(fa, fb, precision):
                agreed += 1
                continue
            ya, yb = in_yuan(fa), in_yuan(fb)
            # the 三公 table covers all 一般公共预算 funds, the 基本支出 table its basic part only:
            # more in the former is a difference of scope (a note), less is a contradiction
            scope = by_row and ya is not None and yb is not None and ya > yb
            findings.append(Finding(
                doc_id, "cross_table", scope,
                f"{fa.table}「{fa.row}」{fa.column} {fa.value}{fa.unit}（第{fa.page}页）与 "
                f"{fb.table}「{fb.row}」{fb.column} {fb.value}{fb.unit}（第{fb.page}页）"
                + ("口径不同：前者含项目支出，后者仅基本支出" if scope else "不一致"),
                fa.page, fa.table, places_of(fa, fb),
                f"{fa.value}{fa.unit} ≠ {fb.value}{fb.unit}" if not scope else ""))
    if agreed:
        findings.append(Finding(doc_id, "cross_table", True, f"{agreed} 个跨表数字一致"))
    return findings


def _prose_against_tables(doc_id: str, facts: list[Fact]) -> list[Finding]:
    """A prose figure one cent off a table figure, and equal to none, is a slip of the pen."""
    table_values: dict[Decimal, list[Fact]] = defaultdict(list)
    for f in facts:
        y = in_yuan(f)
        if f.table != "正文" and y is not None:
            table_values[y].append(f)
    findings: list[Finding] = []
    agreed = 0
    for f in facts:
        y = in_yuan(f)
        if f.table != "正文" or y is None or f.column != "金额" or f.value == 0:
            continue
        if y in table_values:
            agreed += 1
            continue
        cent = MONEY[f.unit] / 100
        near = table_values.get(y + cent) or table_values.get(y - cent)
        if near and f.value >= 10:
            t = near[0]
            findings.append(Finding(
                doc_id, "prose", False,
                f"正文（第{f.page}页）「{f.row}」写作 {f.value}{f.unit}，而 {t.table}「{t.row}」"
                f"{t.column} 为 {t.value}{t.unit}（第{t.page}页）：相差 0.01，疑为笔误。"
                f"原文：{f.quote[:80]}", f.page, "正文", places_of(f, t),
                f"正文 {f.value}{f.unit}，表中 {t.value}{t.unit}，相差 0.01{f.unit}"))
    if agreed:
        findings.append(Finding(doc_id, "prose", True, f"正文中 {agreed} 个金额与表格一致"))
    return findings
