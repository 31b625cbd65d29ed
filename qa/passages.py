"""Text answers: the sentences of the document's passages that answer what a text question asks
(a reason, a definition, a function, what something includes, what money is for, why a table is
empty), chosen by the item the question names and by the kind of question."""

from __future__ import annotations

import re

from ingest.model import Chunk
from qa.lexicon import cues
from qa.library import CHANGE_COLUMNS, RATE_COLUMNS, Library, Result, fact_of, names_of, prose_about, source
from qa.retrieve import tokens
from qa.sound import sound
from qa.value import Interpretation
from qa.vocabulary import clean

NEW_ITEM = re.compile(r"^(\d+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+、)")
CUE_START = re.compile(r"^(主要原因|主要用于|用于|其中|具体|原因是|这是由于|由于)")
# What a sentence that answers each kind of question says.
ANSWERS = {"reason": re.compile(r"原因|由于|因为|主要是|主要用于"), "use": re.compile(r"用于|用在"),
           "composition": re.compile(r"包括|主要有|加挂|分别|下设|内设"),
           "function": re.compile(r"职责|负责|职能|主要任务|是.{0,12}(机构|单位)"),
           "definition": re.compile(r"[：:]\s*(是|指)|是指|指的?是|即"),
           "empty": re.compile(r"没有|无|未|空表|为0|为零"),
           "general": re.compile(r"")}
LISTS = ("composition", "function")


def answer_passage(interp: Interpretation, lib: Library) -> Result:
    doc_id = interp.docs[0]
    asked = interp.said
    labelled = _labelled(interp, lib)
    if labelled is not None:  # "…是用哪种采购组织形式采购的": the row's own text column says
        return labelled
    named = list(dict.fromkeys(n for i in interp.items for n in names_of(i, lib)))
    query = " ".join([asked, *named])
    hits = lib.passages(doc_id, query)
    stated = _stated(interp, lib) if interp.text_kind == "reason" else []
    if stated:  # "为什么X比上年减少": the passages where the prose states X's change
        hits = [c for c in lib.prose(doc_id) if any(q in clean(c.text) for q in stated)][:2] + hits
    if not hits:
        return Result("problem", interp, problem="no_passage", detail=asked)
    if named:  # a passage that names the item comes first
        hits = sorted(hits, key=lambda c: not any(sound(n) in sound(clean(c.text)) for n in named))
    quote, chunk = best_sentences(asked, interp.text_kind or "general", named, hits, stated)
    quoted = [q for q in re.findall(r"[“\"「『]([^”\"」』]+)[”\"」』]", asked) if len(q) >= 3]
    if quoted and not any(sound(clean(q)) in sound(clean(chunk.text)) for q in quoted):
        return Result("problem", interp, problem="no_passage", detail=quoted[0])
    return Result("passage", interp, passage=(quote, chunk))


def _labelled(interp: Interpretation, lib: Library) -> Result | None:
    """A row's text column the question names (采购组织形式, 采购品目…): its value, cited."""
    for item in interp.items:
        f = fact_of(item, lib)
        for header, value in f.labels:
            words = [header[i:i + 2] for i in range(len(header) - 1)]
            if value and sum(w in interp.said for w in words) >= 2:
                return Result("figures", interp, lead=f"「{item.named}」的{header}：{value}{source(f)}。",
                              facts=((item.named, f),), notes=("label",))
    return None


def _stated(interp: Interpretation, lib: Library) -> list[str]:
    """The starts of the prose sentences that state the items' change on last year."""
    voc = lib.vocabulary(interp.docs[0])
    out = []
    for item in interp.items:
        for f in prose_about(names_of(item, lib), voc, CHANGE_COLUMNS + RATE_COLUMNS)[:2]:
            out.append(clean(f.quote)[:20])
    return list(dict.fromkeys(out))


def best_sentences(asked: str, kind: str, named: list[str], hits: list[Chunk],
                   stated: list[str] = ()) -> tuple[str, Chunk]:  # type: ignore[assignment]
    """The best run of sentences among the passages, and its passage."""
    answer = ANSWERS.get(kind, ANSWERS["general"])
    scored: list[tuple[float, int, int, str, Chunk]] = []
    for rank, c in enumerate(hits):
        sents = sentences(c.text)
        for k, sent in enumerate(sents):
            says = bool(answer.pattern) and bool(answer.search(sent))
            score = overlap(asked, sent) + 3 * sum(sound(n) in sound(clean(sent)) for n in named) \
                + (4.0 if says else 0.0) + (1.0 if rank == 0 else 0.0) \
                + (8.0 if any(q[:12] in clean(sent) for q in stated) else 0.0)
            end = k
            reach = 3 if kind == "reason" else 2  # a reason may follow the change it explains
            ahead = next((j for j in range(k + 1, min(k + reach, len(sents))) if answer.search(sents[j])
                          and (kind == "reason" or CUE_START.match(sents[j]))), None) \
                if answer.pattern and not says else None
            if ahead is not None and not any(NEW_ITEM.match(s) for s in sents[k + 1:ahead + 1]):
                score, end = score + 4.0, ahead  # "…预算数为…。与上年相比增加…。主要是…": the reason that follows
            start = k - 1 if k > 0 and CUE_START.match(sent) else k
            while end + 1 < len(sents) and (
                    (kind in LISTS and len("".join(sents[start:end + 2])) < 400)
                    or not NEW_ITEM.match(sents[end + 1]) and (
                        len("".join(sents[start:end + 1])) < 40
                        or (bool(answer.pattern) and answer.search(sents[end]) and end <= k + 1
                            and len(sents[end + 1]) < 200))):
                end += 1  # a heading, a list or a bare reason carries on into its next sentences
            scored.append((score, -rank, -k, "".join(sents[start:end + 1]), c))
    _, _, _, quote, chunk = max(scored, key=lambda x: x[:3])
    return quote, chunk


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[。；！？])", text) if s.strip()]


def overlap(question: str, sentence: str) -> float:
    asking = {w for ws in cues("text").values() for w in ws}
    words = {w for w in tokens(question) if len(w) > 1 and not re.fullmatch(r"\d+年?度?", w) and w not in asking}
    text = re.sub(r"\s+", "", sentence)
    return float(sum(len(w) for w in words if w in text))
