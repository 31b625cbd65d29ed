"""Routes of the city's staff and the citizens' feedback: POST /api/feedback, the 问题 page's
questions (grouped, exported as CSV, xlsx or gold), taught wordings, and the activity record.
Every write a staff member makes is recorded as activity."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BeforeValidator

from ingest.errors import BudgetQAError
from server.deps import RateLimited, ServicesDep, Staff
from server.errors import errors
from server.exports import GoldExport, deployment_gold, groups_csv, groups_xlsx, save_gold
from server.observe import instruments
from server.review import Group, group_questions, iso, read_logged
from server.schemas import ActivityOut, FeedbackIn, FeedbackOut, QuestionGroup, TaughtIn, TaughtOut
from server.teaching import TeachingRefused, teach

router = APIRouter(prefix="/api", tags=["operating"])


def _iso_day(value: Any) -> Any:
    if value is not None and not (isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


Day = Annotated[date | None, BeforeValidator(_iso_day), Query(description="YYYY-MM-DD (UTC)")]
Status = Literal["answered", "clarify", "not_understood", "not_disclosed", "refused", "error", "down"]
Statuses = Annotated[list[Status] | None, Query(description="repeatable; `down`: thumbed down")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def only(*names: str) -> Any:
    """A dependency refusing query parameters the route does not take (a typo is not ignored)."""

    def check(request: Request) -> None:
        unknown = set(request.query_params.keys()) - set(names)
        if unknown:
            raise HTTPException(422, f"请求无效：不认识的参数 {'、'.join(sorted(unknown))}")

    return Depends(check)


@router.post("/feedback", dependencies=[RateLimited], status_code=201, responses=errors(400, 404, 422, 429, 503))
def feedback(body: FeedbackIn, services: ServicesDep) -> FeedbackOut:
    """👍 or 👎 on one reply, with an optional note; a second rating replaces the first."""
    if not services.questions.is_ours(body.message_id):
        raise HTTPException(404, f"没有这条回答：{body.message_id}")
    services.require_writable()
    note = (body.note or "").strip() or None
    services.questions.feedback(body.message_id, body.rating, note)
    instruments().feedback.labels(body.rating).inc()
    return FeedbackOut(message_id=body.message_id, rating=body.rating)


def _groups(services: ServicesDep, status: list[Status] | None, since: date | None, until: date | None) -> list[Group]:
    services.questions.flush()  # this worker's entries not yet written
    start = _moment(since) if since else None
    end = _moment(until) + 86400 if until else None
    entries = read_logged(services.state, list(status or ()), start, end)
    return group_questions(entries, services.embed(), services.settings.question_similarity)


def _moment(day: date) -> float:
    return datetime.combine(day, time(), UTC).timestamp()


@router.get("/questions", responses=errors(401, 403, 422), dependencies=[only("status", "since", "until", "limit")])
def questions(services: ServicesDep, who: Staff, status: Statuses = None, since: Day = None, until: Day = None,
              limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[QuestionGroup]:
    """Logged questions grouped by wording (near-duplicates joined), newest first."""
    return [QuestionGroup(**g.to_json()) for g in _groups(services, status, since, until)[:limit]]


@router.get("/questions/export", responses={200: {"content": {"text/csv": {}, XLSX: {}}}, **errors(401, 403, 422)},
            dependencies=[only("format", "status", "since", "until")])
def export_questions(services: ServicesDep, who: Staff, format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "csv",
                     status: Statuses = None, since: Day = None, until: Day = None) -> Response:
    """The groups as a spreadsheet (recorded as activity)."""
    groups = _groups(services, status, since, until)
    services.record(who, "export", f"questions.{format}", "done", {"groups": len(groups), "status": status,
                                                                   "since": str(since), "until": str(until)})
    name = f"questions-{datetime.now(UTC):%Y%m%d}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "xlsx":
        return Response(groups_xlsx(groups), media_type=XLSX, headers=headers)
    return Response(groups_csv(groups), media_type="text/csv; charset=utf-8", headers=headers)


@router.post("/questions/gold", responses={200: {"content": {"application/x-ndjson": {}}},
                                          **errors(400, 401, 403, 422)})
def export_gold(body: GoldExport, services: ServicesDep, who: Staff) -> Response:
    """Selected questions with the answers staff expect, as a gold set `budget-qa eval` runs;
    kept as one of the deployment's gold sets."""
    services.require_writable()
    text = save_gold(services.state, body, who)
    services.record(who, "export", f"gold {body.name}", "done", {"items": len(body.items)})
    return Response(text, media_type="application/x-ndjson; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=\"gold.jsonl\"; "
                                                    f"filename*=UTF-8''{quote(body.name)}.jsonl"})


@router.get("/taught", responses=errors(401, 403))
def taught(services: ServicesDep, who: Staff) -> list[TaughtOut]:
    """Every wording taught, newest first, undone ones too."""
    from ingest.records import taught_entries

    return [TaughtOut(**t.to_json()) for t in taught_entries(services.state)]


@router.post("/taught", status_code=201, responses={409: {"description": "it would change gold answers: "
                                                                         "`changed` lists them"},
                                                    **errors(400, 401, 403, 422, 503)})
def add_taught(body: TaughtIn, services: ServicesDep, who: Staff) -> Any:
    """Teach that people's phrase `said` means the row or unit `means`; refused (409) when it
    would change the answer to a question of the deployment's gold sets."""
    store = services.writer()
    target = f"{body.said} → {body.means}"
    try:
        gold = deployment_gold(services.state, services.settings.gold_sets)
        entry = teach(store, store.vectors, body.said, body.means, body.kind, who, gold)
    except TeachingRefused as exc:
        services.record(who, "teach", target, "refused", {"changed": exc.changed[:20]})
        return JSONResponse({"detail": str(exc), "changed": exc.changed}, status_code=409)
    except BudgetQAError as exc:
        services.record(who, "teach", target, "refused", {"error": str(exc)})
        raise HTTPException(400, str(exc)) from None
    finally:
        store.close()
    services.record(who, "teach", target, "done", {"id": entry.taught_id, "kind": body.kind,
                                                   "gold_items": len(gold)})
    services.reload()
    return TaughtOut(**entry.to_json())


@router.delete("/taught/{taught_id}", responses=errors(401, 403, 404, 422, 503))
def undo_taught(taught_id: Annotated[str, Path(max_length=32)], services: ServicesDep, who: Staff) -> TaughtOut:
    store = services.writer()
    try:
        entry = store.untaught(taught_id, who)
    finally:
        store.close()
    if entry is None:
        raise HTTPException(404, f"没有这条教过的说法（或已撤销）：{taught_id}")
    services.record(who, "untaught", f"{entry.said} → {entry.means}", "done", {"id": taught_id})
    services.reload()
    return TaughtOut(**entry.to_json())


@router.get("/activity", responses=errors(401, 403, 422), dependencies=[only("limit", "offset")])
def get_activity(services: ServicesDep, who: Staff, limit: Annotated[int, Query(ge=1, le=1000)] = 200,
                 offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0) -> list[ActivityOut]:
    """Every write, newest first: who, when, what, with what result."""
    from ingest.records import activity

    return [ActivityOut(**{**a, "at": iso(a["at"])}) for a in activity(services.state, limit, offset)]
