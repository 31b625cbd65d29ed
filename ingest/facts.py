"""Raw table rows → typed facts, with the audit of each table's own arithmetic."""

from __future__ import annotations

import re
from decimal import Decimal

from ingest.digits import check_digits, identities
from ingest.hierarchy import TOTAL_LABELS, row_name, sum_groups
from ingest.labels import carry_down, label_columns, regroup, row_title, split_label
from ingest.model import OCR_CONFIRMED, OCR_UNCONFIRMED, Fact, Finding, Table
from ingest.schemas import MEASURES, Column, detect_columns, measure
from ingest.solve import solve
from ingest.tables import RawRow, RawTable
from ingest.totals import certain_groups, column_parts, column_sums, placed_totals, slack

__all__ = ["code_names", "placed_facts", "row_name", "table_facts", "zero_funds"]

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
        groups = [] if tt.two_sided else sum_groups(rows, tt.row_sums)
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
            checked = check_digits(values, identities(values, certain_groups(rows, values, tt.row_sums),
                                                      column_parts(values, schema)), slack(raw.unit, values))
            values, sure = checked.values, checked.confirmed
            findings += [Finding(doc_id, "parse", True, f"{label}「{row_name(rows[i].label) or rows[i].code}」{col} "
                                 f"OCR 读作 {read}，按表内勾稽关系更正为 {fixed}", rows[i].page, label)
                         for (i, col), read, fixed in checked.repairs]
        named = label_columns(tt.name, raw.head)
        rows = regroup(named, rows) if named else rows
        owns = [split_label(named, r.spans) if named else {} for r in rows]
        carried = carry_down(named, owns) if named else [()] * len(rows)
        columns += [c for c, *_ in named if c not in columns]
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
            if owns[i] and row_name(r.label) not in TOTAL_LABELS:
                name = row_title(owns[i])  # "省委办公厅承办的会议费 / 会议费", not the cells run together
            for col, v in values[i].items():
                unit = "%" if RATE_COLUMN.search(col) else raw.unit  # "完成预算%" is a rate, not money
                facts.append(Fact(doc_id, label, r.code, name, col, v, unit, r.page, r.quote, tt.name,
                                  labels=carried[i], confidence=_confidence(raw, sure, i, col)))
                columns += [col] if col not in columns else []
        if not raw.transposed:
            findings += placed_totals(doc_id, label, rows, values, tt.row_sums, raw.page, side, raw.unit)
            findings += column_sums(doc_id, label, rows, values, schema, raw.unit)
    table = Table(doc_id, raw.number, raw.title, raw.unit, raw.page, tuple(columns), tt.name, raw.empty)
    if raw.empty:
        findings.append(Finding(doc_id, "parse", True, f"{label} 为空表", raw.page, label))
    return table, facts, findings


def _confidence(raw: RawTable, sure: set[tuple[int, str]], i: int, col: str) -> str:
    return "" if not raw.scanned else OCR_CONFIRMED if (i, col) in sure else OCR_UNCONFIRMED
