"""Planning use cases: options for a case, the debtor's answer, what-if profiles. Never commits.

Other capabilities are reached through small ports (`Ports`): the assessment summary, the scoring
model, execution's contracts and mediation referrals. By default each port is the capability's
service when it is installed; until then planning falls back to declared figures, the heuristic
probability, and decisions that wait for their contract or referral (see `jobs.py`).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from qingzhai.core.actor import Actor
from qingzhai.core.errors import Conflict, NotPermitted, RuleViolation
from qingzhai.core.money import Money
from qingzhai.i18n import gettext
from qingzhai.planning import rules
from qingzhai.planning.models import PlanDecision
from qingzhai.planning.rules import DEFAULT_SETTINGS, PlanInput, PlanningSettings, PlanOption, PlanSet, PlanType
from qingzhai.planning.schemas import WhatIfProfile
from qingzhai.registry import service as registry
from qingzhai.registry.rules import CreditorPolicy, HoldKind, Outcome, Stage
from qingzhai.registry.service import Case

log = logging.getLogger(__name__)


# --- ports to other capabilities ----------------------------------------------------------------


class AssessmentPort(Protocol):
    def latest_summary(self, session: Session, case: Case) -> Any: ...


class ScoringPort(Protocol):
    def repayment_probability(self, session: Session, case: Case, *, plan_type: str,
                              monthly_amount: Money | None = None, term_months: int | None = None) -> float | None: ...


class ContractPort(Protocol):
    def create_contract(self, session: Session, *, case: Case, schedule: list[tuple[date, Money]], source: str,
                        actor: Actor, now: datetime, terms: Any = None, plan_type: str = "installments") -> Any: ...


class MediationPort(Protocol):
    def refer(self, session: Session, *, case: Case, kind: str, actor: Actor, now: datetime,
              mediator_id: str | None = None, reason: str) -> Any: ...


def _installed(module: str, attribute: str) -> Any:
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise
    return found if hasattr(found, attribute) else None


@dataclass(frozen=True)
class Ports:
    assessment: AssessmentPort | None = None
    scoring: ScoringPort | None = None
    contracts: ContractPort | None = None
    mediation: MediationPort | None = None


def default_ports() -> Ports:
    return Ports(
        assessment=_installed("qingzhai.assessment.service", "latest_summary"),
        scoring=_installed("qingzhai.scoring.service", "repayment_probability"),
        contracts=_installed("qingzhai.execution.service", "create_contract"),
        mediation=_installed("qingzhai.mediation.service", "refer"),
    )


# --- inputs ------------------------------------------------------------------------------------


def _money(value: Any, currency: str) -> Money | None:
    if value is None:
        return None
    if isinstance(value, Money):
        return value
    return Money(Decimal(str(value)), currency)


def inputs_from_summary(summary: Any, *, outstanding: Money, start: date, debtor_type: str,
                        district: str | None, settings: PlanningSettings = DEFAULT_SETTINGS) -> PlanInput:
    """A plan input from an `assessment.rules.AssessmentSummary` (its fields, read by name)."""
    cur = outstanding.currency

    def same(m: Money | None) -> Money | None:
        if m is None or m.currency != cur:
            return None  # another currency: not used, not converted
        return m if m.amount >= 0 else Money.zero(cur)  # a deficit (e.g. income below expenses) is no capacity

    hardship = summary.hardship if summary.hardship in rules.HARDSHIPS else None
    return PlanInput(
        outstanding=outstanding, start=start, debtor_type=debtor_type, source="assessment",
        enterprise_size=summary.enterprise_size, disposable_income=same(summary.disposable_income),
        liquid_assets=same(summary.liquid_assets), total_assets=same(summary.total_assets), district=district,
        hardship=hardship, hardship_verified=hardship is not None, cooperative=summary.cooperative,
        full_disclosure=summary.completeness >= settings.full_disclosure_completeness,
        concealment_flag=bool(summary.concealment_flagged), annual_revenue=same(summary.annual_revenue),
        receivables=same(summary.receivables), valuation=same(summary.valuation),
        evidence_strength=summary.evidence_strength, limitation_date=summary.limitation_date, grade=summary.grade,
        fake_debt_risk=summary.fake_debt_risk or "low",
    )


def declared_inputs(debtor: Any, *, outstanding: Money, start: date,
                    settings: PlanningSettings = DEFAULT_SETTINGS) -> PlanInput:
    """Without an assessment: the declared monthly income times `declared_disposable_share`."""
    cur = outstanding.currency
    disposable = None
    if debtor.monthly_income is not None and (debtor.income_currency or cur) == cur:
        disposable = Money(rules.floor_minor(debtor.monthly_income * settings.declared_disposable_share, cur), cur)
    return PlanInput(outstanding=outstanding.rounded(), start=start, debtor_type=debtor.kind, source="declared",
                     disposable_income=disposable, district=debtor.district)


def case_inputs(session: Session, case: Case, *, now: datetime, settings: PlanningSettings = DEFAULT_SETTINGS,
                ports: Ports | None = None) -> PlanInput:
    ports = ports or default_ports()
    debtor = registry.get_debtor(session, case.debtor_id)
    outstanding = registry.outstanding(case)
    if outstanding.amount <= 0:
        raise RuleViolation("nothing is outstanding on this case", field="case_id")
    start = registry.local_today(now, debtor.timezone)
    summary = ports.assessment.latest_summary(session, case) if ports.assessment else None
    if summary is not None:
        return inputs_from_summary(summary, outstanding=outstanding, start=start, debtor_type=debtor.kind,
                                   district=debtor.district, settings=settings)
    return declared_inputs(debtor, outstanding=outstanding, start=start, settings=settings)


# --- options -----------------------------------------------------------------------------------


def localise(option: PlanOption, lang: str | None = None) -> PlanOption:
    return replace(option, explanation=rules.render_notes(option.notes, lambda m: gettext(m, lang)))


def explanation_in(option: PlanOption, lang: str) -> str:
    return rules.render_notes(option.notes, lambda m: gettext(m, lang))


def _score(session: Session, case: Case, option: PlanOption, ports: Ports, settings: PlanningSettings) -> PlanOption:
    if ports.scoring is None:
        return option
    monthly = option.schedule[0][1] if option.type in ("installments", "restructuring_scf") and option.schedule else None
    term = len(option.schedule) if monthly is not None else None
    p = ports.scoring.repayment_probability(session, case, plan_type=option.type, monthly_amount=monthly,
                                            term_months=term)
    if p is None:
        return option
    scored = rules.with_probability(option, p, "scoring", settings)
    return replace(scored, notes=(*scored.notes, rules.note("Probability {p} from the scoring model.",
                                                            p=rules.pct(Decimal(str(scored.probability))))))


def _heuristic_note(option: PlanOption) -> PlanOption:
    if option.probability_source != "heuristic":
        return option
    return replace(option, notes=(*option.notes, rules.note(
        "Probability {p} by the planning heuristic (no scoring model).", p=rules.pct(Decimal(str(option.probability))))))


@dataclass
class CasePlan:
    case: Case
    options: list[PlanOption]
    ineligible: list[rules.Ineligible]
    inputs: PlanInput
    target_close_date: date | None


def plan_case(session: Session, case: Case, *, now: datetime, settings: PlanningSettings = DEFAULT_SETTINGS,
              ports: Ports | None = None) -> CasePlan:
    ports = ports or default_ports()
    if case.stage == Stage.closed.value:
        raise RuleViolation("the case is closed", field="stage")
    creditor = registry.get_creditor(session, case.creditor_id)
    policy = registry.creditor_policy(creditor)
    inp = case_inputs(session, case, now=now, settings=settings, ports=ports)
    found = rules.plan(inp, policy, settings)
    scored: list[PlanOption] = []
    for option in found.options:
        valued = _score(session, case, option, ports, settings)
        if valued is option and ports.scoring is not None:
            ports = replace(ports, scoring=None)  # None means no model is trained: don't ask again per option
        scored.append(_heuristic_note(valued))
    options = [localise(o) for o in rules.rank(scored)]
    return CasePlan(case=case, options=options, ineligible=found.ineligible, inputs=inp,
                    target_close_date=case.target_close_date or expected_target(case, policy))


def expected_target(case: Case, policy: CreditorPolicy) -> date:
    return registry.target_close_date(policy, case.placed_amount, registry.local_today(case.opened_at))


def track_target(session: Session, case: Case) -> date:
    """Set the case's target close date from the creditor's amount tiers when it is not set yet."""
    if case.target_close_date is None:
        policy = registry.creditor_policy(registry.get_creditor(session, case.creditor_id))
        case.target_close_date = expected_target(case, policy)
    return case.target_close_date


def options_for_case(session: Session, case: Case, *, now: datetime) -> list[PlanOption]:
    return plan_case(session, case, now=now).options


def best_affordable_option(session: Session, case: Case, *, now: datetime) -> PlanOption | None:
    return rules.best_affordable(options_for_case(session, case, now=now))


# --- accepting ---------------------------------------------------------------------------------


def _schedule_json(schedule: Sequence[tuple[date, Money]]) -> list[dict[str, str]]:
    return [{"due_date": d.isoformat(), "amount": str(m.amount), "currency": m.currency} for d, m in schedule]


def contract_schedule(option: PlanOption, currency: str) -> list[tuple[date, Money]]:
    """The schedule execution runs. A debt-to-equity swap is run as its base-scenario buy-back at exit."""
    if option.type != PlanType.debt_to_equity.value:
        return list(option.schedule)
    base = next(s for s in option.details["scenarios"] if s["scenario"] == "base")
    return [(date.fromisoformat(option.details["exit_date"]), Money(Decimal(base["recovery"]), currency))]


def decisions(session: Session, case: Case) -> Sequence[PlanDecision]:
    return session.scalars(
        select(PlanDecision).where(PlanDecision.case_id == case.id).order_by(PlanDecision.decided_at, PlanDecision.id)
    ).all()


def _check_open(session: Session, case: Case, now: datetime) -> None:
    if case.stage != Stage.planning.value:
        raise RuleViolation(f"the case is in {case.stage}; plans are accepted in planning", field="stage")
    pending = session.scalar(select(PlanDecision.id).where(
        PlanDecision.case_id == case.id, PlanDecision.status.in_(("pending_contract", "pending_mediation"))))
    if pending:
        raise Conflict("a plan was already accepted for this case and waits for its contract or referral",
                       field="case_id")
    holds = {h.kind for h in registry.active_holds(session, case, now=now)}
    blocking = holds & {HoldKind.moratorium.value, HoldKind.mediation.value}
    if blocking:
        raise Conflict(f"the case has an active {sorted(blocking)[0]} hold", field="case_id")


def accept_option(
    session: Session,
    case: Case,
    *,
    number: int,
    actor: Actor,
    now: datetime,
    debtor_accepts: bool = True,
    approved: bool = False,
    months: int | None = None,
    settings: PlanningSettings = DEFAULT_SETTINGS,
    ports: Ports | None = None,
) -> PlanDecision:
    """Record the debtor's answer to option `number` (1 = best ranked) and carry the accepted plan out.

    Settlement, installments, restructuring and debt-to-equity become a contract (execution moves
    the case to execution); a moratorium places a `moratorium` hold until its review date; mediation
    is referred; litigation closes the case with the outcome `litigation` (it leaves amicable
    collection for the courts). `months` sets a moratorium's length (1 to `moratorium_max_months`).
    """
    ports = ports or default_ports()
    _check_open(session, case, now)
    plan = plan_case(session, case, now=now, settings=settings, ports=ports)
    if not 1 <= number <= len(plan.options):
        raise RuleViolation(f"must be between 1 and {len(plan.options)}", field="option")
    option = plan.options[number - 1]
    if months is not None:
        if option.type != PlanType.moratorium.value:
            raise RuleViolation("months is given only for a moratorium", field="months")
        policy = registry.creditor_policy(registry.get_creditor(session, case.creditor_id))
        chosen = rules.moratorium(plan.inputs, policy, settings, months=months)
        assert isinstance(chosen, PlanOption)  # eligibility did not change since planning
        option = localise(replace(chosen, probability_source=option.probability_source,
                                  probability=option.probability))
    if option.needs_approval and not approved and debtor_accepts:
        raise NotPermitted("this option needs the creditor's approval (use --approved once given)", field="option")
    track_target(session, case)
    decision = PlanDecision(
        case_id=case.id, option_number=number, plan_type=option.type, currency=case.currency,
        nominal=option.nominal.rounded().amount, expected_recovery=option.expected_recovery.rounded().amount,
        probability=option.probability, probability_source=option.probability_source,
        inputs_source=option.inputs_source, needs_approval=option.needs_approval,
        schedule=_schedule_json(option.schedule), details=_jsonable(option.details),
        explanation=explanation_in(option, "en"), debtor_accepted=debtor_accepts,
        status="declined", decided_at=now, decided_by=actor.name,
    )
    session.add(decision)
    session.flush()
    data = {"decision_id": decision.id, "option": number, "plan_type": option.type,
            "nominal": str(decision.nominal), "expected_recovery": str(decision.expected_recovery)}
    if not debtor_accepts:
        registry.record_event(session, case, "plan_declined", actor=actor, now=now,
                              reason=f"debtor declined option {number} ({option.type})", data=data)
        session.flush()
        return decision
    kind = option.type
    reason = f"debtor accepted option {number} ({kind})"
    registry.record_event(session, case, "plan_accepted", actor=actor, now=now, reason=reason, data=data)
    if kind in rules.SCHEDULED_TYPES:
        if ports.contracts is None:
            decision.status = "pending_contract"
        else:
            contract = ports.contracts.create_contract(
                session, case=case, schedule=contract_schedule(option, case.currency), source=f"plan:{decision.id}",
                actor=actor, now=now, plan_type=kind)
            decision.contract_id = str(getattr(contract, "id", contract))
            decision.status = "contracted"
    elif kind == PlanType.moratorium.value:
        review = date.fromisoformat(option.details["review_date"])
        hold = registry.place_hold(session, case, kind=HoldKind.moratorium, until=review,
                                   reason=f"moratorium ({option.details['hardship']}), review {review.isoformat()}",
                                   actor=actor, now=now)
        decision.hold_id, decision.review_date, decision.status = hold.id, review, "moratorium"
    elif kind == PlanType.mediation.value:
        if ports.mediation is None:
            decision.status = "pending_mediation"
        else:
            referral = ports.mediation.refer(session, case=case, kind=option.details["kind"], actor=actor, now=now,
                                             reason=reason)
            decision.referral_id = str(getattr(referral, "id", referral))
            decision.status = "mediation"
    else:
        registry.advance_case(session, case, to=Stage.closed, outcome=Outcome.litigation, actor=actor, now=now,
                              reason="litigation chosen as the last resort")
        decision.status = "litigation"
    session.flush()
    log.info("plan accepted", extra={"case_id": case.id, "plan_type": kind, "status": decision.status})
    return decision


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (Decimal, date)):
        return str(value)
    return value


def complete_pending(session: Session, *, now: datetime, actor: Actor, ports: Ports | None = None) -> int:
    """Turn accepted plans that wait for execution or mediation into contracts and referrals (idempotent)."""
    ports = ports or default_ports()
    done = 0
    pending = session.scalars(select(PlanDecision).where(
        PlanDecision.status.in_(("pending_contract", "pending_mediation"))).order_by(PlanDecision.decided_at)).all()
    for decision in pending:
        case = registry.get_case(session, decision.case_id)
        if case is None or case.stage != Stage.planning.value:
            continue
        if decision.status == "pending_contract" and ports.contracts is not None:
            schedule = [(date.fromisoformat(r["due_date"]), Money(Decimal(r["amount"]), r["currency"]))
                        for r in decision.schedule]
            if decision.plan_type == PlanType.debt_to_equity.value:
                base = next(s for s in decision.details["scenarios"] if s["scenario"] == "base")
                schedule = [(date.fromisoformat(decision.details["exit_date"]), Money(Decimal(base["recovery"]), case.currency))]
            contract = ports.contracts.create_contract(session, case=case, schedule=schedule,
                                                       source=f"plan:{decision.id}", actor=actor, now=now,
                                                       plan_type=decision.plan_type)
            decision.contract_id = str(getattr(contract, "id", contract))
            decision.status = "contracted"
            done += 1
        elif decision.status == "pending_mediation" and ports.mediation is not None:
            referral = ports.mediation.refer(session, case=case, kind=decision.details.get("kind", "default"),
                                             actor=actor, now=now, reason="accepted mediation option")
            decision.referral_id = str(getattr(referral, "id", referral))
            decision.status = "mediation"
            done += 1
    session.flush()
    return done


# --- what-if -----------------------------------------------------------------------------------


def what_if(profile: Mapping[str, Any], *, now: datetime, policy: CreditorPolicy | None = None,
            settings: PlanningSettings = DEFAULT_SETTINGS, tz: str | None = None) -> PlanSet:
    """Options for a hypothetical debtor (no database). `profile` is a validated `WhatIfProfile` dump."""
    p = WhatIfProfile.model_validate(profile)
    inp = p.to_input(start=registry.local_today(now, tz))
    found = rules.plan(inp, policy or CreditorPolicy(), settings)
    return PlanSet(options=[localise(_heuristic_note(o)) for o in found.options], ineligible=found.ineligible,
                   inputs=inp)
