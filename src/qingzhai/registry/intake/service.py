"""Import a creditor's placements: validate each row, match debtors, open cases, store debts.

Idempotent: a debt is identified by (creditor, debt_ref); placing it again with the same figures
changes nothing, placing it with different figures is rejected (never overwritten). Rows are
processed in batches with set-based queries, so memory stays flat and a million rows stream.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from qingzhai.config import get_settings
from qingzhai.core.actor import Actor
from qingzhai.core.ids import new_id, new_ids
from qingzhai.core.text import N_
from qingzhai.db.sequences import allocate
from qingzhai.registry.intake.rules import PlacementRow, RowProblem, _p, validate_row
from qingzhai.registry.models import Case, CaseEvent, Creditor, Debt, Debtor, ImportBatch
from qingzhai.registry.rules import Stage
from qingzhai.registry.service import creditor_policy, identity_key, local_today, target_close_date

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Reject:
    line: int
    problems: tuple[RowProblem, ...]
    raw: Mapping[str, str]

    @property
    def field(self) -> str:
        return self.problems[0].field

    @property
    def reason(self) -> str:
        return self.problems[0].reason


@dataclass
class ImportReport:
    batch_id: str
    read: int = 0
    imported: int = 0
    already_present: int = 0
    rejected: int = 0
    debtors_created: int = 0
    cases_created: int = 0
    sample_rejects: list[Reject] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "batch_id": self.batch_id,
            "read": self.read,
            "imported": self.imported,
            "already_present": self.already_present,
            "rejected": self.rejected,
            "debtors_created": self.debtors_created,
            "cases_created": self.cases_created,
            "rejects": [
                {"line": r.line, "field": r.field, "reason": r.reason,
                 "problems": [{"field": p.field, "reason": p.reason} for p in r.problems]}
                for r in self.sample_rejects
            ],
        }


SAMPLE_REJECTS = 100


def import_placements(
    session: Session,
    *,
    creditor: Creditor,
    rows: Iterable[tuple[int, Mapping[str, str]]],
    filename: str,
    sha256: str,
    actor: Actor,
    now: datetime,
    on_reject: Callable[[Reject], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    batch_size: int | None = None,
) -> ImportReport:
    batch_size = batch_size or get_settings().import_batch_size
    batch = ImportBatch(
        id=new_id(), creditor_id=creditor.id, filename=filename[:500], sha256=sha256,
        started_at=now, actor_name=actor.name,
    )
    session.add(batch)
    session.flush()
    report = ImportReport(batch_id=batch.id)
    today = local_today(now)
    loader = _BatchLoader(session, creditor=creditor, batch_id=batch.id, actor=actor, now=now, report=report)

    def reject(line: int, problems: list[RowProblem] | tuple[RowProblem, ...], raw: Mapping[str, str]) -> None:
        item = Reject(line, tuple(problems), dict(raw))
        report.rejected += 1
        if len(report.sample_rejects) < SAMPLE_REJECTS:
            report.sample_rejects.append(item)
        if on_reject:
            on_reject(item)

    loader.reject = reject
    pending: list[PlacementRow] = []
    raws: dict[int, Mapping[str, str]] = {}
    for line, raw in rows:
        report.read += 1
        if raw.get("__extra__"):
            reject(line, [_p("row", N_("has more cells than the header has columns"))], raw)
            continue
        result = validate_row(raw, line=line, today=today)
        if isinstance(result, list):
            reject(line, result, raw)
            continue
        pending.append(result)
        raws[line] = raw
        if len(pending) >= batch_size:
            loader.load(pending, raws)
            if on_progress:
                on_progress(report.read)
            pending, raws = [], {}
    if pending:
        loader.load(pending, raws)
    if on_progress:
        on_progress(report.read)
    batch.rows_read = report.read
    batch.imported = report.imported
    batch.already_present = report.already_present
    batch.rejected = report.rejected
    batch.finished_at = now
    session.flush()
    log.info(
        "placements imported",
        extra={"creditor_id": creditor.id, "batch_id": batch.id, "read": report.read,
               "imported": report.imported, "rejected": report.rejected},
    )
    return report


class _BatchLoader:
    """Set-based loading of one batch of valid rows."""

    def __init__(self, session: Session, *, creditor: Creditor, batch_id: str, actor: Actor,
                 now: datetime, report: ImportReport) -> None:
        self.session = session
        self.creditor = creditor
        self.batch_id = batch_id
        self.actor = actor
        self.now = now
        self.report = report
        self.policy = creditor_policy(creditor)
        self.today = local_today(now)
        self.batches = 0
        self.on_postgresql = session.get_bind().dialect.name == "postgresql"
        self.reject: Callable[[int, list[RowProblem], Mapping[str, str]], None] = lambda *_: None

    def _refresh_statistics(self) -> None:
        """PostgreSQL plans from table statistics, and a long import grows the tables inside one
        transaction where autovacuum cannot see them: without fresh statistics the look-ups by
        debt_ref and id_key turn into full scans. ANALYZE sees the transaction's own rows."""
        self.batches += 1
        if self.on_postgresql and (self.batches in (2, 5, 10) or self.batches % 20 == 0):
            self.session.execute(text("ANALYZE debts, debtors, cases"))

    def load(self, rows: list[PlacementRow], raws: dict[int, Mapping[str, str]]) -> None:
        s = self.session
        self._refresh_statistics()
        keys = {r.line: identity_key(r.id_number) for r in rows}

        # 1. debt_ref already placed by this creditor (earlier files or earlier in this one)
        refs = {r.debt_ref for r in rows}
        existing = {
            d.debt_ref: d
            for d in s.execute(
                select(Debt.debt_ref, Debt.currency, Debt.principal, Debt.interest, Debt.fees,
                       Debt.default_date, Debtor.id_key)
                .join(Debtor, Debtor.id == Debt.debtor_id)
                .where(Debt.creditor_id == self.creditor.id, Debt.debt_ref.in_(refs))
            )
        }
        fresh: list[PlacementRow] = []
        seen: dict[str, PlacementRow] = {}
        for r in rows:
            prior = existing.get(r.debt_ref)
            if prior is not None:
                same = (prior.id_key, prior.currency, prior.principal, prior.interest, prior.fees,
                        prior.default_date) == (keys[r.line], r.currency, r.principal, r.interest,
                                                r.fees, r.default_date)
                if same:
                    self.report.already_present += 1
                else:
                    self.reject(r.line, [_p("debt_ref", N_(
                        "already placed with a different debtor or figures; nothing was changed "
                        "(send a correction to your account manager)"))], raws[r.line])
                continue
            twin = seen.get(r.debt_ref)
            if twin is not None:
                if twin.fingerprint() == r.fingerprint():
                    self.report.already_present += 1
                else:
                    self.reject(r.line, [_p("debt_ref", N_("appears again on line {line} with different figures"),
                                            line=twin.line)], raws[r.line])
                continue
            seen[r.debt_ref] = r
            fresh.append(r)
        if not fresh:
            return
        # at most one debtor, one case, one debt and one event per row
        self.ids = iter(new_ids(4 * len(fresh)))

        # 2. debtors: one person or enterprise, one record
        wanted = {keys[r.line] for r in fresh}
        debtor_ids: dict[str, str] = {}
        kinds: dict[str, str] = {}
        for key, debtor_id, kind in s.execute(
            select(Debtor.id_key, Debtor.id, Debtor.kind).where(Debtor.id_key.in_(wanted))
        ):
            debtor_ids[key] = debtor_id
            kinds[key] = kind
        new_debtors: list[dict[str, object]] = []
        usable: list[PlacementRow] = []
        for r in fresh:
            key = keys[r.line]
            if key in kinds and kinds[key] != r.debtor_type.value:
                self.reject(r.line, [_p("debtor_type", N_("this ID number belongs to a known {kind} debtor"),
                                        kind=kinds[key])], raws[r.line])
                continue
            if key not in debtor_ids:
                debtor_ids[key] = next(self.ids)
                kinds[key] = r.debtor_type.value
                new_debtors.append({
                    "id": debtor_ids[key], "kind": r.debtor_type.value, "name": r.debtor_name,
                    "id_number": r.id_number, "id_key": key, "phone": r.phone,
                    "phone_key": identity_key(r.phone), "email": r.email, "address": r.address,
                    "district": r.district, "timezone": r.timezone, "employer": r.employer,
                    "monthly_income": r.monthly_income,
                    "income_currency": r.currency if r.monthly_income is not None else None,
                    "created_at": self.now,
                })
            usable.append(r)
        if new_debtors:
            s.execute(insert(Debtor.__table__), new_debtors)
            self.report.debtors_created += len(new_debtors)
        if not usable:
            return

        # 3. cases: the open case of this debtor with this creditor in this currency, or a new one
        ids = {debtor_ids[keys[r.line]] for r in usable}
        open_cases: dict[tuple[str, str], tuple[str, Decimal]] = {
            (c.debtor_id, c.currency): (c.id, c.placed_amount)
            for c in s.execute(
                select(Case.id, Case.debtor_id, Case.currency, Case.placed_amount).where(
                    Case.creditor_id == self.creditor.id,
                    Case.debtor_id.in_(ids),
                    Case.stage != Stage.closed.value,
                )
            )
        }
        added: dict[tuple[str, str], Decimal] = {}
        new_keys: list[tuple[str, str]] = []
        for r in usable:
            ck = (debtor_ids[keys[r.line]], r.currency)
            if ck not in open_cases and ck not in added:
                new_keys.append(ck)
            added[ck] = added.get(ck, Decimal("0.00")) + r.total
        new_cases: list[dict[str, object]] = []
        if new_keys:
            first = allocate(s, "case", len(new_keys))
            for offset, ck in enumerate(new_keys):
                case_id = next(self.ids)
                open_cases[ck] = (case_id, Decimal("0.00"))
                amount = added[ck]
                new_cases.append({
                    "id": case_id, "number": first + offset, "creditor_id": self.creditor.id,
                    "debtor_id": ck[0], "currency": ck[1], "stage": Stage.intake.value,
                    "placed_amount": amount, "recovered_amount": Decimal("0.00"),
                    "opened_at": self.now, "stage_changed_at": self.now,
                    "target_close_date": target_close_date(self.policy, amount, self.today),
                    "version": 1,
                })
            s.execute(insert(Case.__table__), new_cases)
            self.report.cases_created += len(new_cases)
        created = {c["id"] for c in new_cases}

        # 4. debts, then the running totals of cases that already existed
        s.execute(insert(Debt.__table__), [
            {
                "id": next(self.ids), "creditor_id": self.creditor.id,
                "debtor_id": debtor_ids[keys[r.line]],
                "case_id": open_cases[(debtor_ids[keys[r.line]], r.currency)][0],
                "debt_ref": r.debt_ref, "currency": r.currency, "principal": r.principal,
                "interest": r.interest, "fees": r.fees, "origination_date": r.origination_date,
                "default_date": r.default_date, "import_batch_id": self.batch_id,
                "placed_at": self.now,
            }
            for r in usable
        ])
        self.report.imported += len(usable)
        events: list[dict[str, object]] = []
        for ck, amount in added.items():
            case_id, _before = open_cases[ck]
            if case_id in created:
                events.append(self._event(case_id, "case_opened", {"placed": str(amount), "currency": ck[1]}))
                continue
            s.execute(
                update(Case)
                .where(Case.id == case_id)
                .values(placed_amount=Case.placed_amount + amount, version=Case.version + 1)
                .execution_options(synchronize_session=False)
            )
            events.append(self._event(case_id, "debts_added", {"added": str(amount), "currency": ck[1]}))
        s.execute(insert(CaseEvent.__table__), events)

    def _event(self, case_id: str, kind: str, data: dict[str, object]) -> dict[str, object]:
        return {
            "id": next(self.ids), "case_id": case_id, "at": self.now, "kind": kind,
            "actor_id": self.actor.id, "actor_name": self.actor.name,
            "reason": None, "data": {**data, "import_batch": self.batch_id},
        }
