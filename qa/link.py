"""Link a question to the documents' own vocabulary: every stretch of it that names a row (by its
printed name, code, table topic, column, a people's word), a measure, an operator cue, a
reference to earlier turns or an output unit, with a score and how it matched.

A name is linked where its characters stand in the question in order, by the same character
or one of the same toneless syllable (差旅废 → 差旅费), as an abbreviation (公车运维费 →
公务用车运行维护费: short gaps), or as its head (三公 → 三公经费). Spans overlap; qa.interpret
chooses among them. Words that name nothing are the question's asking words, not a reason to
give up.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from qa.lexicon import cues, table, words
from qa.normalise import Question
from qa.sound import CJK, sound
from qa.vocabulary import BARE, PIECE_SOUNDS, Name, Vocabulary

QUESTION_GAP = 2  # characters said inside a name (公务用车的运行费)
NAME_GAP = 3  # characters of a name an abbreviation may leave out at a time
CODE = re.compile(r"(?<!\d)(\d{3}|\d{5}|\d{7})(?!\d)")
LEXICON_WEIGHT = 0.9  # per character: a cue word loses to a row's name said whole
PROSE_WEIGHT = 0.85  # a prose sentence's subject loses to a table's row said as well
# a topic, column or people's word loses to a row's printed name said as well
ALIAS_WEIGHTS = {"topic": 0.88, "column": 0.88, "table": 0.88, "people": 0.8, "taught": 0.8}


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str  # row | code | foreign | measure | cue | ref | out_unit | staff | text
    target: str  # row: the name said; code: the code; measure/cue/…: what it means
    score: float
    how: str  # exact | pinyin | abbreviation | head | people | taught | topic | column | code | lexicon
    names: tuple[Name, ...] = ()  # row/code: the document's names it links to
    cover: float = 1.0  # share of the name said

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Alignment:
    start: int
    end: int
    matched: int
    exact: int
    cover: float
    score: float
    head: bool  # the name's start said as one run, its tail left out


@lru_cache(maxsize=200_000)
def align(said: str, name: str) -> tuple[Alignment, ...]:
    """The ways a name stands in what was said (both by sound), best first, at most one per end."""
    n = len(name)
    if n < 2:
        return ()
    pairs = [(i, j) for i, ch in enumerate(said) for j, nh in enumerate(name) if ch == nh]
    if len(pairs) < 2 and n > 1:
        return ()
    best: dict[tuple[int, int], tuple[float, int, int, int, int]] = {}  # (i, j) → (value, si, sj, matched, gap)
    for i, j in pairs:
        value, start_i, start_j, matched, gap = 1.0, i, j, 1, 0
        for (pi, pj), (pv, psi, psj, pm, pg) in best.items():
            qi, nj = i - pi - 1, j - pj - 1
            if 0 <= qi <= QUESTION_GAP and 0 <= nj <= NAME_GAP and pj < j:
                v = pv + 1.0 - 0.45 * qi - 0.2 * nj
                if v > value:  # a gap of function words only (社保就业: 障和 left out) is no content left out
                    skipped = 0 if set(name[pj + 1:j]) & _function_sounds() else nj
                    value, start_i, start_j, matched, gap = v, psi, psj, pm + 1, max(pg, skipped)
        best[(i, j)] = (value, start_i, start_j, matched, gap)
    out: dict[int, Alignment] = {}
    for (i, j), (value, si, sj, m, inner) in best.items():
        if m < 2 or (inner >= 2 and m < 5):
            continue  # 公共服务 is not 公共法律服务: a long gap inside the name needs more said
        length = i - si + 1
        cover = m / n
        purity = m / length
        head = sj == 0 and length == m and j == m - 1 and m < n
        if head and n <= 4 and _generic_tail(name[m:]):
            cover = 1.0  # 办公 for 办公费, 培训 for 培训费: the name's stem said
        solid = length == m and j - sj + 1 == m  # said as one run of the name (中小企业 in 支持中小企业发展…)
        if not _names(m, n, cover, purity, head, solid):
            continue
        score = value * cover ** 0.5 * purity if not head else value * 0.7  # heads of any length tie
        a = Alignment(si, i + 1, m, 0, cover, round(score, 4), head)
        if i + 1 not in out or a.score > out[i + 1].score:
            out[i + 1] = a
    return tuple(sorted(out.values(), key=lambda a: -a.score))


@lru_cache(maxsize=1)
def _function_sounds() -> frozenset[str]:
    return frozenset(sound(ch) for ch in "和与及的之")


@lru_cache(maxsize=1)
def _tails() -> frozenset[str]:
    return frozenset(sound(w) for w in words("generic_tails"))


def _generic_tail(tail: str) -> bool:
    return tail in _tails()


def _names(m: int, n: int, cover: float, purity: float, head: bool, solid: bool = False) -> bool:
    """Whether an alignment says the name: whole; as an abbreviation; by its head; or by a run of
    four characters or more of its own (中小企业)."""
    if purity < 0.6:
        return False
    if m == n or (head and cover == 1):  # whole, or its stem (培训 for 培训费)
        return True
    if n <= 3:
        return False  # a short name is said whole
    if head:  # 三公 for 三公经费, 住房 for 住房保障支出: the name's first word
        return m >= 2 and cover >= 0.33
    if m < 3:
        return False  # two characters name a two-character name, or the head of a longer one
    if m == 3:
        return cover >= 0.6
    return cover >= 0.5 or (cover >= 0.4 and purity == 1) or (solid and m >= 4 and cover >= 0.3)


PUNCT = re.compile(r"[“”\"'‘’「」《》（）()【】\[\]、，,：:；;·.．\-—_/？?！!]")


def _bare(text: str) -> tuple[str, list[int]]:
    """The text without punctuation, and where each of its characters stands in the text: names
    are compared without brackets and quotes (因公出国（境）费, “三公”经费)."""
    keep = [i for i, ch in enumerate(text) if not PUNCT.match(ch)]
    return "".join(text[i] for i in keep), keep


@lru_cache(maxsize=20_000)
def boundaries(text: str) -> frozenset[int]:
    """Where jieba puts word boundaries in the text: a short link (a name's head, a people's word)
    must start and end on one, so 油费 is not read inside 燃油费 nor 人员 inside 在职人员."""
    import jieba

    _known_words()
    out, at = {0}, 0
    for w in jieba.lcut(text):
        at += len(w)
        out.add(at)
    return frozenset(out)


@lru_cache(maxsize=1)
def _known_words() -> bool:
    """People's words are words: jieba is told them, so 车补 is not cut as 车 + 补比."""
    import jieba

    for said, _ in table("people"):
        jieba.add_word(said, freq=2000, tag="n")
    return True


def link_rows(q: Question, voc: Vocabulary, corpus: frozenset[str] = frozenset(),
              corpus_pieces: frozenset[str] = frozenset()) -> list[Span]:
    """The stretches of the question that name one of the document's rows, columns or topics, its
    codes, or a row of another document that this one does not have (`corpus`: every document's
    row names, by sound; `corpus_pieces`: their stretches, `qa.sound.stretches`)."""
    bare, at = _bare(q.text)
    said = sound(bare)
    cuts = boundaries(q.text)
    spans: dict[tuple[int, int], Span] = {}
    for name in voc.candidates(bare):
        for found in align(said, sound(name.text)):
            a = _placed(found, at)
            exact = sum(1 for ch in q.text[a.start:a.end] if ch in name.text)
            if a.head and a.matched == 2 and exact < 2:
                continue  # a two-character head is said as printed (一半 is not 一般公共预算)
            if (a.head or name.how in ("people", "taught")) and a.end - a.start <= 3 and not (
                    a.start in cuts and a.end in cuts):
                continue
            if q.text[a.start] not in name.text and a.start not in cuts:
                continue  # a slip replaces a character inside a word, not the word before (还有电费: 有 ≠ 邮)
            if a.head and a.cover == 1 and a.matched < len(name.text) and sound(
                    q.text[a.end:a.end + len(name.text) - a.matched]) == sound(name.text[a.matched:]):
                continue  # the stem of a name whose tail is said next: the whole name is said
            if name.how == "table" and "表" not in q.text[a.end - 1:a.end + 1]:
                continue  # a table is named by its title with 表 said
            how = name.how if name.how != "printed" else (
                "exact" if a.cover == 1 and exact == a.matched else
                "pinyin" if a.cover == 1 else "head" if a.head else "abbreviation")
            if a.head and q.text[a.start:a.end] in BARE:
                continue  # "支出", "预算" said alone name no row
            alias = ALIAS_WEIGHTS.get(name.how, 1.0) if len(name.text) < 6 else 1.0  # a long alias is specific
            weight = alias * (PROSE_WEIGHT if voc.entries[name.entry].prose else 1.0)
            score = (a.score + 0.01 * exact) * weight
            if name.how in ("people", "taught") and a.cover < 1:
                continue  # a people's word names a row only when said whole
            _add(spans, Span(a.start, a.end, "row", q.text[a.start:a.end], score, how, (name,), a.cover))
    for m in re.finditer(r"(收入|支出)(?=一共|总共|合计|总计|共计|总额|总共)", q.text):  # "收入一共有多少": the total
        totals = [n for n in voc.names if n.text in (m.group(1) + "合计", m.group(1) + "总计")]
        if totals:
            _add(spans, Span(m.start(), m.end(), "row", m.group(1), 2.02, "topic", tuple(totals)))
    for m in CODE.finditer(q.text):
        coded = [n for n in _code_names(voc, m.group(1))]
        if coded:
            _add(spans, Span(m.start(), m.end(), "code", m.group(1), len(m.group(1)) * 1.0, "code", tuple(coded)))
        else:
            _add(spans, Span(m.start(), m.end(), "foreign", m.group(1), 0.5, "code"))
    mine, whole_names = voc.sounds
    shortest, longest = PIECE_SOUNDS
    for start in range(len(said)):
        for end in range(start + shortest, min(len(said), start + longest) + 1):
            piece = said[start:end]
            if piece in mine:
                continue
            first, last = at[start], at[end - 1] + 1
            if _own_name_and_word(q.text[first:last], whole_names):
                continue  # "政府性基金预算多少" in a document whose row is 政府性基金: the row and 预算 asked
            if piece in corpus:  # another document's row, said whole
                _add(spans, Span(first, last, "foreign", q.text[first:last], float(end - start) + 0.05, "corpus"))
            elif end - start >= 5 and piece in corpus_pieces and not any(
                    s.kind in ("row", "code") and s.start < last and first < s.end for s in spans.values()):
                # or a good part of one (检察监督支出), where none of this document's names is said
                _add(spans, Span(first, last, "foreign", q.text[first:last], 0.9 * (end - start), "corpus"))
    return list(spans.values())


def _placed(a: Alignment, at: list[int]) -> Alignment:
    """An alignment over the bare text, placed in the question."""
    return Alignment(at[a.start], at[a.end - 1] + 1, a.matched, a.exact, a.cover, a.score, a.head)


def _own_name_and_word(piece: str, names: frozenset[str]) -> bool:
    """A piece that is one of this document's names (as they sound) followed by a measure or
    asking word."""
    tails, longest = _tail_words()
    return any(piece[-k:] in tails and sound(piece[:-k]) in names for k in range(1, min(longest, len(piece) - 2) + 1))


@lru_cache(maxsize=1)
def _tail_words() -> tuple[frozenset[str], int]:
    tails = frozenset([*words("asking"), *(w for w, _ in table("measures"))])
    return tails, max(map(len, tails))


def _code_names(voc: Vocabulary, code: str) -> list[Name]:
    """The rows a code names: under the name most of its tables print (a project listed under the
    code is a part of it, not it)."""
    rows = [e for e in voc.entries if e.code == code and not e.prose]
    if not rows:
        return []
    counts: dict[str, int] = {}
    for e in rows:
        counts[e.name] = counts.get(e.name, 0) + 1
    name = max(counts, key=lambda n: (counts[n], -len(n)))
    return [Name(e.name, e.id, None, "code") for e in rows if e.name == name]


def _add(spans: dict[tuple[int, int], Span], s: Span) -> None:
    """One span per stretch and kind; the names of equally good links are kept together."""
    key = (s.start, s.end, s.kind)  # type: ignore[assignment]
    old = spans.get(key)  # type: ignore[arg-type]
    if old is None or s.score > old.score + 1e-6:
        spans[key] = s  # type: ignore[index]
    elif abs(s.score - old.score) <= 1e-6:
        spans[key] = Span(old.start, old.end, old.kind, old.target, old.score, old.how,  # type: ignore[index]
                          old.names + s.names, old.cover)


def link_words(q: Question) -> list[Span]:
    """The stretches of the question that are words of the lexicon: operator cues, measures,
    output units, references to earlier turns, the unit's staff, and what a text question asks."""
    text = q.text
    out: list[Span] = []

    def find(word: str, kind: str, target: str, weight: float = LEXICON_WEIGHT) -> None:
        at = text.find(word)
        while at >= 0:
            out.append(Span(at, at + len(word), kind, target, weight * len(word), "lexicon"))
            at = text.find(word, at + 1)

    for op, said in cues("ops").items():
        for w in said:
            find(w, "cue", op)
    for kind, said in cues("text").items():
        for w in said:
            find(w, "text", kind)
    for w, measure in table("measures"):
        find(w, "measure", measure)
    for w, unit in table("out_units"):
        find(w, "out_unit", unit, 0.5)
    for w in words("references"):
        find(w, "ref", w)
    for w in words("staff"):
        find(w, "staff", w, 0.5)
    for w, side in table("wholes"):
        find(w, "whole", side)
    for w in words("exclusions"):
        find(w, "exclude", w)
    for w in words("asking"):
        find(w, "ask", w, 0.8)
    for w in words("not_cues"):
        find(w, "word", w, 1.0)
    blocked = [s for s in out if s.kind == "word"] + [s for s in out if s.kind == "cue"]
    out = [s for s in out if s.kind not in ("cue", "measure") or not any(
        b is not s and b.start <= s.start and s.end <= b.end and (b.kind == "word" or (
            b.target.split(":")[0] != s.target.split(":")[0] and b.end - b.start > s.end - s.start
            and s.target not in ("rate", "previous"))) for b in blocked)]
    for m in re.finditer(r"(?:换算|折算|换|改|折|算|说|变)成?(亿元|万元|元)(?!的)", text):
        out.append(Span(m.start(), m.end(), "out_unit", m.group(1), LEXICON_WEIGHT * len(m.group(0)), "lexicon"))
    for m in re.finditer(r"(?:几|多少)([个家人名辆台项批次套所处室])(?![钱块元])", text):
        out.append(Span(m.start(), m.end(), "count", m.group(1), LEXICON_WEIGHT * 2, "lexicon"))
    for m in re.finditer(r"(?:前|排名前|最[多少高低大小]的)([一二三四五六七八九十两\d]+)(?:名|位|个|项|家|类)?", text):
        out.append(Span(m.start(), m.end(), "cue", "top:" + m.group(1), LEXICON_WEIGHT * len(m.group(0)), "lexicon"))
    supposed = re.search(r"如果|假如|假设|要是|倘若", text)
    for m in re.finditer(r"(?:增加|减少|增长|下降|提高|降低|压减|削减|上调|下调)了?(\d+(?:\.\d+)?)[%％]", text):
        if not supposed or supposed.start() > m.start():
            continue
        out.append(Span(m.start(), m.end(), "cue", "scale:" + m.group(0), LEXICON_WEIGHT * len(m.group(0)), "lexicon"))
    return out


def cjk(text: str) -> str:
    return "".join(CJK.findall(text))


MEANING_FLOOR = 0.90  # cosine of the bundled e5 model: below it, no link (fitted on the visible sets)
MEANING_MARGIN = 0.03  # and ahead of the next row by this much: a near tie is no link
GENERIC_CHARS = frozenset("费支出经费补助补贴其他的钱")


def link_meaning(q: Question, voc: Vocabulary, pieces: list[str], labels: tuple[list[int], object],
                 embed: Callable[[str], list[float]]) -> list[Span]:
    """Rows a stretch the lexical links left unexplained means, by the bundled embeddings of the
    document's row names: the nearest row, when it is near enough, clearly nearer than the next,
    and shares a word's character with what was said (养老 in 交养老保险的钱)."""
    import numpy as np

    entries, matrix = labels
    if not entries:
        return []
    out: list[Span] = []
    for piece in pieces:
        at = q.text.find(piece)
        if at < 0:
            continue
        sims = np.asarray(matrix) @ np.asarray(embed(piece), dtype=np.float32)
        order = np.argsort(-sims)
        top, second = float(sims[order[0]]), float(sims[order[1]]) if len(order) > 1 else 0.0
        e = voc.entry(entries[int(order[0])])
        if top < MEANING_FLOOR or top - second < MEANING_MARGIN or not (set(piece) & set(e.name)) - GENERIC_CHARS:
            continue
        name = Name(e.name, e.id, None, "embedding")
        out.append(Span(at, at + len(piece), "row", piece, 0.6 * len(piece), "embedding", (name,), 1.0))
    return out
