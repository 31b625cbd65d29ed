"""Which documents a question is about: the unit and year it names, or the conversation's."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.model import Document

ORG = re.compile(r"([\u4e00-\u9fff]{2,20}?(?:局|中心|院|厅|委员会|办公室|办事处|街道|政府|学校|医院)"
                 r"(?:办事处|办公室|局|中心)*)")


@dataclass(frozen=True)
class Scope:
    docs: tuple[Document, ...]
    problem: str = ""  # why no document fits, for a not_found reply
    named: bool = False  # the question itself named the unit or year
    several: bool = False  # the question names several units: compare them


def unit_matches(mention: str, unit: str) -> bool:
    if mention in unit or unit in mention:
        return True
    tail = mention[-2:]
    if tail not in unit and mention[-1] not in unit[-3:]:
        return False
    return sum(1 for ch in set(mention) if ch in unit) / len(set(mention)) >= 0.75


def unit_mentions(q: str) -> list[str]:
    """The units a question names: "普陀区司法局和财政局" → 普陀区司法局, 财政局."""
    return [re.sub(r"^(和|与|及|跟|同|、|以及)", "", m.group(1)) for m in ORG.finditer(q)]


def resolve_scope(question: str, docs: list[Document], current: list[str]) -> Scope:
    q = re.sub(r"\s+", "", question)
    years = _scope_years(q)
    doc_years = {d.year for d in docs}
    candidates = list(docs)
    named = False
    mentions = unit_mentions(q)
    by_unit = [d for d in docs if any(unit_matches(m, d.unit) for m in mentions)]
    if mentions and not by_unit and not _mentions_own_words(mentions, docs):
        return Scope((), f"文件中没有「{mentions[0]}」的预算或决算公开", True)
    several = False
    if by_unit:
        candidates, named = by_unit, True
        hit = [m for m in mentions if any(unit_matches(m, d.unit) for d in docs)]
        several = len({d.unit for d in by_unit}) > 1 and len(hit) > 1
    if years:
        by_year = [d for d in candidates if d.year in years]
        if not by_year and not (years & doc_years and not by_unit):
            shown = "、".join(str(y) for y in sorted(years))
            return Scope((), f"已收录的文件中没有{shown}年的相应文件", True)
        if by_year:
            candidates, named = by_year, True
    if not by_unit and current:  # a year alone does not move the conversation off its document
        kept = [d for d in candidates if d.doc_id in current]
        if kept:
            candidates = kept
    if re.search(r"今年|本年度|当年", q) and not years:  # "社保中心今年…": each unit's latest
        latest = {d.unit: max(x.year or 0 for x in candidates if x.unit == d.unit) for d in candidates}
        candidates = [d for d in candidates if (d.year or 0) == latest[d.unit]]
    return Scope(tuple(candidates), "", named, several)


def _mentions_own_words(mentions: list[str], docs: list[Document]) -> bool:
    """"社会保险中心" in "社会保险中心的主要职能" is the document's own unit, said short."""
    return any(unit_matches(m[-6:], d.unit) for m in mentions for d in docs)


def _scope_years(q: str) -> set[int]:
    """The year a question is about: one at its start or right after the unit it names
    ("2023年自治区…资金" inside a project's name is not)."""
    m = re.match(r"^(?:[\u4e00-\u9fff]{0,20}?(?:局|中心|院|厅|委员会|办公室|办事处|街道|政府|学校|医院))?"
                 r"(20\d\d)年", q)
    return {int(m.group(1))} if m else set()


KIND_WORDS = {"budget": "预算", "yusuan": "预算", "final": "决算", "juesuan": "决算", "accounts": "决算"}
NEUTRAL_WORDS = {"unit", "dept", "department", "tables", "table", "prose", "report", "pdf", "txt", "bumen", "danwei"}


def slug_matches(slug: str, doc: Document) -> bool:
    """Whether a document's short name ("hejing-shebao-2024", "sh_2026_pt_sifaju_budget") fits
    it: numbers are its year, words are spelled from its unit's pinyin, a syllable whole or by
    its initial, in order, others skipped (社会保险 → shebao)."""
    from pypinyin import lazy_pinyin

    syllables = [s for s in lazy_pinyin(doc.unit) if s.isalpha()]
    words = [w for w in re.split(r"[^0-9a-z]+", slug.lower()) if w]
    named = False
    for w in words:
        if w.isdigit():
            if len(w) == 4 and doc.year != int(w):
                return False
            continue
        if w in KIND_WORDS:
            if KIND_WORDS[w] != doc.kind:
                return False
            continue
        if w in NEUTRAL_WORDS:
            continue
        if not _spelled(w, syllables):
            return False
        named = True
    return named


def _spelled(word: str, syllables: list[str]) -> bool:
    """word = concatenation of some syllables in order, each whole or as its first letter."""
    reach = {0}  # positions in word reachable after some prefix of syllables
    for s in syllables:
        reach |= {i + len(p) for i in reach for p in {s, s[0]} if word.startswith(p, i)}
        if len(word) in reach:
            return True
    return len(word) in reach
