"""The reply object of the contract (../shared/eval/FORMAT.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qa.calc import Calculation


@dataclass(frozen=True)
class Citation:
    doc_id: str
    title: str
    page: int | None
    table: str | None
    quote: str

    def to_json(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "title": self.title, "page": self.page,
                "table": self.table, "quote": self.quote}


@dataclass(frozen=True)
class Reply:
    question: str
    answer: str
    status: str  # answered | not_found | clarify
    citations: tuple[Citation, ...] = ()
    calculation: Calculation | None = None
    candidates: tuple[str, ...] = ()  # clarify: the documents to choose from

    def to_json(self) -> dict[str, Any]:
        return {"question": self.question, "answer": self.answer, "status": self.status,
                "citations": [c.to_json() for c in self.citations],
                "calculation": self.calculation.to_json() if self.calculation else None,
                "candidates": list(self.candidates)}
