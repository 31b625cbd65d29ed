"""An uploaded file: checked (size, PDF or UTF-8 text), written under its own name to a
temporary folder, ingested; nothing is stored when any step fails."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import BinaryIO

from fastapi import HTTPException

from ingest.pipeline import FileResult, ingest_file
from ingest.read import PDF_MAGIC
from ingest.store import Store

CHUNK = 1024 * 1024
TEXT_SUFFIXES = (".txt", ".text")


def read_limited(stream: BinaryIO, limit: int) -> bytes:
    data = bytearray()
    while chunk := stream.read(CHUNK):
        data += chunk
        if len(data) > limit:
            raise HTTPException(413, f"文件太大：上限 {limit // CHUNK} MB")
    return bytes(data)


def file_name(name: str | None, data: bytes) -> str:
    """A safe base name that keeps the original name (the unit and year are often in it)
    and a suffix that says what the content is."""
    base = re.sub(r"[\x00-\x1f/\\:*?\"<>|]", "_", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    base = base.strip(" .")[-120:] or "upload"
    stem, dot, suffix = base.rpartition(".")
    if data.startswith(PDF_MAGIC):
        return base if dot and suffix.lower() == "pdf" else f"{base}.pdf"
    if b"\x00" in data[:4096]:
        raise HTTPException(415, "只接受 PDF 或 UTF-8 文本文件（这是一个二进制文件）")
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HTTPException(415, f"只接受 PDF 或 UTF-8 文本文件（第 {exc.start} 字节不是 UTF-8）") from None
    return base if dot and f".{suffix.lower()}" in TEXT_SUFFIXES else f"{base}.txt"


def ingest_upload(name: str, data: bytes, store: Store) -> FileResult:
    with tempfile.TemporaryDirectory(prefix="budgetqa-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        result = ingest_file(path, store)
    result.path = name
    return result
