"""API shapes of planning: the what-if profile, ranked options, the debtor's answer."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from qingzhai.core.errors import RuleViolation
from qingzhai.core.money import Money, is_currency, parse_decimal
from qingzhai.planning.rules import Ineligible, PlanInput, PlanOption, render_notes


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


MoneyText = str | None
_MONEY_FIELDS = ("outstanding", "monthly_disposable_income", "liquid_assets", "total_assets", "annual_revenue",
                 "receivables", "valuation")


class WhatIfProfile(Strict):
    """A hypothetical debtor. Amounts are decimal strings in `currency`; unknown fields are refused."""

    debtor_type: Literal["individual", "enterprise"] = Field(description="individual or enterprise")
    enterprise_size: Literal["micro", "small", "medium", "large"] | None = Field(
        None, description="Enterprises only: micro, small, medium or large.")
    outstanding: str = Field(description="Amount owed, e.g. \"123456.78\".")
    currency: str = Field("CNY", description="ISO 4217 code of every amount.")
    monthly_disposable_income: MoneyText = Field(None, description="Monthly disposable income.")
    liquid_assets: MoneyText = Field(None, description="Cash and assets sellable at once.")
    total_assets: MoneyText = Field(None, description="All assets (for enforceability of a judgment).")
    district: str | None = Field(None, max_length=64, description="District, e.g. 崇明区 (chooses mediation kind).")
    hardship: Literal["unemployment", "illness", "disaster"] | None = Field(None, description="Hardship cause.")
    hardship_verified: bool = Field(True, description="Whether the hardship is taken as verified (what-if: yes).")
    cooperative: bool | None = Field(None, description="Whether the debtor cooperates.")
    full_disclosure: bool = Field(True, description="Whether the debtor disclosed all finances (what-if: yes).")
    concealment_flag: bool = Field(False, description="Assets concealment flagged.")
    annual_revenue: MoneyText = Field(None, description="Enterprises: annual revenue.")
    receivables: MoneyText = Field(None, description="Enterprises: receivables outstanding now.")
    valuation: MoneyText = Field(None, description="Enterprises: equity valuation (before a swap).")
    evidence_strength: float | None = Field(None, ge=0, le=1, description="0-1, for litigation.")
    limitation_date: date | None = Field(None, description="Last day of the limitation period.")

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        if not is_currency(v):
            raise ValueError(f"unknown currency '{v}'")
        return v

    @model_validator(mode="after")
    def _amounts(self) -> WhatIfProfile:
        for name in _MONEY_FIELDS:
            value = getattr(self, name)
            if value is None:
                continue
            try:
                amount = parse_decimal(value, field=name)
            except RuleViolation as exc:
                raise ValueError(f"{name}: {exc.reason}") from None
            if amount < 0:
                raise ValueError(f"{name}: must not be negative")
        if self.debtor_type == "individual" and self.enterprise_size is not None:
            raise ValueError("enterprise_size: only for enterprises")
        return self

    def money(self, name: str) -> Money | None:
        value = getattr(self, name)
        return None if value is None else Money(parse_decimal(value, field=name), self.currency)

    def to_input(self, *, start: date) -> PlanInput:
        outstanding = self.money("outstanding")
        assert outstanding is not None
        return PlanInput(
            outstanding=outstanding, start=start, debtor_type=self.debtor_type, source="profile",
            enterprise_size=self.enterprise_size, disposable_income=self.money("monthly_disposable_income"),
            liquid_assets=self.money("liquid_assets"), total_assets=self.money("total_assets"), district=self.district,
            hardship=self.hardship, hardship_verified=self.hardship_verified and self.hardship is not None,
            cooperative=self.cooperative, full_disclosure=self.full_disclosure, concealment_flag=self.concealment_flag,
            annual_revenue=self.money("annual_revenue"), receivables=self.money("receivables"),
            valuation=self.money("valuation"), evidence_strength=self.evidence_strength,
            limitation_date=self.limitation_date,
        )


class ScheduleItem(BaseModel):
    due_date: date
    amount: Decimal


class PlanOptionRead(BaseModel):
    number: int = Field(description="1 = best ranked; `accept --option N` takes it.")
    type: str = Field(description="settlement, installments, restructuring_scf, debt_to_equity, moratorium, "
                                  "mediation or litigation")
    schedule: list[ScheduleItem]
    currency: str
    expected_recovery: Decimal = Field(description="NPV of the option times the probability it is kept.")
    nominal: Decimal = Field(description="What the option itself would collect.")
    probability: float
    probability_source: str = Field(description="scoring (the model) or heuristic")
    inputs_source: str = Field(description="assessment, declared or profile")
    needs_approval: bool
    affordable: bool | None
    monthly_cap: Decimal | None
    expected_days_to_close: int
    explanation: str
    explanation_zh: str
    explanation_en: str
    details: dict[str, Any]

    @classmethod
    def of(cls, number: int, o: PlanOption) -> PlanOptionRead:
        from qingzhai.i18n import gettext

        return cls(
            number=number, type=o.type, currency=o.nominal.currency,
            schedule=[ScheduleItem(due_date=d, amount=m.amount) for d, m in o.schedule],
            expected_recovery=o.expected_recovery.amount, nominal=o.nominal.amount, probability=o.probability,
            probability_source=o.probability_source, inputs_source=o.inputs_source, needs_approval=o.needs_approval,
            affordable=o.affordable, monthly_cap=o.monthly_cap.amount if o.monthly_cap else None,
            expected_days_to_close=o.expected_days_to_close, explanation=o.explanation,
            explanation_zh=render_notes(o.notes, lambda m: gettext(m, "zh_CN")),
            explanation_en=render_notes(o.notes, lambda m: gettext(m, "en")), details=dict(o.details),
        )


class IneligibleRead(BaseModel):
    type: str
    reasons: str

    @classmethod
    def of(cls, i: Ineligible) -> IneligibleRead:
        from qingzhai.i18n import gettext

        return cls(type=i.type, reasons=render_notes(i.notes, gettext))


class PlanOptionsRead(BaseModel):
    case_id: str | None = None
    case_number: int | None = None
    outstanding: Decimal
    currency: str
    inputs_source: str
    target_close_date: date | None = None
    options: list[PlanOptionRead]
    ineligible: list[IneligibleRead]


class PlanAccept(Strict):
    option: int = Field(ge=1, description="Option number from the ranked list (1 = best).")
    debtor_accepts: bool = Field(True, description="False records that the debtor declined.")
    approved: bool = Field(False, description="The creditor approved an option that needs approval.")
    months: int | None = Field(None, ge=1, description="Moratorium only: its length in months (at most 24).")


class PlanDecisionRead(BaseModel):
    id: str
    case_id: str
    option_number: int
    plan_type: str
    currency: str
    nominal: Decimal
    expected_recovery: Decimal
    probability: float
    debtor_accepted: bool
    status: str
    contract_id: str | None
    hold_id: str | None
    referral_id: str | None
    review_date: date | None
    decided_at: datetime
    decided_by: str
    schedule: list[dict[str, Any]]

    model_config = ConfigDict(from_attributes=True)


def plan_read(options: list[PlanOption], ineligible: list[Ineligible], inputs: PlanInput, *,
              case_id: str | None = None, case_number: int | None = None,
              target_close_date: date | None = None) -> PlanOptionsRead:
    return PlanOptionsRead(
        case_id=case_id, case_number=case_number, outstanding=inputs.outstanding.amount,
        currency=inputs.outstanding.currency, inputs_source=inputs.source, target_close_date=target_close_date,
        options=[PlanOptionRead.of(n, o) for n, o in enumerate(options, 1)],
        ineligible=[IneligibleRead.of(i) for i in ineligible],
    )
