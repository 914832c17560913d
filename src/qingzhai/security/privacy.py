"""Data-subject requests (PIPL arts. 45 and 47): export everything held about a debtor; erase what
the law does not require the platform to keep, leaving an audit entry.

The export walks every table with a `debtor_id` column, and every table with a `case_id` column
for the debtor's cases, so data added by later capabilities is included without code here.
Erasure clears contact, employment and income data and withdraws every legal basis; the name is
pseudonymised once no case is open. The ID number (encrypted) and its keyed hash stay: debt and
accounting records must be kept (会计档案管理办法: 30 years), and PIPL art. 47 then allows storage
only. Capabilities holding more personal data register an eraser with `register_eraser`.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qingzhai.core.actor import Actor
from qingzhai.core.errors import Conflict, RuleViolation
from qingzhai.core.masking import mask_name
from qingzhai.registry.service import Debtor, case_ids_of_debtor, get_debtor
from qingzhai.security.models import AuditEntry, LegalBasis
from qingzhai.security.rules import Permission, require
from qingzhai.security.service import audit

Eraser = Callable[[Session, str, datetime], list[str]]
_ERASERS: list[Eraser] = []
SKIPPED_TABLES = frozenset({"audit_entries"})  # exported separately as the access history


def register_eraser(fn: Eraser) -> Eraser:
    """A capability's function that erases its own personal data of a debtor; returns what it erased."""
    _ERASERS.append(fn)
    return fn


def _json(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        raw = bytes(value)
        return {"bytes": len(raw), "base64": base64.b64encode(raw).decode()}
    return value


def export_debtor(session: Session, debtor_id: str, *, actor: Actor, now: datetime) -> dict[str, Any]:
    """Everything held about a debtor, in plain text (the file is as sensitive as the database)."""
    require(actor, Permission.privacy_export)
    from qingzhai.db.all_models import metadata

    debtor = get_debtor(session, debtor_id)
    case_ids = case_ids_of_debtor(session, debtor.id)
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in metadata.sorted_tables:
        if table.name in SKIPPED_TABLES:
            continue
        if table.name == "debtors":
            stmt = select(table).where(table.c.id == debtor.id)
        elif "debtor_id" in table.c:
            stmt = select(table).where(table.c.debtor_id == debtor.id)
        elif "case_id" in table.c and case_ids:
            stmt = select(table).where(table.c.case_id.in_(case_ids))
        else:
            continue
        rows = [{k: _json(v) for k, v in row._mapping.items()} for row in session.execute(stmt)]
        if rows:
            tables[table.name] = rows
    history = [
        {"at": e.at.isoformat(), "who": e.actor_name, "role": e.actor_role, "action": e.action, "from": e.source}
        for e in session.scalars(
            select(AuditEntry).where((AuditEntry.debtor_id == debtor.id) | AuditEntry.case_id.in_(case_ids or [""]))
            .order_by(AuditEntry.seq)
        )
    ]
    audit(session, actor=actor, action="privacy.export", now=now, debtor_id=debtor.id,
          detail={"tables": sorted(tables), "rows": sum(len(r) for r in tables.values())})
    return {"debtor_id": debtor.id, "exported_at": now.isoformat(), "exported_by": actor.name,
            "tables": tables, "access_history": history}


@dataclass
class ErasureReport:
    debtor_id: str
    erased: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    bases_withdrawn: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"debtor_id": self.debtor_id, "erased": self.erased, "kept": self.kept,
                "bases_withdrawn": self.bases_withdrawn}


ERASABLE = ("phone", "phone_key", "email", "address", "employer", "monthly_income", "income_currency")


def erase_debtor(session: Session, debtor_id: str, *, actor: Actor, now: datetime, reason: str) -> ErasureReport:
    require(actor, Permission.privacy_erase)
    if not reason or not reason.strip():
        raise RuleViolation("say why (the data subject's request, its date and channel)", field="reason")
    debtor: Debtor = get_debtor(session, debtor_id)
    report = ErasureReport(debtor.id)
    for name in ERASABLE:
        if getattr(debtor, name) is not None:
            setattr(debtor, name, None)
            report.erased.append(f"debtors.{name}")
    open_cases = case_ids_of_debtor(session, debtor.id, open_only=True)
    if not open_cases:
        if debtor.name != mask_name(debtor.name):
            debtor.name = mask_name(debtor.name)
            report.erased.append("debtors.name (pseudonymised)")
    else:
        report.kept.append(f"debtors.name ({len(open_cases)} case(s) open: needed to perform the contract, PIPL art. 13(2))")
    report.kept.append("debtors.id_number, debtors.id_key (debt and accounting records kept by law; storage only)")
    for basis in session.scalars(select(LegalBasis).where(LegalBasis.debtor_id == debtor.id,
                                                         LegalBasis.withdrawn_at.is_(None))):
        basis.withdrawn_at = now
        report.bases_withdrawn += 1
    for eraser in _ERASERS:
        report.erased.extend(eraser(session, debtor.id, now))
    if not report.erased and not report.bases_withdrawn:
        raise Conflict("nothing left to erase for this debtor", field="debtor_id")
    session.flush()
    audit(session, actor=actor, action="privacy.erase", now=now, debtor_id=debtor.id,
          detail={**report.to_dict(), "reason": reason.strip()[:500]})
    return report
