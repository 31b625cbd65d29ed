"""A document's own vocabulary, built once when the document loads: its rows (with code, table,
parents and figures by column), the topics of its tables' totals, its columns, and the subjects
its prose states figures for. People's words (qa/lexicon.toml, and words staff taught) are
further names of the rows they stand for. Linking (qa.link) reads names from here; nothing
here reads a question."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from ingest.model import MONEY_UNITS, Document, Fact
from qa.lexicon import people
from qa.sound import sound, stretches

NOISE = re.compile(r"[\s“”\"'‘’「」《》（）()【】\[\]、，,：:；;·.．\-—_/？?！!]")
NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d+[.、．]"
                       r"|其中[:：]?)+")
LEVEL = re.compile(r"[（(][类款项][）)]")  # "检察（款）行政运行（项）": the levels of a code, said

TOTAL_ROWS = ("合计", "总计", "小计")
# Names too bare to be linked alone: they name a total only together with its table's topic.
BARE = frozenset({"合计", "总计", "小计", "其中", "金额", "数量", "项目", "支出", "收入", "预算", "决算", "其他"})
# The total row of a table is asked for by the table's topic.
TOPIC_OF_TYPE = {
    "三公经费表": "三公经费", "一般公共预算基本支出表": "基本支出", "结转结余表": "结转结余",
    "一般公共预算支出表": "一般公共预算支出", "收入总表": "收入合计", "支出总表": "支出合计",
    "政府采购表": "政府采购", "机关运行经费表": "机关运行经费", "项目支出表": "项目支出",
    "财政拨款基本支出表": "财政拨款基本支出", "财政拨款支出表": "财政拨款支出",
    "政府性基金预算支出表": "政府性基金预算支出", "国有资本经营预算支出表": "国有资本经营预算支出",
}
# Broader tables first: a question that names no table means the whole budget.
TABLE_ORDER = ("收支总表", "支出总表", "收入总表", "三公经费表", "一般公共预算基本支出表", "机关运行经费表",
               "财政拨款收支总表", "一般公共预算支出表", "财政拨款支出表", "财政拨款基本支出表", "项目支出表",
               "政府采购表", "结转结余表", "政府性基金预算支出表", "国有资本经营预算支出表")
PIECE_SOUNDS = (4, 20)  # the lengths of a question's stretches compared with the names
HELD_ROWS = 12  # rows after a row without a code that may add up to it

# The figure a row is asked for when no column is said, in order of preference.
MAIN_COLUMNS = ("合计", "总计", "预算数", "金额", "本年预算", "预算金额", "项目支出合计", "数量", "决算数")
PROSE_MEASURES = ("金额", "数量", "价值")  # a prose subject is named by these; its other figures are read beside it


def clean(name: str) -> str:
    """A printed name as it is compared: no numbering, brackets, punctuation or level marks."""
    return NOISE.sub("", NUMBERING.sub("", LEVEL.sub("", (name or "").strip())))


@dataclass(frozen=True)
class Entry:
    """One row of one table, or one subject of one prose sentence, with its figures."""

    id: int
    name: str  # the printed name, cleaned
    code: str | None
    table: str
    table_type: str
    facts: tuple[Fact, ...]  # one per column, in printed order
    parents: tuple[int, ...] = ()  # the entries above it by code in its table (类, 款), nearest last
    total: bool = False  # the table's total row
    prose: bool = False
    order: int = 50  # the table's rank in TABLE_ORDER

    @property
    def doc_id(self) -> str:
        return self.facts[0].doc_id

    def column(self, name: str) -> Fact | None:
        return next((f for f in self.facts if f.column == name), None)

    def main(self, kind: str = "预算") -> Fact:
        """The figure the row is asked for when no column is said: the total column; in a 决算
        document what was spent."""
        if kind == "决算":
            spent = [f for f in self.facts if "决算" in f.column or f.column == "执行数"]
            if spent:
                return spent[0]
        for name in MAIN_COLUMNS:
            f = self.column(name)
            if f is not None:
                return f
        total = next((f for f in self.facts if re.search("合计|总计", f.column)), None)
        if total is not None:
            return total
        money = [f for f in self.facts if f.unit in MONEY_UNITS]
        return (money or list(self.facts))[0]


@dataclass(frozen=True)
class Name:
    """A name a question may say, and what it names: an entry, or a column of an entry."""

    text: str  # as compared (cleaned)
    entry: int
    column: str | None = None  # this name is the column's header: the entry's figure in it
    how: str = "printed"  # printed | topic | column | people | taught


@dataclass
class Vocabulary:
    doc: Document
    entries: list[Entry] = field(default_factory=list)
    names: list[Name] = field(default_factory=list)
    columns: dict[str, set[str]] = field(default_factory=dict)  # cleaned column → tables having it
    titles: dict[str, str] = field(default_factory=dict)  # table → its title, cleaned, without the year
    headers: dict[str, tuple[str, ...]] = field(default_factory=dict)  # table → its columns, in printed order
    _by_sound: dict[str, list[int]] = field(default_factory=dict, repr=False)  # syllable → names
    _rows: frozenset[str] | None = field(default=None, repr=False)
    _sounds: tuple[frozenset[str], frozenset[str]] | None = field(default=None, repr=False)

    @property
    def row_names(self) -> frozenset[str]:
        if self._rows is None:
            self._rows = frozenset(e.name for e in self.entries if not e.prose)
        return self._rows

    @property
    def sounds(self) -> tuple[frozenset[str], frozenset[str]]:
        """The names as they sound: their stretches of PIECE_SOUNDS characters (a piece of one)
        and the whole names; made once, since every question of the document reads them."""
        if self._sounds is None:
            each = frozenset(sound(n.text) for n in self.names)
            self._sounds = (stretches(each, *PIECE_SOUNDS), each)
        return self._sounds

    def entry(self, i: int) -> Entry:
        return self.entries[i]

    def candidates(self, said: str) -> list[Name]:
        """The names sharing at least two syllables with what was said (or all of a one-syllable
        name): the only ones worth aligning."""
        counts: dict[int, int] = {}
        for ch in set(sound(said)):
            for i in self._by_sound.get(ch, ()):
                counts[i] = counts.get(i, 0) + 1
        return [self.names[i] for i, k in counts.items() if k >= min(2, len(set(self.names[i].text)))]

    def children(self, e: Entry) -> list[Entry]:
        """The rows one level under a row in its table (by code), or the top rows under a total."""
        same = [x for x in self.entries if x.table == e.table and x.id != e.id and not x.prose]
        if e.code:
            below = [x for x in same if x.code and x.code.startswith(e.code) and len(x.code) > len(e.code)]
            depth = min((len(x.code or "") for x in below), default=0)
            return [x for x in below if len(x.code or "") == depth]
        if e.total:
            coded = [x for x in same if x.code]
            if coded:
                top = min(len(x.code or "") for x in coded)
                return [x for x in coded if len(x.code or "") == top]
            return [x for x in same if not x.total]
        return []

    def total_of(self, table: str) -> Entry | None:
        return next((x for x in self.entries if x.table == table and x.total), None)

    def holds(self, whole: Entry, part: Entry) -> bool:
        """Whether `part` is printed under `whole`: by code, as its table's total, or, in a table
        without codes (the “三公” items), as one of the rows printed after it that add up to it."""
        if whole.id == part.id or whole.table != part.table or whole.prose:
            return False
        if whole.code and part.code:
            return part.code.startswith(whole.code) and part.code != whole.code
        if whole.total:
            return not part.total
        after = [x for x in self.entries if x.table == whole.table and not x.prose and x.id > whole.id][:HELD_ROWS]
        if part not in after:
            return False
        target, others = whole.facts[0].value, [x.facts[0].value for x in after if x.id != part.id]
        need = target - part.facts[0].value
        sums = {Decimal(0)}
        for v in others:  # the sums some of the other rows make (at most HELD_ROWS of them)
            sums |= {x + v for x in sums if x + v <= need}
        return need >= 0 and need in sums


def build_vocabulary(doc: Document, facts: Sequence[Fact], taught: Iterable[tuple[str, str]] = ()) -> Vocabulary:
    """The vocabulary of one document from its facts; `taught`: (said, printed) pairs staff added."""
    voc = Vocabulary(doc)
    rows: dict[tuple[str, str | None, str], list[Fact]] = {}
    for f in facts:
        if f.table == "正文":
            continue
        rows.setdefault((f.table, f.code, f.row), []).append(f)
        voc.columns.setdefault(clean(f.column), set()).add(f.table)
        if f.column not in voc.headers.get(f.table, ()):
            voc.headers[f.table] = (*voc.headers.get(f.table, ()), f.column)
        voc.titles.setdefault(f.table, re.sub(r"20\d\d年度?|单位[:：].*$", "", clean(f.table.split(" ", 1)[-1])))
    by_code: dict[tuple[str, str], int] = {}
    for (table, code, row), group in rows.items():
        first = group[0]
        order = TABLE_ORDER.index(first.table_type) if first.table_type in TABLE_ORDER else 50
        unique = tuple({f.column: f for f in reversed(group)}.values())[::-1]
        e = Entry(len(voc.entries), clean(row), code, table, first.table_type, unique,
                  total=clean(row) in TOTAL_ROWS,
                  order=order)
        voc.entries.append(e)
        if code:
            by_code[(table, code)] = e.id
    for i, e in enumerate(voc.entries):  # parents by code prefix, nearest last
        if e.code:
            ups = tuple(by_code[(e.table, e.code[:k])] for k in (3, 5)
                        if len(e.code) > k and (e.table, e.code[:k]) in by_code)
            voc.entries[i] = Entry(e.id, e.name, e.code, e.table, e.table_type, e.facts, ups, e.total, e.prose, e.order)
    for f in facts:  # a prose sentence's subject, with every measure it states
        if f.table == "正文" and clean(f.row) and len(clean(f.row)) <= 24:
            voc.entries.append(Entry(len(voc.entries), clean(f.row), None, "正文", "", (f,), prose=True, order=60))
    _name_entries(voc, taught)
    return voc


def _name_entries(voc: Vocabulary, taught: Iterable[tuple[str, str]]) -> None:
    seen: set[tuple[str, int, str | None]] = set()

    def add(text: str, entry: int, column: str | None, how: str) -> None:
        if len(text) >= 2 and (text, entry, column) not in seen:
            seen.add((text, entry, column))
            voc.names.append(Name(text, entry, column, how))

    by_name: dict[str, list[int]] = {}
    by_column: dict[str, list[tuple[int, str]]] = {}  # a column of a total row, said alone (项目支出)
    for e in voc.entries:
        if e.prose and e.facts[0].column not in PROSE_MEASURES:
            continue  # a stated change, rate or share is read beside its row (qa.library.prose_about)
        if e.name not in BARE:
            for text in dict.fromkeys((e.name, yearless(e.name))):  # said without the year printed in it
                add(text, e.id, None, "printed")
                by_name.setdefault(text, []).append(e.id)
        if e.total and not e.prose:
            topic = TOPIC_OF_TYPE.get(e.table_type, "")
            if topic == "三公经费" and re.search("会议费|培训费", e.table) and e.name != "三公经费":
                topic = ""  # the total of a “三公”经费、会议费、培训费 table is more than the 三公 figure
            if topic:
                add(topic, e.id, None, "topic")
                by_name.setdefault(topic, []).append(e.id)
            if e.table_type.endswith("表") and len(e.table_type) > 6:  # 一般公共预算基本支出表 → …基本支出
                add(e.table_type[:-1], e.id, None, "type")
            for f in e.facts:  # "人员经费是多少": a column of the table's total row, said alone
                c = re.sub(r"(?<=..)(合计|小计|总计)$", "", clean(f.column))  # 项目支出合计 is 项目支出
                if c not in BARE and c not in TOTAL_ROWS and not re.search(r"\d", c) and c not in ("预算数", "决算数"):
                    add(c, e.id, f.column, "column")
                    by_column.setdefault(c, []).append((e.id, f.column))
    for e in voc.entries:  # a table said by its title names its total ("收入支出决算总表里…")
        if e.total and not e.prose and e.table in voc.titles:
            title = re.sub(rf"^{re.escape(clean(voc.doc.unit))}|^(部门|单位|本部门)", "", voc.titles[e.table])
            add(title, e.id, None, "table")
    words = [(said, printed, "people") for said, printed in people()]
    words += [(said, (printed,), "taught") for said, printed in taught]
    for said, forms, how in words:
        tables: set[str] = set()  # the first form printed, and a later one only in a table it is not in
        for form in forms:
            hits = by_name.get(clean(form), [])
            if not hits:  # a form that names the one row beginning with it
                longer = [n for n in by_name if n.startswith(clean(form))]
                hits = by_name[longer[0]] if len(longer) == 1 else []
            hits = [i for i in hits if voc.entry(i).table not in tables]  # 养车: also the “三公” table's 公务用车运行费
            for i in hits:
                add(said, i, None, how)
            tables |= {voc.entry(i).table for i in hits}
        if not tables:  # "项目上的钱": the 项目支出 column of the spending total
            columns = next((by_column[clean(f)] for f in forms if by_column.get(clean(f))), [])
            for i, column in columns:
                add(said, i, column, how)
    for k, n in enumerate(voc.names):
        for ch in set(sound(n.text)):
            voc._by_sound.setdefault(ch, []).append(k)


@lru_cache(maxsize=100_000)
def syllables(text: str) -> frozenset[str]:
    return frozenset(sound(text))


YEAR_IN_NAME = re.compile(r"^(19|20)\d{2}年度?|[（(](19|20)\d{2}年度?[)）]$")


def yearless(name: str) -> str:
    """A row's name without the year it is printed with ("2024年机关运行经费": 机关运行经费), the
    name the same row has in the unit's documents of other years."""
    return YEAR_IN_NAME.sub("", name)


def reground(entry: Entry, voc: Vocabulary) -> Entry | None:
    """The row of another document's vocabulary that has this entry's name, its year aside (and
    code, when it has one), in a table of the same type where there is one."""
    name = yearless(entry.name)
    same = [e for e in voc.entries
            if not e.prose and yearless(e.name) == name and (not entry.code or e.code == entry.code)]
    return next(iter([e for e in same if e.table_type == entry.table_type] or same), None)
