"""Hardening of the HTTP API and the security routes: `install(app)` once, from `create_app`.

- request bodies over `max_request_bytes` are refused (413) before they are read;
- security headers on every response; `Cache-Control: no-store` (responses hold personal data);
- CORS closed unless `cors_origins` lists origins;
- every authenticated request is written to the audit trail (who, route, case or debtor, status,
  client address); if that write fails the client gets a 500, never unaudited data;
- no stack trace ever reaches a client (the error handler answers problem+json);
- the security router (`/auth/login`, `/auth/me`, `/users`, `/api-keys`, `/audit`, legal bases,
  `/privacy/...`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qingzhai import clock
from qingzhai.api.errors import problem
from qingzhai.config import get_settings
from qingzhai.core.actor import Actor
from qingzhai.core.errors import DomainError
from qingzhai.registry.service import get_case, get_debtor
from qingzhai.security.api import router
from qingzhai.security.service import audit

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
    "Cache-Control": "no-store",
}
API_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_PATHS = ("/docs", "/redoc")
UNAUDITED = ("/health", "/openapi.json", "/docs", "/redoc", "/auth/login")


class BodyLimit:
    """Pure ASGI: 413 when Content-Length or the streamed body exceeds `limit` bytes."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, receive, send)
            return
        seen = 0
        exceeded = False

        async def limited_receive() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    exceeded = True
                    raise _TooLarge
            return message

        refused = False

        async def guarded_send(message: Message) -> None:
            nonlocal refused
            if exceeded:  # whatever the app made of the aborted read, the client gets a 413
                if not refused:
                    refused = True
                    await self._refuse(scope, receive, send)
                return
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _TooLarge:
            if not refused:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(413, "too_large", f"request body larger than {self.limit} bytes")
        for k, v in SECURITY_HEADERS.items():
            response.headers[k] = v
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


def _write_audit(request: Request, actor: Actor, status: int) -> None:
    route = request.scope.get("route")
    template = getattr(route, "path", request.url.path)
    params = {k: str(v)[:100] for k, v in (request.path_params or {}).items()}
    session = request.app.state.sessions()
    try:
        case_id = debtor_id = None
        if "case_id" in params:
            try:
                case = get_case(session, params["case_id"])
                case_id, debtor_id = case.id, case.debtor_id
            except (DomainError, ValueError):
                pass
        if "debtor_id" in params:
            with contextlib.suppress(DomainError):
                debtor_id = get_debtor(session, params["debtor_id"]).id
        audit(session, actor=actor, action=f"http.{request.method}", now=clock.now(), case_id=case_id,
              debtor_id=debtor_id, detail={"route": template, "params": params, "status": status})
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def install(app: FastAPI) -> None:
    """Add the middleware and the security routes to `app` (idempotent)."""
    if getattr(app.state, "security_installed", False):
        return
    app.state.security_installed = True
    settings = get_settings()
    app.debug = False

    @app.middleware("http")
    async def _audit_and_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        actor = getattr(request.state, "actor", None)
        if actor is not None and not request.url.path.startswith(UNAUDITED):
            try:
                await run_in_threadpool(_write_audit, request, actor, response.status_code)
            except Exception:
                log.exception("audit write failed; response withheld", extra={"path": request.url.path})
                response = problem(500, "internal_error", "an internal error occurred; it has been logged")
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        if not request.url.path.startswith(DOCS_PATHS):
            response.headers.setdefault("Content-Security-Policy", API_CSP)
        if request.url.scheme == "https":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
            allow_methods=["GET", "POST", "PATCH", "DELETE"], allow_headers=["Authorization", "X-API-Key", "Content-Type"],
        )
    app.add_middleware(BodyLimit, limit=settings.max_request_bytes)
    app.include_router(router)
