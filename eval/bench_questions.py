"""The benchmark's questions, made from a synthetic corpus's manifest, and how each reply is
judged: the right document cited, clarify or not_found, the right figure, the units listed."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from eval.synth import SynthDoc

LOOKUP = (
    "{unit}{year}年的{item}是多少",
    "{year}年{unit}的{item}是多少？",
    "请问{unit}{yy}年{item}多少",
    "{unit}{year}年{item}预算是多少",
    "{unit}{year}年度的{item}有多少",
)
LOOKUP_ITEMS = ("三公经费", "公务接待费", "基本支出", "人员经费", "公用经费", "项目支出")
PROSE = ("三公经费为什么增加了？", "公务接待费增加的主要原因是什么？", "本单位的主要职能是什么？",
         "基本支出增长的原因是什么？")
RANKING = ("哪个单位三公经费最多", "三公经费最多的是哪个单位？", "哪个单位的人员经费最高？",
           "公务接待费最多的单位是哪个")
COMPARE = ("{year}年{a}和{b}的三公经费哪个多", "{year}年{a}和{b}的人员经费哪个多？",
           "{year}年{a}与{b}相比，公务接待费哪个高")


@dataclass(frozen=True)
class Question:
    kind: str  # lookup | prose | ranking | compare
    message: str
    doc_id: str | None = None  # the document picked (prose), sent with the question
    expect_docs: tuple[str, ...] = ()  # the documents a right answer cites
    expect_units: tuple[str, ...] = ()
    expect_value: str = ""


def make_questions(manifest: list[SynthDoc], doc_ids: dict[tuple[str, int], str], per_kind: int,
                   seed: int = 12) -> list[Question]:
    """`per_kind` lookups, prose questions and comparisons over random documents, and every
    ranking wording (a ranking reads every document: a few say enough)."""
    rng = random.Random(seed)
    docs = [d for d in manifest if (d.unit, d.year) in doc_ids]
    out: list[Question] = []
    for _ in range(per_kind):
        d = rng.choice(docs)
        item = rng.choice(LOOKUP_ITEMS)
        fact = next(f for f in d.facts if f.asked_as == item)
        text = rng.choice(LOOKUP).format(unit=d.unit, year=d.year, yy=d.year % 100, item=item)
        out.append(Question("lookup", text, None, (doc_ids[d.unit, d.year],), (d.unit,), fact.value))
    for _ in range(per_kind):
        d = rng.choice(docs)
        picked = doc_ids[d.unit, d.year]
        out.append(Question("prose", rng.choice(PROSE), picked, (picked,), (d.unit,)))
    out += [Question("ranking", text) for text in RANKING]
    by_year: dict[int, list[SynthDoc]] = {}
    for d in docs:
        by_year.setdefault(d.year, []).append(d)
    years = [y for y, ds in by_year.items() if len({d.unit for d in ds}) >= 2]
    for _ in range(per_kind if years else 0):
        year = rng.choice(years)
        a, b = rng.sample(by_year[year], 2)
        while a.unit == b.unit:
            a, b = rng.sample(by_year[year], 2)
        text = rng.choice(COMPARE).format(year=year, a=a.unit, b=b.unit)
        out.append(Question("compare", text, None, (doc_ids[a.unit, a.year], doc_ids[b.unit, b.year]),
                            (a.unit, b.unit)))
    return out


@dataclass
class Outcome:
    question: Question
    seconds: float
    status: str = "error"
    length: int = 0  # characters of the reply's text
    wrong_doc: bool = False  # a citation of a document the question did not ask about
    right_value: bool = False  # lookup: the figure from the right document; compare: exactly A and B
    units_listed: int = 0
    other_units: int = 0  # units named in the reply that the question did not name
    error: str = ""
    answer: str = ""  # the reply's text, cut to 300 characters, for answers.jsonl
    cited: tuple[str, ...] = ()


def judge(q: Question, reply: dict[str, Any], seconds: float, units: list[str]) -> Outcome:
    answer = str(reply.get("answer", ""))
    cited = {c.get("doc_id") for c in reply.get("citations", [])}
    out = Outcome(q, seconds, str(reply.get("status", "")), len(answer), answer=answer[:300],
                  cited=tuple(sorted(str(c) for c in cited)))
    if q.expect_docs and cited:
        out.wrong_doc = not cited <= set(q.expect_docs)
    if q.expect_value:
        out.right_value = q.expect_value in answer.replace(",", "") and not out.wrong_doc
    if q.kind == "compare":
        out.right_value = out.status == "answered" and cited == set(q.expect_docs)
    if q.kind in ("compare", "ranking"):
        named = units_named(answer, units)
        out.units_listed = len(named)
        out.other_units = len(named - set(q.expect_units)) if q.expect_units else 0
    return out


def units_named(text: str, units: list[str]) -> set[str]:
    """The units whose full names the text says (a name inside a longer one said is not)."""
    found = {u for u in units if u in text}
    return {u for u in found if not any(u != v and u in v for v in found)}
