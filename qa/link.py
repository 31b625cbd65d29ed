"""Link a phrase of a question to the document's own vocabulary, and say how well.

A row, a table's topic or a prose subject is linked when its name is found in the phrase
in order — by the same character or one of the same toneless syllable (差旅废 → 差旅费),
as an abbreviation (公车运维费 → 公务用车运行维护费: only short gaps) — and every other
character of the phrase is explained: by a column of that row's table ("X中的基本支出"),
by the table's title or the row's parents (商品和服务支出会议费), by people's words
(qa/lexicon.toml) or by the words of asking. A phrase with characters nothing explains
("债务还本支出" against 基本支出) links to nothing: the figure found would not be the one
asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache

from ingest.model import Fact
from qa.align import CJK, NOISE, Alignment, align, clean, common_block, sound
from qa.match import TABLE_PRIORITY, TOPIC_OF_TYPE, TOTAL_ROWS
from qa.normalise import asking_words, lexicon

LEVEL = re.compile(r"[（(][类款项][）)]")  # "检察（款）行政运行（项）": the levels of a code, said
DEFAULT_COLUMNS = ("合计", "总计", "预算数", "金额", "本年预算", "预算金额", "项目支出合计", "数量", "决算数")
GENERIC_COLUMNS = ("合计", "总计", "小计", "金额", "预算数", "数量")
WHERE = "中里的，、内"  # what follows words that say where
MAX_GAP = 2  # characters of a name an abbreviation may skip at a time



@dataclass(frozen=True)
class Link:
    fact: Fact
    name: str  # the name that linked (a row, a table's topic, a prose subject)
    matched: int
    cover: float  # share of the name found
    exact: int
    column_fit: int  # 2: the column was named, 1: the default column
    priority: int
    unexplained: str = ""
    alias: bool = False
    tail: bool = True  # the name (or its column) is the phrase's last word of substance
    run: bool = True  # the name's words said in one run, none left out between them

    @property
    def key(self) -> tuple[float, ...]:
        # explained, the head, one run, the whole name, how much of it; then tables before prose
        return (-len(self.unexplained), self.tail, self.run, self.cover == 1, self.matched * self.cover, self.cover,
                self.fact.table != "正文", -self.alias, self.exact, self.column_fit, -self.priority)


@dataclass
class Group:
    """One row of one table (or one prose subject): its names and its figures by column."""

    names: list[tuple[str, bool]]  # (clean name, is an alias)
    by_column: dict[str, Fact]
    context: str  # words that may qualify the row: the table's title, its parents, its section
    priority: int
    prose: bool = False
    total: bool = False  # the table's total row
    parents: tuple[str, ...] = ()  # the names of the rows above it (类, 款), said whole
    siblings: frozenset[str] = frozenset()  # the other rows' and columns' names of its table
    people: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # people's words naming it, qualifying it


@dataclass
class LinkIndex:
    groups: list[Group] = field(default_factory=list)
    doc_id: str = ""

    def names(self) -> set[str]:
        return {n for g in self.groups for n, _ in g.names}


def build_index(table_facts: list[Fact], prose_facts: list[Fact], measures: tuple[str, ...]) -> LinkIndex:
    """A document's rows and prose subjects, grouped once per document."""
    rows: dict[tuple[str, str | None, str], dict[str, Fact]] = {}
    names_by_code: dict[tuple[str, str], str] = {}
    for f in table_facts:
        rows.setdefault((f.table, f.code, f.row), {}).setdefault(f.column, f)
        if f.code:
            names_by_code[(f.table, f.code)] = clean(f.row)
    index = LinkIndex(doc_id=next((f.doc_id for f in [*table_facts, *prose_facts]), ""))
    in_table: dict[str, set[str]] = {}
    for f in table_facts:
        in_table.setdefault(f.table, set()).update((clean(f.row), clean(f.column)))
    for (table, code, row), by_column in rows.items():
        first = next(iter(by_column.values()))
        names = [(clean(row), False)]
        if row in TOTAL_ROWS:
            topic = TOPIC_OF_TYPE.get(first.table_type, "")
            if topic == "三公经费" and re.search("会议费|培训费", table):
                topic = ""  # the total of a “三公”经费、会议费、培训费 table is more than the 三公 经费
            if topic:
                names.append((topic, True))
            if first.table_type.endswith("表") and len(first.table_type) > 6:
                names.append((first.table_type[:-1], True))
        parents = [names_by_code.get((table, code[:k]), "") for k in (3, 5) if code and len(code) > k]
        parents = [p for p in parents if p]
        title = re.sub(r"20\d\d年度?|单位[:：].*$", "", clean(table.split(" ", 1)[-1]))
        prio = TABLE_PRIORITY.index(first.table_type) if first.table_type in TABLE_PRIORITY else 50
        index.groups.append(Group(names, by_column, title, prio, total=row in TOTAL_ROWS, parents=tuple(parents),
                                  people=_people_words(tuple(names)),
                                  siblings=frozenset(in_table[table] - {clean(row)})))
    for f in prose_facts:
        if f.column in measures and clean(f.row):
            names = [(clean(f.row), False)]
            index.groups.append(Group(names, {f.column: f}, clean(f.section), 60, prose=True,
                                      people=_people_words(tuple(names))))
    return index


@lru_cache(maxsize=50_000)  # rows are named alike in every document: each name is looked up once
def _people_words(names: tuple[tuple[str, bool], ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """People's words (qa/lexicon.toml) for a row: those that name it (a printed form is its
    name), and those that may qualify it (its name holds a printed form)."""
    naming, qualifying = [], []
    for said, forms in _printed_forms():
        if any(f == n for f in forms for n, _ in names):
            naming.append(said)
        if any(f in n for f in forms for n, _ in names):
            qualifying.append(said)
    return (tuple(sorted(naming, key=len, reverse=True)), tuple(sorted(qualifying, key=len, reverse=True)))


@lru_cache(maxsize=1)
def _printed_forms() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each people's word with the printed forms it stands for, cleaned once."""
    return tuple((said, tuple(clean(p) for p in printed.split("|") if clean(p)))
                 for said, printed in lexicon()["people"].items())


def _asking() -> re.Pattern[str]:
    return asking_words()


def _residue(phrase: str, hits: frozenset[int], context: str, siblings: frozenset[str] = frozenset()) -> str:
    """The characters of the phrase that neither the name, nor its context, nor the words
    of asking explain. The context (a table's title) explains words that say where, set off
    by 中/里/的 or a comma ("支出总体情况表中，…"), not words run into the name."""
    ctx = sound(context)
    s = sound(phrase)
    keep = ["" if i in hits else ch for i, ch in enumerate(phrase)]
    end = len(_strip_asking(phrase))
    i = 0
    while i < len(phrase) - 2:
        if i in hits:
            i += 1
            continue
        j = i
        while j < len(phrase) and j not in hits:
            j += 1
        while j - i >= 3 and not (s[i:j] in ctx and (j >= end or phrase[j] in WHERE)
                                  and phrase[i:j] not in siblings):  # "会议费培训费": 培训费 is what, not where
            j -= 1
        if j - i >= 3:
            keep[i:j] = [""] * (j - i)
            i = j
        else:
            i += 1
    left = re.split("(?<=\x00)|(?=\x00)", "".join(ch if ch else "\x00" for ch in keep))
    return "".join(CJK.findall("".join(_asking().sub("", part) for part in left if part != "\x00")))


def link(phrase: str, index: LinkIndex, unit_is_rate: bool | None = None, codes: set[str] | None = None,
         slack: int = 0) -> list[Link]:
    """Every figure whose row the phrase names with nothing left unexplained, best first."""
    phrase = NOISE.sub("", LEVEL.sub("", phrase))
    codes = codes if codes is not None else set(re.findall(r"\d{3,7}", phrase))
    out: list[Link] = []
    for g in index.groups:
        out += _link_group(phrase, g, codes, slack)
    if unit_is_rate is not None:
        out = [x for x in out if (x.fact.unit == "%") == unit_is_rate]
    best: dict[int, Link] = {}
    for x in out:
        if id(x.fact) not in best or x.key > best[id(x.fact)].key:
            best[id(x.fact)] = x
    return sorted(best.values(), key=lambda x: x.key, reverse=True)


def _link_group(phrase: str, g: Group, codes: set[str], slack: int) -> list[Link]:
    first = next(iter(g.by_column.values()))
    out: list[Link] = []
    if first.code and first.code in codes:  # a code names its row whatever else is said
        rest = phrase.replace(first.code, "\x00" * len(first.code))
        name = clean(first.row)
        for column, cut in _column_cuts(rest, g, name):
            out += _choose_columns(cut, g, _whole_words(cut, (name,)), 50, 1.0, 50, name, False, slack,
                                   column=column)
        return out
    for name, alias in [*g.names, *((w, True) for w in g.people[0])]:
        if len(name) < 2 or (name in g.people[0] and sound(name) not in sound(phrase)):
            continue  # a people's word names a row only when said whole
        for column, cut in _column_cuts(phrase, g, name):
            a = align(cut, name)
            size = len(CJK.findall(name)) or len(name)
            cover = min(1.0, a.matched / size) if a else 0.0
            if a is not None and not _names(a, cover, len(name)) and a.matched >= 4:
                a = common_block(cut, name)  # 机关运行经费预算: the name's 机关运行经费… said, 预算 asked
                cover = a.matched / size if a else 0.0
            if a is None or not _names(a, cover, len(name)):
                continue
            out += [replace(x, run=a.inner_gap == 0) for x in _choose_columns(
                cut, g, a.phrase_hits, a.matched, cover, a.exact, name, alias, slack, column=column)]
        if g.total:  # "人员经费是多少": a column of the table's total row, said alone
            for column, cut in _column_cuts(phrase, g, name)[1:]:
                said = clean(column or "")
                out += _choose_columns(cut, g, frozenset(), len(said), 1.0, len(said), said, True, slack,
                                       column=column)
    return out


def _names(a: Alignment, cover: float, size: int) -> bool:
    """Whether an alignment says the name: whole; as an abbreviation (short gaps, said as one
    word); or without a qualifier at its start or end (机关运行经费 for 机关运行经费财政拨款预算)."""
    if a.matched < 2:
        return False
    if a.matched < size and a.matched < 3:  # 工会 for 工会经费, 三公 for 三公经费: a short name's head
        return size <= 4 and a.max_gap == size - 2 and not a.phrase_breaks and a.inner_gap == 0 and cover >= 0.5
    if a.matched == size:
        return True
    if a.phrase_breaks:
        return False
    if a.max_gap <= MAX_GAP and cover >= 0.4:
        return True
    if a.inner_gap == 0:  # said without a qualifier at its start or end
        return a.matched >= 4 and cover >= 0.5
    # its first and last words said, the words between left out (采购总额 for 政府采购支出预算总额)
    return a.matched >= 4 and cover >= 0.4 and a.frame


def _column_cuts(phrase: str, g: Group, name: str) -> list[tuple[str | None, str]]:
    """The phrase as it is, and for each column of the row's table that it names (outside
    the row's own name) the phrase without that column's words."""
    out: list[tuple[str | None, str]] = [(None, phrase)]
    s = sound(phrase)
    for column in g.by_column:
        c = clean(column)
        if len(c) < 2 or c in GENERIC_COLUMNS or c in name:
            continue
        for said in (c, *_people_naming(c)):  # 开会 for the 会议费 column
            at = s.rfind(sound(said))
            if at >= 0:
                out.append((column, phrase[:at] + "\x00" * len(said) + phrase[at + len(said):]))
                break
    return out


@cache
def _people_naming(name: str) -> tuple[str, ...]:
    return tuple(w for w, printed in lexicon()["people"].items()
                 if any(clean(p) == name for p in printed.split("|")))


def _choose_columns(phrase: str, g: Group, hits: frozenset[int], matched: int, cover: float, exact: int,
                    name: str, alias: bool, slack: int, column: str | None = None) -> list[Link]:
    hits = hits | {i for i, ch in enumerate(phrase) if ch == "\x00"}
    hits = hits | _whole_words(phrase, g.parents + g.people[1])
    residue = _residue(phrase, hits, g.context, g.siblings)
    if residue:  # the name's words said a second time explain themselves, where nothing else does
        again = hits | _said_again(phrase, hits, name)
        residue = min(residue, _residue(phrase, again, g.context, g.siblings), key=len)
    if len(residue) > slack:
        return []
    head = _head_position(phrase)
    tail = head < 0 or any(i >= head for i in hits)
    if column is not None:
        fact, fit = g.by_column[column], 2
    else:
        default = next((c for c in DEFAULT_COLUMNS if c in g.by_column), None) or next(
            (c for c in g.by_column if re.search("合计|总计|决算数|预算数", c)), next(iter(g.by_column)))
        fact, fit = g.by_column[default], 1
    return [Link(fact, name, matched, cover, exact, fit, g.priority, residue, alias, tail)]


def _strip_asking(phrase: str) -> str:
    """The phrase without the words of asking at its end."""
    text = phrase
    while True:
        m = re.search(f"(?:{_asking().pattern})$", text)
        if not m or not m.group(0):
            return text
        text = text[:m.start()]


def _said_again(phrase: str, hits: frozenset[int], name: str) -> frozenset[int]:
    """Words of the name said a second time ("给离休干部的离休费"): explained by the name."""
    n = sound(name)
    s = sound(phrase)
    out: set[int] = set()
    i = 0
    while i < len(phrase) - 1:
        j = i
        while j < len(phrase) and j not in hits and s[i:j + 1] in n:
            j += 1
        if j - i >= 2:
            out |= set(range(i, j))
            i = j
        else:
            i += 1
    return frozenset(out)


def _whole_words(phrase: str, words: tuple[str, ...]) -> frozenset[int]:
    """Positions of the phrase where one of the words stands whole."""
    s = sound(phrase)
    out: set[int] = set()
    for w in words:
        at = s.find(sound(w))
        if at >= 0 and len(w) >= 2:
            out |= set(range(at, at + len(w)))
    return frozenset(out)


def _head_position(phrase: str) -> int:
    """Where the phrase's last word of substance stands (a Chinese noun phrase ends on its
    head: "“三公”经费…预算表里的会议费" asks for 会议费), or -1."""
    text = _strip_asking(phrase)
    last = [m.start() for m in CJK.finditer(text)] + [i for i, ch in enumerate(text) if ch == "\x00"]
    return max(last) if last else -1
