"""A conversation's state as JSON, so that it can live in the database and any worker of
any machine can continue it: the documents in scope and the last turns (each turn's
interpretation and the figures it stated, qa.calc.Operand with the fact each was read from)."""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from decimal import Decimal
from typing import Any

from ingest.model import Fact
from qa.calc import CalculationError, Operand
from qa.engine import Conversation
from qa.value import Interpretation, Turn

FACT_FIELDS = tuple(f.name for f in fields(Fact))


def dump_conversation(conv: Conversation) -> str:
    turns = [{"interpretation": t.interpretation.to_state(), "figures": [_dump_operand(o) for o in t.figures]}
             for t in conv.turns]
    return json.dumps({"doc_ids": conv.doc_ids, "turns": turns}, ensure_ascii=False)


def load_conversation(text: str) -> Conversation:
    """The conversation `dump_conversation` wrote; an unreadable one starts afresh."""
    try:
        data = json.loads(text)
        turns = [Turn(Interpretation.from_state(t["interpretation"]), [_load_operand(o) for o in t["figures"]])
                 for t in data["turns"]]
        return Conversation(doc_ids=list(data["doc_ids"]), turns=turns)
    except (ValueError, KeyError, TypeError, ArithmeticError, CalculationError):
        return Conversation()


def _dump_operand(o: Operand) -> dict[str, Any]:
    # A figure cites the fact it was read from, or nothing (a computed result).
    citation = {**asdict(o.citation), "value": str(o.citation.value)} if isinstance(o.citation, Fact) else None
    return {"label": o.label, "value": str(o.value), "unit": o.unit, "citation": citation}


def _load_operand(data: dict[str, Any]) -> Operand:
    cited = data.get("citation")
    citation = Fact(**{**{k: cited[k] for k in FACT_FIELDS if k in cited}, "value": Decimal(cited["value"]),
                        "labels": tuple(tuple(pair) for pair in cited.get("labels", ()))}) if cited else None
    return Operand(data["label"], Decimal(data["value"]), data["unit"], citation)
