"""Dependencies shared by every router: the database session and the acting user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from qingzhai import clock
from qingzhai.core.actor import Actor


def get_session(request: Request) -> Iterator[Session]:
    """A session per request. Write endpoints call `session.commit()`; anything else rolls back."""
    session = request.app.state.sessions()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


_bearer = HTTPBearer(auto_error=False, description="Access token from POST /auth/login.")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="A creditor system's API key.")


def get_actor(
    request: Request,
    session: Annotated[Session, Depends(get_session)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Actor:
    """The authenticated principal: a JWT bearer token or an API key; 401 otherwise.

    `app.state.actor_resolver` (set in code, never by a request) replaces authentication for an
    embedding application or a test app.
    """
    override = getattr(request.app.state, "actor_resolver", None)
    if override is not None:
        actor: Actor = override(request)
        request.state.actor = actor
        return actor
    from qingzhai.security.auth import Unauthenticated, actor_from_api_key, actor_from_token

    host = request.client.host if request.client else None
    try:
        if bearer is not None and bearer.scheme.lower() == "bearer":
            actor = actor_from_token(session, bearer.credentials, now=clock.now(), source=host)
        elif api_key:
            actor = actor_from_api_key(session, api_key, source=host)
        else:
            raise Unauthenticated("authentication required (bearer token or X-API-Key)", field="authorization")
    except Unauthenticated as exc:
        raise HTTPException(401, exc.reason, headers={"WWW-Authenticate": "Bearer"}) from None
    request.state.actor = actor  # the audit middleware records who made the request
    return actor


SessionDep = Annotated[Session, Depends(get_session)]
ActorDep = Annotated[Actor, Depends(get_actor)]


class Paging:
    def __init__(
        self,
        page: Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1.")] = 1,
        size: Annotated[int, Query(ge=1, le=500, description="Items per page (at most 500).")] = 50,
    ) -> None:
        self.page = page
        self.size = size

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


PagingDep = Annotated[Paging, Depends(Paging)]
