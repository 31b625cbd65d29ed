"""Which documents a question is about: the units, places and years it says (qa.units), or the
conversation's, or every document. Its value, `Scope`, also records where the question said
them, so that linking leaves those characters alone."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.model import Document
from qa.lexicon import ends_with, says
from qa.normalise import Question
from qa.sound import sound
from qa.units import PLACE, UnitHit, Units, head_words, ingested, places, year_beside, years


@dataclass(frozen=True)
class Scope:
    docs: tuple[Document, ...]
    problem: str = ""  # why no document fits, for a not_found reply
    named: bool = False  # the question itself named the unit or year
    several: bool = False  # the question names several units or years: an operation across them
    said: tuple[tuple[int, int], ...] = ()  # where the question names units and years
    years: tuple[int, ...] = ()  # the years said, in order
    previous: bool = False  # a year before the conversation's document was asked, which only it states


def is_vocabulary(words: str, corpus: str) -> bool:
    """Words that are part of a row's name in some document (`corpus`: the sounds of every row
    name, joined), not a unit's name."""
    words = re.sub(r"[（）()“”\"、，,：:]", "", words)
    return len(words) >= 3 and sound(words) in corpus


def resolve(q: Question, docs: list[Document], current: list[str], units: Units, corpus: str = "") -> Scope:
    """The documents a question is about; `current`: the conversation's documents."""
    text = q.text
    # a year that begins a long row name ("2023年关闭破产困难企业…") is not the document's year
    all_years = [(y, a, b) for y, a, b in years(text) if not is_vocabulary(text[a:b + 6], corpus)]
    hits = [h for h in units.named(text) if text[h.start:h.end] == h.unit or not _inside_vocabulary(text, h, corpus)]
    # a year said after 比 that no document of the unit asked has is stated by the document asked
    # ("2026年预算比2025年执行数多了多少")
    asked_units = {h.unit for h in hits} or {d.unit for d in docs if d.doc_id in current}
    loaded = {d.year for d in docs if not asked_units or d.unit in asked_units}
    said_years = [(y, a, b) for y, a, b in all_years
                  if not (re.search(r"(比|较|比起|相比)$", text[max(0, a - 3):a]) and y not in loaded)]
    year_set = {y for y, _, _ in said_years}
    if not year_set:  # "裕民县档案馆2023年…": the year said right after the unit named
        year_set = {y for h in hits[:1] if (y := year_beside(text, h))}
    spans = tuple(sorted({(h.start, h.end) for h in hits} | {(a, b) for _, a, b in all_years}))
    by_unit = [d for d in docs if any(h.unit == d.unit for h in hits)]
    problem = _unknown_unit(text, hits, by_unit, units, corpus)
    if problem:
        return Scope((), f"文件中没有「{problem}」的预算或决算公开（已收录：{ingested(docs)}）", True, said=spans)
    candidates, named, several = list(docs), False, False
    if by_unit:
        candidates, named = by_unit, True
        several = len({d.unit for d in by_unit}) > 1 and len({h.start for h in hits}) > 1
        asked = [d for d in by_unit if d.doc_id in current]
        if asked and not year_set and not several:  # "检察院有几辆车" in a conversation about its 2018 budget
            candidates = asked
    ordered = tuple(y for y, _, _ in said_years)
    own = {h.unit: year_beside(text, h) for h in hits} if several else {}
    if any(own.values()):  # "A2024年与B2026年…": each unit its own year
        paired = [d for d in by_unit if own.get(d.unit) == d.year
                  or (own.get(d.unit) is None and (not year_set or d.year in year_set))]
        if paired:
            return Scope(tuple(paired), "", True, len({d.unit for d in paired}) > 1, spans, ordered)
    if not by_unit and current:  # a year alone keeps the conversation's unit: its document of that year
        mine = {d.unit for d in docs if d.doc_id in current}
        kept = [d for d in candidates if d.unit in mine]
        if kept:
            candidates = kept if year_set else [d for d in kept if d.doc_id in current] or kept
        now = [d for d in docs if d.doc_id in current]
        if year_set and now and not [d for d in kept if d.year in year_set] and \
                all(d.year and y == d.year - 1 for d in now for y in year_set):  # "那2023年度是多少"
            return Scope(tuple(now), "", True, False, spans, ordered, previous=True)
    if year_set:
        by_year = [d for d in candidates if d.year in year_set]
        if not by_year:
            shown = "、".join(str(y) for y in sorted(year_set))
            who = "、".join(sorted({d.unit for d in candidates})) if (by_unit or current) and len(
                {d.unit for d in candidates}) <= 3 else ""
            return Scope((), f"已收录的文件中没有{who}{shown}年的文件", True, said=spans)
        candidates, named = by_year, True
        several = several or len({d.year for d in by_year}) > 1
    if not by_unit and not current:  # "普陀区各单位…": the units of a place said alone
        inside = [d for d in candidates if any(p in d.unit for p, _, _ in places(text))]
        if inside:
            candidates, named = inside, True
    if says("this_year", text) and not year_set:  # "社保中心今年…": each unit's latest
        latest: dict[str, int] = {}
        for d in candidates:
            latest[d.unit] = max(latest.get(d.unit, 0), d.year or 0)
        candidates = [d for d in candidates if (d.year or 0) == latest[d.unit]]
    return Scope(tuple(candidates), "", named, several, spans, ordered)


def _unknown_unit(text: str, hits: list[UnitHit], by_unit: list[Document], units: Units, corpus: str) -> str:
    """The name of an organisation the question asks about that no ingested unit is, or ""."""
    if by_unit:
        return ""
    for name, start, _ in units.unknown(text, [(h.start, h.end) for h in hits]):
        if ends_with("deictic", text[:start] + name[:2]):
            continue
        row_words = is_vocabulary(name[-4:], corpus) and not PLACE.search(name)  # a place says it is a unit
        if not units.own_words(name) and not row_words:
            return name
    return ""


GENERIC = re.compile(r"人民|政府|中共|党委|常委|办公|机关|[省市区县]")


def _inside_vocabulary(q: str, h: UnitHit, corpus: str) -> bool:
    """A unit's head said inside a row's name (政府办公厅（室）及相关机构事务) names no unit; a name
    of its own said with its head there does (万里街道 in 万里街道社区公共服务中心新建工程)."""
    said = own = q[h.start:h.end]
    for head in sorted(head_words(), key=len, reverse=True):
        own = own.replace(head, "")
    if own != said and len(GENERIC.sub("", own)) >= 2:  # a proper name said with its head
        return False
    windows = ((0, 1), (1, 0), (0, 2), (2, 0), (1, 1), (2, 1), (1, 2), (0, 3))
    return any(is_vocabulary(q[h.start - before:h.end + after], corpus) for before, after in windows
               if h.start - before >= 0 and h.end + after <= len(q))
