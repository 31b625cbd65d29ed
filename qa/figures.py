"""Figures stated in a text: the reading both the faithfulness guard (qa.llm) and the judge
(eval.scoring) use, so a reply is checked the way it is scored."""

from __future__ import annotations

import re
from decimal import Decimal

# Money is compared after exact conversion to 元; FORMAT.md allows any of these spellings.
MONEY_SCALE = {u: Decimal(10) ** e for u, e in (("元", 0), ("千元", 3), ("万元", 4), ("亿元", 8))}
# A refusal must not state these: they are the figures that pretend to answer a budget question.
CLAIM_UNITS = set(MONEY_SCALE) | {"%", "百分点"}
# Count units that mean the same thing for a head count ("16名在职人员", "9213人次").
UNIT_ALIASES = {"人": {"人", "名", "人次"}, "平方米": {"平方米", "㎡"}}
_COUNT_UNITS = "平方米|㎡|人次|人|名|辆|台|个|项|家|户|次|套|间|处|件|所|座|张|批|天"
# Fullwidth digits and signs become ASCII so "４．６２％" reads as "4.62%"; length is preserved
# so positions stay valid (NFKC is not used: it would turn "㎡" into "m2").
_WIDE = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)}, "．": ".", "％": "%"})
# Comma-grouped numbers first; the lookahead stops "1,2345" from reading as "1,234".
_NUMBER = re.compile(r"(?<![\d.A-Za-z])(?:\d{1,3}(?:,\d{3})+(?![\d,])|\d+)(?:\.\d+)?")
# Count units come before money so "1.2万人" is 12000 人 while "3.96 万" is 3.96 万元.
_UNIT = re.compile(
    r"[ \t\u3000]*(?:(?P<pct>%)|(?P<pp>个?百分点)"
    rf"|(?P<mult>[万亿]?)(?P<count>{_COUNT_UNITS})|(?P<money>[千万亿]?元|[万亿]))"
)
# Spans that are never figures: dates, year ranges and budget codes printed as "210 11 03".
_MASKED = re.compile(
    r"(?<![\d.])\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{4}\s*[-~—至]\s*\d{4}(?=\s*年)"
    r"|(?<![\d.])\d{3}(?:[ \u3000]\d{2}){1,2}(?![\d.])"
)
_OPEN, _CLOSE = "（([【〔［", "）)]】〕］"
_SKIP_BEFORE = ("表", "第", "附件", "页码", "公开")  # 表3, 第2页, 公开05表: labels, not figures
_SKIP_AFTER = ("年", "月", "日", "号", "表", "页", "部分", "章", "节", "条", "版", "期")


def figures_in(text: str) -> list[tuple[Decimal, str]]:
    """Every figure stated in text, in order, as (value, unit); unit "" when none is stated.

    Units: 元/千元/万元/亿元 (bare 万/亿 = 万元/亿元), % (also "百分之N"), 百分点, and counts
    (人, 辆, 平方米, ...; "1.2万人" becomes 12000 人). A sign directly before a number is kept.
    Ignored: numbers followed by 年/月/日/号/表/页/部分/章/节/条 (years, dates, 104号, table and
    page numbers), ISO dates, numbers after 表/第/公开/附件 unless money or % (表3, 第2页),
    "210 11 03"-style codes, numbers glued to Latin letters; and, among unit-less numbers only:
    list numbers ("2、" anywhere, "1." or "1)" opening a line or after ：；，。), anything inside
    brackets (citations like "（表3，2080109）"), integers of 5+ digits or with a leading zero
    (budget codes) and integers 1900-2100 (years).
    """
    text = _MASKED.sub(lambda m: "_" * len(m.group()), text.translate(_WIDE))
    depth, depths = 0, []
    for ch in text:  # bracket depth per position, for the unit-less-in-brackets rule
        depth = depth + 1 if ch in _OPEN else max(0, depth - 1) if ch in _CLOSE else depth
        depths.append(depth)
    found: list[tuple[Decimal, str]] = []
    for m in _NUMBER.finditer(text):
        raw, start, end = m.group(), m.start(), m.end()
        before, after = text[:start], text[end:]
        u = _UNIT.match(after)
        unit, scale = "", Decimal(1)
        if u and u.group("pct"):
            unit = "%"
        elif u and u.group("pp"):
            unit = "百分点"
        elif u and u.group("count"):
            unit = "平方米" if u.group("count") == "㎡" else u.group("count")
            scale = Decimal({"": 1, "万": 10**4, "亿": 10**8}[u.group("mult")])
        elif u and u.group("money"):
            unit = u.group("money") if u.group("money").endswith("元") else u.group("money") + "元"
        elif before.endswith("百分之"):
            unit = "%"
        if after.lstrip(" \t\u3000").startswith(_SKIP_AFTER) and not unit:
            continue
        if before.rstrip(" \t\u3000").endswith(_SKIP_BEFORE) and unit not in CLAIM_UNITS:
            continue
        mark, head = after[:1], before.rsplit("\n", 1)[-1].strip(" \t\u3000>*-")[-1:]
        if not unit and mark and mark in ".、)）" and (mark == "、" or head in "：；，。:;,"):
            continue
        if not unit and (depths[start] > 0 or _code_or_year(raw)):
            continue
        value = Decimal(raw.replace(",", "")) * scale
        sign, prev = before[-1:], before[-2:-1]  # "2023-2024" is a range, "增长-1.15" negative
        if sign and sign in "-−－" and not (prev.isdigit() or prev.isascii() and prev.isalpha()):
            value = -value
        found.append((value, unit))
    return found


def _code_or_year(raw: str) -> bool:
    # Plain integers: 5+ digits or a leading zero read as codes (2080109, 03), 1900-2100 as years.
    year = len(raw) == 4 and raw.isdigit() and 1900 <= int(raw) <= 2100
    return raw.isdigit() and (len(raw) >= 5 or (len(raw) > 1 and raw[0] == "0") or year)
