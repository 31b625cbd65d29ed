"""The prose of a disclosure: paragraphs under their headings, and the figures it states.

A figure in prose ("基本支出 308.44 万元，占 77.92%，比上年预算增加 24.26 万元，增长
8.54%") becomes facts bound to its subject (the words before it in the clause, or the
sentence's last subject), with the measure the words in front of it name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from ingest.model import Fact
from ingest.schemas import squash

HEADING = re.compile(r"^(第[一二三四五六七八九十]+部分|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）])")
ITEM = re.compile(r"^(\d+[.、．](?!\d)|[（(]\d+[)）])")
FIGURE = re.compile(
    r"(?P<cmp>≥|>=|>|≤|<=|<)?(?P<num>-?\d[\d,]*(?:\.\d+)?)\s*"
    r"(?P<unit>万元|亿元|元|%|％|平方米|人|辆|台|个|套|项|名|家|户|处|万(?![\u4e00-\u9fff]))?"
)
COUNT_SUBJECT = re.compile(r"(编制数|编制|人数|实有人数)$")
CHANGE = re.compile(r"((?:比|较)(?:上年|上一年|20\d\d年)(?:度)?(?:预算|决算)?(?:执行)?(?:数)?)?"
                    r"(增加|减少|增长|下降|上升|降低|持平|增幅|降幅|涨幅|减幅)了?$"
                    r"|(?:本年数?)?(小于|少于|低于|大于|多于|高于)(?:上年|上一年)(?:预算|决算)?(?:执行)?数?$")
DOWN = ("减少", "下降", "降低", "降幅", "减幅", "小于", "少于", "低于")
# Words that compare rather than name: "与上年相比增加 …" keeps the sentence before's subject.
COMPARE = re.compile(r"^(与|和|同|较|比)(上年|上一年|去年|20\d\d年)度?(预算|决算)?(执行)?数?(相比|比较)?")
# A clause that names only the measure: "年初预算为 1560.05 万元，支出决算为 1511.89 万元".
MEASURE_ONLY = (("年初预算", "年初预算数"), ("调整预算", "调整预算数"), ("全年预算", "全年预算数"),
                ("支出决算", "决算数"), ("决算", "决算数"), ("预算执行", "执行数"), ("执行数", "执行数"))
SHARE = re.compile(r"占(?:比)?(?:[\u4e00-\u9fff“”\"（）()]{0,20}(?:的)?(?:比重|比例)?)?$")
FILLER = re.compile(
    r"^(其中|包括|主要包括|合计|共计|共有|现有|拥有|共|全年|本年度?|当年|截至\d{4}年底|本部门|本单位|我单位|"
    r"\d{4}年度?|，|：|:|、|的|为)+|(预算数为|预算数|预算为|数为|为|是|共计|合计|约)+$"
)
MONEY_DEFAULT = "万元"
# The title of a project's description ("人民调解项目经费情况说明", "商业创新专项（政策资金）经费情况说明"),
# what its 年度预算安排 states the budget of, and the clause that is only a total.
PROJECT_TITLE = re.compile(r"([^，。；：、“”\"]{2,30}?)(?:经费|资金)情况说明|([^，。；：、“”\"]{2,30}?项目)情况说明")
PROJECT_BUDGET = re.compile(r"预算安排|项目总预算|项目预算$|总预算$")
PROJECT_TOTAL = re.compile(r"(年度)?(预算安排)?(20\d\d年度?)?(本?项目)?(总预算|预算|预算安排|资金|经费)?")
MONEY_SAID = re.compile(r"\d(?:万元|亿元|元|万(?![\u4e00-\u9fff]))")
TOTAL_CLAUSE = re.compile(r"(合计|共计|总计|累计)(为|是)?")
# A paragraph that only names a 类/款/项 item ("2、一般公共服务支出（类）…事业运行（项）。")
ITEM_TITLE = re.compile(r"(\d+[、.．])?([^，。；：]+[（(][类款项][)）])+[。.]?")
# "完成全年预算数的98.69%": the completion rate of the sentence's subject
COMPLETION = re.compile(r"完成(?:了)?(年初|全年|调整)?预算(?:数)?的?$")


@dataclass(frozen=True)
class Paragraph:
    page: int
    text: str
    section: str  # heading path, " / "-joined
    heading: bool


def paragraphs(lines: list[tuple[int, str]]) -> list[Paragraph]:
    """Rejoin wrapped lines into paragraphs under their headings; drop repeated paragraphs
    (a revision balloon repeats the text it changed)."""
    merged: list[tuple[int, str]] = []
    buf: list[str] = []
    page = 0
    for pg, raw in lines:
        line = raw.strip()
        if not line:
            continue
        titled = bool(PROJECT_TITLE.fullmatch(squash(line)))  # a project's description starts
        if buf and (HEADING.match(line) or ITEM.match(line) or titled):
            merged.append((page, "".join(buf)))
            buf = []
        if not buf:
            page = pg
        buf.append(line)
        if line.endswith(("。", "；")) or titled or (HEADING.match(buf[0]) and _heading_done("".join(buf))):
            merged.append((page, "".join(buf)))
            buf = []
    if buf:
        merged.append((page, "".join(buf)))
    out: list[Paragraph] = []
    seen: set[str] = set()
    path: dict[int, str] = {}
    for pg, text in merged:
        text = re.sub(r"(?<=[\u4e00-\u9fff，。：；、）])\s+|\s+(?=[\u4e00-\u9fff，。：；、（])", "", text)
        key = ITEM.sub("", squash(text))
        if len(key) > 12 and key in seen:
            continue
        seen.add(key)
        m = HEADING.match(text)
        is_heading = bool(m) and "。" not in text and len(text) < 60
        if is_heading and m:
            level = 0 if text.startswith("第") else 1 if "、" in m.group(1) else 2
            path = {k: v for k, v in path.items() if k < level}
            path[level] = text
        out.append(Paragraph(pg, text, " / ".join(path[k] for k in sorted(path)), is_heading))
    return out


def _heading_done(line: str) -> bool:
    # the standard headings of a disclosure, and of a project's description (年度预算安排, 实施周期 …)
    return bool(re.search(r"(说明|情况|概况|职能|解释|事项|人员情况|目标表|概述|依据|实施主体|实施方案|实施周期|"
                          r"预算安排|绩效目标)$", squash(line)))


def prose_facts(doc_id: str, paras: list[Paragraph], unit: str = "") -> list[Fact]:
    """Facts for the figures the prose states; `unit` (the issuer) is cut from subjects."""
    facts: list[Fact] = []
    last, titled, project = "", False, ""
    for para in paras:
        if para.heading:
            last, titled = "", False
            if not MONEY_SAID.search(para.text):  # "六、年度预算安排795万元" is a heading that states a figure
                continue
        named = PROJECT_TITLE.fullmatch(squash(para.text))
        if named:  # "人民调解项目经费情况说明": the project the next paragraphs describe
            project = named.group(1) or named.group(2)
            project = "" if PROJECT_TOTAL.fullmatch(project) else project  # "项目经费情况说明" names none
            continue
        # carried from sentence to sentence; into the next paragraph only when it goes on
        # comparing ("与上年相比增加85.11万元" printed as a paragraph of its own)
        subject = last if COMPARE.match(squash(para.text)) or titled else ""
        stated = len(facts)
        for sentence in re.split(r"(?<=[。；])", para.text):
            found, subject = _sentence_facts(doc_id, sentence.strip(), para, unit, subject, project)
            facts.extend(found)
        last = subject
        # "1、…（款）行政运行（项）" printed as a paragraph of its own: its item is the next one's subject
        titled = len(facts) == stated and bool(ITEM_TITLE.fullmatch(squash(para.text)))
    return facts


def _sentence_facts(doc_id: str, sentence: str, para: Paragraph, issuer: str,
                    carried: str, project: str = "") -> tuple[list[Fact], str]:
    out: list[Fact] = []
    subject = first = ""
    clause_start = 0
    if project and (PROJECT_BUDGET.search(para.section) or PROJECT_BUDGET.search(squash(sentence))):
        carried = project  # "六、年度预算安排 795万元": the project's own budget
    items = re.findall(r"([^（）()，。；：]+)[（(]\d*项[)）]", squash(sentence))
    if items:  # "…财政事务（款）行政运行（项）。主要用于…年初预算为 …": the item is the subject
        carried = ITEM.sub("", re.sub(r"^\d+[、.．]", "", items[-1]))
    for m in FIGURE.finditer(sentence):
        num, unit = m.group("num"), m.group("unit") or ""
        before = sentence[:m.start()]
        after = sentence[m.end():m.end() + 2]
        if _not_a_figure(before, after, num, unit):
            continue
        cut = max(before.rfind(c) for c in "，。；：:,;、")
        if cut >= clause_start:
            clause_start = cut + 1
        clause = before[clause_start:]
        if not unit:
            unit = _implied_unit(clause, num)
            if not unit:
                continue
        unit = {"％": "%", "万": "万元"}.get(unit, unit)
        measure, own_subject = _measure(_drop_issuer(clause, issuer), unit)
        if project and own_subject and PROJECT_TOTAL.fullmatch(own_subject):
            own_subject = project  # "年度预算安排2025年度项目总预算1410万": the project's total
        if TOTAL_CLAUSE.fullmatch(squash(clause)) and first:
            subject = first  # "其中A 340万，B 120万，合计1410万": the total is the sentence's first subject's
        elif own_subject:
            subject = own_subject
        elif not subject:
            subject = _subject(_drop_issuer(_previous_clause(before, clause_start), issuer)) or carried
        if not subject:
            continue
        value = Decimal(num.replace(",", ""))
        out.append(Fact(doc_id, "正文", None, subject, measure, value, unit, para.page,
                        sentence, "正文", para.section))
        first = first or subject
        clause_start = m.end()
    return out, subject or carried


def _not_a_figure(before: str, after: str, num: str, unit: str) -> bool:
    if re.search(r"[\[〔【（(]\s*$", before) or after[:1] in ("]", "〕", "】", "号", "年", "月", "日"):
        return True
    if after.startswith(("以上", "以下", "及以上")):
        return True
    if not unit and (after[:1] in ("年", "月", "日", "号", "-", "－") or re.search(r"[\d.]$", before)):
        return True
    return bool(re.search(r"(\d{4}|[A-Za-z])$", before))


def _implied_unit(clause: str, num: str) -> str:
    """A bare number is a figure only where its words say what it counts."""
    subject = squash(clause)
    if COUNT_SUBJECT.search(subject) and "." not in num:
        return "人"
    if re.fullmatch(r"\d+\.\d\d", num) and re.search(r"资金|金额|经费|预算", subject):
        return MONEY_DEFAULT
    return ""


def _measure(clause: str, unit: str) -> tuple[str, str]:
    """What the figure measures, and the subject the clause itself names (may be empty)."""
    text = COMPARE.sub("", squash(clause))
    if unit in ("元", "万元", "亿元"):
        dated = re.sub(r"^(20\d\d年度?)?|(数)?(为|是|共计|合计)?$", "", text)  # "全年预算为" is 全年预算
        bare = re.sub(r"^(当年|全年|本年)", "", dated)
        for word, measure in MEASURE_ONLY:
            if word in (dated, bare):
                return measure, ""
            if bare.endswith(word) and len(bare) > len(word) + 1:  # "…财政拨款支出年初预算为"
                return measure, _subject(bare[: -len(word)])
    if unit == "%":
        done = COMPLETION.search(text)
        if done:
            return f"完成{done.group(1) or ''}预算的比例", _subject(text[:done.start()])
        m = SHARE.search(text)
        if m:
            return "占比", _subject(text[:m.start()])
        m = CHANGE.search(text)
        if m:
            down = (m.group(2) or m.group(3)) in DOWN
            return ("下降率" if down else "增长率"), _subject(text[:m.start()])
        return "比例", _subject(text)
    m = CHANGE.search(text)
    if m:
        down = (m.group(2) or m.group(3)) in DOWN
        return ("比上年减少" if down else "比上年增加"), _subject(text[:m.start()])
    if text.endswith("价值"):
        return "价值", _subject(text[:-2])
    return "金额" if unit in ("元", "万元", "亿元") else "数量", _subject(text)


def _subject(text: str) -> str:
    text = squash(text)
    levels = re.findall(r"([^（）()]+)[（(]\d*(?:类|款|项)[)）]", text)
    if levels:
        return ITEM.sub("", levels[-1])
    text = re.sub(r"^[（(][^（）()]{1,6}[)）]", "", ITEM.sub("", text))  # "（部门）共有车辆"
    prev = None
    while prev != text:
        prev = text
        text = re.sub(r"[（(][^（）()]*[)）]$", "", text)  # "政府采购金额（以合同签订为准）"
        text = FILLER.sub("", COMPARE.sub("", text))
    return text[-40:]


def _previous_clause(before: str, start: int) -> str:
    head = before[:max(start - 1, 0)]
    cut = max(head.rfind(c) for c in "，。；;")
    head = head[cut + 1:]
    if not re.search(r"[（(]\d*(?:类|款|项)[)）]", head):
        head = head[max(head.rfind("）"), head.rfind("》")) + 1:]
    return head


def _drop_issuer(text: str, issuer: str) -> str:
    text = squash(text)
    if issuer:
        text = text.replace(issuer, "")
    return re.sub(r"^(主要原因是|主要用于|本单位|我单位|本部门|(单位|部门)(?=20\d\d|本年|当年))", "", text)
