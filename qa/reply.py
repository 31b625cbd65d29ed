"""The reply object of the contract (../shared/eval/FORMAT.md)."""

from __future__ import annotations

import csv
import io
import re
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
    columns: tuple[str, ...] = ()  # the quoted row's table's column headers, in printed order

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"doc_id": self.doc_id, "title": self.title, "page": self.page,
                               "table": self.table, "quote": self.quote}
        if self.columns:
            out["columns"] = list(self.columns)
        return out


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[-+]?\d+(\.\d+)?")


def spreadsheet_safe(value: object) -> object:
    """A text cell a spreadsheet would run as a formula, quoted with a leading apostrophe;
    a plain number (-12.50) is left a number."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.fullmatch(value):
        return "'" + value
    return value


@dataclass(frozen=True)
class Listing:
    """Rows too many for the reply's text (a ranking over many units): the page shows them as a
    table, the API gives them as JSON and as CSV."""
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def to_csv(self) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(self.columns)
        writer.writerows([spreadsheet_safe(cell) for cell in row] for row in self.rows)
        return buf.getvalue()

    def to_json(self) -> dict[str, Any]:
        return {"columns": list(self.columns), "rows": [list(r) for r in self.rows], "csv": self.to_csv()}


@dataclass(frozen=True)
class Reply:
    question: str
    answer: str
    status: str  # answered | not_found | clarify
    citations: tuple[Citation, ...] = ()
    calculation: Calculation | None = None
    candidates: tuple[str, ...] = ()  # clarify: the documents to choose from
    table: Listing | None = None  # every entry of a long listing
    interpretation: dict[str, Any] | None = None  # how the question was read (qa.value.Interpretation)
    reason: str | None = None  # not_found: not_understood | not_disclosed

    def to_json(self) -> dict[str, Any]:
        return {"question": self.question, "answer": self.answer, "status": self.status,
                "citations": [c.to_json() for c in self.citations],
                "calculation": self.calculation.to_json() if self.calculation else None,
                "candidates": list(self.candidates),
                "table": self.table.to_json() if self.table else None,
                "interpretation": self.interpretation, "reason": self.reason}
