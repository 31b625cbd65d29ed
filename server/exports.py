"""What the 问题 page exports: the groups as CSV or xlsx, and selected questions with the
answer a staff member expects as a gold set in eval's JSON Lines format (`budget-qa eval`
runs it). Every gold set exported is also kept in the database: with the sets the settings
name, they are the deployment's gold sets that a taught wording must not change."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ingest.db import Database
from ingest.errors import BudgetQAError
from qa.reply import spreadsheet_safe
from server.review import Group
from server.schemas import TextRequest

SCHEMA = """
CREATE TABLE IF NOT EXISTS gold_items (item_id TEXT PRIMARY KEY, set_name TEXT NOT NULL,
  at DOUBLE PRECISION NOT NULL, who TEXT NOT NULL, line TEXT NOT NULL);
"""
COLUMNS = ("question", "status", "count", "last_seen", "up", "down", "wordings", "statuses", "notes", "docs", "answer")
UNITS = ("元", "万元", "亿元", "%", "个", "人", "辆", "项")


class Expected(BaseModel):
    """What the reply should be: a figure and its unit, keywords, or that the documents do not say."""

    model_config = ConfigDict(extra="forbid", strict=True)
    value: str | None = Field(default=None, max_length=30, description="a decimal, e.g. \"4.62\"")
    unit: str | None = Field(default=None, max_length=8)
    keywords: list[list[str]] | None = Field(default=None, max_length=10)
    not_found: bool = False


class GoldItem(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    question: str = Field(min_length=1, max_length=500)
    turns_before: list[str] = Field(default_factory=list, max_length=10, description="earlier turns, if any")
    doc: str | None = Field(default=None, max_length=64, description="the document the question is about")
    expected: Expected


class GoldExport(TextRequest):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str = Field(min_length=1, max_length=80, pattern=r"^[\w\-.\u4e00-\u9fff]+$")
    items: list[GoldItem] = Field(min_length=1, max_length=1000)


def gold_line(item: GoldItem) -> dict[str, Any]:
    """One item in eval's format (FORMAT.md); a bad expectation is a clear error."""
    e = item.expected
    answer: dict[str, Any]
    if e.not_found:
        kind, answer = "refusal", {"status": "not_found"}
    elif e.value is not None:
        if e.unit not in UNITS:
            raise BudgetQAError(f"「{item.question}」：单位须是 {'、'.join(UNITS)} 之一")
        try:
            value = Decimal(e.value.replace(",", ""))
        except InvalidOperation:
            raise BudgetQAError(f"「{item.question}」：{e.value!r} 不是数字") from None
        kind, answer = "lookup", {"value": float(value), "unit": e.unit}
    elif e.keywords and all(group and all(w.strip() for w in group) for group in e.keywords):
        kind, answer = "text", {"keywords": e.keywords}
    else:
        raise BudgetQAError(f"「{item.question}」：请填写期望的数字和单位、关键词，或选择「文件没有说」")
    turns = [*item.turns_before, item.question]
    digest = hashlib.sha256(json.dumps([turns, item.doc], ensure_ascii=False).encode()).hexdigest()[:10]
    line: dict[str, Any] = {"id": f"q-{digest}", "kind": "followup" if item.turns_before else kind,
                            "turns": turns, "answer": answer}
    if item.doc:
        line["doc"] = item.doc
    return line


def save_gold(db: Database, export: GoldExport, who: str) -> str:
    """The set as JSON Lines, kept in the database (an item exported again replaces itself)."""
    lines = [gold_line(i) for i in export.items]
    now = time.time()
    db.apply_schema(SCHEMA)
    with db.transaction() as tx:
        tx.executemany("INSERT INTO gold_items (item_id, set_name, at, who, line) VALUES (?, ?, ?, ?, ?) "
                       "ON CONFLICT(item_id) DO UPDATE SET set_name = excluded.set_name, at = excluded.at, "
                       "who = excluded.who, line = excluded.line",
                       [(line["id"], export.name, now, who, json.dumps(line, ensure_ascii=False)) for line in lines])
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)


def deployment_gold(db: Database, files: list[Path]) -> list[dict[str, Any]]:
    """Every gold item of the deployment: the files the settings name, then the exported sets."""
    items: list[dict[str, Any]] = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                items.append(json.loads(line))
    db.apply_schema(SCHEMA)
    items += [json.loads(r[0]) for r in db.execute("SELECT line FROM gold_items ORDER BY at, item_id")]
    return items


def _cells(g: Group) -> list[Any]:
    d = g.to_json()
    return [d["question"], d["status"], d["count"], d["last_seen"], d["up"], d["down"], "；".join(d["wordings"]),
            "；".join(f"{k} {v}" for k, v in d["statuses"].items()), "；".join(d["notes"]), "；".join(d["docs"]),
            d["answer"]]


def groups_csv(groups: list[Group]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    writer.writerows([spreadsheet_safe(c) if isinstance(c, str) else c for c in _cells(g)] for g in groups)
    return "\ufeff" + buf.getvalue()  # the BOM: spreadsheet programs read the Chinese as UTF-8


def groups_xlsx(groups: list[Group]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook(write_only=True)
    sheet = book.create_sheet("问题")
    sheet.append(list(COLUMNS))
    for g in groups:  # a question may hold control characters that no worksheet can
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("\ufffd", spreadsheet_safe(c)) if isinstance(c, str) else c
                      for c in _cells(g)])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
