"""One error format: problem+json (RFC 9457) naming the field and the reason."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from qingzhai.core.errors import Conflict, DomainError, NotFound, NotPermitted, RuleViolation, Unavailable

log = logging.getLogger(__name__)

STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    NotPermitted: 403,
    Conflict: 409,
    RuleViolation: 422,
    Unavailable: 503,
}


def status_for(error: DomainError) -> int:
    for kind, status in STATUS.items():
        if isinstance(error, kind):
            return status
    return 400


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": f"urn:qingzhai:problem:{title}", "title": title, "status": status, "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return problem(status_for(exc), exc.kind, exc.reason, field=exc.field, rule=exc.rule)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path")),
                "reason": e.get("msg", "invalid"),
            }
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": None, "reason": "invalid request"}
        return problem(422, "validation_error", f"{first['field']}: {first['reason']}", field=first["field"], errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {
            401: "unauthorized",
            403: "not_permitted",
            404: "not_found",
            405: "method_not_allowed",
            413: "too_large",
            429: "too_many_requests",
        }.get(exc.status_code, "http_error")
        response = problem(exc.status_code, title, str(exc.detail))
        for k, v in (exc.headers or {}).items():
            response.headers[k] = v
        return response

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"error_type": type(exc).__name__})
        return problem(500, "internal_error", "an internal error occurred; it has been logged")
