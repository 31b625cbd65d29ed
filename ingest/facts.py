"""Raw table rows → typed facts, with the audit of each table's own arithmetic."""

from __future__ import annotations

import re
from decimal import Decimal

from ingest.model import Fact, Finding, Table
from ingest.schemas import Column, detect_columns, squash
from ingest.solve import solve
from ingest.tables import RawRow, RawTable

ORDINAL = re.compile(
    r"^(其中[:：]|[一二三四五六七八九十]+[、.．]|\d+[、.．](?!\d)|[（(][一二三四五六七八九十\d]+[)）])+"
)
TOTAL_LABELS = ("合计", "总计", "收入总计", "支出总计", "收支总计")


def row_name(label: str) -> str:
    """The name a row is asked by: without "其中：", "一、", "1." or "（小计）"."""
    name = ORDINAL.sub("", squash(label))
    return re.sub(r"[（(]小计[)）]$", "", name) or squash(label)


def fund_key(name: str) -> str:
    """A column or income line reduced to its fund source, to match one with the other."""
    key = re.sub(r"[（(][^）)]*[)）]", "", row_name(name))
    for word in ("核拨", "拨款", "预算", "安排的", "安排", "收入", "结转", "结余", "资金来源"):
        key = key.replace(word, "")
    return key.replace("的", "")


def zero_funds(tables: list[RawTable]) -> frozenset[str]:
    """Fund sources the document shows as nil: a blank income line, an empty fund table."""
    blank: set[str] = set()
    used: set[str] = set()
    for t in tables:
        tt = t.table_type
        if tt is None:
            continue
        if t.empty and tt.name in ("政府性基金预算支出表", "国有资本经营预算支出表"):
            blank.add(fund_key(tt.name.replace("支出表", "")))
        if tt.two_sided:
            for r in t.rows:
                if r.side == "收入":
                    (used if r.amounts and any(r.amounts) else blank).add(fund_key(r.label))
    return frozenset(k for k in blank - used if k)


def _zero_columns(columns: tuple[Column, ...], zero: frozenset[str]) -> frozenset[str]:
    out = set()
    for c in columns:
        key = fund_key(c.name)
        if key and (key in zero or any(z in key and len(z) >= 3 for z in zero)):
            out.add(c.name)
    return frozenset(out)


def _groups(rows: list[RawRow], tt_row_sums: tuple[tuple[str, tuple[str, ...]], ...]
            ) -> list[tuple[int, list[int]]]:
    """Which rows add up to which: 类 = Σ款, 款 = Σ项, 合计 = Σ top rows; named item sums."""
    groups: list[tuple[int, list[int]]] = []
    codes = {r.code: i for i, r in enumerate(rows) if r.code}
    children: dict[int, list[int]] = {}
    top: list[int] = []
    total = next((i for i, r in enumerate(rows) if row_name(r.label) in TOTAL_LABELS), None)
    names = {row_name(r.label): i for i, r in enumerate(rows)}
    for i, r in enumerate(rows):
        if i == total:
            continue
        parent = None
        if r.code:
            for cut in (5, 3):
                if len(r.code) > cut and r.code[:cut] in codes and codes[r.code[:cut]] != i:
                    parent = codes[r.code[:cut]]
                    break
        if parent is not None:
            children.setdefault(parent, []).append(i)
        else:
            top.append(i)
    groups.extend((p, c) for p, c in children.items())
    named = [(names[a], [names[b] for b in bs if b in names]) for a, bs in tt_row_sums if a in names]
    groups.extend((p, c) for p, c in named if c)
    if total is not None and not named and top:
        groups.append((total, top))
    return groups


def table_facts(doc_id: str, raw: RawTable, zero: frozenset[str],
                code_names: dict[str, str]) -> tuple[Table, list[Fact], list[Finding]]:
    tt = raw.table_type
    assert tt is not None
    label = f"{raw.number} {raw.title}"
    findings: list[Finding] = []
    facts: list[Fact] = []
    sides = [("收入", tt.left_columns), ("支出", tt.columns)] if tt.two_sided else [("", tt.columns)]
    all_columns: list[str] = []
    for side, schema_cols in sides:
        rows = [r for r in raw.rows if r.side == side] if tt.two_sided else raw.rows
        header = raw.header if not tt.two_sided or side == "支出" else ""
        columns = detect_columns(tt, header, schema_cols) if header else schema_cols
        all_columns += [c.name for c in columns if c.name not in all_columns]
        groups = [] if tt.two_sided else _groups(rows, tt.row_sums)
        if tt.two_sided:
            coded = [i for i, r in enumerate(rows) if r.code]
            tot = [i for i, r in enumerate(rows) if row_name(r.label) in TOTAL_LABELS]
            if tot and coded:
                groups = [(tot[0], coded)]
        sol = solve([r.amounts for r in rows], columns, groups, _zero_columns(columns, zero))
        unsure = sorted({c for u in sol.uncertain for c in u},
                        key=[c.name for c in columns].index)
        if unsure:
            n = sum(1 for u in sol.uncertain if u)
            findings.append(Finding(doc_id, "parse", False,
                                    f"{label}: {n} 行的 {'、'.join(unsure)} 列无法由表内勾稽关系确定"
                                    "（文本丢失了空白单元格），这些单元格未入库", raw.page, label))
        for i, r in enumerate(rows):
            name = _project_name(r, code_names) if r.code else row_name(r.label)
            if i in sol.unsatisfied:
                findings.append(Finding(doc_id, "parse", False,
                                        f"{label}「{name}」的数字 {_fmt(r.amounts)} 与表内合计关系不符，未入库",
                                        r.page, label))
                continue
            values = sol.values[i]
            if not r.amounts and not raw.empty:
                values = {columns[0].name: Decimal(0)}
            for col, value in values.items():
                if value == 0 and (r.amounts or col != columns[0].name):
                    continue
                facts.append(Fact(doc_id, label, r.code, name, col, value, raw.unit, r.page,
                                  r.quote, tt.name))
        for parent, _kids in sol.inconsistent_groups:
            findings.append(Finding(doc_id, "totals", False,
                                    f"{label}「{row_name(rows[parent].label)}」不等于其下各行之和",
                                    rows[parent].page, label))
        checked = len(groups) - len(sol.inconsistent_groups)
        if checked and not sol.inconsistent_groups:
            findings.append(Finding(doc_id, "totals", True,
                                    f"{label}{side}: {checked} 组合计与明细相符", raw.page, label))
    table = Table(doc_id, raw.number, raw.title, raw.unit, raw.page, tuple(all_columns), tt.name,
                  raw.empty)
    if raw.empty:
        findings.append(Finding(doc_id, "parse", True, f"{label} 为空表", raw.page, label))
    return table, facts, findings


def code_names(tables: list[RawTable]) -> dict[str, str]:
    """Subject code → its name, from rows whose label is only the name (for the project table)."""
    names: dict[str, str] = {}
    for t in tables:
        if t.table_type and t.table_type.name == "项目支出表":
            continue
        for r in t.rows:
            if r.code and r.label and (r.code not in names or len(r.label) < len(names[r.code])):
                names[r.code] = row_name(r.label)
    return names


def _project_name(r: RawRow, names: dict[str, str]) -> str:
    """A project row prints the subject's name, then the project's: keep the project's."""
    label = row_name(r.label)
    subject = names.get(r.code or "", "")
    if subject and label.startswith(subject) and len(label) > len(subject) + 2:
        return label[len(subject):]
    return label


def _fmt(values: list[Decimal]) -> str:
    return " ".join(str(v) for v in values)
