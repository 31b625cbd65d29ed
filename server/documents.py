"""Documents: the list, upload and delete (staff), facts (JSON or CSV), audit, suggestions."""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, UploadFile
from fastapi.responses import Response

from ingest.model import Fact
from server.deps import EngineDep, ServicesDep, StaffDep
from server.schemas import Deleted, DocumentInfo, FactOut, FindingOut, UploadResult
from server.suggestions import suggest_questions
from server.upload import file_name, ingest_upload, read_limited

router = APIRouter(prefix="/api/documents", tags=["documents"])
DocId = Annotated[str, Path(max_length=64, description="a doc_id from GET /api/documents")]
CSV_FIELDS = ("table", "table_type", "code", "row", "column", "value", "unit", "page", "quote",
              "source")


@router.get("")
def list_documents(services: ServicesDep, engine: EngineDep) -> list[DocumentInfo]:
    counts = Counter(f.doc_id for f in (*engine.table_facts, *engine.prose_facts))
    with services.store_lock:
        sources = {d.doc_id: engine.store.files(d.doc_id) for d in engine.documents}
    return [DocumentInfo(doc_id=d.doc_id, title=d.title, unit=d.unit, year=d.year, kind=d.kind,
                         pages=d.pages, region=d.region, sources=sources[d.doc_id],
                         facts=counts[d.doc_id]) for d in engine.documents]


@router.post("", dependencies=[StaffDep], responses={
    401: {"description": "no or wrong staff token"}, 413: {"description": "file too large"},
    415: {"description": "neither PDF nor UTF-8 text"}, 422: {"description": "not ingestible"}})
def upload_document(file: UploadFile, services: ServicesDep) -> UploadResult:
    """Ingest one PDF or UTF-8 text extract (staff only); the chat answers from it at once."""
    data = read_limited(file.file, services.settings.max_upload_bytes)
    name = file_name(file.filename, data)
    store = services.store
    with services.store_lock:
        result = ingest_upload(name, data, store)
    if result.error:
        raise HTTPException(422, f"未导入：{result.error}")
    services.reload()
    return UploadResult(file=name, doc_id=result.doc_id, title=result.title,
                        unchanged=result.unchanged, tables=result.tables,
                        tables_by_type=result.tables_by_type, facts=result.facts,
                        chunks=result.chunks, findings=result.findings, problems=result.problems,
                        seconds=round(result.seconds, 3))


@router.delete("/{doc_id}", dependencies=[StaffDep])
def delete_document(doc_id: DocId, services: ServicesDep) -> Deleted:
    store = services.store
    with services.store_lock:
        deleted = store.delete_document(doc_id)
    if not deleted:
        raise _unknown(doc_id)
    services.reload()
    return Deleted(doc_id=doc_id, deleted=True)


@router.get("/{doc_id}/facts", response_model=list[FactOut],
            responses={200: {"content": {"text/csv": {}}}})
def document_facts(doc_id: DocId, services: ServicesDep, request: Request,
                   format: Annotated[str | None, Query(pattern="^(json|csv)$")] = None,
                   ) -> list[FactOut] | Response:
    """Every fact of the document; `?format=csv` or `Accept: text/csv` for a spreadsheet."""
    facts = _facts(doc_id, services)
    title = next((d.title for d in services.engine().documents if d.doc_id == doc_id), "")
    out = [FactOut(doc_id=f.doc_id, document=title, source=getattr(f, "source", "") or "",
                   table=f.table, table_type=f.table_type, code=f.code, row=f.row, column=f.column,
                   value=str(f.value), unit=f.unit, page=f.page, quote=f.quote)
           for f in facts]
    accept = request.headers.get("accept", "")
    if format == "csv" or (format is None and "text/csv" in accept):
        return _csv(doc_id, out)
    return out


@router.get("/{doc_id}/audit")
def document_audit(doc_id: DocId, services: ServicesDep) -> list[FindingOut]:
    """The consistency findings stored at ingest: totals, cross-table and prose checks."""
    _require(doc_id, services)
    with services.store_lock:
        findings = services.store.findings(doc_id)
    return [FindingOut(check=f.check, ok=f.ok, message=f.message, page=f.page, table=f.table)
            for f in findings]


@router.get("/{doc_id}/suggestions")
def document_suggestions(doc_id: DocId, services: ServicesDep) -> list[str]:
    """A few questions the document can answer, from generic templates over its facts."""
    return suggest_questions(_facts(doc_id, services))


def _csv(doc_id: str, facts: list[FactOut]) -> Response:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(f.model_dump() for f in facts)
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
