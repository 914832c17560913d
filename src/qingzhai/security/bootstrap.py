"""Setting up principals in code: the demo's users and test clients that must authenticate."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from qingzhai.core.actor import SYSTEM
from qingzhai.security import auth
from qingzhai.security.models import User


def ensure_user(session: Session, *, name: str, role: str, now: datetime, password: str | None = None,
                creditor: str | None = None) -> User:
    """The user called `name`, created (as the platform) if missing."""
    found = session.scalar(select(User).where(User.name == name))
    return found or auth.create_user(session, name=name, role=role, password=password, creditor=creditor,
                                     actor=SYSTEM, now=now)


def bearer_headers(session: Session, *, name: str, role: str, now: datetime, creditor: str | None = None) -> dict[str, str]:
    """`Authorization` header of a fresh access token for that user (created if missing)."""
    user = ensure_user(session, name=name, role=role, now=now, creditor=creditor)
    return {"Authorization": f"Bearer {auth.issue_token(user, now=now).token}"}
