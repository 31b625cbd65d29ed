"""Raw table rows → typed facts, with the audit of each table's own arithmetic."""

from __future__ import annotations

import re
from decimal import Decimal

from ingest.digits import check_digits, identities
from ingest.model import OCR_CONFIRMED, OCR_UNCONFIRMED, Fact, Finding, Table
from ingest.schemas import MEASURES, Column, detect_columns, measure, squash
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


CAR_PARTS = ("购置费", "运行费", "运行维护费")
RATE_COLUMN = re.compile(r"%|％|百分比|比例|比重|[完执]成率|增长率|增幅|降幅")
GENERIC_LEVELS = ("金额", "小计", "合计", "项目", "收入", "支出")
# Header levels that name a half of a two-sided table, not a measure: 收入 / 支出 / 功能分类 / 支出用途
SECTION_LEVEL = re.compile(r"(本年)?(收入|支出)|支出(功能分类|经济分类|用途)|功能分类|经济分类")


def column_name(columns: tuple[Column, ...], path: tuple[str, ...]) -> str:
    """A header path's canonical column: the schema column its lowest level names, else the
    level itself ("决算数", "年初预算数"); a bare 小计/金额 keeps its parent's name."""
    norm = [p.replace("(", "（").replace(")", "）") for p in path]
    words = sorted(((w.replace("(", "（").replace(")", "）"), c.name) for c in columns for w in c.words()),
                   key=lambda x: -len(x[0]))
    for level in reversed(norm):
        for word, name in words:
            if level == word:
                return name
        for word, name in words:
            if len(word) >= 3 and word in level and not any(m in level for m in MEASURES):
                return name
        if level not in GENERIC_LEVELS and not SECTION_LEVEL.fullmatch(level):
            return measure(level) or level
    return columns[0].name if columns else (norm[-1] if norm else "合计")


def column_names(columns: tuple[Column, ...], paths: list[tuple[str, ...]]) -> dict[tuple[str, ...], str]:
    """Each header path's column name; where two paths would share one (基本支出 under both
    年初预算数 and 决算数), each keeps the measure its path prints: "基本支出（决算数）"."""
    names = {p: column_name(columns, p) for p in dict.fromkeys(paths)}
    shared: dict[str, list[tuple[str, ...]]] = {}
    for p, name in names.items():
        shared.setdefault(name, []).append(p)
    for name, group in shared.items():
        if len(group) < 2:
            continue
        for p in group:
            named = [m for level in p if (m := measure(level))]
            if named and named[0] != name:
                names[p] = f"{name}（{named[0]}）"
    return names


def transposed_item(path: tuple[str, ...]) -> tuple[str, str]:
    """(row, column) of a one-row table's header path: the item, and the measure if named."""
    wanted = ""
    items: list[str] = []
    for level in path:
        named = measure(level)
        if named:
            wanted = wanted or named
            continue
        for m in MEASURES:
            if level.endswith(m):
                wanted = wanted or m
                level = level[: -len(m)]
                break
        if level:
            items.append(level)
    if not items:
        return "合计", wanted or "合计"
    leaf = items[-1]
    if leaf == "小计" and len(items) > 1:
        leaf = items[-2]
    elif leaf in CAR_PARTS:  # in a 三公 table 购置费/运行费 are the official cars'
        leaf = "公务用车" + leaf
    return leaf, wanted or "合计"


def placed_facts(doc_id: str, raw: RawTable, names: dict[str, str]) -> tuple[Table, list[Fact], list[Finding]]:
    """Facts of a table read from positions: every cell's column is known, blanks are absent."""
    tt = raw.table_type
    assert tt is not None
    label = f"{raw.number} {raw.title}".strip()
    facts: list[Fact] = []
    findings: list[Finding] = []
    columns: list[str] = []
    sides = sorted({r.side for r in raw.rows}, key=["收入", "", "支出"].index)
    for side in sides:
        rows = [r for r in raw.rows if r.side == side]
        schema = tt.left_columns if tt.two_sided and side == "收入" else tt.columns
        values: list[dict[str, Decimal]] = []
        headers = column_names(schema, [p for r in rows for p in (*r.columns, *(r.placed or {}))])
        for r in rows:
            cells: dict[str, Decimal] = {}
            for path, v in (r.placed or {}).items():
                cells.setdefault(headers[path], v)
            if not cells and r.columns and r.label and not raw.transposed:
                cells[column_name(schema, r.columns[0])] = Decimal(0)  # a labelled blank row is nil
            values.append(cells)
        sure: set[tuple[int, str]] = set()  # a scan's figures its arithmetic confirmed
        if raw.scanned and not raw.transposed:
            checked = check_digits(values, identities(values, _certain_groups(rows, values, tt.row_sums),
                                                      _column_parts(values, schema)), _slack(raw.unit, values))
            values, sure = checked.values, checked.confirmed
            findings += [Finding(doc_id, "parse", True, f"{label}「{row_name(rows[i].label) or rows[i].code}」{col} "
                                 f"OCR 读作 {read}，按表内勾稽关系更正为 {fixed}", rows[i].page, label)
                         for (i, col), read, fixed in checked.repairs]

        for i, r in enumerate(rows):
            if raw.transposed:  # one row, every column printed: a blank cell is nil
                placed = r.placed or {}
                for path in r.columns or tuple(placed):
                    v = placed.get(path, Decimal(0))
                    item, col = transposed_item(path)
                    facts.append(Fact(doc_id, label, None, item, col, v, raw.unit, r.page, r.quote, tt.name,
                                      confidence=_confidence(raw, sure, i, col)))
                    columns += [col] if col not in columns else []
                continue
            name = _project_name(r, names) if r.code and r.label else (
                row_name(r.label) if r.label else names.get(r.code or "", "合计"))
            for col, v in values[i].items():
                unit = "%" if RATE_COLUMN.search(col) else raw.unit  # "完成预算%" is a rate, not money
                facts.append(Fact(doc_id, label, r.code, name, col, v, unit, r.page, r.quote, tt.name,
                                  confidence=_confidence(raw, sure, i, col)))
                columns += [col] if col not in columns else []
        if not raw.transposed:
            findings += _placed_totals(doc_id, label, rows, values, tt.row_sums, raw.page, side, raw.unit)
            findings += _column_sums(doc_id, label, rows, values, schema, raw.unit)
    table = Table(doc_id, raw.number, raw.title, raw.unit, raw.page, tuple(columns), tt.name, raw.empty)
    if raw.empty:
        findings.append(Finding(doc_id, "parse", True, f"{label} 为空表", raw.page, label))
    return table, facts, findings


def _confidence(raw: RawTable, sure: set[tuple[int, str]], i: int, col: str) -> str:
    return "" if not raw.scanned else OCR_CONFIRMED if (i, col) in sure else OCR_UNCONFIRMED


def _column_sums(doc_id: str, label: str, rows: list[RawRow], values: list[dict[str, Decimal]],
                 schema: tuple[Column, ...], unit: str) -> list[Finding]:
    """Within each row, a total column against its parts (合计 = 基本支出 + 项目支出,
    基本支出合计 = 人员经费 + 公用经费), where the table prints the total and every part."""
    findings: list[Finding] = []
    for total, col_parts in _column_parts(values, schema).items():
        slack = _slack(unit, values) * len(col_parts)
        for r, v in zip(rows, values, strict=True):
            if total not in v or not any(p in v for p in col_parts):
                continue
            parts = sum((v.get(p, Decimal(0)) for p in col_parts), Decimal(0))
            if abs(parts - v[total]) > slack:
                name = row_name(r.label) or r.code or ""
                findings.append(Finding(doc_id, "totals", False,
                                        f"{label}「{name}」{total} {v[total]}{unit} 不等于 "
                                        f"{'+'.join(col_parts)} 之和 {parts}{unit}（第{r.page}页）。"
                                        f"原文：{r.quote[:60]}",
                                        r.page, label))
    return findings


def _slack(unit: str, values: list[dict[str, Decimal]]) -> Decimal:
    """Half the last printed digit: what rounding a part can move it."""
    if unit in ("万元", "亿元"):
        return Decimal("0.005")
    whole = all(v == v.to_integral_value() for row in values for v in row.values())
    return Decimal("0.5") if unit == "元" and whole else Decimal(0)


def _certain_groups(rows: list[RawRow], values: list[dict[str, Decimal]],
                    row_sums: tuple[tuple[str, tuple[str, ...]], ...]) -> list[tuple[int, list[int]]]:
    """The row sums that are certain: 类/款/项 codes, the total over the top codes when every
    other row has a code, and the template's named item sums."""
    coded = all(r.code for r, v in zip(rows, values, strict=True) if v and row_name(r.label) not in TOTAL_LABELS)
    return [(p, kids) for p, kids in _groups(rows, row_sums)
            if rows[p].code or (coded and any(rows[k].code for k in kids))
            or row_name(rows[p].label) in dict(row_sums)]


def _column_parts(values: list[dict[str, Decimal]], schema: tuple[Column, ...]) -> dict[str, tuple[str, ...]]:
    """Total columns and their part columns, where the table prints the total and every part
    and no column the template lacks (单位预留机动经费 may be a part too)."""
    printed = {c for v in values for c in v}
    if printed - {c.name for c in schema}:
        return {}
    return {c.name: c.parts for c in schema if c.name in printed and c.parts and set(c.parts) <= printed}


def _placed_totals(doc_id: str, label: str, rows: list[RawRow], values: list[dict[str, Decimal]],
                   row_sums: tuple[tuple[str, tuple[str, ...]], ...], page: int, side: str,
                   unit: str) -> list[Finding]:
    """Each group's parent against the sum of its children, column by column.

    Only structures that are certain are checked: 类/款/项 codes, the total over the top
    codes when every other row has a code, and the template's named item sums. A gap no
    larger than the rounding of the parts (0.005 each, in 万元 or 亿元) is rounding.
    """
    findings: list[Finding] = []
    groups = _certain_groups(rows, values, row_sums)
    bad = rounding = 0
    # a part rounded to its last printed digit is off by half of it at most: 0.005 in a 万元 table,
    # half a yuan in a 元 table a spreadsheet rounded to whole yuan (so two parts may differ by 1 元)
    slack = _slack(unit, values)
    for parent, kids in groups:
        cols = set(values[parent]) | {c for k in kids for c in values[k]}
        for col in sorted(cols):
            total = sum((values[k].get(col, Decimal(0)) for k in kids), Decimal(0))
            have = values[parent].get(col, Decimal(0))
            if abs(total - have) <= slack * len(kids) and total != have:
                rounding += 1
            elif total != have:
                bad += 1
                findings.append(Finding(doc_id, "totals", False,
                                        f"{label}「{row_name(rows[parent].label) or rows[parent].code}」{col} "
                                        f"{have}{unit} 不等于其下各行之和 {total}{unit}",
                                        rows[parent].page, label))
    if groups and not bad:
        note = f"（{rounding} 处相差在四舍五入范围内）" if rounding else ""
        findings.append(Finding(doc_id, "totals", True,
                                f"{label}{side}: {len(groups)} 组合计与明细相符{note}", page, label))
    return findings
