"""Pure rules of the case registry: the stage transition table, outcomes, holds, creditor policy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from qingzhai.core.errors import InvalidTransition, RuleViolation
from qingzhai.core.text import N_


class Stage(StrEnum):
    intake = "intake"
    assessment = "assessment"
    planning = "planning"
    execution = "execution"
    closed = "closed"


class Outcome(StrEnum):
    paid = "paid"
    settled = "settled"
    restructured = "restructured"
    written_off = "written_off"
    returned = "returned"
    litigation = "litigation"


class HoldKind(StrEnum):
    dispute = "dispute"
    moratorium = "moratorium"
    mediation = "mediation"
    cease_contact = "cease_contact"
    bankruptcy = "bankruptcy"
    deceased = "deceased"


class DebtorType(StrEnum):
    individual = "individual"
    enterprise = "enterprise"


# Names shown to users (translated by the catalogs).
STAGE_NAMES = (N_("intake"), N_("assessment"), N_("planning"), N_("execution"), N_("closed"))
OUTCOME_NAMES = (N_("paid"), N_("settled"), N_("restructured"), N_("written_off"), N_("returned"), N_("litigation"))
HOLD_NAMES = (N_("dispute"), N_("moratorium"), N_("mediation"), N_("cease_contact"), N_("bankruptcy"), N_("deceased"))

TRANSITIONS: Final[Mapping[Stage, frozenset[Stage]]] = {
    Stage.intake: frozenset({Stage.assessment, Stage.closed}),
    Stage.assessment: frozenset({Stage.planning, Stage.closed}),
    # Planning may send a case back for more investigation.
    Stage.planning: frozenset({Stage.assessment, Stage.execution, Stage.closed}),
    # A defaulted plan escalates back to planning (new plan, mediation or litigation).
    Stage.execution: frozenset({Stage.planning, Stage.closed}),
    Stage.closed: frozenset(),
}

# Holds without a natural end date (the debtor asked to stop, insolvency, death).
OPEN_ENDED_HOLDS: Final[frozenset[HoldKind]] = frozenset(
    {HoldKind.cease_contact, HoldKind.bankruptcy, HoldKind.deceased}
)


@dataclass(frozen=True, slots=True)
class StageChanged:
    previous: Stage
    current: Stage
    outcome: Outcome | None
    reason: str


def advance(
    current: Stage, target: Stage, *, reason: str, outcome: Outcome | None = None
) -> StageChanged:
    """Check one stage change against the transition table."""
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(current, target)
    if not reason or not reason.strip():
        raise RuleViolation("a reason is required", field="reason")
    if target is Stage.closed and outcome is None:
        raise RuleViolation(
            "closing a case needs an outcome: " + ", ".join(o.value for o in Outcome),
            field="outcome",
        )
    if target is not Stage.closed and outcome is not None:
        raise RuleViolation("an outcome is given only when closing", field="outcome")
    return StageChanged(previous=current, current=target, outcome=outcome, reason=reason.strip())


@dataclass(frozen=True, slots=True)
class HoldRequest:
    kind: HoldKind
    until: date | None
    reason: str


def check_hold(stage: Stage, kind: HoldKind, until: date | None, reason: str, today: date) -> HoldRequest:
    if stage is Stage.closed:
        raise RuleViolation("a closed case cannot be put on hold", field="stage")
    if not reason or not reason.strip():
        raise RuleViolation("a reason is required", field="reason")
    if until is None and kind not in OPEN_ENDED_HOLDS:
        raise RuleViolation(f"a {kind.value} hold needs an end date", field="until")
    if until is not None and until < today:
        raise RuleViolation("the end date is in the past", field="until")
    return HoldRequest(kind=kind, until=until, reason=reason.strip())


def hold_is_active(until: date | None, lifted: bool, today: date) -> bool:
    return not lifted and (until is None or until >= today)


@dataclass(frozen=True, slots=True)
class TierTarget:
    """Target processing time for debts up to `up_to` (inclusive; None = no upper bound)."""

    up_to: Decimal | None
    days: int


def _default_tiers() -> tuple[TierTarget, ...]:
    return (
        TierTarget(up_to=Decimal("500000.00"), days=28),
        TierTarget(up_to=Decimal("5000000.00"), days=60),
        TierTarget(up_to=None, days=120),
    )


@dataclass(frozen=True, slots=True)
class ContactTightening:
    """A creditor's stricter contact rules; the compliance engine takes the stricter of these and
    the preset. None means "as the preset says"."""

    max_connected_calls_per_day: int | None = None
    max_dial_attempts_per_number_per_day: int | None = None
    quiet_start: str | None = None  # "HH:MM", local time of the debtor
    quiet_end: str | None = None
    holidays_quiet: bool | None = None


@dataclass(frozen=True, slots=True)
class CreditorPolicy:
    """The creditor's (委托方) policy. Later capabilities read it; every number is a setting."""

    max_settlement_discount: Decimal = Decimal("0.30")
    longest_plan_months: int = 60
    allocation_order: tuple[str, ...] = ("fees", "interest", "principal")
    plan_interest_rate: Decimal = Decimal("0")
    contact: ContactTightening = field(default_factory=ContactTightening)
    target_days: tuple[TierTarget, ...] = field(default_factory=_default_tiers)

    def __post_init__(self) -> None:
        if not (Decimal(0) <= self.max_settlement_discount < Decimal(1)):
            raise RuleViolation("must be at least 0 and below 1", field="max_settlement_discount")
        if not 1 <= self.longest_plan_months <= 120:
            raise RuleViolation("must be between 1 and 120", field="longest_plan_months")
        if sorted(self.allocation_order) != ["fees", "interest", "principal"]:
            raise RuleViolation(
                "must name fees, interest and principal once each", field="allocation_order"
            )
        if self.plan_interest_rate < 0 or self.plan_interest_rate > Decimal("0.24"):
            raise RuleViolation("must be between 0 and 0.24 a year", field="plan_interest_rate")
        for tier in self.target_days:
            if tier.days < 1:
                raise RuleViolation("must be at least 1 day", field="target_days")

    def target_days_for(self, amount: Decimal) -> int:
        for tier in sorted(self.target_days, key=lambda t: (t.up_to is None, t.up_to or 0)):
            if tier.up_to is None or amount <= tier.up_to:
                return tier.days
        return self.target_days[-1].days

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["max_settlement_discount"] = str(self.max_settlement_discount)
        data["plan_interest_rate"] = str(self.plan_interest_rate)
        data["allocation_order"] = list(self.allocation_order)
        data["target_days"] = [
            {"up_to": None if t.up_to is None else str(t.up_to), "days": t.days}
            for t in self.target_days
        ]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> CreditorPolicy:
        if not data:
            return cls()
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise RuleViolation(f"unknown policy setting(s): {', '.join(sorted(unknown))}", field="policy")
        kwargs: dict[str, Any] = {}
        try:
            if "max_settlement_discount" in data:
                kwargs["max_settlement_discount"] = Decimal(str(data["max_settlement_discount"]))
            if "plan_interest_rate" in data:
                kwargs["plan_interest_rate"] = Decimal(str(data["plan_interest_rate"]))
        except ArithmeticError:
            raise RuleViolation("must be a decimal number", field="policy") from None
        if "longest_plan_months" in data:
            kwargs["longest_plan_months"] = int(data["longest_plan_months"])
        if "allocation_order" in data:
            kwargs["allocation_order"] = tuple(data["allocation_order"])
        if "contact" in data and data["contact"] is not None:
            c = dict(data["contact"])
            bad = set(c) - set(ContactTightening.__dataclass_fields__)
            if bad:
                raise RuleViolation(f"unknown contact setting(s): {', '.join(sorted(bad))}", field="contact")
            kwargs["contact"] = ContactTightening(**c)
        if "target_days" in data and data["target_days"] is not None:
            kwargs["target_days"] = tuple(
                TierTarget(
                    up_to=None if t.get("up_to") is None else Decimal(str(t["up_to"])),
                    days=int(t["days"]),
                )
                for t in data["target_days"]
            )
        return cls(**kwargs)

    def merged(self, changes: Mapping[str, Any]) -> CreditorPolicy:
        data = self.to_dict()
        data.update(changes)
        return CreditorPolicy.from_dict(data)
