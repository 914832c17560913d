"""Use cases other capabilities call: the PIPL legal-basis gate, the audit trail, envelope
encryption of files. Services never commit; the caller does.

Users, tokens and API keys live in `auth.py`; assignment in `assignment.py`; data-subject requests
in `privacy.py`; key rotation in `keys.py`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qingzhai.core.actor import SYSTEM, Actor
from qingzhai.core.errors import Conflict, NotPermitted, RuleViolation
from qingzhai.db.sequences import allocate
from qingzhai.db.session import get_or_not_found
from qingzhai.registry.service import get_debtor
from qingzhai.security import keyring
from qingzhai.security.models import AuditEntry, LegalBasis
from qingzhai.security.rules import (
    GENESIS,
    AuditContent,
    BasisRecord,
    ChainBreak,
    check_basis_choice,
    entry_hash,
    has_valid_basis,
    parse_basis,
    parse_category,
    verify_chain,
)

# --- encryption of files and blobs ------------------------------------------------------------


def encrypt_bytes(session: Session, data: bytes, *, context: str) -> bytes:
    """AES-256-GCM under the database's active data key; `context` must be given again to decrypt."""
    if not context:
        raise RuleViolation("an encryption context is required", field="context")
    return keyring.seal(session.connection(), data, context=context)


def decrypt_bytes(session: Session, blob: bytes, *, context: str) -> bytes:
    """Raises `envelope.CiphertextRejected` if one byte of the blob or the context differs."""
    return keyring.unseal(session.connection(), blob, context=context)


# --- PIPL legal bases -------------------------------------------------------------------------


def _records(session: Session, debtor_id: str, category: str) -> list[BasisRecord]:
    rows = session.scalars(
        select(LegalBasis).where(LegalBasis.debtor_id == debtor_id, LegalBasis.category == category)
    ).all()
    return [BasisRecord(r.category, r.basis, r.granted_at, r.expires_at, r.withdrawn_at) for r in rows]


def has_basis(session: Session, *, debtor_id: str, category: str, purpose: str, now: datetime) -> bool:
    cat = parse_category(category)
    return has_valid_basis(_records(session, debtor_id, cat.value), cat, now)


def require_basis(session: Session, *, debtor_id: str, category: str, purpose: str, now: datetime) -> None:
    """Refuse processing of `category` data of a debtor without a valid recorded legal basis."""
    if not has_basis(session, debtor_id=debtor_id, category=category, purpose=purpose, now=now):
        template = (
            "no valid legal basis to process {category} data of debtor {debtor} for {purpose}: "
            "it needs separate consent (PIPL art. 29)"
            if category in ("financial_accounts", "location") else
            "no valid legal basis to process {category} data of debtor {debtor} for {purpose}: "
            "it needs a recorded legal basis (PIPL art. 13)"
        )
        raise NotPermitted(template, field="legal_basis", rule="pipl_legal_basis",
                           params={"category": category, "debtor": debtor_id, "purpose": purpose})


def record_basis(
    session: Session, *, debtor_id: str, category: str, basis: str, source: str, actor: Actor, now: datetime,
    granted_at: datetime | None = None, expires_at: datetime | None = None,
) -> LegalBasis:
    cat, bas = parse_category(category), parse_basis(basis)
    check_basis_choice(cat, bas)
    if not source or not source.strip():
        raise RuleViolation("say where the basis comes from (contract number, consent form, statute)", field="source")
    granted = granted_at or now
    if granted.tzinfo is None or (expires_at is not None and expires_at.tzinfo is None):
        raise RuleViolation("must carry a time zone", field="granted_at")
    if expires_at is not None and expires_at <= granted:
        raise RuleViolation("must be after granted_at", field="expires_at")
    get_debtor(session, debtor_id)
    row = LegalBasis(debtor_id=debtor_id, category=cat.value, basis=bas.value, source=source.strip()[:2000],
                     granted_at=granted, expires_at=expires_at, recorded_by=actor.name, created_at=now)
    session.add(row)
    session.flush()
    audit(session, actor=actor, action="legal_basis.record", now=now, debtor_id=debtor_id,
          detail={"category": cat.value, "basis": bas.value, "legal_basis_id": row.id})
    return row


def get_basis(session: Session, basis_id: str) -> LegalBasis:
    return get_or_not_found(session, LegalBasis, basis_id, what="legal basis", field="basis_id")


def withdraw_basis(session: Session, *, basis_id: str, actor: Actor, now: datetime) -> LegalBasis:
    row = get_basis(session, basis_id)
    if row.withdrawn_at is not None:
        raise Conflict("already withdrawn", field="basis_id")
    row.withdrawn_at = now
    session.flush()
    audit(session, actor=actor, action="legal_basis.withdraw", now=now, debtor_id=row.debtor_id,
          detail={"category": row.category, "legal_basis_id": row.id})
    return row


def legal_bases(session: Session, debtor_id: str) -> Sequence[LegalBasis]:
    return session.scalars(
        select(LegalBasis).where(LegalBasis.debtor_id == debtor_id).order_by(LegalBasis.category, LegalBasis.granted_at)
    ).all()


# --- the audit trail --------------------------------------------------------------------------


def _plain(detail: dict[str, Any] | None) -> dict[str, Any]:
    return json.loads(json.dumps(detail or {}, ensure_ascii=False, default=str))


def _content(e: AuditEntry) -> AuditContent:
    return AuditContent(e.seq, e.at, e.actor_id, e.actor_name, e.actor_role, e.source, e.action, e.case_id,
                        e.debtor_id, e.detail or {})


def audit(
    session: Session, *, actor: Actor | None, action: str, now: datetime, case_id: str | None = None,
    debtor_id: str | None = None, detail: dict[str, Any] | None = None,
) -> None:
    """Append to the hash-chained audit log. `detail` must hold no unmasked personal data.

    The sequence number comes from a locked counter, so concurrent writers are serialised and the
    chain never forks; a rolled-back transaction gives its number back.
    """
    who = actor or SYSTEM
    seq = allocate(session, "audit")
    prev = GENESIS if seq == 1 else session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq - 1))
    if prev is None:
        raise RuntimeError(f"audit entry {seq - 1} is missing; run `qingzhai audit verify`")
    at = now.astimezone(UTC)
    source = who.source[:200] if who.source else None
    content = AuditContent(seq, at, who.id[:64], who.name[:200], who.role.value, source, action[:64], case_id,
                           debtor_id, _plain(detail))
    session.add(AuditEntry(
        seq=seq, at=at, actor_id=content.actor_id, actor_name=content.actor_name, actor_role=content.actor_role,
        source=content.source, action=content.action, case_id=case_id, debtor_id=debtor_id,
        detail=content.detail, prev_hash=prev, hash=entry_hash(content, prev),
    ))
    session.flush()


@dataclass(frozen=True)
class ChainReport:
    entries: int
    broken: ChainBreak | None


def verify_audit(session: Session, *, batch: int = 5000) -> ChainReport:
    """Recompute the whole chain in seq order; names the first broken entry."""
    prev, next_seq, count = GENESIS, 1, 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq >= next_seq).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            return ChainReport(count, None)
        broken = verify_chain(((_content(e), e.prev_hash, e.hash) for e in rows), start_prev=prev, start_seq=next_seq)
        if broken is not None:
            return ChainReport(count + (broken.seq - next_seq), broken)
        count += len(rows)
        prev, next_seq = rows[-1].hash, rows[-1].seq + 1
        session.expunge_all()


def audit_entries(
    session: Session, *, case_id: str | None = None, debtor_id: str | None = None, actor_id: str | None = None,
    action: str | None = None, offset: int = 0, limit: int = 100,
) -> tuple[Sequence[AuditEntry], int]:
    stmt = select(AuditEntry)
    if case_id is not None:
        stmt = stmt.where(AuditEntry.case_id == case_id)
    if debtor_id is not None:
        stmt = stmt.where(AuditEntry.debtor_id == debtor_id)
    if actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(AuditEntry.seq).offset(offset).limit(limit)).all()
    return rows, total
