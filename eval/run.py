"""Answer every item of a gold set through the engine and score the replies."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path

from eval.scoring import Report, figures_in, load_gold, score_item, summarize
from qa.calc import MONEY_UNITS as MONEY
from qa.engine import Conversation, Engine
from qa.reply import Reply


def _supported_values(engine: Engine) -> set[tuple[Decimal, str]]:
    out: set[tuple[Decimal, str]] = set()
    for f in engine.store.facts():
        out.add(_key(f.value, f.unit))
    return out


def _key(value: Decimal, unit: str) -> tuple[Decimal, str]:
    if unit in MONEY:
        return (value * MONEY[unit]).normalize(), "元"
    return value.normalize(), unit


def _predicate(known: set[tuple[Decimal, str]], reply: Reply):  # type: ignore[no-untyped-def]
    extra = set()
    for cite in reply.citations:  # a quotation of the document supports the figures it holds
        extra |= {_key(v, u) for v, u in figures_in(cite.quote) if u}
    if reply.calculation is not None:
        c = reply.calculation
        extra.add(_key(c.result, c.unit))
        extra |= {_key(o.value, o.unit) for o in c.operands}

    def supported(value: Decimal, unit: str) -> bool:
        if unit in ("", "%") and any(v == value.normalize() for v, _ in known | extra):
            return True
        return _key(value, unit) in known or _key(value, unit) in extra

    return supported


def run_eval(engine: Engine, gold_path: Path, out: Path | None = None) -> Report:
    items = load_gold(gold_path)
    known = _supported_values(engine)
    scores, latencies, lines = [], [], []
    for item in items:
        conv = Conversation()
        doc = engine.document_named(item["doc"]) if item.get("doc") else None
        if doc is not None:  # the document the set is about, as a user's document picker would
            conv.doc_ids = [doc.doc_id]
        replies: list[Reply] = []
        for turn in item["turns"]:
            started = time.perf_counter()
            replies.append(engine.answer(turn, conv))
            latencies.append((time.perf_counter() - started) * 1000)
        scores.append(score_item(item, [r.to_json() for r in replies],
                                 _predicate(known, replies[-1])))
        lines.append(json.dumps({"id": item["id"], "responses": [r.to_json() for r in replies]},
                                ensure_ascii=False))
    if out is not None:
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return summarize(scores, latencies)
