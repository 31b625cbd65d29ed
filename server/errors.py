"""Every error is JSON `{"detail": str}`: the handlers that make it, in one place, and the
OpenAPI descriptions of the codes each route can answer with."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from ingest.errors import BudgetQAError, EmbeddingServiceError, QuestionError, StoreError

log = logging.getLogger("budgetqa.errors")  # configured with the access log (server.observe)
NO_MODEL = "文字内容的检索服务暂时不可用，请稍后再问；数字类问题（金额、增减、占比）不受影响。"


class ErrorBody(BaseModel):
    detail: str = Field(description="what went wrong, for a person")
    error: dict[str, Any] | None = Field(default=None, description="/v1 routes only: OpenAI's error object")


WHY = {
    400: "malformed request (bad multipart, unusable data dir)",
    401: "no or wrong staff token",
    403: "staff routes are closed: BUDGETQA_ADMIN_TOKEN is not set",
    404: "no such document, job, message or taught wording",
    409: "another ingest is writing the data dir; try again",
    413: "request body too large",
    415: "neither a PDF nor text (UTF-8, GB18030/GBK, UTF-16 with a BOM)",
    422: "invalid request or question",
    429: "too many requests (see Retry-After)",
    503: "the database is missing or was replaced under the server: writes are refused; or the "
         "embedding service is down (prose questions only: figures are answered)",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route that can fail with `codes`."""
    return {code: {"model": ErrorBody, "description": WHY[code]} for code in codes}


def error_response(request: Request, status: int, message: str,
                   headers: Mapping[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"detail": message}
    if request.url.path.startswith("/v1/"):  # what OpenAI clients look for
        body["error"] = {"message": message, "type": "invalid_request_error", "code": status}
    return JSONResponse(body, status_code=status, headers=headers)


def add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(EmbeddingServiceError)
    async def no_model(request: Request, exc: EmbeddingServiceError) -> JSONResponse:
        log.warning("%s", exc)  # where and why, for the operator; the asker gets what to do
        return error_response(request, 503, NO_MODEL, {"Retry-After": "10"})

    @app.exception_handler(BudgetQAError)
    async def budget_error(request: Request, exc: BudgetQAError) -> JSONResponse:
        code = 503 if isinstance(exc, StoreError) else 422 if isinstance(exc, QuestionError) else 400
        if code == 503:
            log.warning("%s", exc)
        return error_response(request, code, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        msgs = "; ".join(f"{'.'.join(str(x) for x in e['loc'][1:]) or e['loc'][0]}: {e['msg']}"
                         for e in exc.errors())
        return error_response(request, 422, f"请求无效：{msgs}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = exc.headers
        if exc.status_code == 405:  # Starlette names the first route's methods only
            headers = {**(headers or {}), "Allow": ", ".join(_allowed(request))}
        return error_response(request, exc.status_code, str(exc.detail), headers)

    @app.exception_handler(UnicodeError)
    async def bad_text(request: Request, exc: UnicodeError) -> JSONResponse:
        # A lone surrogate or an undecodable byte that got past validation: the input's fault.
        return error_response(request, 422, "请求无效：文本含有无效的 Unicode 字符")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return error_response(request, 500, "服务器内部错误，请稍后再试")


def _allowed(request: Request) -> list[str]:
    """Every method some route of the app answers at the request's path."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match is not Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)
