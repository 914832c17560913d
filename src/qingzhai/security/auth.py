"""Users, password login (argon2id), short-lived JWT access tokens, long-lived API keys.

An API key is `qz_<prefix>_<secret>`: the prefix finds the row, only SHA-256 of the secret is kept
(the secret is 32 random bytes, so a fast hash is enough), and the whole key is shown once.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from qingzhai.config import get_settings
from qingzhai.core.actor import Actor, Role
from qingzhai.core.errors import Conflict, NotFound, NotPermitted, RuleViolation
from qingzhai.core.ids import new_id
from qingzhai.registry.service import get_creditor
from qingzhai.security.keyring import warn_once
from qingzhai.security.models import ApiKey, User
from qingzhai.security.rules import parse_role, password_problem
from qingzhai.security.service import audit

log = logging.getLogger(__name__)

_hashers: dict[tuple[int, int], tuple[PasswordHasher, str]] = {}


def _hasher() -> PasswordHasher:
    return _hasher_and_dummy()[0]


def _hasher_and_dummy() -> tuple[PasswordHasher, str]:
    """Argon2id with the configured cost, and a dummy hash that evens out the time of unknown users."""
    settings = get_settings()
    cost = (settings.password_time_cost, settings.password_memory_kib)
    if cost not in _hashers:
        hasher = PasswordHasher(time_cost=cost[0], memory_cost=cost[1])
        _hashers[cost] = (hasher, hasher.hash("qingzhai-timing-equaliser"))
    return _hashers[cost]
_DEV_JWT_SECRET = "qingzhai-development-only-jwt-secret-change-me"
ALGORITHM = "HS256"
ISSUER = "qingzhai"
API_KEY_PREFIX = "qz_"


class Unauthenticated(NotPermitted):
    """No valid credentials (HTTP 401). The reason never says which part was wrong."""

    kind = "unauthenticated"


def actor_of(user: User, *, source: str | None) -> Actor:
    return Actor(id=user.id, name=user.name, role=Role(user.role), creditor_id=user.creditor_id, source=source)


# --- users ------------------------------------------------------------------------------------


def create_user(
    session: Session, *, name: str, role: str, actor: Actor, now: datetime, password: str | None = None,
    creditor: str | None = None,
) -> User:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise RuleViolation("must be 1 to 100 characters", field="name")
    parsed = parse_role(role)
    creditor_id = None
    if parsed is Role.creditor:
        if not creditor:
            raise RuleViolation("a creditor user names its creditor", field="creditor")
        creditor_id = get_creditor(session, creditor).id
    elif creditor:
        raise RuleViolation("only creditor users belong to a creditor", field="creditor")
    if password is not None and (problem := password_problem(password)):
        raise RuleViolation(problem, field="password")
    if session.scalar(select(User.id).where(User.name == name)):
        raise Conflict(f"a user named '{name}' already exists", field="name")
    user = User(name=name, role=parsed.value, creditor_id=creditor_id, active=True, created_at=now,
                password_hash=_hasher().hash(password) if password is not None else None)
    session.add(user)
    session.flush()
    audit(session, actor=actor, action="user.add", now=now, detail={"user_id": user.id, "name": name, "role": parsed.value})
    return user


def get_user(session: Session, ref: str) -> User:
    user = session.get(User, ref) or session.scalar(select(User).where(User.name == ref))
    if user is None:
        raise NotFound(f"no user '{ref}'", field="user")
    return user


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.name)).all()


def set_password(session: Session, user: User, password: str, *, actor: Actor, now: datetime) -> None:
    if problem := password_problem(password):
        raise RuleViolation(problem, field="password")
    user.password_hash = _hasher().hash(password)
    session.flush()
    audit(session, actor=actor, action="user.password", now=now, detail={"user_id": user.id})


def set_role(session: Session, user: User, role: str, *, actor: Actor, now: datetime) -> None:
    parsed = parse_role(role)
    if parsed is Role.creditor and not user.creditor_id:
        raise RuleViolation("a creditor user is created with its creditor", field="role")
    before = user.role
    user.role = parsed.value
    session.flush()
    audit(session, actor=actor, action="user.role", now=now, detail={"user_id": user.id, "from": before, "to": parsed.value})


def disable_user(session: Session, user: User, *, actor: Actor, now: datetime) -> None:
    if not user.active:
        raise Conflict("already disabled", field="user")
    user.active = False
    user.disabled_at = now
    for key in session.scalars(select(ApiKey).where(ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None))):
        key.revoked_at = now
    session.flush()
    audit(session, actor=actor, action="user.disable", now=now, detail={"user_id": user.id})


def authenticate(session: Session, *, name: str, password: str) -> User:
    """The user, if the password matches. One message for every failure (no user enumeration)."""
    user = session.scalar(select(User).where(User.name == (name or "").strip()))
    stored = user.password_hash if user is not None and user.active and user.password_hash else None
    hasher, dummy = _hasher_and_dummy()
    try:
        hasher.verify(stored or dummy, password)
        ok = stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        raise Unauthenticated("wrong user name or password", field="credentials")
    if hasher.check_needs_rehash(stored or ""):
        user.password_hash = hasher.hash(password)
    return user


# --- access tokens ----------------------------------------------------------------------------


def _jwt_secret() -> str:
    secret = get_settings().jwt_secret
    if secret is None:
        warn_once("QINGZHAI_JWT_SECRET is not set: access tokens are signed with the development secret")
        return _DEV_JWT_SECRET
    return secret.get_secret_value()


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


def issue_token(user: User, *, now: datetime) -> IssuedToken:
    expires = now + timedelta(minutes=get_settings().access_token_minutes)
    claims: dict[str, Any] = {
        "iss": ISSUER, "sub": user.id, "role": user.role, "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()), "jti": new_id(), "typ": "access",
    }
    return IssuedToken(jwt.encode(claims, _jwt_secret(), algorithm=ALGORITHM), expires)


def actor_from_token(session: Session, token: str, *, now: datetime, source: str | None) -> Actor:
    try:
        claims = jwt.decode(
            token, _jwt_secret(), algorithms=[ALGORITHM], issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"], "verify_exp": False},
        )
    except jwt.PyJWTError:
        raise Unauthenticated("invalid access token", field="authorization") from None
    if claims.get("typ") != "access" or int(claims["exp"]) <= int(now.timestamp()):
        raise Unauthenticated("access token expired or not an access token", field="authorization")
    user = session.get(User, str(claims["sub"]))
    if user is None or not user.active:
        raise Unauthenticated("invalid access token", field="authorization")
    return actor_of(user, source=source)  # the role as stored now, not as it was at login


# --- API keys ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str  # shown once


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(session: Session, *, user: User, label: str, actor: Actor, now: datetime) -> IssuedKey:
    if not user.active:
        raise Conflict("the user is disabled", field="user")
    label = (label or "").strip()
    if not label or len(label) > 100:
        raise RuleViolation("must be 1 to 100 characters", field="label")
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    row = ApiKey(user_id=user.id, label=label, prefix=prefix, secret_hash=_digest(secret), created_at=now)
    session.add(row)
    session.flush()
    audit(session, actor=actor, action="api_key.create", now=now,
          detail={"api_key_id": row.id, "user_id": user.id, "prefix": prefix, "label": label})
    return IssuedKey(row, f"{API_KEY_PREFIX}{prefix}_{secret}")


def revoke_api_key(session: Session, ref: str, *, actor: Actor, now: datetime) -> ApiKey:
    row = session.get(ApiKey, ref) or session.scalar(select(ApiKey).where(ApiKey.prefix == ref))
    if row is None:
        raise NotFound(f"no API key '{ref}'", field="api_key")
    if row.revoked_at is not None:
        raise Conflict("already revoked", field="api_key")
    row.revoked_at = now
    session.flush()
    audit(session, actor=actor, action="api_key.revoke", now=now, detail={"api_key_id": row.id, "prefix": row.prefix})
    return row


def list_api_keys(session: Session, *, user_id: str | None = None) -> Sequence[ApiKey]:
    stmt = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
    if user_id is not None:
        stmt = stmt.where(ApiKey.user_id == user_id)
    return session.scalars(stmt).all()


def actor_from_api_key(session: Session, presented: str, *, source: str | None) -> Actor:
    parts = presented.strip().split("_", 2)
    if len(parts) != 3 or parts[0] + "_" != API_KEY_PREFIX:
        raise Unauthenticated("invalid API key", field="authorization")
    _, prefix, secret = parts
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.secret_hash, _digest(secret)):
        raise Unauthenticated("invalid API key", field="authorization")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise Unauthenticated("invalid API key", field="authorization")
    return actor_of(user, source=source)
