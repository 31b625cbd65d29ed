"""Chunks for retrieval: prose by section, and one chunk per table row.

A table row's chunk carries its table title, code, name and every column with its
unit, so that a numeric row is found by words ("社会保险经办机构 基本支出").
"""

from __future__ import annotations

from collections import defaultdict

from ingest.model import Chunk, Fact, Table, content_id
from ingest.prose import Paragraph

MAX_CHARS = 400


def prose_chunks(doc_id: str, paras: list[Paragraph]) -> list[Chunk]:
    chunks: list[Chunk] = []
    body: list[Paragraph] = []

    def flush() -> None:
        if not body:
            return
        section = body[0].section
        text = ""
        page = body[0].page
        for p in body:
            if text and len(text) + len(p.text) > MAX_CHARS:
                chunks.append(_prose_chunk(doc_id, section, text, page))
                text, page = "", p.page
            text += p.text
        if text:
            chunks.append(_prose_chunk(doc_id, section, text, page))
        body.clear()

    for p in paras:
        if p.heading or (body and p.section != body[0].section):
            flush()
        if not p.heading:
            body.append(p)
    flush()
    return chunks


def _prose_chunk(doc_id: str, section: str, text: str, page: int) -> Chunk:
    heading = section.split(" / ")[-1] if section else ""
    full = f"{heading}\n{text}" if heading else text
    return Chunk(content_id(doc_id, "prose", full), doc_id, "prose", full, page, None,
                 {"section": section})


def row_chunks(doc_id: str, tables: list[Table], facts: list[Fact]) -> list[Chunk]:
    by_row: dict[tuple[str, str | None, str, tuple[tuple[str, str], ...]], list[Fact]] = defaultdict(list)
    for f in facts:
        if f.table != "正文":
            by_row[(f.table, f.code, f.row, f.labels)].append(f)
    units = {f"{t.number} {t.title}": t.unit for t in tables}
    chunks: list[Chunk] = []
    for (table, code, row, labels), row_facts in by_row.items():
        cells = " | ".join(f"{f.column} {f.value}" for f in row_facts)
        code_text = f"{code} " if code else ""
        unit = units.get(table, row_facts[0].unit)
        named = "".join(f" | {k} {v}" for k, v in labels)  # 政府采购: 专项名称 …, 采购组织形式 …
        text = f"{table} | {code_text}{row}{named} | {cells} | 单位：{unit}"
        chunks.append(Chunk(content_id(doc_id, "row", text), doc_id, "row", text,
                            row_facts[0].page, table, {"row": row, "code": code or ""}))
    return chunks
