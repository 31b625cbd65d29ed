"""Project forms (项目绩效目标表, 财政项目支出绩效目标填报表): one project per form, read as
labelled amounts, and their arithmetic checked as an examiner would.

A form is not a grid: it prints "项目名称 X", then the project's money in two halves —
项目资金总额 with 其中：财政资金 and 其他资金, and 年度资金申请总额 with 其中：当年财政拨款,
上年结转资金 and 其他资金 — each label with its figure to the right. The halves must add
up, and the forms together must come to what the prose says the projects with targets
amount to ("编报绩效目标的项目5个，涉及项目预算资金3328.13万元").
"""

from __future__ import annotations

import re
from decimal import Decimal

from ingest.crosscheck import cite
from ingest.layout import Line
from ingest.model import MONEY_UNITS as MONEY
from ingest.model import Fact, Finding, Page, Place, Table, places_of
from ingest.schemas import squash
from ingest.tables import RawTable

FORM_TITLE = re.compile(r"绩效目标")
# each half of the money block: its total, then its parts (the label as printed, without 其中：)
HALVES = (("项目资金总额", ("财政资金", "其他资金")),
          ("年度资金申请总额", ("当年财政拨款", "上年结转资金", "其他资金")))
OTHER_SECOND = "年度其他资金"  # the second half's 其他资金, named apart from the first's
FORM_TYPE = "项目支出表"
STATED = re.compile(r"(?:编报|设置|填报)?绩效目标的?(?:项目)?[^。；]{0,6}?(\d+)个[，,]?[^。；\d]{0,12}?"
                    r"(?:涉及|合计|共计)[^。；\d]{0,12}?([\d,]+(?:\.\d+)?)\s*(万元|元)")


def is_form(raw: RawTable) -> bool:
    return FORM_TITLE.search(raw.title) is not None


def form_facts(doc_id: str, raw: RawTable, pages: list[Page]) -> tuple[Table | None, list[Fact], list[Finding]]:
    """The project, its labelled amounts and its own sums, from the form's first page."""
    page = next((p for p in pages if p.number == raw.page), None)
    if page is None or page.geometry is None:
        return None, [], []
    lines = list(page.geometry.lines)
    name = _project_name(lines)
    if not name:
        return None, [], []
    unit = "万元" if any("万元" in squash(ln.text) for ln in lines[:20]) else "元"
    amounts = _amounts(lines)
    title = f"{raw.title}（{name}）"
    facts = [Fact(doc_id, title, None, name, column, value, unit, raw.page, quote, FORM_TYPE)
             for column, (value, quote) in amounts.items()]
    table = Table(doc_id, raw.number, title, unit, raw.page, tuple(amounts), FORM_TYPE)
    return table, facts, _own_sums(doc_id, title, name, facts)


def _project_name(lines: list[Line]) -> str:
    for ln in lines:
        cells = [c.text for c in ln.cells]
        for k, text in enumerate(cells[:-1]):
            if squash(text) == "项目名称":
                return squash(cells[k + 1])
    return ""


def _amounts(lines: list[Line]) -> dict[str, tuple[Decimal, str]]:
    """Label → (figure, the line it was printed on); the half is told by the label's place:
    at or right of 年度资金申请总额 is the second half."""
    second = next((c.x0 for ln in lines for c in ln.cells if squash(c.text) == HALVES[1][0]), None)
    out: dict[str, tuple[Decimal, str]] = {}
    labels = {HALVES[0][0], HALVES[1][0], *HALVES[0][1], *HALVES[1][1]}
    for ln in lines:
        cells = list(ln.cells)
        for k, c in enumerate(cells[:-1]):
            label = re.sub(r"^其中[:：]", "", squash(c.text))
            if label not in labels or not cells[k + 1].is_number:
                continue
            if label == "其他资金" and second is not None and c.x0 >= second - 2:
                label = OTHER_SECOND
            value = Decimal(cells[k + 1].text.replace(",", ""))
            out.setdefault(label, (value, ln.text))
    return out


def _own_sums(doc_id: str, title: str, name: str, facts: list[Fact]) -> list[Finding]:
    by = {f.column: f for f in facts}
    out: list[Finding] = []
    for k, (total, parts) in enumerate(HALVES):
        names = [OTHER_SECOND if k and p == "其他资金" else p for p in parts]
        if total not in by or not all(p in by for p in names):
            continue
        whole, items = by[total], [by[p] for p in names]
        added = sum((f.value for f in items), Decimal(0))
        if added == whole.value:
            continue
        terms = " + ".join(f"{f.column} {f.value}" for f in items)
        out.append(Finding(
            doc_id, "forms", False,
            f"{title}（第{whole.page}页）{total} {whole.value}{whole.unit}，而其中各项 {terms} 合计 "
            f"{added}{whole.unit}：项目表自身不相符", whole.page, title, places_of(whole, *items),
            f"{' + '.join(str(f.value) for f in items)} = {added}{whole.unit}，印作 {whole.value}{whole.unit}"))
    return out


def check_projects(doc_id: str, prose: list[Fact], tables: list[Fact]) -> list[Finding]:
    """"编报绩效目标的项目N个，涉及金额X万元" against the N forms the document prints (their
    年度资金申请总额, else 项目资金总额), when it prints exactly N."""
    forms = [f for f in tables if f.table_type == FORM_TYPE and f.column == HALVES[1][0]] or \
        [f for f in tables if f.table_type == FORM_TYPE and f.column == HALVES[0][0]]
    out: list[Finding] = []
    seen: set[str] = set()
    for f in prose:
        m = STATED.search(re.sub(r"\s+", "", f.quote))
        if m is None or f.quote in seen or int(m.group(1)) != len(forms) or not forms:
            continue
        seen.add(f.quote)
        stated = Decimal(m.group(2).replace(",", ""))
        unit = m.group(3)
        total = sum((MONEY[x.unit] * x.value for x in forms), Decimal(0)) / MONEY[unit]
        half = Decimal("0.005") * len(forms) if unit == "万元" else Decimal("0.5") * len(forms)
        if abs(total - stated) <= half:
            continue
        shown = total.quantize(Decimal("0.01"))
        listed = "、".join(f"{x.row} {x.value}{x.unit}（第{x.page}页）" for x in forms)
        out.append(Finding(
            doc_id, "forms", False,
            f"正文说 {m.group(1)} 个项目涉及 {stated}{unit}（{cite(f, m.group(0)[:8])}），而所附 {len(forms)} 张"
            f"项目绩效目标表合计 {shown}{unit}：{listed}", f.page, "正文",
            (Place(f.page, f.table, f.quote), *places_of(*forms)),
            f"{' + '.join(str(x.value) for x in forms)} = {shown}{unit}，写作 {stated}{unit}"))
    return out
