"""Which documents a question is about: the unit and year it names, or the conversation's."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from ingest.model import Document

if TYPE_CHECKING:
    from qa.gazetteer import Gazetteer

ORG = re.compile(r"([\u4e00-\u9fff]{2,20}?(?:局|中心|院|厅|委员会|办公室|办事处|街道|政府|学校|医院|馆|站)"
                 r"(?:办事处|办公室|局|中心)*)")


@dataclass(frozen=True)
class Scope:
    docs: tuple[Document, ...]
    problem: str = ""  # why no document fits, for a not_found reply
    named: bool = False  # the question itself named the unit or year
    several: bool = False  # the question names several units: compare them


def unit_matches(mention: str, unit: str) -> bool:
    """Whether a mention (a unit's name as said) names this unit: itself, or an abbreviation
    of it that keeps its head (社保中心, 省检察院, 普陀区司法局)."""
    return any(h.start == 0 and h.end == len(mention) for h in unit_hits(mention, [unit]))


def unit_mentions(q: str) -> list[str]:
    """The units a question names: "普陀区司法局和财政局" → 普陀区司法局, 财政局."""
    return [re.sub(r"^(和|与|及|跟|同|、|以及)", "", m.group(1)) for m in ORG.finditer(q)]


DEICTIC = re.compile(r"(这个|这家|该|本|此|这)$")
LEADING = (r"^(今年|去年|明年|本年|年度|年|度|的|那么|那|请问|换成|换到|改成|看看|关于|和|与|及|跟"
           r"|比较|对比|相比|查询|查)+")
PLACE = re.compile(r"[\u4e00-\u9fff]{1,2}(?:省|市|区|县|州|旗)|人民政府")
WORD_ENDS = "年的在与及跟同问查看和"  # characters that end the word before a place rather than begin it
NOT_PLACE = ("今年", "去年", "明年", "本年", "前年", "当年", "上年", "换成", "换到", "改成", "看看", "那么", "还有",
             "以及", "我们", "你们", "他们")


@dataclass(frozen=True)
class UnitHit:
    unit: str
    start: int
    end: int
    score: tuple[int, int]  # (characters said, minus the gaps left in the unit's name)


@lru_cache(maxsize=100_000)
def _said_names(unit: str) -> tuple[str, ...]:
    """The unit's name and its short forms (qa/lexicon.toml unit_short: 江苏省高级人民法院 →
    江苏省高院; 江苏省人大常委会办公厅 → 江苏省人大)."""
    from qa.normalise import lexicon

    names = [unit]
    for word, shorts in lexicon()["unit_short"].items():
        for short in shorts.split("|") if word in unit else ():
            names.append(unit.replace(word, short))
            names.append(short)
    return tuple(dict.fromkeys(names))


@lru_cache(maxsize=1)
def _shorts() -> frozenset[str]:
    from qa.normalise import lexicon

    return frozenset(short for shorts in lexicon()["unit_short"].values() for short in shorts.split("|"))


@lru_cache(maxsize=100_000)
def _said_sounds(unit: str) -> tuple[tuple[str, str], ...]:
    """(said name, its sound up to a head) for every said name and head of the unit."""
    from qa.link import sound

    return tuple((full, sound(full[:end])) for full in _said_names(unit) for end in _heads(full))


def _heads(unit: str) -> list[int]:
    """Where a said name of the unit may end: after its last character, or after an inner
    head people stop at (万里街道 for 万里街道办事处)."""
    ends = [len(unit)]
    for m in re.finditer(r"街道|中心|局|院|厅|委员会", unit):
        if m.end() < len(unit):
            ends.append(m.end())
    return ends


def unit_hits(q: str, units: list[str]) -> list[UnitHit]:
    """For each unit, the longest stretch of the question that says its name: the name, or an
    abbreviation of it (its characters in order, skipping at most two at a time, a prefix
    such as the province freely) that ends on the unit's head; by syllable, so a slip of
    the input method still names it."""
    from qa.link import sound

    sq = sound(q)
    out: list[UnitHit] = []
    for unit in units:
        best: UnitHit | None = None
        for said in _said_names(unit):
            if said in _shorts() and q.startswith(said):  # "政协2018年…": a short form standing alone
                at = 0
                hit = UnitHit(unit, at, at + len(said), (len(said), 0))
                if best is None or hit.score > best.score:
                    best = hit
        for full, name in _said_sounds(unit):
            last = name[-1]
            for end in range(len(q), 0, -1):
                if sq[end - 1] != last:
                    continue
                for start in range(0, end - 1):
                    gaps = _abbreviates(sq[start:end], name)
                    if gaps is None:
                        continue
                    size = end - start
                    if size < 3 and sq[start:end] != name:
                        continue
                    if DEICTIC.search(q[:start]) and size <= 2:
                        continue
                    start = _with_prefix(sq, start, sound(full))
                    hit = UnitHit(unit, start, end, (size, -gaps))
                    if best is None or hit.score > best.score:
                        best = hit
                    break  # the longest from this end
        if best is not None:
            out.append(best)
    return out


def _with_prefix(sq: str, start: int, name: str) -> int:
    """Where the name said starts when a region part of it stands before the rest (上海市普陀区
    万里街道 for 上海市普陀区人民政府万里街道办事处)."""
    for size in range(start, 1, -1):
        if sq[start - size:start] in name:
            return start - size
    return start


def _abbreviates(said: str, name: str) -> int | None:
    """How many gaps `said` leaves in `name` when its characters are found in order, ending
    with the name's last; None when it is not so found or skips more than two at a time
    (a prefix of the name may be skipped whole: 省检察院 for 江苏省人民检察院)."""
    j = len(name) - 1
    gaps = 0
    for ch in reversed(said):
        k = name.rfind(ch, 0, j + 1)
        if k < 0:
            return None
        if j - k > 2:
            return None
        gaps += j > k
        j = k - 1
    return gaps


def _other_place(q: str, h: UnitHit) -> bool:
    """A place said with the name that the unit's name does not hold: 长宁区司法局 is not 普陀区
    司法局, 浙江省政协办公厅 not 江苏省政协办公厅; nor is 东湖省人大常委会办公厅 any 办公厅
    whose name lacks the words said before its head."""
    from qa.link import sound

    for m in ORG.finditer(q):
        if m.start() < h.start < m.end() or m.start() < h.end <= m.end():
            before = re.sub(LEADING, "", re.split(r"和|与|及|跟|同|、|，|,", q[m.start():h.start])[-1])
            if len(before) > 1 and any(ch not in h.unit for ch in before):  # one character: the
                # end of a word the match began inside ("比较X局": 较)
                return True

    return any(end > h.start - 4 and start < h.end and sound(place) not in sound(h.unit)
               for place, start, end in _places(q))


def named_units(q: str, units: list[str]) -> list[UnitHit]:
    """The units the question names, the best-said of each overlapping stretch: a name said
    in full beats a sibling that shares its head (省委办公厅 is 中共江苏省委办公厅, not
    江苏省人大常委会办公厅)."""
    return _best_said(q, [h for h in unit_hits(q, units) if not _other_place(q, h)])


def _best_said(q: str, found: list[UnitHit]) -> list[UnitHit]:
    hits = sorted(found, key=lambda h: h.score, reverse=True)
    kept: list[UnitHit] = []
    for h in hits:
        rivals = [k for k in kept if k.start < h.end and h.start < k.end]
        if not rivals or all(r.score == h.score for r in rivals):
            kept.append(h)
    return kept


def resolve_scope(question: str, docs: list[Document], current: list[str],
                  is_vocabulary: Callable[[str], bool] = lambda _: False,
                  gazetteer: Gazetteer | None = None) -> Scope:
    """The documents a question is about. `is_vocabulary` tells the documents' own words
    (a row such as 政府办公厅（室）及相关机构事务) from the name of a unit nobody ingested."""
    q = re.sub(r"\s+", "", question)
    # a year that begins a long row name ("2023年关闭破产困难企业…") is not the document's year
    years = {y for y in _scope_years(q) if not is_vocabulary(q[q.find(str(y)):q.find(str(y)) + 12])}
    doc_years = {d.year for d in docs}
    candidates = list(docs)
    named = False
    if gazetteer is None:
        from qa.gazetteer import Gazetteer

        gazetteer = Gazetteer(docs)
    hits = [h for h in gazetteer.named(q)
            if q[h.start:h.end] == h.unit or not _inside_vocabulary(q, h, is_vocabulary)]
    if not years:  # "裕民县档案馆2023年…": the year said right after the unit named
        years = {y for h in hits[:1] if (y := _year_beside(q, h))}
    by_unit = [d for d in docs if any(h.unit == d.unit for h in hits)]
    said = [(h.start, h.end) for h in hits]
    unknown = [m for m in ORG.finditer(q) if not any(a < m.end() and m.start() < b for a, b in said)]
    if unknown and not by_unit and not DEICTIC.search(q[:unknown[0].start()] + unknown[0].group(1)[:2]):
        name = re.sub(r"^(和|与|及|跟|同|、|以及)", "", unknown[0].group(1))
        row_words = is_vocabulary(name[-4:]) and not PLACE.search(name)  # a place says it is a unit
        if not _mentions_own_words([name], gazetteer) and not row_words:
            return Scope((), f"文件中没有「{name}」的预算或决算公开（已收录：{_ingested(docs)}）", True)
    several = False
    if by_unit:
        candidates, named = by_unit, True
        starts = {h.start for h in hits}
        several = len({d.unit for d in by_unit}) > 1 and len(starts) > 1
    own = {h.unit: _year_beside(q, h) for h in hits} if several else {}
    if any(own.values()):  # "A2024年与B2026年…": each unit its own year
        paired = [d for d in by_unit if own.get(d.unit) == d.year
                  or (own.get(d.unit) is None and (not years or d.year in years))]
        if paired:
            return Scope(tuple(paired), "", True, len({d.unit for d in paired}) > 1)
    if years:
        by_year = [d for d in candidates if d.year in years]
        if not by_year and not (years & doc_years and not by_unit):
            shown = "、".join(str(y) for y in sorted(years))
            return Scope((), f"已收录的文件中没有{shown}年的相应文件", True)
        if by_year:
            candidates, named = by_year, True
    if not by_unit and current:  # a year alone keeps the conversation's unit: its document of that year
        mine = {d.unit for d in docs if d.doc_id in current}
        kept = [d for d in candidates if d.doc_id in current] or [d for d in candidates if d.unit in mine]
        if years and not kept and mine:
            shown = "、".join(str(y) for y in sorted(years))
            return Scope((), f"已收录的文件中没有{'、'.join(sorted(mine))}{shown}年的文件", True)
        if kept:
            candidates = kept
    if not by_unit and not current:  # "普陀区各单位…": the units of a place said alone
        inside = [d for d in candidates if any(p in d.unit for p in places_said(q))]
        if inside:
            candidates, named = inside, True
    if re.search(r"今年|本年度|当年", q) and not years:  # "社保中心今年…": each unit's latest
        latest: dict[str, int] = {}
        for d in candidates:
            latest[d.unit] = max(latest.get(d.unit, 0), d.year or 0)
        candidates = [d for d in candidates if (d.year or 0) == latest[d.unit]]
    return Scope(tuple(candidates), "", named, several)


def places_said(q: str) -> list[str]:
    """The places a question says (江苏省, 普陀区, 沛县), not the words around them."""
    return [place for place, _, _ in _places(q) if place != "人民政府"]


def _places(q: str) -> list[tuple[str, int, int]]:
    """(place, start, end) for each place said: a one-character county after a word ("2026年
    沛县", "问丰县") without that word; not 全县 or 本市, the unit's own place."""
    out = []
    for m in PLACE.finditer(q):
        place = m.group(0)
        if len(place) == 3 and place[0] in WORD_ENDS:
            place = place[1:]
        if place[:2] not in NOT_PLACE and place[0] not in "全本该各此那这":
            out.append((place, m.start(), m.end()))
    return out


def _year_beside(q: str, h: UnitHit) -> int | None:
    """The year said right after a unit's name, or right before it."""
    m = re.match(r"的?(20\d\d)年", q[h.end:]) or re.search(r"(20\d\d)年度?的?$", q[:h.start])
    return int(m.group(1)) if m else None


def _inside_vocabulary(q: str, h: UnitHit, is_vocabulary: Callable[[str], bool]) -> bool:
    """A unit's head said inside a row's name (政府办公厅（室）及相关机构事务) names no unit."""
    return any(is_vocabulary(q[max(0, h.start - before):h.end + after]) for before, after in ((2, 1), (1, 2), (0, 3)))


def _ingested(docs: list[Document]) -> str:
    units = sorted({d.unit for d in docs})
    return "、".join(units[:8]) + (f"等 {len(units)} 个单位" if len(units) > 8 else "")


def _mentions_own_words(mentions: list[str], gazetteer: Gazetteer) -> bool:
    """"社会保险中心" in "社会保险中心的主要职能" is the document's own unit, said short (but not
    浙江省政协办公厅, whose place no document's unit holds)."""
    return any(h.start == 0 and h.end == len(m[-6:])
               and not _other_place(m, UnitHit(h.unit, len(m) - 6, len(m), (0, 0)))
               for m in mentions for h in gazetteer.hits(m[-6:]))


def _scope_years(q: str) -> set[int]:
    """The year a question is about: one at its start or right after the unit it names
    ("2023年自治区…资金" inside a project's name is not)."""
    m = re.match(r"^(?:那|那么|换成|换到|改成|看看|如果是)?"
                 r"(?:[\u4e00-\u9fff]{0,20}?(?:局|中心|院|厅|委员会|办公室|办事处|街道|政府|学校|医院|政协|人大))?"
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
