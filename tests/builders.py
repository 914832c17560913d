"""Builders with keyword defaults for integration tests: `make_case(session, stage=...)`."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from qingzhai.core.actor import SYSTEM
from qingzhai.core.identity import resident_id_check_char, uscc_check_char
from qingzhai.registry import service as registry
from qingzhai.registry.models import Case, Creditor, Debt, Debtor
from qingzhai.registry.rules import Stage

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
_seq = itertools.count(1)


def make_creditor(session: Session, *, name: str | None = None) -> Creditor:
    return registry.create_creditor(session, name=name or f"Creditor {next(_seq)}", now=NOW)


def unique_id_number(kind: str = "individual") -> str:
    """A valid ID number (or credit code) never handed out before in this test process."""
    n = next(_seq)
    if kind == "individual":
        # the sequence digits vary fastest, so the last four characters (what a caller is asked to
        # confirm) differ between debtors made one after another
        first17 = f"310115{date(1950, 1, 1) + timedelta(days=n // 1000 % 18000):%Y%m%d}{n % 1000:03d}"
        return first17 + resident_id_check_char(first17)
    first17 = f"91310115{n:09d}"
    return first17 + uscc_check_char(first17)


def make_debtor(
    session: Session,
    *,
    kind: str = "individual",
    name: str = "张三",
    timezone: str = "Asia/Shanghai",
    district: str | None = "浦东新区",
    phone: str | None = None,
    monthly_income: str | None = "12000.00",
) -> Debtor:
    number = unique_id_number(kind)
    debtor = Debtor(
        kind=kind, name=name, id_number=number, id_key=registry.identity_key(number),
        phone=phone or f"139{next(_seq):08d}", phone_key=None, timezone=timezone, district=district,
        monthly_income=Decimal(monthly_income) if monthly_income else None,
        income_currency="CNY" if monthly_income else None, created_at=NOW,
    )
    debtor.phone_key = registry.identity_key(debtor.phone or "")
    session.add(debtor)
    session.flush()
    return debtor


def make_case(
    session: Session,
    *,
    stage: Stage = Stage.intake,
    amount: str = "80000.00",
    currency: str = "CNY",
    creditor: Creditor | None = None,
    debtor: Debtor | None = None,
    default_date: date = date(2025, 3, 1),
    assignee_id: str | None = None,
) -> Case:
    creditor = creditor or make_creditor(session)
    debtor = debtor or make_debtor(session)
    from qingzhai.db.sequences import allocate

    case = Case(
        number=allocate(session, "case"), creditor_id=creditor.id, debtor_id=debtor.id,
        currency=currency, stage=stage.value, placed_amount=Decimal(amount),
        recovered_amount=Decimal("0.00"), opened_at=NOW, stage_changed_at=NOW,
        assignee_id=assignee_id,
    )
    session.add(case)
    session.flush()
    session.add(Debt(
        creditor_id=creditor.id, debtor_id=debtor.id, case_id=case.id, debt_ref=f"D-{next(_seq)}",
        currency=currency, principal=Decimal(amount), default_date=default_date, placed_at=NOW,
    ))
    session.flush()
    registry.record_event(session, case, "case_opened", actor=SYSTEM, now=NOW)
    return case
