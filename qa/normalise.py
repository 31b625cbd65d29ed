"""A question as people type it → the `Question` the rest of qa/ reads: NFKC (full-width digits
and letters), traditional → simplified characters, no white space (so a code printed "201 06
05" reads 2010605), no politeness fillers, two-digit years made four-digit, the documents'
full-width punctuation. Nothing after this cleans the question's text again."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from qa.lexicon import table, words
from qa.sound import sound

# NFKC turns full-width punctuation into ASCII; the documents use the full-width forms.
PUNCTUATION = str.maketrans({",": "，", "?": "？", "!": "！", ":": "：", ";": "；", "(": "（", ")": "）"})


@dataclass(frozen=True)
class Question:
    text: str  # normalised
    asked: str  # as typed, stripped

    @property
    def sound(self) -> str:
        return sound(self.text)


@cache
def _simplifier():  # type: ignore[no-untyped-def]
    try:
        import opencc
    except ImportError:  # pragma: no cover - opencc is a dependency; without it, text stays as typed
        return None
    return opencc.OpenCC("t2s")


@cache
def _fillers() -> re.Pattern[str]:
    return re.compile("|".join(map(re.escape, words("fillers"))))


def normalise(asked: str) -> Question:
    text = unicodedata.normalize("NFKC", asked)
    simplifier = _simplifier()
    if simplifier is not None:
        text = simplifier.convert(text)
    text = re.sub(r"\s+", "", text).translate(PUNCTUATION)
    text = re.sub(r"[（(][类款项][）)]", "", text)  # "行政运行（项）": the level of a subject, as printed
    text = _fillers().sub("", text)
    for said, printed in table("spoken"):  # "别的收入": the documents' 其他收入
        text = text.replace(said, printed)
    text = re.sub(r"(?<![\d.])(\d{2})(?=年)", lambda m: "20" + m.group(1), text)  # 24年 → 2024年
    text = re.sub(r"^[，。、；：！？…]+", "", text)
    text = re.sub(r"[，。、；：！…]+(?=[？]?$)", "", text)
    return Question(text or asked.strip(), asked.strip())
