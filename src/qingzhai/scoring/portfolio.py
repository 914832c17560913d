"""Features of the platform's own repayment-capacity model, built from plain snapshots (pure).

A `CaseSnapshot` holds what qingzhai knows about a case at one moment (the debt, the debtor,
the latest assessment, the payment history); a `PlanShape` is the plan being considered. The
feature row says how likely the debtor is to keep that plan. Every feature belongs to a data
category; sensitive categories enter only where the debtor's legal basis is recorded (the
service checks and passes `allowed_categories`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from qingzhai.scoring.rules import FeatureLabel

SENSITIVE_CATEGORIES = frozenset({"financial_accounts", "location"})
TARGET = "kept"


@dataclass(frozen=True)
class CaseSnapshot:
    case_id: str
    as_of: date
    debtor_kind: str = "person"
    district: str | None = None  # a fairness group, never a feature
    amount_owed: float = 0.0
    principal: float = 0.0
    interest_and_fees: float = 0.0
    debts: int = 1
    default_date: date | None = None
    origination_date: date | None = None
    recovered: float = 0.0
    monthly_income: float | None = None
    has_employer: bool | None = None
    # from assessment.service.latest_summary
    grade: str | None = None
    completeness: float | None = None
    disposable_income: float | None = None
    liquid_assets: float | None = None
    total_assets: float | None = None
    concealment_flagged: bool | None = None
    fake_debt_risk: str | None = None
    cooperative: bool | None = None
    hardship_declared: bool | None = None
    # from the case's own contracts and payments
    payments_made: int = 0
    payments_on_time_share: float | None = None
    promises_kept_share: float | None = None
    defaults_before: int = 0


@dataclass(frozen=True)
class PlanShape:
    plan_type: str
    monthly_amount: float | None = None
    term_months: int | None = None


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    category: str  # "debt", "plan", "employment", "credit", "financial_accounts", "location"
    label: FeatureLabel = field(default_factory=lambda: FeatureLabel("", ""))


FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec("debtor_kind", "debt", FeatureLabel("debtor type", "债务人类型")),
    FeatureSpec("amount_owed", "debt", FeatureLabel("amount owed", "欠款金额")),
    FeatureSpec("interest_share", "debt", FeatureLabel("share of interest and fees in the debt", "利息费用占比")),
    FeatureSpec("debts", "debt", FeatureLabel("number of debts", "债务笔数")),
    FeatureSpec("months_since_default", "debt", FeatureLabel("time since default", "逾期时长")),
    FeatureSpec("loan_age_months", "debt", FeatureLabel("age of the loan", "借款时长")),
    FeatureSpec("recovered_share", "debt", FeatureLabel("share already repaid", "已回款比例")),
    FeatureSpec("payments_made", "debt", FeatureLabel("payments made so far", "已还款次数")),
    FeatureSpec("payments_on_time_share", "debt", FeatureLabel("share of payments made on time", "按时还款比例")),
    FeatureSpec("promises_kept_share", "debt", FeatureLabel("share of promises to pay kept", "承诺还款兑现比例")),
    FeatureSpec("defaults_before", "debt", FeatureLabel("earlier plans broken", "此前违约的还款方案数")),
    FeatureSpec("plan_type", "plan", FeatureLabel("plan type", "方案类型")),
    FeatureSpec("monthly_amount", "plan", FeatureLabel("monthly payment", "月还款额")),
    FeatureSpec("term_months", "plan", FeatureLabel("plan length", "方案期数")),
    FeatureSpec("plan_share_of_debt", "plan", FeatureLabel("plan total against the debt", "方案总额占欠款比例")),
    FeatureSpec("monthly_income", "employment", FeatureLabel("monthly income", "月收入")),
    FeatureSpec("has_employer", "employment", FeatureLabel("known employer", "有工作单位")),
    FeatureSpec("payment_to_income", "employment", FeatureLabel("monthly payment against income", "月还款额占收入比例")),
    FeatureSpec("grade", "credit", FeatureLabel("assessment grade", "评估等级")),
    FeatureSpec("completeness", "credit", FeatureLabel("completeness of the assessment", "评估完整度")),
    FeatureSpec("disposable_income", "credit", FeatureLabel("disposable income", "可支配收入")),
    FeatureSpec("payment_to_disposable", "credit",
                FeatureLabel("monthly payment against disposable income", "月还款额占可支配收入比例")),
    FeatureSpec("concealment_flagged", "credit", FeatureLabel("signs of hidden assets", "隐匿资产迹象")),
    FeatureSpec("fake_debt_risk", "credit", FeatureLabel("risk that the debt is not genuine", "虚假债务风险")),
    FeatureSpec("cooperative", "credit", FeatureLabel("willingness to cooperate", "配合意愿")),
    FeatureSpec("hardship_declared", "credit", FeatureLabel("declared hardship", "申报困难")),
    FeatureSpec("liquid_assets", "financial_accounts", FeatureLabel("liquid assets", "流动资产")),
    FeatureSpec("total_assets", "financial_accounts", FeatureLabel("total assets", "总资产")),
)
FEATURE_BY_NAME = {f.name: f for f in FEATURES}
LABELS = {f.name: f.label for f in FEATURES}
NAN = float("nan")


def _months(start: date | None, end: date) -> float:
    return NAN if start is None else max((end - start).days, 0) / 30.4375


def _ratio(a: float | None, b: float | None) -> float:
    if a is None or b is None or b <= 0 or math.isnan(a) or math.isnan(b):
        return NAN
    return a / b


def _flag(value: bool | None) -> float:
    return NAN if value is None else float(value)


def _num(value: float | None) -> float:
    return NAN if value is None else float(value)


def features(snapshot: CaseSnapshot, plan: PlanShape, *, allowed_categories: frozenset[str]) -> dict[str, object]:
    """One feature row. Features of a category outside `allowed_categories` are missing (NaN)."""
    s = snapshot
    total_plan = plan.monthly_amount * plan.term_months if plan.monthly_amount and plan.term_months else plan.monthly_amount
    row: dict[str, object] = {
        "debtor_kind": s.debtor_kind,
        "amount_owed": s.amount_owed,
        "interest_share": _ratio(s.interest_and_fees, s.principal + s.interest_and_fees),
        "debts": float(s.debts),
        "months_since_default": _months(s.default_date, s.as_of),
        "loan_age_months": _months(s.origination_date, s.as_of),
        "recovered_share": _ratio(s.recovered, s.recovered + s.amount_owed),
        "payments_made": float(s.payments_made),
        "payments_on_time_share": _num(s.payments_on_time_share),
        "promises_kept_share": _num(s.promises_kept_share),
        "defaults_before": float(s.defaults_before),
        "plan_type": plan.plan_type,
        "monthly_amount": _num(plan.monthly_amount),
        "term_months": _num(plan.term_months),
        "plan_share_of_debt": _ratio(total_plan, s.amount_owed),
        "monthly_income": _num(s.monthly_income),
        "has_employer": _flag(s.has_employer),
        "payment_to_income": _ratio(plan.monthly_amount, s.monthly_income),
        "grade": s.grade,
        "completeness": _num(s.completeness),
        "disposable_income": _num(s.disposable_income),
        "payment_to_disposable": _ratio(plan.monthly_amount, s.disposable_income),
        "concealment_flagged": _flag(s.concealment_flagged),
        "fake_debt_risk": s.fake_debt_risk,
        "cooperative": _flag(s.cooperative),
        "hardship_declared": _flag(s.hardship_declared),
        "liquid_assets": _num(s.liquid_assets),
        "total_assets": _num(s.total_assets),
    }
    for name in row:
        if FEATURE_BY_NAME[name].category not in allowed_categories and FEATURE_BY_NAME[name].category not in ("debt", "plan"):
            row[name] = None if isinstance(row[name], str) or row[name] is None else NAN
    return row


def categories_used(rows: list[dict[str, object]]) -> list[str]:
    """The data categories with at least one known value in `rows` (for the model card)."""
    used = set()
    for name, spec in FEATURE_BY_NAME.items():
        for row in rows:
            value = row.get(name)
            if value is not None and not (isinstance(value, float) and math.isnan(value)):
                used.add(spec.category)
                break
    return sorted(used)


AGE_BANDS: tuple[tuple[int, str], ...] = ((30, "<30"), (40, "30-39"), (50, "40-49"), (60, "50-59"), (200, "60+"))


def groups_from_resident_id(id_number: str | None, as_of: date) -> tuple[str, str]:
    """Gender and age band read from an 18-digit resident ID (GB 11643: birth date in digits
    7-14, odd 17th digit = male). For the fairness report only, never a feature."""
    if not id_number or len(id_number) != 18 or not id_number[:17].isdigit():
        return "unknown", "unknown"
    try:
        born = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return "unknown", "unknown"
    gender = "male" if int(id_number[16]) % 2 == 1 else "female"
    age = as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))
    band = next(label for limit, label in AGE_BANDS if age < limit)
    return gender, band
