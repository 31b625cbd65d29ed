"""Documents: the list, upload and delete (staff), facts (JSON or CSV), audit, suggestions."""

from __future__ import annotations

import csv
import io
import shutil
import uuid
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import Response

from ingest.errors import StoreError
from ingest.model import Fact
from qa.reply import spreadsheet_safe
from server.deps import EngineDep, ServicesDep, StaffDep
from server.errors import errors
from server.schemas import Deleted, DocumentInfo, FactOut, FindingOut, JobOut
from server.suggestions import suggest_questions
from server.upload import UPLOAD_BODY, job_out, receive_upload

router = APIRouter(prefix="/api/documents", tags=["documents"])
jobs_router = APIRouter(prefix="/api/jobs", tags=["documents"])
DocId = Annotated[str, Path(max_length=64, description="a doc_id from GET /api/documents")]
CSV_FIELDS = ("table", "table_type", "code", "row", "column", "value", "unit", "page", "quote",
              "source", "confidence")
DELETE_WAIT = 5.0  # seconds a delete waits for an ingest that holds the data dir


@router.get("")
def list_documents(services: ServicesDep, engine: EngineDep) -> list[DocumentInfo]:
    with engine.read_lock:
        counts = engine.store.fact_counts()
        sources = {d.doc_id: engine.store.files(d.doc_id) for d in engine.documents}
    return [DocumentInfo(doc_id=d.doc_id, title=d.title, unit=d.unit, year=d.year, kind=d.kind,
                         pages=d.pages, region=d.region, sources=sources[d.doc_id],
                         facts=counts.get(d.doc_id, 0)) for d in engine.documents]


@router.post("", dependencies=[StaffDep], openapi_extra=UPLOAD_BODY, status_code=202,
             responses=errors(400, 401, 403, 413, 415, 422, 429))
async def upload_document(request: Request, response: Response, services: ServicesDep) -> JobOut:
    """Queue one PDF or UTF-8 text extract for ingest (staff only) and answer at once (202):
    `GET /api/jobs/{job_id}` follows it. The body is read only after the staff token was
    checked; size (413) and content (415) are checked while it is received."""
    folder = services.upload_dir / uuid.uuid4().hex
    path = await receive_upload(request, folder, services.settings.max_upload_bytes)
    try:
        job = services.jobs.submit(path.name, path)
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


@router.delete("/{doc_id}", dependencies=[StaffDep], responses=errors(401, 403, 404, 409, 422))
def delete_document(doc_id: DocId, services: ServicesDep) -> Deleted:
    _require(doc_id, services)  # an unknown id is 404 at once, whoever is writing
    store = services.writer()
    try:
        deleted = store.delete_document(doc_id, timeout=DELETE_WAIT)
    except StoreError as exc:
        raise HTTPException(409, f"未删除：{exc}") from None
    finally:
        store.close()
    if not deleted:
        raise _unknown(doc_id)
    services.reload()
    return Deleted(doc_id=doc_id, deleted=True)


@router.get("/{doc_id}/facts", response_model=list[FactOut],
            responses={200: {"content": {"text/csv": {}}}, **errors(404, 422)})
def document_facts(doc_id: DocId, services: ServicesDep, request: Request,
                   format: Annotated[str | None, Query(pattern="^(json|csv)$")] = None,
                   ) -> list[FactOut] | Response:
    """Every fact of the document; `?format=csv` or `Accept: text/csv` for a spreadsheet."""
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


@router.get("/{doc_id}/audit", responses=errors(404, 422))
def document_audit(doc_id: DocId, services: ServicesDep) -> list[FindingOut]:
    """The consistency findings stored at ingest: totals, cross-table and prose checks."""
    _require(doc_id, services)
    with services.store_lock:
        findings = services.store.findings(doc_id)
    return [FindingOut(check=f.check, ok=f.ok, message=f.message, page=f.page, table=f.table)
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
