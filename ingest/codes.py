"""Misprinted 类/款/项 codes repaired from the hierarchy, when the arithmetic agrees.

A subject code is 3 digits (类), 5 (款) or 7 (项), each the prefix of the next. A 类
printed as one or two digits ("2 社会保障和就业支出") would be read as a new subject
and break every total above and below it. When the rows under it all share one 类
prefix, that prefix is not printed elsewhere, starts or ends with the misprint, and
the row's amount is the sum of its 款, the code is read as that prefix and the repair
is reported as a code finding — never as a totals problem.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

from ingest.model import Finding, Place
from ingest.tables import RawRow, RawTable

STUB = re.compile(r"^(\d{1,2})(?=[\u4e00-\u9fff])")


def repair_codes(doc_id: str, raw: RawTable) -> list[Finding]:
    """Repair misfit 类 and 款 codes in place; one finding per repair."""
    rows = raw.rows
    if sum(1 for r in rows if r.code and len(r.code) in (3, 5, 7)) < 2:
        return []
    label = f"{raw.number} {raw.title}".strip()
    findings = []
    for i, r in enumerate(rows):
        printed = _misfit(r)
        if printed is None:
            continue
        fixed = _from_children(rows, i, printed, raw.unit)
        if fixed is None:
            continue
        name = STUB.sub("", r.label) if r.code is None else r.label
        rows[i] = replace(r, code=fixed, label=name)
        findings.append(Finding(
            doc_id, "code", False,
            f"{label}（第{r.page}页）「{name}」的科目编码印作“{printed}”，其下各款均属 {fixed} 类且金额相符，"
            f"按 {fixed} 读取（编码印误，不影响合计）。原文：{r.quote[:60]}", r.page, label))
    findings += _stray_kuan(doc_id, raw, label)
    findings += _stray_xiang(doc_id, raw, label)
    return findings


def _stray_xiang(doc_id: str, raw: RawTable, label: str) -> list[Finding]:
    """A 项 printed with a wrong 类 ("7 11 02" beneath 210 11, read 71102): its 款 and 项
    digits continue the 款 above it, and with it that 款's 项 add up to the 款. Read as
    that 款's 项 (2101102), reported once here, so the totals are checked on the repaired
    tree and raise nothing."""
    rows = raw.rows
    codes = {r.code for r in rows if r.code}
    findings = []
    kuan: int | None = None
    for i, r in enumerate(rows):
        if r.code is None:
            continue
        if len(r.code) == 5 and r.code[:3] in codes:
            kuan = i
            continue
        if kuan is None or not 4 <= len(r.code) <= 7 or r.code[:3] in codes and r.code[:5] in codes:
            continue
        parent = rows[kuan]
        assert parent.code is not None
        fixed = parent.code + r.code[-2:]
        if r.code[-4:-2] != parent.code[3:5] or fixed in codes:
            continue
        xiang = [x for x in rows[kuan + 1:i + 1] if x.code and (len(x.code) == 7 and x.code.startswith(parent.code)
                                                                 or x is r)]
        if not _adds_up(parent, xiang, raw.unit):
            continue
        rows[i] = replace(r, code=fixed)
        codes.add(fixed)
        findings.append(Finding(
            doc_id, "code", False,
            f"{label}（第{r.page}页）「{r.label}」的科目编码印作“{r.code}”，其款、项位接续上方的 {parent.code} 款，"
            f"且与该款其余各项之和相符，按 {fixed} 读取（编码印误，不影响合计）。原文：{r.quote[:60]}",
            r.page, label, (Place(r.page, label, r.quote), Place(parent.page, label, parent.quote)),
            f"{parent.code} 款 {parent.amounts[0] if parent.amounts else ''} = 其下各项之和（含此行）"))
    return findings


def _stray_kuan(doc_id: str, raw: RawTable, label: str) -> list[Finding]:
    """A 款 whose first three digits are not its 类's ("21005" under 208), repaired to the
    prefix its 项 share when that prefix lies under the 类 and the 项 add up to the 款."""
    rows = raw.rows
    codes = {r.code for r in rows if r.code}
    findings = []
    lei = None
    for i, r in enumerate(rows):
        if r.code is None:
            continue
        if len(r.code) == 3:
            lei = r.code
            continue
        if len(r.code) != 5 or lei is None or r.code.startswith(lei):
            continue
        xiang = []
        for below in rows[i + 1:]:
            if below.code is None:
                continue
            if len(below.code) != 7:
                break
            xiang.append(below)
        prefixes = {x.code[:5] for x in xiang if x.code}
        if len(prefixes) != 1:
            continue
        fixed = prefixes.pop()
        if not fixed.startswith(lei) or fixed in codes or not _adds_up(r, xiang, raw.unit):
            continue
        rows[i] = replace(r, code=fixed)
        codes.add(fixed)
        findings.append(Finding(
            doc_id, "code", False,
            f"{label}（第{r.page}页）「{r.label}」的科目编码印作“{r.code}”，不属其所在的 {lei} 类；其下各项均属 "
            f"{fixed} 且金额相符，按 {fixed} 读取（编码印误，不影响合计）。原文：{r.quote[:60]}", r.page, label))
    return findings


def _adds_up(parent: RawRow, children: list[RawRow], unit: str) -> bool:
    if not children or not parent.amounts or any(not c.amounts for c in children):
        return False
    slack = Decimal(len(children)) * (Decimal(1) if unit == "元" else Decimal("0.01"))
    return abs(parent.amounts[0] - sum(c.amounts[0] for c in children)) <= slack


def _misfit(r: RawRow) -> str | None:
    if r.code is not None:
        return r.code if len(r.code) <= 2 else None
    m = STUB.match(r.label)
    return m.group(1) if m else None


def _from_children(rows: list[RawRow], i: int, printed: str, unit: str) -> str | None:
    """The 类 code the rows below imply, if the row's amount is the sum of its 款."""
    below: list[RawRow] = []
    for r in rows[i + 1:]:
        if r.code is None or len(r.code) <= 3 or _misfit(r) is not None:
            if r.code is not None or _misfit(r) is not None:
                break
            continue
        below.append(r)
    prefixes = {r.code[:3] for r in below if r.code}
    if len(prefixes) != 1:
        return None
    fixed = prefixes.pop()
    if any(r.code == fixed for r in rows) or not (fixed.startswith(printed) or fixed.endswith(printed)):
        return None
    kuan = [r for r in below if r.code and len(r.code) == 5]
    return fixed if _adds_up(rows[i], kuan, unit) else None
