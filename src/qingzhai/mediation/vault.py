"""The per-party vault: who is looking, and sealed storage of confidential positions and bids.

Only the assigned mediator and the owning party ever get a sealed value back. Amounts are
sealed with the platform's AES-256-GCM envelope (`security.service.encrypt_bytes`) when the
security capability is installed; otherwise they are stored unsealed and marked `none` (the
access rules below still apply).
"""

from __future__ import annotations

import hmac
import importlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qingzhai.core.actor import Actor, Role
from qingzhai.core.errors import NotFound, NotPermitted
from qingzhai.mediation.models import Mediation, VaultEntry
from qingzhai.mediation.rules import Party, Position, Viewer
from qingzhai.registry import service as registry
from qingzhai.registry.service import Case

TOKEN_LENGTH = 32


def debtor_token(mediation: Mediation) -> str:
    """The debtor's party token for this mediation: a keyed hash, never stored, re-derivable by staff."""
    return registry.identity_key(f"mediation-debtor-party:{mediation.id}")[:TOKEN_LENGTH].lower()


def viewer_for(mediation: Mediation, case: Case, actor: Actor, party_token: str | None = None) -> Viewer:
    """The actor's standing in this mediation. A creditor of another case does not see it at all."""
    if party_token:
        if hmac.compare_digest(party_token.strip().lower(), debtor_token(mediation)):
            return Viewer.debtor
        raise NotPermitted("the party token does not belong to this mediation", field="party_token")
    if actor.role is Role.mediator and actor.id == mediation.mediator_id:
        return Viewer.mediator
    if actor.role is Role.creditor:
        if actor.creditor_id and actor.creditor_id == case.creditor_id:
            return Viewer.creditor
        raise NotFound(f"no mediation '{mediation.id}'", field="mediation_id")
    return Viewer.staff


def require(viewer: Viewer, *allowed: Viewer, action: str) -> None:
    if viewer not in allowed:
        who = ", ".join(v.value for v in allowed)
        raise NotPermitted(f"only {who} may {action}", field="actor", rule="mediation_access")


def can_read(viewer: Viewer, party: Party) -> bool:
    return viewer is Viewer.mediator or viewer.party is party


def _security() -> Any | None:
    try:
        return importlib.import_module("qingzhai.security.service")
    except ImportError:
        return None


def _sealer(name: str) -> Callable[..., bytes] | None:
    module = _security()
    fn = getattr(module, name, None) if module is not None else None
    return fn if callable(fn) else None


def context_of(mediation_id: str, party: Party, kind: str, round_: int) -> str:
    return f"mediation:{mediation_id}:{party.value}:{kind}:{round_}"


def seal(session: Session, payload: dict[str, Any], *, context: str) -> tuple[bytes, str]:
    data = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    encrypt = _sealer("encrypt_bytes")
    if encrypt is None:
        return data, "none"
    return encrypt(session, data, context=context), "security"


def unseal(session: Session, entry: VaultEntry) -> dict[str, Any]:
    if entry.sealed_with == "none":
        return json.loads(entry.sealed)
    decrypt = _sealer("decrypt_bytes")
    if decrypt is None:  # pragma: no cover - sealed data needs the security capability installed
        raise NotPermitted("sealed positions need the security capability to be read", field="vault")
    context = context_of(entry.mediation_id, Party(entry.party), entry.kind, entry.round)
    return json.loads(decrypt(session, entry.sealed, context=context))


def audit(session: Session, *, actor: Actor, action: str, now: Any, case_id: str, detail: dict[str, Any]) -> None:
    """Append to the hash-chained audit log when the security capability provides it (never amounts)."""
    module = _security()
    fn = getattr(module, "audit", None) if module is not None else None
    if callable(fn):
        fn(session, actor=actor, action=action, now=now, case_id=case_id, detail=detail)


def store(
    session: Session, mediation: Mediation, *, party: Party, kind: str, round_: int, payload: dict[str, Any],
    actor: Actor, now: Any,
) -> VaultEntry:
    entry = session.scalar(select(VaultEntry).where(
        VaultEntry.mediation_id == mediation.id, VaultEntry.party == party.value,
        VaultEntry.kind == kind, VaultEntry.round == round_,
    ))
    sealed, how = seal(session, payload, context=context_of(mediation.id, party, kind, round_))
    if entry is None:
        entry = VaultEntry(mediation_id=mediation.id, party=party.value, kind=kind, round=round_,
                           sealed=sealed, sealed_with=how, submitted_at=now, submitted_by=actor.name)
        session.add(entry)
    else:
        entry.sealed, entry.sealed_with, entry.submitted_at, entry.submitted_by = sealed, how, now, actor.name
    session.flush()
    return entry


def entry_for(session: Session, mediation: Mediation, *, party: Party, kind: str, round_: int) -> VaultEntry | None:
    return session.scalar(select(VaultEntry).where(
        VaultEntry.mediation_id == mediation.id, VaultEntry.party == party.value,
        VaultEntry.kind == kind, VaultEntry.round == round_,
    ))


def read_position(session: Session, entry: VaultEntry) -> Position:
    return Position.from_dict(unseal(session, entry))
