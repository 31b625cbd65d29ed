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
    question: str
    answer: str
    status: str
    citations: list[dict[str, Any]]
    calculation: dict[str, Any] | None
    candidates: list[str] = []
    table: dict[str, Any] | None = None  # a long listing: columns, rows and the same as CSV
    conversation_id: str
    chart: Chart | None = None


class Health(BaseModel):
    status: str
    documents: int
    facts: int


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


class FindingOut(BaseModel):
    check: str
    ok: bool
    message: str
    page: int | None
    table: str | None


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


class JobOut(BaseModel):
    """An upload's ingest: queued, running (pages read so far), then done with its result
    or failed with a message saying why (nothing is stored then)."""

    job_id: str
    file: str
    status: Literal["queued", "running", "done", "failed"]
    pages_done: int
    pages_total: int
    result: UploadResult | None = None
    error: str | None = None


class Deleted(BaseModel):
    doc_id: str
    deleted: bool
