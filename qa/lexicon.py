"""qa/lexicon.toml, read once: the words the question path treats as data (fillers, asking
words, operator cues, measures, units' short forms, people's words)."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any


@cache
def lexicon() -> dict[str, Any]:
    return tomllib.loads(resources.files("qa").joinpath("lexicon.toml").read_text(encoding="utf-8"))


@cache
def words(key: str) -> tuple[str, ...]:
    """A list of the lexicon, longest first (a longer cue wins over one it contains)."""
    return tuple(sorted(lexicon()[key], key=len, reverse=True))


@cache
def table(key: str) -> tuple[tuple[str, str], ...]:
    """A said → meant table of the lexicon, longest said first."""
    return tuple(sorted(lexicon()[key].items(), key=lambda kv: len(kv[0]), reverse=True))


@cache
def cues(group: str) -> dict[str, tuple[str, ...]]:
    """The cue words of each operation (group "ops") or each kind of text question ("text")."""
    return {name: tuple(sorted(said, key=len, reverse=True)) for name, said in lexicon()[group].items()}


@cache
def people() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """People's words with the printed names each stands for."""
    return tuple((said, tuple(p for p in printed.split("|") if p)) for said, printed in table("people"))


def says(key: str, text: str) -> bool:
    """Whether text holds one of the lexicon's words under key."""
    return any(w in text for w in words(key))


def ends_with(key: str, text: str) -> str:
    """The longest of the lexicon's words under key that text ends with, or ""."""
    return next((w for w in words(key) if text.endswith(w)), "")


def without_leading(key: str, text: str) -> str:
    """Text without the lexicon's words under key said at its start, one after another."""
    while (w := next((w for w in words(key) if text.startswith(w)), "")):
        text = text[len(w):]
    return text
