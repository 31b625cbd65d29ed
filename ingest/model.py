"""Frozen data passed between the ingest stages. Ids are content hashes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingest.layout import Geometry

OCR_CONFIRMED, OCR_UNCONFIRMED = "ocr", "unconfirmed"  # Fact.confidence of a figure read by OCR
# Money units and their size in 元: every amount carries one of these or a counting unit.
MONEY_UNITS = {"元": Decimal(1), "万元": Decimal(10_000), "亿元": Decimal(100_000_000)}


def content_id(*parts: object) -> str:
    """A short stable id from the parts' text: the same input always gives the same id."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8"))
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Page:
    number: int
    text: str
    geometry: Geometry | None = field(default=None, compare=False, repr=False)  # PDFs only


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    unit: str
    year: int | None
    kind: str  # 预算 | 决算
    source: str  # file name(s), ";"-joined when one document spans files
    sha256: str
    pages: int
    region: str = ""


@dataclass(frozen=True)
class Table:
    doc_id: str
    number: str  # as printed: "表3", "公开05表"
    title: str
    unit: str  # 元 | 万元 | 亿元
    page: int | None
    columns: tuple[str, ...]
    table_type: str = ""  # canonical type: 支出总表, 三公经费表, …
    empty: bool = False


@dataclass(frozen=True)
class Fact:
    doc_id: str
    table: str  # "表3 单位支出总体情况表"; "正文" for figures stated in the prose
    code: str | None  # 2080109, 30201, None
    row: str
    column: str
    value: Decimal
    unit: str
    page: int | None
    quote: str
    table_type: str = ""
    section: str = ""  # prose: the heading the sentence sits under
    source: str = ""  # the file it was read from (a document may span files)
    labels: tuple[tuple[str, str], ...] = ()  # the row's text columns: (采购组织形式, 政府集中采购)
    # "" read from a text layer; "ocr" read by OCR and confirmed by the table's arithmetic;
    # "unconfirmed" read by OCR, its digits confirmed by nothing: cite it as "OCR, unconfirmed"
    confidence: str = ""


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    kind: str  # prose | row
    text: str
    page: int | None
    table: str | None
    meta: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Place:
    """Where a finding looked: a page, a table ("正文" for the prose) and the words there."""

    page: int | None
    table: str
    quote: str


@dataclass(frozen=True)
class Finding:
    """One audit result: parts against totals, a figure across tables, prose against tables.
    A problem cites the places it compares and the computation that shows it."""

    doc_id: str
    check: str  # totals | cross_table | prose | forms | years | parse | code | catalogue | identity (a note)
    ok: bool
    message: str
    page: int | None = None
    table: str | None = None
    places: tuple[Place, ...] = ()
    computation: str = ""

    @property
    def whose(self) -> str:
        """Whose a problem is: "reader" for cells a text extract lost (ours to read better),
        "catalogue" for a table the contents promise and no page holds, else "document": the
        document disagrees with itself as printed (a total, a figure across tables, prose)."""
        return {"parse": "reader", "catalogue": "catalogue"}.get(self.check, "document")


def places_of(*facts: Fact) -> tuple[Place, ...]:
    """The places the facts were read from, each once, in order."""
    return tuple(dict.fromkeys(Place(f.page, f.table, f.quote) for f in facts))
