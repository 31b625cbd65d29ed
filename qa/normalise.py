"""A question as people type it → the form the rest of qa/ reads: NFKC (full-width digits
and letters), traditional → simplified characters, no white space, no politeness fillers,
two-digit years made four-digit, the documents' full-width punctuation."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from functools import cache
from importlib import resources

# NFKC turns full-width punctuation into ASCII; the documents and the patterns of qa/ use
# the full-width forms.
PUNCTUATION = str.maketrans({",": "，", "?": "？", "!": "！", ":": "：", ";": "；", "(": "（", ")": "）"})


@cache
def lexicon() -> dict:
    """qa/lexicon.toml: fillers, asking words, people's words (data, reviewed like code)."""
    return tomllib.loads(resources.files("qa").joinpath("lexicon.toml").read_text(encoding="utf-8"))


@cache
def _simplifier():
    try:
        import opencc
    except ImportError:  # pragma: no cover - opencc is a dependency; without it, text stays as typed
        return None
    return opencc.OpenCC("t2s")


@cache
def _fillers() -> re.Pattern[str]:
    words = sorted(lexicon()["fillers"], key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words)))


def normalise(question: str) -> str:
    text = unicodedata.normalize("NFKC", question)
    simplifier = _simplifier()
    if simplifier is not None:
        text = simplifier.convert(text)
    text = re.sub(r"\s+", "", text).translate(PUNCTUATION)
    text = _fillers().sub("", text)
    text = re.sub(r"(?<![\d.])(\d{2})(?=年)", lambda m: "20" + m.group(1), text)  # 24年 → 2024年
    text = re.sub(r"^[，。、；：！？]+", "", text)
    text = re.sub(r"[，。、；：！]+(?=[？]?$)", "", text)
    return text or question.strip()


@cache
def asking_words() -> re.Pattern[str]:
    """The words of asking (qa/lexicon.toml), longest first."""
    return re.compile("|".join(map(re.escape, sorted(lexicon()["asking"], key=len, reverse=True))))
