"""A table's own arithmetic: each group's total against its rows, each row's total column
against its part columns.

A part rounded to its last printed digit is off by half a unit at most, so a gap no
larger than that per part may be rounding; but a table whose figures were entered at
the precision they are printed adds up exactly. Whether a document rounds is read from
the document: gaps of rounding size in two or more places are its rounding (a 万元
table converted from 元); one such gap where everything else adds up is a slip.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from ingest.hierarchy import TOTAL_LABELS, row_name, sum_groups
from ingest.model import Finding, Place
from ingest.schemas import Column
from ingest.tables import RawRow

ROUNDING = "rounding"  # a gap of rounding size, judged by judge_rounding before anything is stored


def column_sums(doc_id: str, label: str, rows: list[RawRow], values: list[dict[str, Decimal]],
                schema: tuple[Column, ...], unit: str) -> list[Finding]:
    """Within each row, a total column against its parts (合计 = 基本支出 + 项目支出,
    基本支出合计 = 人员经费 + 公用经费), where the table prints the total and every part."""
    printed = {c for v in values for c in v}
    if printed - {c.name for c in schema}:
        return []  # a column the template lacks (单位预留机动经费) may be a part too
    findings: list[Finding] = []
    slack = _slack(unit, values)
    for col in schema:
        if col.name not in printed or not col.parts or not set(col.parts) <= printed:
            continue
        for r, v in zip(rows, values, strict=True):
            if col.name not in v or not any(p in v for p in col.parts):
                continue
            parts = sum((v.get(p, Decimal(0)) for p in col.parts), Decimal(0))
            if parts == v[col.name]:
                continue
            name = row_name(r.label) or r.code or ""
            terms = " + ".join(str(v.get(p, Decimal(0))) for p in col.parts)
            findings.append(Finding(
                doc_id, ROUNDING if abs(parts - v[col.name]) <= slack * len(col.parts) else "totals", False,
                f"{label}「{name}」{col.name} {v[col.name]}{unit} 不等于 {'+'.join(col.parts)} 之和 {parts}{unit}"
                f"（第{r.page}页）。原文：{r.quote[:60]}", r.page, label, (_place(label, r),),
                f"{terms} = {parts}{unit}，印作 {v[col.name]}{unit}"))
    return findings


def placed_totals(doc_id: str, label: str, rows: list[RawRow], values: list[dict[str, Decimal]],
                  row_sums: tuple[tuple[str, tuple[str, ...]], ...], page: int, side: str,
                  unit: str) -> list[Finding]:
    """Each group's parent against the sum of its children, column by column.

    Only structures that are certain are checked: 类/款/项 codes, the total over the top
    codes when every other row has a code, and the template's named item sums.
    """
    findings: list[Finding] = []
    groups = certain_groups(rows, values, row_sums)
    slack = _slack(unit, values)
    for parent, kids in groups:
        cols = set(values[parent]) | {c for k in kids for c in values[k]}
        for col in sorted(cols):
            total = sum((values[k].get(col, Decimal(0)) for k in kids), Decimal(0))
            have = values[parent].get(col, Decimal(0))
            if total == have:
                continue
            terms = " + ".join(str(values[k][col]) for k in kids if values[k].get(col))
            findings.append(Finding(
                doc_id, ROUNDING if abs(total - have) <= slack * len(kids) else "totals", False,
                f"{label}「{row_name(rows[parent].label) or rows[parent].code}」{col} "
                f"{have}{unit} 不等于其下各行之和 {total}{unit}（第{rows[parent].page}页）",
                rows[parent].page, label,
                (_place(label, rows[parent]), *(_place(label, rows[k]) for k in kids if values[k].get(col))),
                f"{terms} = {total}{unit}，印作 {have}{unit}"))
    if groups and not findings:
        findings.append(Finding(doc_id, "totals", True, f"{label}{side}: {len(groups)} 组合计与明细相符",
                                page, label))
    return findings


def certain_groups(rows: list[RawRow], values: list[dict[str, Decimal]],
                   row_sums: tuple[tuple[str, tuple[str, ...]], ...]) -> list[tuple[int, list[int]]]:
    """The row sums that are certain: 类/款/项 codes, the total over the top codes when every
    other row has a code, and the template's named item sums."""
    coded = all(r.code for r, v in zip(rows, values, strict=True) if v and row_name(r.label) not in TOTAL_LABELS)
    return [(p, kids) for p, kids in sum_groups(rows, row_sums)
            if rows[p].code or (coded and any(rows[k].code for k in kids))
            or row_name(rows[p].label) in dict(row_sums)]


def column_parts(values: list[dict[str, Decimal]], schema: tuple[Column, ...]) -> dict[str, tuple[str, ...]]:
    """Total columns and their part columns, where the table prints the total and every part and
    no column the template lacks (单位预留机动经费 may be a part too)."""
    printed = {c for v in values for c in v}
    if printed - {c.name for c in schema}:
        return {}
    return {c.name: c.parts for c in schema if c.name in printed and c.parts and set(c.parts) <= printed}


def slack(unit: str, values: list[dict[str, Decimal]]) -> Decimal:
    return _slack(unit, values)


def judge_rounding(findings: list[Finding]) -> list[Finding]:
    """The gaps of rounding size of one file: its rounding when two or more totals show one
    (a note per table), a slip when only one does."""
    gaps = [f for f in findings if f.check == ROUNDING]
    rest = [f for f in findings if f.check != ROUNDING]
    if len({(f.table, f.places[0]) for f in gaps}) < 2:
        return rest + [replace(f, check="totals", message=f.message + "：全文其余合计均与明细相符，非四舍五入所致")
                       for f in gaps]
    by_table: dict[str | None, list[Finding]] = {}
    for f in gaps:
        by_table.setdefault(f.table, []).append(f)
    return rest + [Finding(f[0].doc_id, "totals", True, f"{table}: {len(f)} 处合计与明细相差在四舍五入范围内"
                           "（本文件多处如此：数字分别四舍五入所致）", f[0].page, table, tuple(x.places[0] for x in f),
                           "；".join(x.computation for x in f))
                   for table, f in by_table.items()]


def _place(label: str, r: RawRow) -> Place:
    return Place(r.page, label, r.quote)


def _slack(unit: str, values: list[dict[str, Decimal]]) -> Decimal:
    """Half the last printed digit: what rounding a part can move it."""
    if unit in ("万元", "亿元"):
        return Decimal("0.005")
    whole = all(v == v.to_integral_value() for row in values for v in row.values())
    return Decimal("0.5") if unit == "元" and whole else Decimal(0)
