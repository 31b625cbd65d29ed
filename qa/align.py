"""Matching by sound: each Chinese character read as its toneless syllable, so that a slip of
a pinyin input method (差旅废 for 差旅费) compares equal; the in-order alignment of a name
inside a phrase, and how it leaves the name (gaps, runs)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from qa.normalise import asking_words

NOISE = re.compile(r"[\s“”\"'‘’「」《》（）()【】\[\]、，,：:；;·.．\-—_/？?！!]")
NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d+[.、．]|其中[:：]?)")
CJK = re.compile(r"[\u4e00-\u9fff]")


@cache
def _syllable_key(ch: str) -> str:
    from pypinyin import Style, pinyin

    reading = pinyin(ch, style=Style.NORMAL, errors="ignore")
    return reading[0][0] if reading and reading[0] else ch


_KEYS: dict[str, str] = {}


@lru_cache(maxsize=200_000)
def sound(text: str) -> str:
    """Each Chinese character replaced by a stand-in for its toneless syllable, so that
    same-syllable slips compare equal; other characters kept. Position for position."""
    out = []
    for ch in text:
        if CJK.match(ch):
            syl = _syllable_key(ch)
            out.append(_KEYS.setdefault(syl, chr(0xF0000 + len(_KEYS))))
        else:
            out.append(ch)
    return "".join(out)


def clean(name: str) -> str:
    return NOISE.sub("", NUMBERING.sub("", (name or "").strip()))


@dataclass(frozen=True)
class Alignment:
    phrase_hits: frozenset[int]  # positions of the phrase that the name explains
    matched: int
    exact: int  # matched with the same character, not only the same syllable
    max_gap: int  # the longest run of the name left out between or around matches
    inner_gap: int  # the longest run of the name left out between matches
    phrase_breaks: int  # where the matches in the phrase are not side by side
    frame: bool = False  # the name matched in two runs of two or more, one gap between them


def align(phrase: str, name: str) -> Alignment | None:
    """The longest in-order match of `name` inside `phrase`, by syllable; of the ways to
    match as many, the one whose matches stand closest together in the phrase."""
    p, n = sound(phrase), sound(name)
    distinct = set(n)
    if not n or len(distinct & set(p)) < max(min(2, len(distinct)), 0.4 * len(distinct)):
        return None  # too little of the name is said to pass any test below
    forward = _earliest(p, n)
    backward = [(len(p) - 1 - i, len(n) - 1 - j) for i, j in reversed(_earliest(p[::-1], n[::-1]))]
    hits = min((forward, backward), key=lambda h: (_breaks([i for i, _ in h]), _breaks([j for _, j in h]),
                                                     -max((i for i, _ in h), default=0)))
    if not hits:
        return None
    name_pos = [j for _, j in hits]
    inner = [b - a - 1 for a, b in zip(name_pos, name_pos[1:], strict=False)]
    gaps = [name_pos[0], len(n) - 1 - name_pos[-1], *inner]
    exact = sum(1 for i, j in hits if phrase[i] == name[j])
    cuts = [k for k, g in enumerate(inner) if g]
    frame = len(cuts) == 1 and cuts[0] + 1 >= 2 and len(name_pos) - cuts[0] - 1 >= 2
    positions = [i for i, _ in hits]
    light = sum(1 for a, b in zip(positions, positions[1:], strict=False)
                if b != a + 1 and not asking_words().sub("", phrase[a + 1:b]))  # "行政运转保障经费的物业管理费"
    return Alignment(frozenset(positions), len(hits), exact, max(gaps), max(inner, default=0),
                     _breaks(positions) - light, frame)


def common_block(phrase: str, name: str) -> Alignment | None:
    """The longest stretch said exactly as it stands in the name (by syllable)."""
    p, n = sound(phrase), sound(name)
    best, at = 0, 0
    prev = [0] * (len(n) + 1)
    for i in range(len(p)):
        cur = [0] * (len(n) + 1)
        for j in range(len(n)):
            if p[i] == n[j]:
                cur[j + 1] = prev[j] + 1
                if cur[j + 1] > best:
                    best, at = cur[j + 1], i + 1
        prev = cur
    if best < 4:
        return None
    hits = frozenset(range(at - best, at))
    exact = sum(1 for i in hits if phrase[i] in name)
    return Alignment(hits, best, exact, len(name) - best, 0, 0)


def _breaks(positions: list[int]) -> int:
    return sum(1 for a, b in zip(positions, positions[1:], strict=False) if b != a + 1)


def _earliest(p: str, n: str) -> list[tuple[int, int]]:
    """A longest common subsequence of p and n, taking each match as early as it can."""
    rows, cols = len(p), len(n)
    dp = [[0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(rows - 1, -1, -1):
        pi, row, below = p[i], dp[i], dp[i + 1]
        for j in range(cols - 1, -1, -1):
            row[j] = below[j + 1] + 1 if pi == n[j] else max(below[j], row[j + 1])
    i = j = 0
    hits: list[tuple[int, int]] = []
    while i < rows and j < cols:
        if p[i] == n[j] and dp[i][j] == dp[i + 1][j + 1] + 1:
            hits.append((i, j))
            i, j = i + 1, j + 1
        elif dp[i + 1][j] >= dp[i][j + 1]:
            i += 1
        else:
            j += 1
    return hits
