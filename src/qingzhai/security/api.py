"""HTTP routes of security and privacy: login, users, API keys, audit, legal bases, data-subject requests."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request

from qingzhai import clock
from qingzhai.api.deps import ActorDep, PagingDep, SessionDep
from qingzhai.core.actor import Actor, Role
from qingzhai.core.errors import NotFound
from qingzhai.registry.service import get_debtor
from qingzhai.security import auth, privacy, service
from qingzhai.security.models import ApiKey
from qingzhai.security.rules import Permission, allows, require
from qingzhai.security.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    AuditEntryRead,
    AuditPage,
    ChainRead,
    ErasureRead,
    ErasureRequest,
    LegalBasisCreate,
    LegalBasisRead,
    LoginRequest,
    TokenRead,
    UserCreate,
    UserRead,
)
from qingzhai.security.throttle import throttle_for

router = APIRouter()


@router.post("/auth/login", response_model=TokenRead, tags=["auth"],
             responses={401: {"description": "Wrong user name or password"}, 429: {"description": "Too many attempts"}})
def login(body: LoginRequest, request: Request, session: SessionDep) -> TokenRead:
    """Exchange a user name and password for a short-lived bearer token."""
    throttle = throttle_for(request.app)
    host = request.client.host if request.client else "-"
    keys = (f"user:{body.username.strip().lower()}", f"addr:{host}")
    wait = throttle.blocked(keys)
    if wait:
        raise HTTPException(429, "too many failed logins; try again later", headers={"Retry-After": str(wait)})
    try:
        user = auth.authenticate(session, name=body.username, password=body.password)
    except auth.Unauthenticated:
        throttle.fail(keys)
        anonymous = Actor(id="anonymous", name="anonymous", role=Role.system, source=host)
        service.audit(session, actor=anonymous, action="auth.login_failed", now=clock.now(),
                      detail={"username": body.username.strip()[:100]})
        session.commit()
        raise HTTPException(401, "wrong user name or password", headers={"WWW-Authenticate": "Bearer"}) from None
    throttle.clear(keys[:1])
    now = clock.now()
    issued = auth.issue_token(user, now=now)
    service.audit(session, actor=auth.actor_of(user, source=host), action="auth.login", now=now)
    session.commit()
    return TokenRead(access_token=issued.token, expires_at=issued.expires_at)


@router.get("/auth/me", response_model=UserRead, tags=["auth"])
def me(session: SessionDep, actor: ActorDep) -> UserRead:
    return UserRead.of(auth.get_user(session, actor.id))


# --- users ------------------------------------------------------------------------------------


@router.post("/users", response_model=UserRead, status_code=201, tags=["users"])
def create_user(body: UserCreate, session: SessionDep, actor: ActorDep) -> UserRead:
    require(actor, Permission.user_manage)
    user = auth.create_user(session, name=body.name, role=body.role, password=body.password, creditor=body.creditor,
                            actor=actor, now=clock.now())
    session.commit()
    return UserRead.of(user)


@router.get("/users", response_model=list[UserRead], tags=["users"])
def list_users(session: SessionDep, actor: ActorDep) -> list[UserRead]:
    require(actor, Permission.user_manage)
    return [UserRead.of(u) for u in auth.list_users(session)]


@router.get("/users/{user_id}", response_model=UserRead, tags=["users"])
def get_user(user_id: str, session: SessionDep, actor: ActorDep) -> UserRead:
    require(actor, Permission.user_manage)
    return UserRead.of(auth.get_user(session, user_id))


@router.post("/users/{user_id}/disable", response_model=UserRead, tags=["users"])
def disable_user(user_id: str, session: SessionDep, actor: ActorDep) -> UserRead:
    require(actor, Permission.user_manage)
    user = auth.get_user(session, user_id)
    auth.disable_user(session, user, actor=actor, now=clock.now())
    session.commit()
    return UserRead.of(user)


# --- API keys ---------------------------------------------------------------------------------


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=201, tags=["api keys"])
def create_api_key(body: ApiKeyCreate, session: SessionDep, actor: ActorDep) -> ApiKeyCreated:
    """Issue a key (shown once). Anyone may issue one for themselves; admins for anyone."""
    target = auth.get_user(session, body.user) if body.user else auth.get_user(session, actor.id)
    if target.id != actor.id:
        require(actor, Permission.api_key_manage)
    issued = auth.create_api_key(session, user=target, label=body.label, actor=actor, now=clock.now())
    session.commit()
    return ApiKeyCreated(**ApiKeyRead.of(issued.key).model_dump(), key=issued.secret)


@router.get("/api-keys", response_model=list[ApiKeyRead], tags=["api keys"])
def list_api_keys(session: SessionDep, actor: ActorDep) -> list[ApiKeyRead]:
    mine = None if allows(actor.role, Permission.api_key_manage) else actor.id
    return [ApiKeyRead.of(k) for k in auth.list_api_keys(session, user_id=mine)]


@router.post("/api-keys/{key_id}/revoke", response_model=ApiKeyRead, tags=["api keys"])
def revoke_api_key(key_id: str, session: SessionDep, actor: ActorDep) -> ApiKeyRead:
    row = session.get(ApiKey, key_id)
    if row is None or (row.user_id != actor.id and not allows(actor.role, Permission.api_key_manage)):
        raise NotFound(f"no API key '{key_id}'", field="key_id")
    auth.revoke_api_key(session, key_id, actor=actor, now=clock.now())
    session.commit()
    return ApiKeyRead.of(row)


# --- audit ------------------------------------------------------------------------------------


@router.get("/audit", response_model=AuditPage, tags=["audit"])
def audit_entries(
    session: SessionDep, actor: ActorDep, paging: PagingDep,
    case_id: str | None = Query(None, max_length=26), debtor_id: str | None = Query(None, max_length=26),
    actor_id: str | None = Query(None, max_length=64), action: str | None = Query(None, max_length=64),
) -> AuditPage:
    require(actor, Permission.audit_read)
    rows, total = service.audit_entries(session, case_id=case_id, debtor_id=debtor_id, actor_id=actor_id,
                                        action=action, offset=paging.offset, limit=paging.size)
    return AuditPage(items=[AuditEntryRead.of(e) for e in rows], total=total, page=paging.page, size=paging.size)


@router.get("/audit/verify", response_model=ChainRead, tags=["audit"])
def audit_verify(session: SessionDep, actor: ActorDep) -> ChainRead:
    require(actor, Permission.audit_verify)
    report = service.verify_audit(session)
    broken = report.broken
    return ChainRead(entries=report.entries, intact=broken is None, first_broken=broken.seq if broken else None,
                     reason=broken.reason if broken else None)


# --- legal bases and data-subject requests ----------------------------------------------------


@router.get("/debtors/{debtor_id}/legal-bases", response_model=list[LegalBasisRead], tags=["privacy"])
def list_legal_bases(debtor_id: str, session: SessionDep, actor: ActorDep) -> list[LegalBasisRead]:
    debtor = get_debtor(session, debtor_id, actor=actor)
    return [LegalBasisRead.of(b) for b in service.legal_bases(session, debtor.id)]


@router.post("/debtors/{debtor_id}/legal-bases", response_model=LegalBasisRead, status_code=201, tags=["privacy"])
def record_legal_basis(debtor_id: str, body: LegalBasisCreate, session: SessionDep, actor: ActorDep) -> LegalBasisRead:
    require(actor, Permission.legal_basis_record)
    debtor = get_debtor(session, debtor_id, actor=actor)
    row = service.record_basis(session, debtor_id=debtor.id, category=body.category, basis=body.basis,
                               source=body.source, granted_at=body.granted_at, expires_at=body.expires_at,
                               actor=actor, now=clock.now())
    session.commit()
    return LegalBasisRead.of(row)


@router.post("/legal-bases/{basis_id}/withdraw", response_model=LegalBasisRead, tags=["privacy"])
def withdraw_legal_basis(basis_id: str, session: SessionDep, actor: ActorDep) -> LegalBasisRead:
    require(actor, Permission.legal_basis_record)
    row = service.get_basis(session, basis_id)
    get_debtor(session, row.debtor_id, actor=actor)
    service.withdraw_basis(session, basis_id=basis_id, actor=actor, now=clock.now())
    session.commit()
    return LegalBasisRead.of(row)


@router.get("/privacy/debtors/{debtor_id}/export", tags=["privacy"])
def export_debtor(debtor_id: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Everything held about a debtor (data-subject access request, PIPL art. 45). Unmasked."""
    require(actor, Permission.privacy_export)
    data = privacy.export_debtor(session, debtor_id, actor=actor, now=clock.now())
    session.commit()
    return data


@router.post("/privacy/debtors/{debtor_id}/erase", response_model=ErasureRead, tags=["privacy"])
def erase_debtor(debtor_id: str, body: ErasureRequest, session: SessionDep, actor: ActorDep) -> ErasureRead:
    """Erase what the law does not require to keep (PIPL art. 47); the audit entry remains."""
    require(actor, Permission.privacy_erase)
    report = privacy.erase_debtor(session, debtor_id, actor=actor, now=clock.now(), reason=body.reason)
    session.commit()
    return ErasureRead(**report.to_dict())


__all__ = ["router"]
