"""Pure rules of the debtor assessment (债务评估): settings, indicator results, grading, the summary.

Nothing here reads the clock, the database or the environment; the service passes `now` and the
evidence in. Amounts inside the analysis are integer fen (minor units), turned into `Money` at
the edges, so totals reconcile exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from qingzhai.core.errors import RuleViolation
from qingzhai.core.money import Money


class IndicatorKey(StrEnum):
    identity = "identity"
    cash_flow = "cash_flow"
    income_stability = "income_stability"
    real_estate = "real_estate"
    movables = "movables"
    business = "business"
    court = "court"
    credit = "credit"
    interviews = "interviews"
    consumption = "consumption"
    contactability = "contactability"
    authenticity = "authenticity"


class Status(StrEnum):
    known = "known"
    unknown = "unknown"  # the source is missing
    withheld = "withheld"  # the source exists but no legal basis is recorded for its data category


INDICATOR_ORDER: Final[tuple[IndicatorKey, ...]] = tuple(IndicatorKey)

# PIPL sensitive categories each indicator needs (checked through security.service.has_basis).
SENSITIVE_CATEGORY: Final[Mapping[IndicatorKey, str]] = {
    IndicatorKey.cash_flow: "financial_accounts",
    IndicatorKey.consumption: "financial_accounts",
}


def _default_weights() -> dict[str, float]:
    return {
        "identity": 0.5, "cash_flow": 2.0, "income_stability": 1.5, "real_estate": 1.0, "movables": 0.5,
        "business": 1.0, "court": 1.0, "credit": 1.0, "interviews": 0.5, "consumption": 0.5,
        "contactability": 0.5, "authenticity": 1.0,
    }


@dataclass(frozen=True)
class AssessmentSettings:
    """Every number of the assessment, with its default. Override per run (`AssessmentSettings(**changes)`)."""

    lookback_months: int = 36  # bank statements: the last 36 months
    recent_months: int = 12  # disposable income is estimated on the most recent 12 months
    round_sum_fen: int = 1_000_000  # a transfer that is a multiple of 10,000.00 is "round"
    large_transfer_fen: int = 5_000_000  # 50,000.00 and more is a large transfer
    gambling_share_flag: float = 0.05  # gambling outflows over 5% of income is a red flag
    lending_platform_flag: int = 3  # money from 3 or more lending platforms is a red flag
    volatility_flag: float = 0.5  # coefficient of variation of monthly income above 0.5 is volatile
    fallback_essential_share: float = 0.6  # without statements: essentials take 60% of salary
    fallback_range: float = 0.3  # ... and the estimate's range is ±30%
    limitation_years: int = 3  # Civil Code art. 188: three years from when the creditor knew
    disbursement_tolerance_fen: int = 100  # disbursement may differ from principal by 1.00
    reconcile_tolerance_fen: int = 0  # placed amount vs principal + interest + fees: exact to the fen
    stale_evidence_days: int = 365  # evidence older than a year counts with half the confidence
    luxury_share_flag: float = 0.2  # luxury/travel/entertainment over 20% of outflows after default
    disposal_window_days: int = 180  # assets disposed from 180 days before the default date on are flagged
    debt_service_flag: float = 0.5  # other debts' monthly payments over 50% of income
    credit_queries_flag: int = 6  # 6 or more credit enquiries in six months
    court_open_penalty: int = 15  # score points per open suit or enforcement against the debtor
    min_photo_match: float = 0.8  # a face match below 0.8 does not confirm identity
    weights: Mapping[str, float] = field(default_factory=_default_weights)
    grade_bounds: tuple[int, int, int, int] = (80, 65, 50, 35)  # A >= 80, B >= 65, C >= 50, D >= 35, else E
    planning_completeness: float = 0.6  # move to planning when at least 60% of the weight is known
    concealment_strength: float = 0.6  # a shell finding at least this strong flags concealment
    # Enterprise size (simplified from the 2011 SME classification, industry-independent).
    micro_revenue_fen: int = 300_000_000  # under 3,000,000.00 a year
    small_revenue_fen: int = 2_000_000_000  # under 20,000,000.00
    medium_revenue_fen: int = 40_000_000_000  # under 400,000,000.00
    micro_employees: int = 10
    small_employees: int = 100
    medium_employees: int = 300

    def __post_init__(self) -> None:
        if self.lookback_months < 1 or self.recent_months < 1 or self.recent_months > self.lookback_months:
            raise RuleViolation("recent_months must lie between 1 and lookback_months", field="recent_months")
        if not 0 <= self.planning_completeness <= 1:
            raise RuleViolation("must lie between 0 and 1", field="planning_completeness")
        if list(self.grade_bounds) != sorted(self.grade_bounds, reverse=True):
            raise RuleViolation("grade bounds must descend", field="grade_bounds")
        missing = {k.value for k in IndicatorKey} - set(self.weights)
        if missing:
            raise RuleViolation("weights missing for " + ", ".join(sorted(missing)), field="weights")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AssessmentSettings:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise RuleViolation("unknown setting " + ", ".join(sorted(unknown)), field="settings")
        values = dict(data)
        if "grade_bounds" in values:
            values["grade_bounds"] = tuple(values["grade_bounds"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class EvidenceRef:
    source: str
    observed_on: date | None
    reference: str  # record key within the source (statement account, certificate, case number…)


@dataclass(frozen=True, slots=True)
class Finding:
    """A plain-language finding: an English message id with parameters, translated when shown."""

    text: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self) -> str:
        return self.text.format(**self.params) if self.params else self.text


@dataclass(frozen=True, slots=True)
class RedFlag:
    code: str
    severity: str  # "low" | "medium" | "high"
    finding: Finding
    evidence: tuple[EvidenceRef, ...] = ()


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    key: IndicatorKey
    status: Status
    score: int | None  # 0-100, higher is better for recovery; None when not known
    confidence: float  # 0-1; 0 when not known
    findings: tuple[Finding, ...]
    evidence: tuple[EvidenceRef, ...] = ()
    red_flags: tuple[RedFlag, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status is not Status.known and (self.score is not None or self.confidence != 0):
            raise ValueError("an indicator that is not known has no score and confidence 0")
        if self.score is not None and not 0 <= self.score <= 100:
            raise ValueError("score must lie in 0-100")


def unknown(key: IndicatorKey, why: str = "No data from this source.", **params: Any) -> IndicatorResult:
    return IndicatorResult(key=key, status=Status.unknown, score=None, confidence=0.0,
                           findings=(Finding(why, params),))


def withheld(key: IndicatorKey, category: str) -> IndicatorResult:
    return IndicatorResult(
        key=key, status=Status.withheld, score=None, confidence=0.0,
        findings=(Finding("Not used: no legal basis (consent) is recorded for the debtor's {category} data.",
                          {"category": category}),),
    )


def clamp_score(value: float) -> int:
    return int(max(0, min(100, round(value))))


def grade_for(score: float, bounds: tuple[int, int, int, int]) -> str:
    for letter, bound in zip("ABCD", bounds, strict=True):
        if score >= bound:
            return letter
    return "E"


def completeness(results: Sequence[IndicatorResult], settings: AssessmentSettings) -> float:
    total = sum(settings.weights[k.value] for k in IndicatorKey)
    known = sum(settings.weights[r.key.value] for r in results if r.status is Status.known)
    return round(known / total, 4) if total else 0.0


def overall_score(results: Sequence[IndicatorResult], settings: AssessmentSettings) -> float | None:
    """Confidence-and-weight-averaged score of the known indicators (None when nothing is known)."""
    num = 0.0
    den = 0.0
    for r in results:
        if r.status is Status.known and r.score is not None:
            w = settings.weights[r.key.value] * max(r.confidence, 0.05)
            num += w * r.score
            den += w
    return num / den if den else None


def fen_to_money(fen: int | None, currency: str = "CNY") -> Money | None:
    if fen is None:
        return None
    return Money(Decimal(fen).scaleb(-2).quantize(Decimal("0.01")), currency)


def money_to_fen(amount: Decimal | str) -> int:
    value = Decimal(str(amount))
    fen = value * 100
    if fen != fen.to_integral_value():
        raise RuleViolation(f"'{amount}' has more than 2 decimal places", field="amount")
    return int(fen)


@dataclass(frozen=True)
class AssessmentSummary:
    """What planning, scoring and litigation read from the latest assessment of a case."""

    grade: str
    completeness: float
    disposable_income: Money | None
    disposable_income_low: Money | None
    disposable_income_high: Money | None
    liquid_assets: Money | None
    total_assets: Money | None
    concealment_flagged: bool
    fake_debt_risk: str
    cooperative: bool | None
    hardship: str | None
    evidence_strength: float
    limitation_date: date | None
    enterprise_size: str | None
    annual_revenue: Money | None
    receivables: Money | None
    valuation: Money | None
    assessed_at: datetime

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if isinstance(value, dict) and set(value) == {"amount", "currency"}:
                out[key] = {"amount": str(value["amount"]), "currency": value["currency"]}
            elif isinstance(value, (date, datetime)):
                out[key] = value.isoformat()
            else:
                out[key] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AssessmentSummary:
        def money(v: Any) -> Money | None:
            return None if v is None else Money(Decimal(str(v["amount"])), v["currency"])

        def day(v: Any) -> date | None:
            return None if v is None else date.fromisoformat(v)

        return cls(
            grade=data["grade"], completeness=float(data["completeness"]),
            disposable_income=money(data.get("disposable_income")),
            disposable_income_low=money(data.get("disposable_income_low")),
            disposable_income_high=money(data.get("disposable_income_high")),
            liquid_assets=money(data.get("liquid_assets")), total_assets=money(data.get("total_assets")),
            concealment_flagged=bool(data["concealment_flagged"]), fake_debt_risk=data["fake_debt_risk"],
            cooperative=data.get("cooperative"), hardship=data.get("hardship"),
            evidence_strength=float(data["evidence_strength"]), limitation_date=day(data.get("limitation_date")),
            enterprise_size=data.get("enterprise_size"), annual_revenue=money(data.get("annual_revenue")),
            receivables=money(data.get("receivables")), valuation=money(data.get("valuation")),
            assessed_at=datetime.fromisoformat(data["assessed_at"]),
        )
