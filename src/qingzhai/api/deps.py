"""Dependencies shared by every router: the database session and the acting user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from qingzhai.core.actor import Actor, Role


def get_session(request: Request) -> Iterator[Session]:
    """A session per request. Write endpoints call `session.commit()`; anything else rolls back."""
    session = request.app.state.sessions()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def get_actor(request: Request) -> Actor:
    """The acting user. Authentication replaces this with the logged-in principal."""
    override = getattr(request.app.state, "actor_resolver", None)
    if override is not None:
        return override(request)
    host = request.client.host if request.client else None
    return Actor(id="api", name="api", role=Role.admin, source=host)


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
