"""Documents: the list, upload and delete (staff), facts (JSON, CSV or Excel), audit (JSON or
Excel), suggestions."""

from __future__ import annotations

import csv
import io
import shutil
import uuid
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ingest.errors import StoreError
from ingest.export import write_audit_xlsx, write_facts_xlsx
from ingest.model import Fact
from ingest.read import file_sha256
from ingest.store import Store
from ingest.years import findings_of
from qa.reply import spreadsheet_safe
from server.deps import EngineDep, ServicesDep, Staff
from server.errors import errors
from server.schemas import Deleted, DocumentInfo, FactOut, FindingOut, JobOut, PlaceOut
from server.suggestions import suggest_questions
from server.upload import UPLOAD_BODY, job_out, receive_upload

router = APIRouter(prefix="/api/documents", tags=["documents"])
jobs_router = APIRouter(prefix="/api/jobs", tags=["documents"])
DocId = Annotated[str, Path(max_length=64, description="a doc_id from GET /api/documents")]
CSV_FIELDS = ("table", "table_type", "code", "row", "column", "value", "unit", "page", "quote",
              "source", "confidence")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DELETE_WAIT = 5.0  # seconds a delete waits for an ingest that holds the data dir


@router.get("")
def list_documents(services: ServicesDep, engine: EngineDep) -> list[DocumentInfo]:
    with engine.read_lock:
        counts = engine.store.fact_counts()
        sources = {d.doc_id: engine.store.files(d.doc_id) for d in engine.documents}
    return [DocumentInfo(doc_id=d.doc_id, title=d.title, unit=d.unit, year=d.year, kind=d.kind,
                         pages=d.pages, region=d.region, sources=sources[d.doc_id],
                         facts=counts.get(d.doc_id, 0)) for d in engine.documents]


@router.post("", openapi_extra=UPLOAD_BODY, status_code=202,
             responses=errors(400, 401, 403, 413, 415, 422, 429, 503))
async def upload_document(request: Request, response: Response, services: ServicesDep, who: Staff) -> JobOut:
    """Queue one PDF or text extract (UTF-8, GB18030/GBK, UTF-16 with a BOM) for ingest
    (staff only) and answer at once (202): `GET /api/jobs/{job_id}` follows it. The body is
    read only after the staff token was checked; size (413) and content (415) are checked
    while it is received. Refused (503) while the database is missing or replaced."""
    services.require_writable()
    folder = services.upload_dir / uuid.uuid4().hex
    path = await receive_upload(request, folder, services.settings.max_upload_bytes)
    try:
        sha = await run_in_threadpool(file_sha256, path)
        job = services.jobs.submit(path.name, path, who, sha)
    except HTTPException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    response.headers["Location"] = f"/api/jobs/{job.job_id}"
    return job_out(job)


@jobs_router.get("/{job_id}", responses=errors(404, 422))
def get_job(job_id: Annotated[str, Path(max_length=64)], services: ServicesDep) -> JobOut:
    """An upload's ingest: its status, pages read, then its result or why it failed."""
    job = services.jobs.get(job_id)
    if job is None:
        raise HTTPException(404, f"没有这个导入任务：{job_id}（只记得最近的任务）")
    return job_out(job)


@router.delete("/{doc_id}", responses=errors(401, 403, 404, 409, 422, 503))
def delete_document(doc_id: DocId, services: ServicesDep, who: Staff) -> Deleted:
    _require(doc_id, services)  # an unknown id is 404 at once, whoever is writing
    store = services.writer()
    title = next((d.title for d in services.engine().documents if d.doc_id == doc_id), doc_id)
    detail = {"doc_id": doc_id, "files": [{"name": n, "sha256": h} for h, n in store.file_rows(doc_id)]}
    try:
        deleted = store.delete_document(doc_id, timeout=DELETE_WAIT)
    except StoreError as exc:
        services.record(who, "delete", title, "failed", {**detail, "error": str(exc)})
        raise HTTPException(409, f"未删除：{exc}") from None
    finally:
        store.close()
    if not deleted:
        raise _unknown(doc_id)
    services.record(who, "delete", title, "done", detail)
    services.reload()
    return Deleted(doc_id=doc_id, deleted=True)


@router.get("/{doc_id}/facts", response_model=list[FactOut],
            responses={200: {"content": {"text/csv": {}, XLSX: {}}}, **errors(404, 422)})
def document_facts(doc_id: DocId, services: ServicesDep, request: Request,
                   format: Annotated[str | None, Query(pattern="^(json|csv|xlsx)$")] = None,
                   ) -> list[FactOut] | Response:
    """Every fact of the document; `?format=csv` or `Accept: text/csv` for a spreadsheet,
    `?format=xlsx` for an Excel workbook (a sheet per table type, in its printed columns)."""
    if format == "xlsx":
        _require(doc_id, services)
        return _xlsx(doc_id, "facts", lambda store, out: write_facts_xlsx(store, out, [doc_id]), services)
    facts = _facts(doc_id, services)
    title = next((d.title for d in services.engine().documents if d.doc_id == doc_id), "")
    out = [FactOut(doc_id=f.doc_id, document=title, source=getattr(f, "source", "") or "",
                   table=f.table, table_type=f.table_type, code=f.code, row=f.row, column=f.column,
                   value=str(f.value), unit=f.unit, page=f.page, quote=f.quote, confidence=f.confidence)
           for f in facts]
    accept = request.headers.get("accept", "")
    if format == "csv" or (format is None and "text/csv" in accept):
        return _csv(doc_id, out)
    return out


@router.get("/{doc_id}/audit", response_model=list[FindingOut],
            responses={200: {"content": {XLSX: {}}}, **errors(404, 422)})
def document_audit(doc_id: DocId, services: ServicesDep,
                   format: Annotated[str | None, Query(pattern="^(json|xlsx)$")] = None,
                   ) -> list[FindingOut] | Response:
    """The consistency findings: totals, cross-table, prose, project forms, and the changes
    stated against the unit's previous document when it is loaded; each problem with the
    places it compares and the computation. `?format=xlsx` for an Excel workbook."""
    _require(doc_id, services)
    if format == "xlsx":
        return _xlsx(doc_id, "audit", lambda store, out: write_audit_xlsx(store, out, [doc_id]), services)
    with services.store_lock:
        findings = findings_of(services.store, doc_id)
    return [FindingOut(check=f.check, ok=f.ok, message=f.message, page=f.page, table=f.table,
                       places=[PlaceOut(page=p.page, table=p.table, quote=p.quote) for p in f.places],
                       computation=f.computation)
            for f in findings]


@router.get("/{doc_id}/suggestions", responses=errors(404, 422))
def document_suggestions(doc_id: DocId, services: ServicesDep) -> list[str]:
    """A few questions the document can answer, from generic templates over its facts."""
    return suggest_questions(_facts(doc_id, services))


def _csv(doc_id: str, facts: list[FactOut]) -> Response:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: spreadsheet_safe(v) for k, v in f.model_dump().items()} for f in facts)
    # The BOM lets spreadsheet programs read the Chinese text as UTF-8.
    return Response("\ufeff" + buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="facts-{doc_id}.csv"'})


def _xlsx(doc_id: str, what: str, write: Callable[[Store, io.BytesIO], int], services: ServicesDep) -> Response:
    out = io.BytesIO()
    with services.store_lock:
        write(services.store, out)
    return Response(out.getvalue(), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{what}-{doc_id}.xlsx"'})


def _facts(doc_id: str, services: ServicesDep) -> list[Fact]:
    _require(doc_id, services)
    with services.store_lock:
        return services.store.facts(doc_id)


def _require(doc_id: str, services: ServicesDep) -> None:
    with services.store_lock:
        known = any(d.doc_id == doc_id for d in services.store.documents())
    if not known:
        raise _unknown(doc_id)


def _unknown(doc_id: str) -> HTTPException:
    return HTTPException(404, f"没有这份文件：{doc_id}")
