"""How facts are named and cited in a reply, and which facts answer which words.

Plain functions over `Fact`: a fact's label and source line, the operand it makes, the
rows under a row, the measure a phrase names, and the words of a question a fact does
not cover (then it does not answer the question).
"""

from __future__ import annotations

import re

from ingest.model import Document, Fact
from qa import calc
from qa.calc import Operand
from qa.link import sound
from qa.match import lcs, norm, split_context
from qa.reply import Citation, Reply
from qa.retrieve import tokens
from qa.scope import unit_hits

ASKING_WORDS = ("百分之", "百分比", "多少钱", "是多少", "一共有", "有多少", "为多少", "多少万", "是不是", "有没有")


def unexplained(phrase: str, f: Fact, unit: str = "") -> str:
    """A name in the question's subject (three or more characters, e.g. "国宾馆") that the
    fact found says nothing of: that fact does not answer the question."""
    _, subject = split_context(phrase)
    text = sound(norm(f"{f.row}{f.quote}{f.table}{f.section}{f.column}"))
    for word in tokens(subject):
        if len(word) >= 3 and re.fullmatch(r"[\u4e00-\u9fff]+", word) and lcs(text, sound(word)) < 2 \
                and word not in unit and word not in ASKING_WORDS:
            return word
    return ""


def parts_of(parent: Fact, facts: list[Fact]) -> list[Fact]:
    """The rows one level under a row (by code), or the top rows of the table under its total."""
    same = [f for f in facts if f.table == parent.table and f.column == parent.column and f is not parent]
    if parent.code:
        depth = {3: 5, 5: 7}.get(len(parent.code), 0)
        return [f for f in same if f.code and f.code.startswith(parent.code) and len(f.code) == depth]
    coded = [f for f in same if f.code]
    if coded:
        top = min(len(f.code or "") for f in coded)
        return [f for f in coded if len(f.code or "") == top]
    return [f for f in same if f.row not in ("合计", "总计", "小计")]


MEASURE_WORDS = (("年初预算", "年初预算数"), ("调整预算", "调整预算数"), ("预算执行", "执行数"),
                 ("执行数", "执行数"), ("决算", "决算数"))


MEASURE_WORDS_RE = re.compile(r"的?(年初预算|调整预算|预算执行|执行)数?")


def measure_asked(phrase: str) -> str:
    """The measure other than the default a lookup names: "行政运行的年初预算" → 年初预算数."""
    m = MEASURE_WORDS_RE.search(phrase)
    return {"年初预算": "年初预算数", "调整预算": "调整预算数"}.get(m.group(1), "执行数") if m else ""


def measure_named(phrase: str) -> str:
    """The measure a phrase names and nothing else: "2025年预算执行数" → 执行数."""
    text = re.sub(r"20\d\d年度?|当年|的|数$", "", re.sub(r"\s+", "", phrase))
    for word, measure in MEASURE_WORDS:
        if text in (word, word + "数"):
            return measure
    return ""


def stated_reply(question: str, f: Fact, cite: Citation) -> Reply:
    text = f"{f.row}占比{calc.format_amount(f.value, f.unit)}（文件原文）。{source(f)}"
    return Reply(question, text, "answered", (cite,))


def operand(f: Fact) -> Operand:
    return Operand(label(f), f.value, f.unit, f)


def label(f: Fact) -> str:
    if f.table == "正文":
        return f.row if f.column in ("金额", "数量") else f"{f.row}{f.column}"
    row = f.row if f.row not in ("合计", "总计") else f"{f.table.split(' ', 1)[-1]}合计"
    default = f.column in ("合计", "总计", "金额") or (f.column == "预算数" and "决算" not in f.table)
    return row if default else f"{row}（{f.column}）"


def source(f: Fact) -> str:
    where = "正文" if f.table == "正文" else f.table
    code = f"，科目{f.code}" if f.code else ""
    page = f"，第{f.page}页" if f.page else ""
    return f"（来源：{where}{code}{page}）"


def strip_scope(question: str, doc: Document) -> str:
    q = re.sub(r"\s+", "", question)
    if doc.unit in q:  # the unit said once in full; a short form later is part of a row's name
        q = q.replace(doc.unit, "", 1)
    else:
        for hit in unit_hits(q, [doc.unit])[:1]:
            short = hit.end - hit.start <= 2 and not re.match(r"\d|的|，|今年|去年", q[hit.end:])
            if not short:  # "政协会议…" asks for a row, "政协2018年…" names the unit
                q = q[:hit.start] + q[hit.end:]
    q = re.sub(r"^今年|(?<=[局院厅心处室])今年", "", q)
    return re.sub(rf"^{doc.year}年度?的?", "", q) if doc.year else q  # a year inside a row's name stays
