"""Pure security rules: the one permission table, case scope per role, PIPL legal-basis validity,
the audit hash chain, password and token settings. No database, no clock, no settings."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from qingzhai.core.actor import Actor, Role
from qingzhai.core.errors import NotPermitted, RuleViolation


class Permission(StrEnum):
    case_read = "case.read"                    # see cases in scope (masked personal data)
    case_work = "case.work"                    # change stage, holds, record contact outcomes
    case_assign = "case.assign"                # assign cases to collectors and mediators
    debtor_read = "debtor.read"                # debtor records in scope (masked)
    placement_create = "placement.create"      # import placements (creditor systems, managers)
    creditor_manage = "creditor.manage"        # register creditors, change their policy
    user_manage = "user.manage"                # add users, change roles, disable
    api_key_manage = "api_key.manage"          # issue and revoke API keys for any user
    audit_read = "audit.read"                  # read the audit trail
    audit_verify = "audit.verify"              # recompute the hash chain
    legal_basis_record = "legal_basis.record"  # record consent and other legal bases
    privacy_export = "privacy.export"          # data-subject access request
    privacy_erase = "privacy.erase"            # data-subject erasure request
    keys_manage = "keys.manage"                # rotate master keys
    jobs_run = "jobs.run"                      # run the nightly jobs (run-day) by hand
    conduct_oversee = "conduct.oversee"        # read and close conduct incidents, conduct reports


class Scope(StrEnum):
    all = "all"                # every case
    assigned = "assigned"      # cases assigned to the actor
    own_placements = "own"     # cases of the actor's creditor
    none = "none"


P = Permission
PERMISSIONS: Final[Mapping[Role, frozenset[Permission]]] = {
    Role.admin: frozenset(Permission),
    Role.system: frozenset(Permission),
    Role.manager: frozenset({
        P.case_read, P.case_work, P.case_assign, P.debtor_read, P.placement_create, P.creditor_manage,
        P.audit_read, P.legal_basis_record, P.jobs_run, P.conduct_oversee,
    }),
    Role.compliance_officer: frozenset({
        P.case_read, P.case_work, P.debtor_read, P.audit_read, P.audit_verify, P.legal_basis_record,
        P.privacy_export, P.privacy_erase, P.conduct_oversee,
    }),
    Role.collector: frozenset({P.case_read, P.case_work, P.debtor_read, P.legal_basis_record}),
    Role.mediator: frozenset({P.case_read, P.case_work, P.debtor_read, P.legal_basis_record}),
    Role.creditor: frozenset({P.case_read, P.debtor_read, P.placement_create}),
}
"""Each role's permissions, one table. Tested cell by cell."""

CASE_SCOPE: Final[Mapping[Role, Scope]] = {
    Role.admin: Scope.all,
    Role.system: Scope.all,
    Role.manager: Scope.all,
    Role.compliance_officer: Scope.all,
    Role.collector: Scope.assigned,
    Role.mediator: Scope.assigned,
    Role.creditor: Scope.own_placements,
}

ASSIGNABLE_ROLES: Final = frozenset({Role.collector, Role.mediator})
HUMAN_ROLES: Final = frozenset(Role) - {Role.system}


def allows(role: Role, permission: Permission) -> bool:
    return permission in PERMISSIONS.get(role, frozenset())


def require(actor: Actor, permission: Permission) -> None:
    if not allows(actor.role, permission):
        raise NotPermitted("role {role} may not {permission}", field="role", rule="permission",
                           params={"role": actor.role.value, "permission": permission.value})


def case_scope(actor: Actor | None) -> Scope:
    """None is the platform's own code acting inside the process (jobs, the operator's CLI)."""
    return Scope.all if actor is None else CASE_SCOPE.get(actor.role, Scope.none)


# --- PIPL legal bases -------------------------------------------------------------------------


class Category(StrEnum):
    identity = "identity"
    contact = "contact"
    financial_accounts = "financial_accounts"
    location = "location"
    credit = "credit"
    employment = "employment"
    court_records = "court_records"
    recordings = "recordings"


class Basis(StrEnum):
    contract = "contract"                  # art. 13(2): necessary to perform a contract the debtor is party to
    consent = "consent"                    # art. 13(1) and 14
    separate_consent = "separate_consent"  # art. 29: sensitive personal information
    legal_obligation = "legal_obligation"  # art. 13(3): statutory duty or obligation
    public_disclosure = "public_disclosure"  # art. 13(6): information the debtor or the law made public


SENSITIVE: Final = frozenset({Category.financial_accounts, Category.location})
"""PIPL art. 28: financial accounts and location tracks are sensitive; art. 29: separate consent."""

ACCEPTED: Final[Mapping[Category, frozenset[Basis]]] = {
    Category.identity: frozenset({Basis.contract, Basis.consent, Basis.separate_consent, Basis.legal_obligation}),
    Category.contact: frozenset({Basis.contract, Basis.consent, Basis.separate_consent, Basis.legal_obligation}),
    Category.credit: frozenset({Basis.contract, Basis.consent, Basis.separate_consent, Basis.legal_obligation}),
    Category.employment: frozenset({Basis.contract, Basis.consent, Basis.separate_consent}),
    Category.court_records: frozenset({Basis.public_disclosure, Basis.legal_obligation, Basis.consent,
                                       Basis.separate_consent}),
    Category.recordings: frozenset({Basis.consent, Basis.separate_consent, Basis.legal_obligation}),
    Category.financial_accounts: frozenset({Basis.separate_consent, Basis.legal_obligation}),
    Category.location: frozenset({Basis.separate_consent, Basis.legal_obligation}),
}


@dataclass(frozen=True, slots=True)
class BasisRecord:
    category: str
    basis: str
    granted_at: datetime
    expires_at: datetime | None = None
    withdrawn_at: datetime | None = None


def parse_category(value: str) -> Category:
    try:
        return Category(value)
    except ValueError:
        raise RuleViolation(
            f"unknown data category '{value}' (one of {', '.join(c.value for c in Category)})", field="category"
        ) from None


def parse_basis(value: str) -> Basis:
    try:
        return Basis(value)
    except ValueError:
        raise RuleViolation(f"unknown legal basis '{value}' (one of {', '.join(b.value for b in Basis)})",
                            field="basis") from None


def check_basis_choice(category: Category, basis: Basis) -> None:
    if basis not in ACCEPTED[category]:
        if category in SENSITIVE:
            raise RuleViolation("{basis} is not a legal basis for {category} data: it needs separate consent "
                                "(PIPL art. 29)", field="basis", rule="pipl_legal_basis",
                                params={"basis": basis.value, "category": category.value})
        raise RuleViolation("{basis} is not a legal basis for {category} data (accepted: {accepted})", field="basis",
                            rule="pipl_legal_basis", params={"basis": basis.value, "category": category.value,
                                                             "accepted": ", ".join(sorted(ACCEPTED[category]))})


def record_is_valid(record: BasisRecord, category: Category, now: datetime) -> bool:
    if record.category != category.value:
        return False
    try:
        basis = Basis(record.basis)
    except ValueError:
        return False
    if basis not in ACCEPTED[category]:
        return False
    if record.granted_at > now:
        return False
    if record.withdrawn_at is not None and record.withdrawn_at <= now:
        return False
    return record.expires_at is None or record.expires_at > now


def has_valid_basis(records: Iterable[BasisRecord], category: Category, now: datetime) -> bool:
    return any(record_is_valid(r, category, now) for r in records)


# --- the audit chain --------------------------------------------------------------------------

GENESIS: Final = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditContent:
    seq: int
    at: datetime
    actor_id: str
    actor_name: str
    actor_role: str
    source: str | None
    action: str
    case_id: str | None
    debtor_id: str | None
    detail: Mapping[str, Any]


def entry_hash(content: AuditContent, prev_hash: str) -> str:
    """SHA-256 over a canonical JSON of the entry and the previous entry's hash."""
    body = {
        "seq": content.seq, "at": content.at.isoformat(timespec="microseconds"), "actor_id": content.actor_id,
        "actor_name": content.actor_name, "actor_role": content.actor_role, "source": content.source,
        "action": content.action, "case_id": content.case_id, "debtor_id": content.debtor_id,
        "detail": content.detail, "prev": prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainBreak:
    seq: int
    reason: str


def verify_chain(entries: Iterable[tuple[AuditContent, str, str]], *, start_prev: str = GENESIS,
                 start_seq: int = 1) -> ChainBreak | None:
    """Recompute the chain over (content, prev_hash, hash) in seq order; the first broken entry, or None."""
    prev, expected_seq = start_prev, start_seq
    for content, prev_hash, stored in entries:
        if content.seq != expected_seq:
            return ChainBreak(expected_seq, f"entry {expected_seq} is missing (next stored is {content.seq})")
        if prev_hash != prev:
            return ChainBreak(content.seq, "does not point to the previous entry's hash")
        if entry_hash(content, prev_hash) != stored:
            return ChainBreak(content.seq, "content does not match its hash (altered)")
        prev, expected_seq = stored, expected_seq + 1
    return None


# --- passwords and tokens ---------------------------------------------------------------------


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 12
    max_length: int = 256


def password_problem(password: str, policy: PasswordPolicy = PasswordPolicy()) -> str | None:
    if len(password) < policy.min_length:
        return f"must be at least {policy.min_length} characters"
    if len(password) > policy.max_length:
        return f"must be at most {policy.max_length} characters"
    if password.strip() != password or not password.strip():
        return "must not start or end with spaces"
    return None


def parse_role(value: str) -> Role:
    try:
        role = Role(value)
    except ValueError:
        role = None
    if role is None or role not in HUMAN_ROLES:
        raise RuleViolation(f"unknown role '{value}' (one of {', '.join(sorted(r.value for r in HUMAN_ROLES))})",
                            field="role")
    return role


@dataclass(frozen=True)
class LoginThrottle:
    attempts: int = 5
    window_seconds: int = 60


def throttle_allows(failures: Iterable[float], now: float, policy: LoginThrottle) -> bool:
    """True while fewer than `attempts` failures fall inside the window ending at `now` (seconds)."""
    recent = [t for t in failures if now - t < policy.window_seconds]
    return len(recent) < policy.attempts
