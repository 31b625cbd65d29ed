"""Characters compared by sound: each Chinese character read as its toneless syllable, so that
a slip of a pinyin input method (差旅废 for 差旅费) compares equal. Position for position, so a
match in the sound string is a match in the text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache, lru_cache

CJK = re.compile(r"[\u4e00-\u9fff]")


@cache
def _syllable(ch: str) -> str:
    from pypinyin import Style, pinyin

    reading = pinyin(ch, style=Style.NORMAL, errors="ignore")
    return reading[0][0] if reading and reading[0] else ch


_KEYS: dict[str, str] = {}


@lru_cache(maxsize=200_000)
def sound(text: str) -> str:
    """Each Chinese character replaced by a stand-in for its toneless syllable; other characters
    kept."""
    out = []
    for ch in text:
        if CJK.match(ch):
            out.append(_KEYS.setdefault(_syllable(ch), chr(0xF0000 + len(_KEYS))))
        else:
            out.append(ch)
    return "".join(out)


def stretches(texts: Iterable[str], shortest: int, longest: int) -> frozenset[str]:
    """Every stretch of `shortest` to `longest` characters of the texts: `piece in stretches`
    answers what `piece in "|".join(texts)` does for pieces of those lengths, without reading
    every text each time."""
    return frozenset(t[i:j] for t in texts for i in range(len(t))
                     for j in range(i + shortest, min(len(t), i + longest) + 1))
