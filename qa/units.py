"""The corpus's units, places and years, as a question names them.

A unit is named by its canonical name or by a reference to it: its characters in order (by
syllable, so an input-method slip still names it), skipping at most two at a time, a prefix
such as the province freely, ending on its head (局, 中心, 办公厅 or its first character 办 …);
or by the short forms of qa/lexicon.toml (高院, 人大, 政协). The units are indexed by syllable,
so a question is matched against the few units that could be said in it: matching costs the
same with ten units as with a thousand that share words (和静县教育局, 和硕县教育局)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ingest.model import Document
from qa.lexicon import ends_with, table, without_leading, words
from qa.sound import sound

ORG = re.compile(r"([\u4e00-\u9fff]{2,20}?(?:局|中心|院|厅|委员会|办公室|办事处|街道|政府|学校|医院|馆|站"
                 r"|工作部|宣传部|组织部)(?:办事处|办公室|局|中心)*)")
PLACE = re.compile(r"[\u4e00-\u9fff]{1,2}(?:省|市|区|县|州|旗)|人民政府")
YEAR = re.compile(r"(20\d\d)年度?")


@dataclass(frozen=True)
class UnitHit:
    unit: str
    start: int
    end: int
    score: tuple[int, int]  # (characters said, minus the gaps left in the unit's name)


@lru_cache(maxsize=100_000)
def said_names(unit: str) -> tuple[str, ...]:
    """The unit's name and its short forms (江苏省高级人民法院 → 江苏省高院; 中共江苏省委办公厅 →
    江苏省委办公厅)."""
    names = [unit]
    for word, shorts in table("unit_short"):
        for short in shorts.split("|") if word in unit else ():
            names.append(unit.replace(word, short))
            head = next((h for h in words("heads")
                         if len(h) >= 2 and word.endswith(h) and not short.endswith((h, h[0]))), "")
            if short and head:  # 人大 + 办公厅: a short form said with the head it stands before
                names.append(unit.replace(word, short + head))
            if short:
                names.append(short)
    return tuple(dict.fromkeys(n for n in names if n))


@lru_cache(maxsize=1)
def _shorts() -> frozenset[str]:
    return frozenset(short for _, shorts in table("unit_short") for short in shorts.split("|") if short)


@lru_cache(maxsize=100_000)
def _said_sounds(unit: str) -> tuple[tuple[str, str], ...]:
    """(said name, its sound up to a head) for every said name and head of the unit."""
    return tuple((full, sound(full[:end])) for full in said_names(unit) for end in _heads(full))


def _heads(unit: str) -> list[int]:
    """Where a said name of the unit may end: after its last character, or after an inner head
    people stop at (万里街道 for 万里街道办事处)."""
    ends = [len(unit)]
    for m in re.finditer(r"街道|中心|局|院|厅|委员会", unit):
        if m.end() < len(unit):
            ends.append(m.end())
    for head in words("heads"):  # a head of three characters said by its first: 省委办, 商务委
        if len(head) >= 3 and unit.endswith(head):
            ends.append(len(unit) - len(head) + 1)
    return ends


def unit_hits(q: str, units: list[str]) -> list[UnitHit]:
    """For each unit, the longest stretch of the question that says its name."""
    sq = sound(q)
    out: list[UnitHit] = []
    for unit in units:
        best: UnitHit | None = None
        for said in said_names(unit):
            if said in _shorts() and q.startswith(said):  # "政协2018年…": a short form standing alone
                hit = UnitHit(unit, 0, len(said), (len(said), 0))
                if best is None or hit.score > best.score:
                    best = hit
        for full, name in _said_sounds(unit):
            last, head = name[-1], full[len(name) - 1]
            for end in range(len(q), 0, -1):
                if sq[end - 1] != last or q[end - 1] != head:
                    continue  # a unit's head is said as printed: 卫 is no slip for 委
                for start in range(0, end - 1):
                    gaps = _abbreviates(sq[start:end], name)
                    if gaps is None:
                        continue
                    size = end - start
                    if size < 3 and sq[start:end] != name:
                        continue
                    if ends_with("deictic", q[:start]) and size <= 2 or q[start:end] in words("heads"):
                        continue  # a head alone (委员会, 办公室) names no unit
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
    """How many gaps `said` leaves in `name` when its characters are found in order, ending within
    two characters of the name's end; None when it is not so found or skips more than two at a
    time (a prefix of the name may be skipped whole: 省检察院 for 江苏省人民检察院)."""
    j = len(name) - 1
    gaps = 0
    for ch in reversed(said):
        k = name.rfind(ch, 0, j + 1)
        if k < 0 or j - k > 2:
            return None
        gaps += j > k
        j = k - 1
    return gaps


def _other_place(q: str, h: UnitHit) -> bool:
    """A place said with the name that the unit's name does not hold: 长宁区司法局 is not 普陀区
    司法局, 浙江省政协办公厅 not 江苏省政协办公厅."""
    for m in ORG.finditer(q):
        if m.start() < h.start < m.end() or m.start() < h.end <= m.end():
            before = without_leading("before_names", re.split(r"和|与|及|跟|同|、|，|,", q[m.start():h.start])[-1])
            if len(before) > 1 and any(ch not in h.unit for ch in before) and _names_something(before):
                return True
    return any(end > h.start - 4 and start < h.end and sound(place) not in sound(h.unit)
               for place, start, end in places(q))


def _names_something(words: str) -> bool:
    """Words holding a noun (a place, an organisation), not only a verb or an adverb said before
    the name (想查, 再看看)."""
    import jieba.posseg

    return any(w.flag[:1] in ("n", "j") or w.flag in ("s", "nr", "ns", "nt", "nz") for w in jieba.posseg.cut(words))


def _best_said(found: list[UnitHit]) -> list[UnitHit]:
    """The best-said unit of each overlapping stretch: a name said in full beats a sibling that
    shares its head (省委办公厅 is 中共江苏省委办公厅, not 江苏省人大常委会办公厅)."""
    kept: list[UnitHit] = []
    for h in sorted(found, key=lambda h: h.score, reverse=True):
        rivals = [k for k in kept if k.start < h.end and h.start < k.end]
        if not rivals or all(r.score == h.score for r in rivals):
            kept.append(h)
    return kept


def places(q: str) -> list[tuple[str, int, int]]:
    """(place, start, end) for each place said: a one-character county after a word ("2026年沛县")
    without that word; not 全县 or 本市, the unit's own place."""
    out = []
    for m in PLACE.finditer(q):
        place = m.group(0)
        ends = [i for i, ch in enumerate(place[:-1]) if ch in words("place_word_ends")]
        if ends and place[-1] in "省市":  # "院和省": the province said alone after 和, no place of its own
            place = place[ends[-1] + 1:]
        while len(place) > 1 and place[0] in words("place_word_ends"):  # "年沛县": 沛县
            place = place[1:]
        if len(place) < 2 or any(place.endswith(w) for w in words("not_places")):
            continue
        if place[:2] not in words("not_place_starts") and place[0] not in "全本该各此那这" and place != "人民政府":
            out.append((place, m.start(), m.end()))
    return out


def years(q: str) -> list[tuple[int, int, int]]:
    """(year, start, end) of every year said."""
    return [(int(m.group(1)), m.start(), m.end()) for m in YEAR.finditer(q)]


def year_beside(q: str, h: UnitHit) -> int | None:
    """The year said right after a unit's name, or right before it."""
    m = re.match(r"的?(20\d\d)年", q[h.end:]) or re.search(r"(20\d\d)年度?的?$", q[:h.start])
    return int(m.group(1)) if m else None


class Units:
    """The ingested units' names, indexed by syllable: a unit's name can only be said by a
    stretch of the question whose every syllable is in the name (a run), so a unit whose runs are
    all shorter than three, or all inside a stretch already said better by another unit, cannot
    be named there."""

    def __init__(self, docs: list[Document], taught: list[tuple[str, str]] = ()) -> None:  # type: ignore[assignment]
        self.units = sorted({d.unit for d in docs})
        self.taught = {said: unit for said, unit in taught if unit in self.units}
        self._by_sound: dict[str, set[str]] = {}
        self._sounds: dict[str, frozenset[str]] = {}
        self._least: dict[str, int] = {}  # the shortest stretch that can say the unit
        for unit in self.units:
            chars = frozenset(sound("".join(said_names(unit))))
            self._sounds[unit] = chars
            self._least[unit] = min(3, *(len(name) for _, name in _said_sounds(unit)))
            for ch in chars:
                self._by_sound.setdefault(ch, set()).add(unit)
        self._short = {u for u in self.units if self._least[u] < 3 or set(said_names(u)) & _shorts()}
        self._named: dict[str, list[UnitHit]] = {}  # a question is matched several times

    def hits(self, q: str) -> list[UnitHit]:
        """unit_hits(q, units) for the units that may be said in q, unfiltered."""
        return [h for _, unit in self._candidates(q) for h in unit_hits(q, [unit])]

    def named(self, q: str) -> list[UnitHit]:
        """The units the question names, best-said first, without siblings of other places."""
        if q not in self._named:
            if len(self._named) > 2000:
                self._named.clear()
            self._named[q] = self._named_now(q)
        return self._named[q]

    def _named_now(self, q: str) -> list[UnitHit]:
        found: list[UnitHit] = [UnitHit(unit, m.start(), m.end(), (len(said) + 2, 0))
                                for said, unit in self.taught.items() for m in re.finditer(re.escape(said), q)]
        for runs, unit in self._candidates(q):
            if found and all(any(h.start <= a and b <= h.end and h.score[0] > b - a for h in found)
                             for a, b in runs):
                continue
            found += [h for h in unit_hits(q, [unit]) if not _other_place(q, h)]
        return _best_said(found)

    def _candidates(self, q: str) -> list[tuple[list[tuple[int, int]], str]]:
        sq = sound(q)
        sets = [self._by_sound.get(ch, set()) for ch in sq]
        near: set[str] = set()
        for i in range(len(sq) - 2):  # units holding three syllables said in a row
            three = sorted(sets[i:i + 3], key=len)
            if three[0]:
                near |= three[0] & three[1] & three[2]
        for i in range(len(sq) - 1):  # and the few a two-syllable name says (政协)
            near |= sets[i] & sets[i + 1] & self._short
        shorts = {u for u in near if any(s in _shorts() and q.startswith(s) for s in said_names(u))}
        out = []
        for unit in near:
            chars, runs, start = self._sounds[unit], [], None
            least = 2 if unit in shorts else self._least[unit]
            for i, ch in enumerate(sq + "\0"):
                if ch in chars and start is None:
                    start = i
                elif ch not in chars and start is not None:
                    if i - start >= least:
                        runs.append((start, i))
                    start = None
            if runs:
                out.append((runs, unit))
        return sorted(out, key=lambda x: (-max(b - a for a, b in x[0]), x[1]))

    def unknown(self, q: str, said: list[tuple[int, int]]) -> list[tuple[str, int, int]]:
        """Organisations the question names that no ingested unit is: (name, start, end)."""
        out = []
        for m in ORG.finditer(q):
            if any(a < m.end() and m.start() < b for a, b in said):
                continue
            name = m.group(1)
            while not any(name[:3] in u for u in self.units):  # 和静县 is a place of the corpus, not 和 + 静县
                lead = next((w for w in ("以及", "、", "同", *words("before_names")) if name.startswith(w)), "")
                if not lead or len(name) - len(lead) < 2:
                    break
                name = name[len(lead):]
            out.append((name, m.end() - len(name), m.end()))
        return out

    def own_words(self, mention: str) -> bool:
        """"社会保险中心" in "社会保险中心的主要职能" is an ingested unit said short (but not
        浙江省政协办公厅, whose place no ingested unit holds)."""
        tail = mention[-6:]
        return any(h.start == 0 and h.end == len(tail)
                   and not _other_place(mention, UnitHit(h.unit, len(mention) - len(tail), len(mention), (0, 0)))
                   for h in self.hits(tail))


def ingested(docs: list[Document]) -> str:
    units = sorted({d.unit for d in docs})
    return "、".join(units[:8]) + ("等" if len(units) > 8 else "")  # no count: a figure no document states


KIND_WORDS = {"budget": "预算", "yusuan": "预算", "final": "决算", "juesuan": "决算", "accounts": "决算"}
NEUTRAL_WORDS = {"unit", "dept", "department", "tables", "table", "prose", "report", "pdf", "txt", "bumen", "danwei"}


def slug_matches(slug: str, doc: Document) -> bool:
    """Whether a document's short name ("hejing-shebao-2024", "sh_2026_pt_sifaju_budget") fits it:
    numbers are its year, words are spelled from its unit's pinyin, a syllable whole or by its
    initial, in order, others skipped (社会保险 → shebao)."""
    from pypinyin import lazy_pinyin

    syllables = [s for s in lazy_pinyin(doc.unit) if s.isalpha()]
    named = False
    for w in (w for w in re.split(r"[^0-9a-z]+", slug.lower()) if w):
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
    reach = {0}
    for s in syllables:
        reach |= {i + len(p) for i in reach for p in {s, s[0]} if word.startswith(p, i)}
        if len(word) in reach:
            return True
    return len(word) in reach


def head_words() -> tuple[str, ...]:
    return words("heads")
