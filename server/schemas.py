"""Request and response models of the HTTP API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from qa.engine import MAX_QUESTION_CHARS


def _has_surrogate(value: object) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


class TextRequest(BaseModel):
    """A JSON body whose strings are real text: JSON may spell a lone surrogate (\\ud800),
    which no text can be encoded with, so it is refused before any route sees it. Strict:
    a value of the wrong JSON type (0 for false) is refused, not converted."""

    model_config = ConfigDict(strict=True)

    @model_validator(mode="before")
    @classmethod
    def _real_text(cls, data: Any) -> Any:
        if _has_surrogate(data):
            raise ValueError("文本含有无效的 Unicode 代理字符（lone surrogate）")
        return data


class ChatRequest(TextRequest):
    message: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, pattern=r"\S",
                         description="the user's question")
    conversation_id: str | None = Field(default=None, max_length=64)
    doc_id: str | None = Field(default=None, max_length=64,
                               description="fix the conversation to this document (the picker)")


class ChartItem(BaseModel):
    label: str
    value: str = Field(description="a decimal, as a string")


class Chart(BaseModel):
    """A breakdown the reply's figure belongs to, drawn as bars by the page."""

    title: str
    unit: str
    table: str
    column: str
    page: int | None
    items: list[ChartItem]


class ChatResponse(BaseModel):
    message_id: str = Field(description="names this reply in POST /api/feedback")
    question: str
    answer: str
    status: str
    citations: list[dict[str, Any]]
    calculation: dict[str, Any] | None
    candidates: list[str] = []
    table: dict[str, Any] | None = None  # a long listing: columns, rows and the same as CSV
    conversation_id: str
    chart: Chart | None = None
    interpretation: dict[str, Any] | None = Field(default=None, description="how the question was read")
    reason: str | None = Field(default=None, description="not_found: not_understood | not_disclosed")


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    documents: int
    facts: int
    problem: str | None = Field(default=None, description="why degraded: the database file removed or replaced")


class FeedbackIn(TextRequest):
    message_id: str = Field(min_length=1, max_length=64, description="the reply's message_id")
    rating: Literal["up", "down"]
    note: str | None = Field(default=None, max_length=500, description="optional, with a 👎: what was wrong")


class FeedbackOut(BaseModel):
    message_id: str
    rating: str


class QuestionGroup(BaseModel):
    question: str
    status: str
    count: int
    last_seen: str
    up: int
    down: int
    wordings: list[str]
    statuses: dict[str, int]
    notes: list[str]
    docs: list[str]
    answer: str
    message_ids: list[str]


class ActivityOut(BaseModel):
    at: str
    who: str
    action: str
    target: str
    result: str
    detail: dict[str, Any] = {}


class TaughtIn(TextRequest):
    said: str = Field(min_length=1, max_length=30, description="what people say: 吃喝费")
    means: str = Field(min_length=1, max_length=100, description="a row name printed in a document, or a unit")
    kind: Literal["item", "unit"]


class TaughtOut(BaseModel):
    id: str
    said: str
    means: str
    kind: str
    who: str
    at: float
    undone_by: str | None
    undone_at: float | None


class DocumentInfo(BaseModel):
    doc_id: str
    title: str
    unit: str
    year: int | None
    kind: str
    pages: int
    region: str
    sources: list[str]
    facts: int


class FactOut(BaseModel):
    doc_id: str
    document: str
    source: str = Field(description="the file the fact was read from, where known")
    table: str
    table_type: str
    code: str | None
    row: str
    column: str
    value: str = Field(description="a decimal, as a string")
    unit: str
    page: int | None
    quote: str
    confidence: str = Field("", description='"" from a text layer; "ocr" read by OCR and confirmed by '
                            'the table\'s arithmetic; "unconfirmed" read by OCR, digits not confirmed')


class PlaceOut(BaseModel):
    page: int | None
    table: str
    quote: str


class FindingOut(BaseModel):
    check: str
    ok: bool
    message: str
    page: int | None
    table: str | None
    places: list[PlaceOut] = []  # the places the finding compares
    computation: str = ""  # how the figures were computed


class UploadResult(BaseModel):
    file: str
    doc_id: str
    title: str
    unchanged: bool = Field(description="the same file was ingested before")
    tables: int
    tables_by_type: dict[str, int]
    facts: int
    chunks: int
    findings: int
    problems: int
    seconds: float
    encoding: str = Field(default="", description="\"PDF\", or the text encoding the file was read in")
    vectors_pending: int = Field(default=0, description="stored; these passage vectors wait for the vector "
                                                         "index (budget-qa check --repair, or the next write)")


class JobOut(BaseModel):
    """An upload's ingest: queued, running (pages read so far), then done with its result
    or failed with a message saying why (nothing is stored then); `interrupted` when a
    restart cut it off (the message says whether the file was stored)."""

    job_id: str
    file: str
    status: Literal["queued", "running", "done", "failed", "interrupted"]
    pages_done: int
    pages_total: int
    result: UploadResult | None = None
    error: str | None = None


class Deleted(BaseModel):
    doc_id: str
    deleted: bool
