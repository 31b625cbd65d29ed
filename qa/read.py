"""One document's reading of a question: the best set of non-overlapping spans (qa.link), the
items they ground in the document's rows, and the words left over, told apart as the asking
words of the predicate ("打算花多少钱": ignored) or a modifier inside the item phrase
("政协主席的工资", "公务用车运行费里燃油费": a narrower thing the document does not list)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from qa.lexicon import words
from qa.link import Span
from qa.vocabulary import Entry, Name, Vocabulary

CONNECTORS = ("里面的", "里头的", "当中的", "之中的", "中的", "里的", "里面", "里头", "当中", "之中", "中", "里", "的",
              "下的", "下面的", "下属的")
SPLIT_COST = 0.6  # a name said whole beats two shorter ones that tile it (财政拨款基本支出, not 财政拨款 + 基本支出)
NOUN_TAGS = ("n", "nr", "ns", "nt", "nz", "nrt", "nrfg", "j", "an")


@dataclass(frozen=True)
class Phrase:
    """An item phrase: a chosen row span with the candidates it grounds, and the row span said
    before it as where it is (a container: "商品和服务支出中的办公费")."""

    span: Span
    candidates: tuple[tuple[Entry, str, str], ...]  # (entry, column, the name that linked it) best first
    container: Span | None = None


@dataclass(frozen=True)
class Reading:
    doc_id: str
    spans: tuple[Span, ...]  # the chosen spans, in order
    phrases: tuple[Phrase, ...]
    cues: frozenset[str]  # the operations whose cues stand outside the chosen rows
    words: tuple[Span, ...]  # every lexicon word outside the chosen rows (cues, measures, refs …)
    narrower: str = ""  # an unexplained noun inside the item phrase
    foreign: str = ""  # another document's row said whole, which this document does not have
    leftover: str = ""  # the characters no span explains, asking words removed
    excluded: tuple[Phrase, ...] = ()  # items said to be left out ("不算会议费", "除了财政拨款以外")

    @property
    def score(self) -> float:
        return sum(s.score for s in self.spans if s.kind in ("row", "code"))


def choose(spans: list[Span], length: int, blocked: tuple[tuple[int, int], ...]) -> list[Span]:
    """The non-overlapping spans of greatest total score (fewer spans on a tie), off `blocked`."""
    usable = [s for s in spans if not any(s.start < b and a < s.end for a, b in blocked)]
    ends: dict[int, list[Span]] = {}
    for s in usable:
        ends.setdefault(s.end, []).append(s)
    best: list[tuple[float, Span | None]] = [(0.0, None)] * (length + 1)
    for i in range(1, length + 1):
        best[i] = (best[i - 1][0], None)
        for s in ends.get(i, ()):
            value = best[s.start][0] + s.score - (SPLIT_COST if s.kind in ("row", "code", "foreign") else 0.05)
            if value > best[i][0] + 1e-9:
                best[i] = (value, s)
    out: list[Span] = []
    i = length
    while i > 0:
        chosen = best[i][1]
        if chosen is None:
            i -= 1
        else:
            out.append(chosen)
            i = chosen.start
    return out[::-1]


def read(text: str, voc: Vocabulary, spans: list[Span], lexical: list[Span],
         blocked: tuple[tuple[int, int], ...], kind: str) -> Reading:
    """`spans`: the document's row spans; `lexical`: the lexicon's; `kind`: 预算 or 决算."""
    chosen = choose(spans + [w for w in lexical if w.kind != "word"], len(text), blocked)
    rows = [s for s in chosen if s.kind in ("row", "code", "foreign")]
    rows = _merge_codes(rows)
    taken = [(s.start, s.end) for s in rows] + list(blocked)
    outside = [w for w in lexical if not any(w.start < b and a < w.end for a, b in taken)]
    cue_ops = frozenset(w.target.split(":")[0] for w in outside if w.kind == "cue")
    phrases: list[Phrase] = []
    foreign = ""
    for k, s in enumerate(rows):
        if s.kind == "foreign":
            foreign = foreign or s.target
            continue
        before = rows[k - 1] if k else None
        container = before if before is not None and before.kind != "foreign" and _joined(text, before, s) else None
        candidates = _ground(voc, s, container, kind, text)
        if container is not None and not re.search(r"[中里下]", text[container.end:s.start]) \
                and not _under(voc, container, candidates):  # "医保的钱和…": 的 alone places only what is under it
            container, candidates = None, _ground(voc, s, None, kind, text)
        phrases.append(Phrase(s, candidates, container))
    phrases = _columns_of_rows([p for p in phrases if p.candidates], text)
    phrases = _apposed(_placed_after(phrases, text, kind, voc), text, voc)
    phrases, excluded = _excluded(phrases, outside, text)
    covered = sorted(taken + [(w.start, w.end) for w in outside])
    leftover = _leftover(text, covered)
    named = sorted(taken + [(w.start, w.end) for w in outside if w.kind != "ask"])
    narrower = _narrower(text, rows, named, voc) if phrases else ""
    return Reading(voc.doc.doc_id, tuple(chosen), tuple(phrases), cue_ops, tuple(outside), narrower, foreign, leftover,
                   tuple(excluded))


def _merge_codes(rows: list[Span]) -> list[Span]:
    """A code and the name said beside it name one row ("30239其他交通费用"): one span, the code's."""
    out: list[Span] = []
    merged: set[int] = set()  # a code takes one name, once ("2040601行政运行占基本支出": 基本支出 is another item)
    for s in rows:
        prev = out[-1] if out else None
        if prev is not None and len(out) - 1 not in merged and {prev.kind, s.kind} == {"code", "row"} \
                and s.start - prev.end <= 1:
            merged.add(len(out) - 1)
            code, row = (prev, s) if prev.kind == "code" else (s, prev)
            agree = {n.entry for n in code.names} & {n.entry for n in row.names}
            names = tuple(n for n in code.names if n.entry in agree) or code.names
            out[-1] = Span(min(prev.start, s.start), max(prev.end, s.end), "code", code.target,
                           code.score + row.score + 2 * bool(agree), "code+name" if agree else "code", names)
            continue
        out.append(s)
    return out


def _joined(text: str, before: Span, s: Span) -> bool:
    """Whether the row said before names where this one is: X中Y, X里的Y, X安排的Y, X当年拨款中，Y; or
    XY with Y said whole (a partial Y right after X is more of X's phrase: 在职人员)."""
    between = text[before.end:s.start]
    if between == "":
        return s.cover == 1
    if re.search(r"[和与及、跟同加或]", between):  # "X的钱和Y": two items, not one inside the other
        return False
    rest = _asking().sub("", between)
    return len(between) <= 8 and rest == "" and any(c in between for c in ("中", "里", "的", "下"))


def _ground(voc: Vocabulary, s: Span, container: Span | None, kind: str,
            text: str) -> tuple[tuple[Entry, str, str], ...]:
    """The (entry, column) a span names, best first: under its container where one is said, the
    broader tables first, table rows before prose."""
    inside, tables, titled = _within(voc, container)
    seen: set[tuple[int, str]] = set()
    out: list[tuple[tuple[int, ...], Entry, str, str]] = []
    own = text[s.start:s.end + 6]  # the words right after the name say its column (车辆价值)
    for n in s.names:
        e = voc.entry(n.entry)
        column = n.column or _said_column(e, own) or e.main(kind).column
        if (e.id, column) in seen:
            continue
        seen.add((e.id, column))
        where = 0 if e.id in inside else 1 if e.table in titled else 2 if e.table in tables else 3
        rank = (where, not _said_column(e, own), e.prose, e.order, _how_rank(n))
        out.append((rank, e, column, n.text))
    out.sort(key=lambda x: x[0])
    if inside and out and out[0][0][0] == 0:
        out = [x for x in out if x[0][0] == 0]
    return tuple((e, c, t) for _, e, c, t in out)


def _within(voc: Vocabulary, container: Span | None) -> tuple[set[int], set[str], set[str]]:
    """What a container holds: the entries below it by code (all of its table's, for a total), its
    tables, and the tables whose titles say it."""
    inside: set[int] = set()
    tables: set[str] = set()
    titled: set[str] = set()
    if container is None:
        return inside, tables, titled
    said = re.sub(r"[“”\"]", "", container.target)
    titled = {t for t, title in voc.titles.items() if len(said) >= 2 and said in title}
    for n in container.names:
        e = voc.entry(n.entry)
        tables.add(e.table)
        inside |= {x.id for x in voc.entries if e.code and x.code and x.table == e.table
                   and x.code.startswith(e.code) and x.code != e.code}
        if e.total:
            inside |= {x.id for x in voc.entries if x.table == e.table}
        if not e.code:  # a table without codes: a row whose name is its words in order (公务用车运行维护费)
            inside |= {x.id for x in voc.entries if x.table == e.table and not x.code and x.id != e.id
                       and len(x.name) >= 4 and _in_order(x.name, e.name)}
    return inside, tables, titled


def _in_order(short: str, long: str) -> bool:
    """Whether `short`'s characters are found in `long` in order, and `short` is shorter."""
    rest = iter(long)
    return len(short) < len(long) and all(ch in rest for ch in short)


def _under(voc: Vocabulary, container: Span, candidates: tuple[tuple[Entry, str, str], ...]) -> bool:
    """Whether the best reading of an item is inside the container said before it, or in its table."""
    inside, _, titled = _within(voc, container)
    return bool(candidates) and (candidates[0][0].id in inside or candidates[0][0].table in titled)


def _said_column(e: Entry, text: str) -> str | None:
    """A column of the row the question says by name outside the row's own name (车辆价值: 价值)."""
    said = [f.column for f in e.facts if len(f.column) >= 2 and f.column in text and f.column not in e.name]
    return max(said, key=len) if said else None


def _how_rank(n: Name) -> int:
    return {"code": 0, "printed": 0, "type": 1, "topic": 1, "taught": 1, "table": 1, "column": 2, "people": 2}.get(
        n.how, 3)


def _columns_of_rows(phrases: list[Phrase], text: str) -> list[Phrase]:
    """A column's name said after a row ("社会保障和就业支出中基本支出", "X的项目支出", "X其中基本支出")
    asks for that row's figure in that column: one phrase, the row's entries that print the column."""
    out: list[Phrase] = []
    for p in phrases:
        prev = out[-1] if out else None
        columns = {n.column for n in p.span.names if n.how == "column" and n.column}
        gap = text[prev.span.end:p.span.start] if prev is not None else ""
        if prev is not None and columns and _asking().sub("", gap) == "" and not re.search(r"[和与及、跟同加]", gap):
            fitting = [(e, c, t) for e, _, t in prev.candidates for c in columns if e.column(c) is not None]
            if fitting:
                span = prev.span
                joined = Span(span.start, p.span.end, span.kind, text[span.start:p.span.end], span.score + p.span.score,
                              span.how, span.names, span.cover)
                out[-1] = Phrase(joined, tuple(fitting), prev.container)
                continue
        out.append(p)
    return out


def _placed_after(phrases: list[Phrase], text: str, kind: str, voc: Vocabulary) -> list[Phrase]:
    """A table's topic said last, behind 里/中 ("干警的津补贴，财政拨款基本支出里列了多少"), says where the
    item before it is: that item, grounded in that table."""
    if len(phrases) < 2:
        return phrases
    last, prev = phrases[-1], phrases[-2]
    rest = text[last.span.end:]
    topic = all(e.total for e, _, _ in last.candidates[:1])
    titled = {t for t, title in voc.titles.items() if len(last.span.target) >= 4 and last.span.target in title}
    where = re.match(r"(里|中|当中|之中|里面|里头)", rest) and topic or (
        titled and any(e.table in titled for e, _, _ in prev.candidates))  # "行政运行的财政拨款预算"
    if where and prev.container is None and _asking().sub("", text[prev.span.end:last.span.start]) == "":
        again = Phrase(prev.span, _ground(voc, prev.span, last.span, kind, text), last.span)
        if titled:
            again = Phrase(prev.span, tuple(c for c in again.candidates if c[0].table in titled) or again.candidates,
                           last.span)
        return [*phrases[:-2], again, last] if again.candidates else phrases
    return phrases


def _apposed(phrases: list[Phrase], text: str, voc: Vocabulary) -> list[Phrase]:
    """A row named again in brackets right after another ("日常机关运转的钱（机关运行经费）") is the one
    meant; a row that holds it, in brackets ("302类合计（基本支出经济科目）"), only says where it is."""
    out: list[Phrase] = []
    for p in phrases:
        prev = out[-1] if out else None
        if prev is not None and re.search(r"[（(][^（()）]{0,4}$", text[prev.span.end:p.span.start]) \
                and re.match(r"[^（()）]{0,6}[）)]", text[p.span.end:]):
            if _under(voc, p.span, prev.candidates):
                continue  # where the item is, not another item
            if re.fullmatch(r"[^（(]{0,4}[（(]", text[prev.span.end:p.span.start]):
                out[-1] = p
                continue
        out.append(p)
    return out


def _excluded(phrases: list[Phrase], outside: list[Span], text: str) -> tuple[list[Phrase], list[Phrase]]:
    """(kept, left out): items said after an exclusion are left out ("…一共多少？不算会议费和培训费"), or
    inside it when it closes with 以外/之外 ("除了财政拨款以外，其他收入多少")."""
    ex = min((w for w in outside if w.kind == "exclude"), key=lambda w: w.start, default=None)
    if ex is None:
        return phrases, []
    closed = re.search(r"以外|之外|外(?=[，,还的])", text[ex.end:])
    end = ex.end + closed.end() if closed else len(text)
    out = [p for p in phrases if ex.start <= p.span.start < end]
    kept = [p for p in phrases if p not in out]
    return (kept, out) if kept else (phrases, [])


def items_said(phrases: tuple[Phrase, ...]) -> list[Phrase]:
    """The phrases that name items: a container said only to place the next item is not one
    ("商品和服务支出中的办公费" asks for 办公费)."""
    used = {id(p.container) for p in phrases if p.container is not None}
    return [p for p in phrases if id(p.span) not in used]


def _leftover(text: str, covered: list[tuple[int, int]]) -> str:
    keep = [True] * len(text)
    for a, b in covered:
        for i in range(a, b):
            keep[i] = False
    rest = "".join(ch if k else " " for ch, k in zip(text, keep, strict=True))
    return _asking().sub(" ", rest).strip()


@lru_cache(maxsize=1)
def _asking() -> re.Pattern[str]:
    said = sorted({*words("asking"), *words("staff")}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, said)) + r"|[，。？！、：；\s\d]")


def _narrower(text: str, rows: list[Span], covered: list[tuple[int, int]], voc: Vocabulary) -> str:
    """A noun of the question that no entry explains and that makes the item narrower: said right
    after it behind 里/中 ("公务用车运行费里，燃油费"), right before it joined by 的 ("主席的工资"),
    a person's role ("政协主席…工资"), or a proper name where the item is only loosely linked
    ("东郊国宾馆安排了多少支出"). Asking words are no cover here: "里" is asked around, not named."""
    linked = [s for s in rows if s.kind != "foreign"]
    weak = any(s.cover < 1 or all(n.how in ("people", "taught") for n in s.names) for s in linked)
    heads_only = bool(linked) and all(s.how == "head" for s in linked)  # "红十字事业支出": 支出 alone is no link
    for a, b in _free_runs(len(text), covered):
        run = text[a:b]
        after = next((s for s in rows if s.end == a and s.kind != "foreign"), None)
        before = next((s for s in rows if s.start == b and s.kind != "foreign"), None)
        tagged = _tagged(run)
        person = next((w for w, _, _ in tagged if any(p in w for p in words("persons"))), "")
        if person and rows:  # "中心主任的工资": one person's, not the unit's
            return person
        nouns = [(w, at, tag) for w, at, tag in tagged if _unexplained(w, tag, voc)]
        lead = re.match(r"(里面|里头|当中|之中|中|里|下)[，,]?", run)
        if after is not None and lead and nouns:
            return after.target + run[:nouns[0][1] + len(nouns[0][0])]
        if before is not None and run.endswith("的") and nouns and nouns[-1][1] + len(nouns[-1][0]) == len(run) - 1 \
                and not (set(nouns[-1][0]) & set(before.target)):  # 租房子的租赁费: the modifier repeats the name
            return nouns[-1][0] + "的" + before.target
        for w, _, tag in nouns:
            if weak and (tag in PROPER_TAGS or heads_only):
                return w
    return ""


PROPER_TAGS = ("nt", "ns", "nz", "nr", "nrt", "s")


def _free_runs(length: int, covered: list[tuple[int, int]]) -> list[tuple[int, int]]:
    taken = [False] * length
    for a, b in covered:
        for i in range(a, min(b, length)):
            taken[i] = True
    runs, start = [], None
    for i in range(length + 1):
        free = i < length and not taken[i]
        if free and start is None:
            start = i
        elif not free and start is not None:
            runs.append((start, i))
            start = None
    return runs


@lru_cache(maxsize=20_000)
def _tagged(run: str) -> tuple[tuple[str, int, str], ...]:
    import jieba.posseg

    out, at = [], 0
    for w in jieba.posseg.cut(run):
        out.append((w.word, at, w.flag))
        at += len(w.word)
    return tuple(out)


def _unexplained(word: str, tag: str, voc: Vocabulary) -> bool:
    """A noun no vocabulary entry, unit name or asking word accounts for."""
    if tag not in NOUN_TAGS + PROPER_TAGS or len(word) < 2 or _asking().fullmatch(word):
        return False
    return not _explained(word, voc)


def _explained(word: str, voc: Vocabulary) -> bool:
    stripped = _asking().sub("", word)
    return len(stripped) < 2 or word in voc.doc.unit or any(word in n.text for n in voc.names)
