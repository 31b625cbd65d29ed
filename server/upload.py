"""An uploaded file: read from the request's multipart stream only after the staff token
was checked, checked (size, PDF or text in an encoding ingest.charset reads) while it is copied under its own name into
a folder of its own, which is removed when anything fails."""

from __future__ import annotations

import ctypes
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ingest.charset import NotText, TextCheck, looks_binary
from ingest.pipeline import ingest_file
from ingest.read import PDF_MAGIC
from ingest.worker import isolated
from server.jobs import Job
from server.schemas import JobOut, UploadResult

if TYPE_CHECKING:
    from server.deps import Services

CHUNK = 1024 * 1024
TEXT_SUFFIXES = (".txt", ".text")
MAX_NAME_BYTES = 200  # file systems allow 255 bytes; a suffix may still be added
UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {
    "schema": {"type": "object", "required": ["file"], "additionalProperties": False,
               "properties": {"file": {"type": "string", "format": "binary",
                                       "description": "a PDF or a text extract (UTF-8, GB18030/GBK, "
                                                      "UTF-16 with a BOM)"}}},
    "encoding": {"file": {"contentType": "application/pdf, text/plain"}}}}}}


def _fit(text: str, limit: int) -> str:
    """`text` cut at a character so that its UTF-8 takes at most `limit` bytes."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def file_name(name: str | None, head: bytes) -> str:
    """A safe base name that keeps the original name (the unit and year are often in it),
    short enough in bytes for any file system, with a suffix that says what the content
    is; `head` is the file's first bytes."""
    base = re.sub(r"[\x00-\x1f/\\:*?\"<>|]", "_", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    base = base.strip(" .") or "upload"
    stem, dot, suffix = base.rpartition(".")
    if not dot or len(suffix.encode()) > 16:
        stem, suffix = base, ""
    stem = _fit(stem, MAX_NAME_BYTES - len(suffix.encode()) - 1) or "upload"
    base = f"{stem}.{suffix}" if suffix else stem
    if head.startswith(PDF_MAGIC):
        return base if suffix.lower() == "pdf" else f"{base}.pdf"
    if looks_binary(head):
        raise HTTPException(415, f"{ACCEPTED}（这是一个二进制文件）")
    _check_text(TextCheck(head), head, final=False)
    return base if f".{suffix.lower()}" in TEXT_SUFFIXES else f"{base}.txt"


ACCEPTED = "只接受 PDF 或文本文件（UTF-8、GB18030/GBK，或带 BOM 的 UTF-16）"


def _check_text(check: TextCheck, data: bytes, final: bool) -> None:
    try:
        check.feed(data, final)
    except NotText as exc:
        raise HTTPException(415, f"{ACCEPTED}：{exc}") from None


def save_upload(stream: BinaryIO, name: str | None, folder: Path, limit: int) -> Path:
    """The upload copied to `folder`/<safe name>; 413 past `limit` bytes, 415 for content
    that is neither PDF nor text. Nothing is left behind on failure."""
    head = stream.read(CHUNK)
    path = folder / file_name(name, head)
    text = not head.startswith(PDF_MAGIC)
    check = TextCheck(head)
    size = 0
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            chunk = head
            while chunk:
                if size + len(chunk) > limit:
                    raise HTTPException(413, f"文件太大：上限 {limit // CHUNK} MB")
                if text:
                    _check_text(check, chunk, final=False)
                out.write(chunk)
                size += len(chunk)
                chunk = stream.read(CHUNK)
        if text:
            _check_text(check, b"", final=True)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return path


async def receive_upload(request: Request, folder: Path, limit: int) -> Path:
    """The request's one multipart `file`, saved by `save_upload`."""
    form = await request.form(max_files=1, max_fields=8)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or set(form.keys()) != {"file"}:
            raise HTTPException(422, "请求无效：需要 multipart/form-data 里一个名为 file 的文件，别无其他字段")
        return await run_in_threadpool(save_upload, upload.file, upload.filename, folder, limit)
    finally:
        await form.close()


def run_upload(job: Job, path: Path, services: Services) -> None:
    """The job's ingest: parsed in a limited child process, saved through a connection of
    its own, the engine reloaded before the job says done; the upload's folder goes."""

    def progress(done: int, total: int) -> None:
        services.jobs.progress(job, done, total)

    store = services.writer()
    try:
        result = ingest_file(path, store, progress, isolated(services.settings.limits))
    finally:
        store.close()
        shutil.rmtree(path.parent, ignore_errors=True)
    if result.error:
        job.status, job.error = "failed", f"未导入：{result.error}"
        return
    services.reload()
    give_back_memory()
    job.result = UploadResult(file=path.name, doc_id=result.doc_id, title=result.title,
                              unchanged=result.unchanged, tables=result.tables,
                              tables_by_type=result.tables_by_type, facts=result.facts,
                              chunks=result.chunks, findings=result.findings, problems=result.problems,
                              seconds=round(result.seconds, 3), encoding=result.encoding,
                              vectors_pending=result.vectors_pending)
    job.status = "done"


def give_back_memory() -> None:
    """Hand the heap freed by an ingest (embedding buffers, the replaced engine) back to the
    system; glibc keeps it otherwise and the server's RSS only grows. (ctypes lets go of
    the GIL meanwhile: requests go on.)"""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc


def job_out(job: Job) -> JobOut:
    return JobOut(job_id=job.job_id, file=job.file, status=job.status,  # type: ignore[arg-type]
                  pages_done=job.pages_done, pages_total=job.pages_total, result=job.result,
                  error=job.error or None)
