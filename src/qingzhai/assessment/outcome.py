"""The whole assessment: the 12 indicators combined into the grade, the summary and the red flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from qingzhai.assessment.evidence import CaseFacts, Evidence
from qingzhai.assessment.indicators import (
    authenticity,
    business,
    cash_flow,
    consumption,
    contactability,
    court,
    credit,
    identity,
    income_stability,
    interviews,
    movables,
    real_estate,
)
from qingzhai.assessment.rules import (
    SENSITIVE_CATEGORY,
    AssessmentSettings,
    AssessmentSummary,
    EvidenceRef,
    Finding,
    IndicatorKey,
    IndicatorResult,
    RedFlag,
    completeness,
    fen_to_money,
    grade_for,
    overall_score,
    withheld,
)

K = IndicatorKey
CONCEALMENT_CODES = frozenset({"shell_transfer", "asset_disposed_near_default", "large_related_transfer"})


@dataclass(frozen=True)
class AssessmentOutcome:
    indicators: tuple[IndicatorResult, ...]
    score: float | None
    summary: AssessmentSummary
    red_flags: tuple[RedFlag, ...]
    fake_debt_reasons: tuple[Finding, ...]
    assets: dict[str, int | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        def ev(e: EvidenceRef) -> dict[str, Any]:
            return {"source": e.source, "observed_on": e.observed_on.isoformat() if e.observed_on else None,
                    "reference": e.reference}

        def fd(f: Finding) -> dict[str, Any]:
            return {"text": f.text, "params": dict(f.params)}

        def rf(r: RedFlag) -> dict[str, Any]:
            return {"code": r.code, "severity": r.severity, "finding": fd(r.finding), "evidence": [ev(e) for e in r.evidence]}

        return {
            "score": None if self.score is None else round(self.score, 2),
            "summary": self.summary.to_dict(),
            "indicators": [{
                "key": i.key.value, "status": i.status.value, "score": i.score, "confidence": i.confidence,
                "findings": [fd(f) for f in i.findings], "evidence": [ev(e) for e in i.evidence],
                "red_flags": [rf(r) for r in i.red_flags], "facts": dict(i.facts)} for i in self.indicators],
            "red_flags": [rf(r) for r in self.red_flags],
            "fake_debt_reasons": [fd(f) for f in self.fake_debt_reasons],
            "assets": dict(self.assets),
        }


def _withheld_or(evidence: Evidence, key: IndicatorKey) -> bool:
    category = SENSITIVE_CATEGORY.get(key)
    return category is not None and category in evidence.withheld


def assess(evidence: Evidence, facts: CaseFacts, *, now: datetime, as_of: date,
           settings: AssessmentSettings) -> AssessmentOutcome:
    """All 12 indicators for one case, combined into the grade, the summary and the red flags."""
    ident = identity(evidence.identity, as_of=as_of, settings=settings)
    if _withheld_or(evidence, K.cash_flow) and evidence.bank is not None:
        flow_result, flow = withheld(K.cash_flow, "financial_accounts"), None
        cons = withheld(K.consumption, "financial_accounts")
    else:
        flow_result, flow = cash_flow(evidence.bank, facts, as_of=as_of, settings=settings)
        cons = consumption(evidence.bank, facts, as_of=as_of, settings=settings)
    stab = income_stability(evidence.employment, evidence.financials, facts, as_of=as_of, settings=settings)
    estate = real_estate(evidence.property, facts, as_of=as_of, settings=settings)
    cars = movables(evidence.vehicles, facts, as_of=as_of, settings=settings)
    biz = business(evidence.registry, as_of=as_of, settings=settings)
    courts = court(evidence.court, as_of=as_of, settings=settings)
    salary = stab.facts.get("salary_fen")
    income_fen = None
    if flow is not None and flow.months_with_data:
        recent = flow.months[-settings.recent_months:]
        income_fen = sum(m.earned_fen for m in recent) // max(len(recent), 1)
    income_fen = income_fen or salary or facts.declared_income_fen
    cred = credit(evidence.credit, facts, income_fen, as_of=as_of, settings=settings)
    talks = interviews(evidence.interviews, as_of=as_of, settings=settings)
    reach = contactability(evidence.contact, location_allowed="location" not in evidence.withheld, as_of=as_of,
                           settings=settings)
    auth = authenticity(evidence.debt_documents, facts, ident, as_of=as_of, settings=settings)
    results = (ident, flow_result, stab, estate, cars, biz, courts, cred, talks, cons, reach, auth.result)

    score = overall_score(results, settings)
    done = completeness(results, settings)
    currency = facts.currency
    # Disposable income: statements first, else the verified salary, else the declared income.
    disp = low = high = None
    if flow is not None and flow.disposable_fen is not None:
        disp, low, high = flow.disposable_fen, flow.disposable_low_fen, flow.disposable_high_fen
    else:
        base = salary if salary is not None else facts.declared_income_fen if facts.debtor_kind == "individual" else None
        if base is not None:
            disp = int(base * (1 - settings.fallback_essential_share))
            low = int(disp * (1 - settings.fallback_range))
            high = int(disp * (1 + settings.fallback_range))
    liquid = flow.liquid_fen if flow is not None else None
    parts = [liquid, estate.facts.get("equity_fen"), cars.facts.get("value_fen"), stab.facts.get("net_assets_fen")]
    known_parts = [p for p in parts if p is not None]
    total_assets = sum(known_parts) if known_parts else None
    flags = tuple(f for r in results for f in r.red_flags)
    concealed = any(f.code in CONCEALMENT_CODES and f.severity == "high" for f in flags)
    hardship = talks.facts.get("hardship") or stab.facts.get("hardship")
    summary = AssessmentSummary(
        grade=grade_for(score, settings.grade_bounds) if score is not None else "E",
        completeness=done,
        disposable_income=fen_to_money(disp, currency), disposable_income_low=fen_to_money(low, currency),
        disposable_income_high=fen_to_money(high, currency), liquid_assets=fen_to_money(liquid, currency),
        total_assets=fen_to_money(total_assets, currency), concealment_flagged=concealed, fake_debt_risk=auth.risk,
        cooperative=talks.facts.get("cooperative"), hardship=hardship, evidence_strength=auth.evidence_strength,
        limitation_date=auth.limitation_date, enterprise_size=stab.facts.get("enterprise_size"),
        annual_revenue=fen_to_money(stab.facts.get("revenue_fen"), currency),
        receivables=fen_to_money(stab.facts.get("receivables_fen"), currency),
        valuation=fen_to_money(stab.facts.get("net_assets_fen"), currency),
        assessed_at=now,
    )
    assets = {"liquid_fen": liquid, "real_estate_equity_fen": estate.facts.get("equity_fen"),
              "vehicles_fen": cars.facts.get("value_fen"), "enterprise_net_assets_fen": stab.facts.get("net_assets_fen"),
              "total_fen": total_assets}
    return AssessmentOutcome(results, score, summary, flags, auth.reasons, assets)
