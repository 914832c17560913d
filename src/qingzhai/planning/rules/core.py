"""Pure planning rules (方案设计): candidate resolution plans for one debtor, valued and ranked.

Dataclasses in, dataclasses out. No database, clock or settings: the plan start date, the
creditor's policy and the planning settings are passed in. Every number is a field of
`PlanningSettings` (documented in docs/planning.md) or of the creditor's `CreditorPolicy`.

Thresholds follow Chinese legal usage (Civil Code art. 1259: 以上/以下 include the number):
"5,000,000 CNY or more" includes 5,000,000.00; "at most 30%" includes 30%; "up to 24 months"
includes 24.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Any

from qingzhai.core.errors import RuleViolation
from qingzhai.core.money import Money, quantum, split_evenly
from qingzhai.mediation.rules import MediationSettings


class PlanType(StrEnum):
    settlement = "settlement"
    installments = "installments"
    restructuring_scf = "restructuring_scf"
    debt_to_equity = "debt_to_equity"
    moratorium = "moratorium"
    mediation = "mediation"
    litigation = "litigation"


TYPE_ORDER: dict[str, int] = {t.value: i for i, t in enumerate(PlanType)}
HARDSHIPS: frozenset[str] = frozenset({"unemployment", "illness", "disaster"})
ENTERPRISE_SIZES: frozenset[str] = frozenset({"micro", "small", "medium", "large"})


@dataclass(frozen=True)
class PlanningSettings:
    """Every number the planner uses, with its default. docs/planning.md gives each source."""

    # Affordability and installments
    affordability_share: Decimal = Decimal("0.30")  # monthly installment at most 30% of disposable income
    declared_disposable_share: Decimal = Decimal("0.50")  # declared monthly income -> disposable (heuristic)
    first_due_days: int = 30  # first installment falls due 30 days after the plan starts
    longer_plan_max_months: int = 120  # the longest plan offered for approval beyond the creditor's cap
    unknown_income_term_months: int = 24  # term proposed when no income figure is known (needs approval)
    # Settlement
    settlement_due_days: int = 14
    settlement_floor_discount: Decimal = Decimal("0.05")  # smallest discount offered for paying at once
    # Valuation
    discount_rate: Decimal = Decimal("0.08")  # annual rate for the NPV of expected recovery
    # Small and micro enterprises: restructuring with supply-chain financing
    scf_sizes: frozenset[str] = frozenset({"micro", "small"})
    scf_receivables_share: Decimal = Decimal("0.15")  # share of monthly collections pledged to the plan
    scf_collection_months: Decimal = Decimal("2")  # receivables are collected over about two months
    scf_advance_rate: Decimal = Decimal("0.80")  # financing partner advances 80% of pledged invoices
    scf_pledged_invoice_share: Decimal = Decimal("0.30")  # share of current receivables pledged for the advance
    # Debt-to-equity with a performance bet (对赌)
    dte_threshold: Decimal = Decimal("5000000.00")  # enterprise debts of this amount or more (inclusive)
    dte_years: int = 3
    dte_target_growth: Decimal = Decimal("0.10")  # yearly revenue target growth
    dte_max_equity_share: Decimal = Decimal("0.49")  # above this the swap needs approval (control changes)
    dte_compensation_rate: Decimal = Decimal("0.08")  # cash compensation per missed year, share of converted debt
    dte_scenarios: tuple[tuple[str, Decimal, Decimal], ...] = (
        ("good", Decimal("0.25"), Decimal("0.20")),  # (name, weight, yearly value growth)
        ("base", Decimal("0.50"), Decimal("0.08")),
        ("bad", Decimal("0.25"), Decimal("-0.15")),
    )
    dte_compensation_collect: Decimal = Decimal("0.50")  # share of owed compensation actually paid when bad
    # Moratorium (债务暂停)
    moratorium_months: int = 12  # proposed length
    moratorium_max_months: int = 24  # longest allowed (inclusive)
    full_disclosure_completeness: float = 0.80  # assessment completeness counted as full disclosure
    moratorium_resume_months: int = 24  # after the review date the debt is repaid over this many months
    # Mediation
    # The kind of mediation per district is mediation's own setting (default kind, district custom:
    # 崇明区 -> community 乡情调解), so a referral names the kind mediation will use.
    mediation: MediationSettings = field(default_factory=MediationSettings)
    mediation_share: Decimal = Decimal("0.75")  # mediated agreements settle at about 75% of the debt
    mediation_days: int = 60
    # Litigation
    litigation_cost_share: Decimal = Decimal("0.08")  # court, lawyer and enforcement costs
    litigation_months: int = 18  # judgment plus enforcement
    limitation_warning_days: int = 90
    litigation_enforce_known_assets: float = 0.80  # enforceability when assets cover the debt
    litigation_enforce_unknown: float = 0.40
    unknown_evidence_strength: float = 0.50
    # Heuristic probabilities (used when the scoring model has no number)
    p_settlement_affordable: float = 0.75
    p_settlement_unknown: float = 0.35
    p_settlement_unaffordable: float = 0.10
    p_installments: float = 0.65
    p_term_penalty_per_year: float = 0.04
    p_over_cap_factor: float = 0.50
    p_scf: float = 0.60
    p_dte: float = 0.55
    p_moratorium: float = 0.50  # recovery after a pause is uncertain
    p_mediation: float = 0.50
    p_cooperative_bonus: float = 0.10
    p_uncooperative_penalty: float = 0.15
    p_concealment_penalty: float = 0.20
    p_min: float = 0.02
    p_max: float = 0.95

    def __post_init__(self) -> None:
        if not Decimal(0) < self.affordability_share <= Decimal(1):
            raise RuleViolation("must be above 0 and at most 1", field="affordability_share")
        if not 1 <= self.moratorium_months <= self.moratorium_max_months:
            raise RuleViolation(
                f"must be between 1 and {self.moratorium_max_months}", field="moratorium_months"
            )
        for name in ("longer_plan_max_months", "unknown_income_term_months", "moratorium_resume_months"):
            if not 1 <= getattr(self, name) <= 360:  # execution runs at most 360 installments
                raise RuleViolation("must be between 1 and 360", field=name)
        if self.discount_rate < 0:
            raise RuleViolation("must not be negative", field="discount_rate")
        if self.dte_threshold <= 0:
            raise RuleViolation("must be positive", field="dte_threshold")
        if sum(w for _n, w, _g in self.dte_scenarios) != 1:
            raise RuleViolation("scenario weights must add up to 1", field="dte_scenarios")


DEFAULT_SETTINGS = PlanningSettings()


# --- explanations ------------------------------------------------------------------------------


# Parameters whose values are themselves words to translate (e.g. "illness").
TRANSLATED_PARAMS: frozenset[str] = frozenset({"hardship"})


@dataclass(frozen=True, slots=True)
class Note:
    """One sentence of an explanation: an English msgid and its parameters (translated by the service)."""

    msgid: str
    params: tuple[tuple[str, str], ...] = ()

    def render(self, translate: Callable[[str], str] | None = None) -> str:
        if translate is None:
            return self.msgid.format(**dict(self.params))
        params = {k: translate(v) if k in TRANSLATED_PARAMS else v for k, v in self.params}
        return translate(self.msgid).format(**params)


def note(msgid: str, **params: object) -> Note:
    return Note(msgid, tuple((k, str(v)) for k, v in params.items()))


def render_notes(notes: Iterable[Note], translate: Callable[[str], str] | None = None) -> str:
    return " ".join(n.render(translate) for n in notes)


def pct(value: Decimal | float) -> str:
    return f"{Decimal(str(value)) * 100:.2f}".rstrip("0").rstrip(".") + "%"


# --- inputs and outputs ------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanInput:
    """What the planner knows about one debtor and debt. `source` says where the figures came from:
    "assessment" (the latest assessment summary), "declared" (figures the debtor declared at
    placement, through a transparent heuristic) or "profile" (a what-if profile)."""

    outstanding: Money
    start: date
    debtor_type: str = "individual"
    source: str = "declared"
    enterprise_size: str | None = None
    disposable_income: Money | None = None
    liquid_assets: Money | None = None
    total_assets: Money | None = None
    district: str | None = None
    hardship: str | None = None
    hardship_verified: bool = False
    cooperative: bool | None = None
    full_disclosure: bool = False
    concealment_flag: bool = False
    annual_revenue: Money | None = None
    receivables: Money | None = None
    valuation: Money | None = None
    evidence_strength: float | None = None
    limitation_date: date | None = None
    grade: str | None = None
    fake_debt_risk: str = "low"  # low | medium | high (assessment)

    def __post_init__(self) -> None:
        if self.outstanding.amount <= 0:
            raise RuleViolation("must be above zero", field="outstanding")
        if self.debtor_type not in ("individual", "enterprise"):
            raise RuleViolation("must be individual or enterprise", field="debtor_type")
        if self.enterprise_size is not None and self.enterprise_size not in ENTERPRISE_SIZES:
            raise RuleViolation("must be micro, small, medium or large", field="enterprise_size")
        if self.hardship is not None and self.hardship not in HARDSHIPS:
            raise RuleViolation("must be unemployment, illness, disaster or null", field="hardship")
        cur = self.outstanding.currency
        for name in ("disposable_income", "liquid_assets", "total_assets", "annual_revenue", "receivables", "valuation"):
            value: Money | None = getattr(self, name)
            if value is None:
                continue
            if value.currency != cur:
                raise RuleViolation(f"is in {value.currency}, the debt in {cur}", field=name)
            if value.amount < 0:
                raise RuleViolation("must not be negative", field=name)


@dataclass(frozen=True)
class PlanOption:
    """One ranked option. `nominal` is what the option itself would collect (the schedule's sum,
    or the best scenario); `expected_recovery` is its NPV times the probability the debtor keeps it."""

    type: str
    schedule: list[tuple[date, Money]]
    expected_recovery: Money
    probability: float
    explanation: str
    needs_approval: bool
    nominal: Money
    affordable: bool | None = None
    monthly_cap: Money | None = None
    expected_days_to_close: int = 0
    probability_source: str = "heuristic"
    inputs_source: str = "declared"
    details: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[Note, ...] = ()
    npv: Money | None = None  # NPV of the option if kept (before the probability)


@dataclass(frozen=True)
class Ineligible:
    type: str
    notes: tuple[Note, ...]


@dataclass(frozen=True)
class PlanSet:
    options: list[PlanOption]
    ineligible: list[Ineligible]
    inputs: PlanInput


# --- money and time helpers --------------------------------------------------------------------


@lru_cache(maxsize=64)
def _quantum(currency: str) -> Decimal:
    return quantum(currency)


def floor_minor(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(_quantum(currency), ROUND_DOWN)


_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_months(start: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 January + 1 month = 28/29 February)."""
    month = start.month - 1 + months
    year = start.year + month // 12
    month = month % 12 + 1
    day = start.day
    if day > 28:
        last = 29 if month == 2 and calendar.isleap(year) else _DAYS_IN_MONTH[month - 1]
        day = min(day, last)
    return date(year, month, day)


@lru_cache(maxsize=16)
def _daily_factor(rate: Decimal) -> Decimal:
    return (Decimal(1) + rate) ** (Decimal(-1) / Decimal(365))


@lru_cache(maxsize=65536)
def discount_factor(rate: Decimal, days: int) -> Decimal:
    """(1 + rate) ** (-days / 365): today's value of one unit due in `days` days."""
    return _daily_factor(rate) ** max(days, 0)


def npv(schedule: Iterable[tuple[date, Money]], start: date, rate: Decimal, currency: str) -> Money:
    total = Decimal(0)
    for due, amount in schedule:
        total += amount.amount * discount_factor(rate, (due - start).days)
    return Money(floor_minor(total, currency), currency)


def level_total(principal: Decimal, annual_rate: Decimal, months: int, currency: str) -> Decimal:
    """Total repayable over `months` equal payments at `annual_rate` (0: the principal itself)."""
    if annual_rate == 0:
        return principal
    i = annual_rate / 12
    payment = principal * i / (1 - (1 + i) ** -months)
    return (payment * months).quantize(quantum(currency), ROUND_CEILING)


def at_least_one_unit(amount: Decimal, currency: str) -> Decimal:
    """A payment is never zero: at least one minor unit (0.01 CNY)."""
    return max(amount, _quantum(currency))


def at_most_minor_units(amount: Money, months: int) -> int:
    """No more installments than minor units in the amount, so none is zero (2.00 CNY: at most 200)."""
    return max(1, min(months, int(amount.amount / _quantum(amount.currency))))


def monthly_schedule(amount: Money, months: int, first_due: date) -> list[tuple[date, Money]]:
    parts = split_evenly(amount, months)
    return [(add_months(first_due, k), part) for k, part in enumerate(parts)]


def fits(amount: Money, months: int, cap: Money) -> bool:
    """Whether every installment of `split_evenly(amount, months)` - the last one too - is within cap."""
    parts = split_evenly(amount, months)
    return parts[-1].amount <= cap.amount and parts[0].amount <= cap.amount


def shortest_term(principal: Money, cap: Money, annual_rate: Decimal, longest: int) -> tuple[int, Money] | None:
    """The fewest monthly installments, each at most `cap`, that clear `principal` within `longest`."""
    if cap.amount <= 0:
        return None
    cur = principal.currency
    start = max(1, math.ceil(principal.amount / cap.amount))
    for months in range(start, longest + 1):
        amount = Money(level_total(principal.amount, annual_rate, months, cur), cur)
        if fits(amount, months, cap):
            return months, amount
    return None


def affordability_cap(disposable: Money, settings: PlanningSettings) -> Money:
    return Money(floor_minor(disposable.amount * settings.affordability_share, disposable.currency), disposable.currency)


def within_affordability(installment: Money, disposable: Money, settings: PlanningSettings) -> bool:
    """At most `affordability_share` of disposable income (30.00% passes, 30.01% does not)."""
    return installment.amount <= disposable.amount * settings.affordability_share


def dte_eligible(inp: PlanInput, settings: PlanningSettings) -> bool:
    """Enterprise debts of `dte_threshold` or more (以上 includes the number)."""
    return inp.debtor_type == "enterprise" and inp.outstanding.amount >= settings.dte_threshold


def check_moratorium_months(months: int, settings: PlanningSettings) -> int:
    if not 1 <= months <= settings.moratorium_max_months:
        raise RuleViolation(
            f"a moratorium lasts 1 to {settings.moratorium_max_months} months", field="months"
        )
    return months


def _clamp(p: float, settings: PlanningSettings) -> float:
    return round(min(settings.p_max, max(settings.p_min, p)), 4)


def behaviour_adjustment(inp: PlanInput, settings: PlanningSettings) -> float:
    adj = 0.0
    if inp.cooperative is True:
        adj += settings.p_cooperative_bonus
    elif inp.cooperative is False:
        adj -= settings.p_uncooperative_penalty
    if inp.concealment_flag:
        adj -= settings.p_concealment_penalty
    return adj


def expected(nominal_npv: Money, probability: float) -> Money:
    p = Decimal(str(probability))
    return Money(floor_minor(nominal_npv.amount * p, nominal_npv.currency), nominal_npv.currency)


def _option(
    inp: PlanInput,
    settings: PlanningSettings,
    *,
    type: PlanType,
    schedule: list[tuple[date, Money]],
    probability: float,
    notes: list[Note],
    needs_approval: bool,
    affordable: bool | None,
    monthly_cap: Money | None = None,
    details: Mapping[str, Any] | None = None,
    value_npv: Money | None = None,
    nominal: Money | None = None,
    close: date | None = None,
) -> PlanOption:
    cur = inp.outstanding.currency
    if nominal is None:
        nominal = Money(sum((a.amount for _d, a in schedule), Decimal(0)), cur)
    if value_npv is None:
        value_npv = npv(schedule, inp.start, settings.discount_rate, cur)
    probability = _clamp(probability, settings)
    notes = [*notes, source_note(inp, settings)]
    end = close or (schedule[-1][0] if schedule else inp.start)
    return PlanOption(
        type=type.value,
        schedule=schedule,
        expected_recovery=expected(value_npv, probability),
        probability=probability,
        explanation=render_notes(notes),
        needs_approval=needs_approval,
        nominal=nominal,
        affordable=affordable,
        monthly_cap=monthly_cap,
        expected_days_to_close=max((end - inp.start).days, 0),
        inputs_source=inp.source,
        details=dict(details or {}),
        notes=tuple(notes),
        npv=value_npv,
    )


def with_probability(option: PlanOption, probability: float, source: str, settings: PlanningSettings) -> PlanOption:
    """The same option valued with another probability (e.g. from the scoring model)."""
    p = round(min(1.0, max(0.0, float(probability))), 4)
    npv_value = option.npv or option.nominal
    return replace(option, probability=p, expected_recovery=expected(npv_value, p), probability_source=source)


def source_note(inp: PlanInput, settings: PlanningSettings) -> Note:
    if inp.source == "assessment":
        return note("Figures from the latest assessment.")
    if inp.source == "profile":
        return note("Figures from the what-if profile.")
    return note("No assessment yet: figures the debtor declared; disposable income taken as {share} of declared income.",
                share=pct(settings.declared_disposable_share))


# --- the option builders -----------------------------------------------------------------------
