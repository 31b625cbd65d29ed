"""Extractive answers: the sentences of the retrieved passages that answer a question.

A question asking why, what for or which ones is answered by the sentence that holds
most of its words, with the sentence giving the reason, the use or the list after it.
"""

from __future__ import annotations

import re

from ingest.model import Chunk
from qa.match import norm
from qa.retrieve import tokens

LIST_ASKED = re.compile(r"哪些|哪几|包括什么|职能|职责")
NEW_ITEM = re.compile(r"^(\d+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+、)")
CUE_START = re.compile(r"^(主要原因|主要用于|用于|其中|具体|原因是|这是由于|由于)")
CUES = ((re.compile(r"为什么|为何|原因"), re.compile(r"原因|由于|因为|主要是")),
        (re.compile(r"用于|用在|用途|方面|干什么|做什么"), re.compile(r"用于|用在")),
        (re.compile(r"哪些|包括|哪几"), re.compile(r"包括|主要有|加挂|分别")),
        (re.compile(r"职能|职责"), re.compile(r"职责|负责|职能")))


def answering_passage(asked: str, hits: list[Chunk], stated: str = "") -> tuple[str, Chunk]:
    """The best run of sentences among the passages, and its passage; `stated` is the start
    of a sentence known to answer (the prose's statement of the change asked about)."""
    scored: list[tuple[float, int, int, str, Chunk]] = []
    for rank, c in enumerate(hits):
        sents = sentences(c.text)
        for k, sent in enumerate(sents):
            score = overlap(asked, sent) + cue(asked, sent) + (1.0 if rank == 0 else 0.0)
            if stated and stated in norm(sent):
                score += 8
            end = k
            if not cue(asked, sent) and k + 1 < len(sents) and CUE_START.match(sents[k + 1]) \
                    and cue(asked, sents[k + 1]):
                score, end = score + cue(asked, sents[k + 1]), k + 1  # "…增长13.11%。主要原因是…"
            start = k - 1 if k > 0 and CUE_START.match(sent) else k
            while end + 1 < len(sents) and (
                    (LIST_ASKED.search(asked) and len("".join(sents[start:end + 2])) < 400)
                    or not NEW_ITEM.match(sents[end + 1]) and (
                        len("".join(sents[start:end + 1])) < 40
                        or (cue(asked, sents[end]) and end == k + 1 and len(sents[end + 1]) < 200))):
                end += 1  # a heading, a list or a bare reason carries on into its next sentences
            scored.append((score, -rank, -k, "".join(sents[start:end + 1]), c))
    _, _, _, quote, chunk = max(scored, key=lambda x: x[:3])
    return quote, chunk


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[。；！？])", text) if s.strip()]


def overlap(question: str, sentence: str) -> float:
    words = {w for w in tokens(question) if len(w) > 1 and not re.fullmatch(r"\d+年?度?", w)}
    text = re.sub(r"\s+", "", sentence)
    return float(sum(len(w) for w in words if w in text))


def cue(question: str, sentence: str) -> float:
    """4 when the sentence gives what the question asks for: a reason, a use, a list."""
    return 4.0 if any(a.search(question) and b.search(sentence) for a, b in CUES) else 0.0
