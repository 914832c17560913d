"""Use cases of mediation. Services never commit; the caller does.

Every use case takes the acting `Actor` and, for the debtor, the party token; `vault.viewer_for`
decides who is looking and the confidential numbers are only ever returned to the mediator and
the party that owns them. Case and audit events carry no confidential amount.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qingzhai.core.actor import Actor, Role
from qingzhai.core.errors import Conflict, NotFound, NotPermitted, RuleViolation
from qingzhai.core.money import Money
from qingzhai.mediation import vault
from qingzhai.mediation.models import Mediation, MediationEvent, MediationSession, Proposal
from qingzhai.mediation.rules import (
    AGREED,
    Confirmation,
    Evaluation,
    MediationSettings,
    Mode,
    Party,
    Position,
    Status,
    Viewer,
    VisibleOutcome,
    check_bid_progress,
    choose_kind,
    confirmation_deadline,
    confirmation_window,
    court_for,
    deadline,
    evaluate_bids,
    evaluate_positions,
    institution_for,
    move,
    pick_mediator,
    visible_to,
)
from qingzhai.registry import service as registry
from qingzhai.registry.rules import HoldKind, Stage
from qingzhai.registry.service import Case

REFERRERS = frozenset({Role.admin, Role.manager, Role.mediator, Role.collector, Role.system})
TOKEN_HOLDERS = frozenset({Role.admin, Role.manager, Role.system})  # who may hand the debtor its token
REFERABLE_STAGES = frozenset({Stage.assessment.value, Stage.planning.value, Stage.execution.value})


def default_settings() -> MediationSettings:
    return MediationSettings()


# --- loading and access --------------------------------------------------------------------------


def get_mediation(session: Session, mediation_id: str, *, actor: Actor, party_token: str | None = None) -> Mediation:
    """A mediation the actor may see (NotFound otherwise, like cases outside one's scope)."""
    mediation = session.get(Mediation, (mediation_id or "").strip())
    if mediation is None:
        raise NotFound(f"no mediation '{mediation_id}'", field="mediation_id")
    viewer_of(session, mediation, actor=actor, party_token=party_token)
    return mediation


def case_of(session: Session, mediation: Mediation) -> Case:
    return registry.get_case(session, mediation.case_id)


def viewer_of(session: Session, mediation: Mediation, *, actor: Actor, party_token: str | None = None) -> Viewer:
    case = case_of(session, mediation)
    viewer = vault.viewer_for(mediation, case, actor, party_token)
    if viewer is Viewer.staff and actor.role is Role.collector:
        registry.get_case(session, case.id, actor=actor)  # collectors see only their own cases
    return viewer


def open_mediation(session: Session, case: Case) -> Mediation | None:
    return session.scalar(select(Mediation).where(
        Mediation.case_id == case.id, Mediation.status.in_([Status.referred.value, Status.active.value])
    ))


def list_mediations(
    session: Session, *, actor: Actor, status: Status | None = None, offset: int = 0, limit: int = 50
) -> tuple[Sequence[Mediation], int]:
    stmt = select(Mediation)
    if status is not None:
        stmt = stmt.where(Mediation.status == status.value)
    if actor.role is Role.mediator:
        stmt = stmt.where(Mediation.mediator_id == actor.id)
    elif actor.role in (Role.creditor, Role.collector):
        stmt = stmt.where(Mediation.case_id.in_(registry.visible_case_ids(actor)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Mediation.referred_at, Mediation.id).offset(offset).limit(limit)).all()
    return rows, total


def _event(session: Session, mediation: Mediation, kind: str, *, now: datetime, data: dict[str, Any] | None = None) -> None:
    session.add(MediationEvent(
        mediation_id=mediation.id, case_id=mediation.case_id, at=now, kind=kind, mediator_id=mediation.mediator_id,
        institution=mediation.institution, district=mediation.district, data=dict(data or {}),
    ))


def _case_event(session: Session, mediation: Mediation, kind: str, *, actor: Actor, now: datetime,
                reason: str | None = None, data: dict[str, Any] | None = None) -> None:
    case = case_of(session, mediation)
    registry.record_event(session, case, kind, actor=actor, now=now, reason=reason,
                          data={"mediation_id": mediation.id, **(data or {})})


# --- referral ------------------------------------------------------------------------------------


def refer(
    session: Session,
    *,
    case: Case,
    kind: str,
    actor: Actor,
    now: datetime,
    mediator_id: str | None = None,
    reason: str,
    mode: str = "positions",
    settings: MediationSettings | None = None,
) -> Mediation:
    """Refer a case to mediation: choose the kind (or the district's custom), assign a mediator,
    start the deadline clock and place a `mediation` hold (no collection contact while it runs)."""
    s = settings or default_settings()
    if actor.role not in REFERRERS:
        raise NotPermitted("only staff and mediators may refer a case to mediation", field="actor")
    if not reason or not reason.strip():
        raise RuleViolation("a reason is required", field="reason")
    try:
        chosen_mode = Mode(mode)
    except ValueError:
        raise RuleViolation("must be positions or blind_bid", field="mode") from None
    if case.stage not in REFERABLE_STAGES:
        raise RuleViolation("only cases in assessment, planning or execution can be referred", field="case_id")
    if open_mediation(session, case) is not None:
        raise Conflict("this case is already in mediation", field="case_id")
    debtor = registry.get_debtor(session, case.debtor_id)
    chosen = choose_kind(kind, debtor.district, s)
    today = registry.local_today(now)
    end = deadline(today, s)
    if mediator_id is None or not mediator_id.strip():
        if actor.role is Role.mediator:
            mediator_id = actor.id
        else:
            counts = dict(session.execute(
                select(Mediation.mediator_id, func.count()).where(
                    Mediation.status.in_([Status.referred.value, Status.active.value])
                ).group_by(Mediation.mediator_id)
            ).all())
            mediator_id = pick_mediator(counts, s)
    hold = registry.place_hold(session, case, kind=HoldKind.mediation, until=end, reason=reason.strip(),
                               actor=actor, now=now)
    mediation = Mediation(
        case_id=case.id, kind=chosen.value, status=Status.referred.value, mode=chosen_mode.value,
        mediator_id=mediator_id.strip(), institution=institution_for(chosen, debtor.district),
        district=debtor.district, reason=reason.strip(), referred_at=now, referred_by=actor.name, deadline=end,
        hold_id=hold.id, currency=case.currency, round=1, partial=False, confirmation=Confirmation.none.value,
    )
    session.add(mediation)
    session.flush()
    _event(session, mediation, "referred", now=now, data={"kind": chosen.value, "referred_on": today.isoformat()})
    _case_event(session, mediation, "mediation_referred", actor=actor, now=now, reason=reason.strip(),
                data={"kind": chosen.value, "mediator_id": mediation.mediator_id, "deadline": end.isoformat()})
    return mediation


def accept(session: Session, mediation: Mediation, *, actor: Actor, now: datetime) -> Mediation:
    """Both parties agreed to mediate (the mediator records it): the mediation becomes active."""
    viewer = viewer_of(session, mediation, actor=actor)
    vault.require(viewer, Viewer.mediator, Viewer.staff, action="record that the parties accepted mediation")
    mediation.status = move(Status(mediation.status), Status.active).value
    mediation.accepted_at = now
    _event(session, mediation, "accepted", now=now)
    _case_event(session, mediation, "mediation_accepted", actor=actor, now=now)
    session.flush()
    return mediation


def _require_active(mediation: Mediation) -> None:
    if mediation.status != Status.active.value:
        raise RuleViolation(f"the mediation is {mediation.status}, not active", field="status")


# --- sessions --------------------------------------------------------------------------------------


def record_session(
    session: Session,
    mediation: Mediation,
    *,
    actor: Actor,
    now: datetime,
    kind: str,
    party: str | None = None,
    attendees: Sequence[str] = (),
    notes: str = "",
    statements: dict[str, str] | None = None,
) -> MediationSession:
    """A joint session, or a caucus (背靠背) with one party whose notes only that party sees."""
    vault.require(viewer_of(session, mediation, actor=actor), Viewer.mediator, action="record a session")
    _require_active(mediation)
    if kind not in ("joint", "caucus"):
        raise RuleViolation("must be joint or caucus", field="kind")
    who: Party | None = None
    if kind == "caucus":
        try:
            who = Party(party or "")
        except ValueError:
            raise RuleViolation("a caucus is with the creditor or the debtor", field="party") from None
    elif party:
        raise RuleViolation("a joint session has no single party", field="party")
    said = {k: str(v) for k, v in (statements or {}).items()}
    allowed = {who.value} if who else {p.value for p in Party} | {"mediator"}
    if set(said) - allowed:
        raise RuleViolation(f"statements may be recorded for: {', '.join(sorted(allowed))}", field="statements")
    row = MediationSession(mediation_id=mediation.id, kind=kind, party=who.value if who else None, held_at=now,
                           attendees=[str(a) for a in attendees], notes=notes or "", statements=said,
                           recorded_by=actor.name)
    session.add(row)
    session.flush()
    _event(session, mediation, "session", now=now, data={"kind": kind, "party": row.party})
    _case_event(session, mediation, "mediation_session", actor=actor, now=now, data={"kind": kind, "party": row.party})
    return row


# --- confidential positions and bids -------------------------------------------------------------


def _acting_party(viewer: Viewer, party: str | None) -> Party:
    if viewer in (Viewer.creditor, Viewer.debtor):
        own = viewer.party
        assert own is not None
        if party and party != own.value:
            raise NotPermitted("a party may act only for itself", field="party")
        return own
    if viewer is Viewer.mediator:
        try:
            return Party(party or "")
        except ValueError:
            raise RuleViolation("say for which party: creditor or debtor", field="party") from None
    raise NotPermitted("only the mediator and the parties may do this", field="actor", rule="mediation_access")


def submit_position(
    session: Session,
    mediation: Mediation,
    *,
    actor: Actor,
    now: datetime,
    payments: Sequence[tuple[date, Money]],
    party: str | None = None,
    party_token: str | None = None,
) -> Position:
    """Store a party's confidential limit for the current round in its vault (sealed)."""
    viewer = viewer_of(session, mediation, actor=actor, party_token=party_token)
    who = _acting_party(viewer, party)
    _require_active(mediation)
    if mediation.mode != Mode.positions.value:
        raise RuleViolation("this mediation runs blind bids; submit a bid", field="mode")
    if _proposal(session, mediation, mediation.round) is not None:
        raise Conflict("this round already has a proposal; the mediator opens the next round", field="round")
    position = Position(party=who, payments=tuple(payments))
    if position.currency != mediation.currency:
        raise RuleViolation(f"the case is in {mediation.currency}", field="currency")
    vault.store(session, mediation, party=who, kind="position", round_=mediation.round, payload=position.to_dict(),
                actor=actor, now=now)
    _after_submission(session, mediation, who, "position", actor=actor, now=now)
    return position


def _after_submission(session: Session, mediation: Mediation, who: Party, kind: str, *, actor: Actor, now: datetime) -> None:
    data = {"party": who.value, "round": mediation.round, "kind": kind}
    _event(session, mediation, f"{kind}_submitted", now=now, data=data)
    _case_event(session, mediation, f"mediation_{kind}_submitted", actor=actor, now=now, data=data)
    vault.audit(session, actor=actor, action=f"mediation.{kind}.submit", now=now, case_id=mediation.case_id, detail=data)


def read_position(
    session: Session, mediation: Mediation, *, actor: Actor, now: datetime, party: str | None = None,
    party_token: str | None = None, round_: int | None = None, kind: str = "position",
) -> Position | None:
    """A confidential position (or bid): only the mediator and that party may read it."""
    viewer = viewer_of(session, mediation, actor=actor, party_token=party_token)
    if viewer is Viewer.staff:
        raise NotPermitted("only the mediator and that party may read a confidential position", field="actor",
                           rule="mediation_vault")
    who = _acting_party(viewer, party) if viewer is not Viewer.mediator or party else None
    if who is None:
        raise RuleViolation("say whose position: creditor or debtor", field="party")
    if not vault.can_read(viewer, who):
        raise NotPermitted("only the mediator and that party may read a confidential position", field="party",
                           rule="mediation_vault")
    entry = vault.entry_for(session, mediation, party=who, kind=kind, round_=round_ or mediation.round)
    if entry is None:
        return None
    vault.audit(session, actor=actor, action=f"mediation.{kind}.read", now=now, case_id=mediation.case_id,
                detail={"party": who.value, "round": entry.round})
    return vault.read_position(session, entry)


def submit_bid(
    session: Session,
    mediation: Mediation,
    *,
    actor: Actor,
    now: datetime,
    amount: Money,
    party: str | None = None,
    party_token: str | None = None,
    settings: MediationSettings | None = None,
) -> VisibleOutcome | None:
    """A secret bid for the current round. When both bids are in, the band rule runs at once; the
    bidder gets back only what its view allows (None while the other bid is outstanding)."""
    s = settings or default_settings()
    viewer = viewer_of(session, mediation, actor=actor, party_token=party_token)
    who = _acting_party(viewer, party)
    _require_active(mediation)
    if mediation.mode != Mode.blind_bid.value:
        raise RuleViolation("this mediation uses confidential positions; submit a position", field="mode")
    if amount.currency != mediation.currency:
        raise RuleViolation(f"the case is in {mediation.currency}", field="currency")
    if amount.amount <= 0 or amount.rounded() != amount:
        raise RuleViolation("must be positive with at most two decimal places", field="amount")
    if _proposal(session, mediation, mediation.round) is not None:
        raise Conflict("the bidding has ended", field="round")
    if vault.entry_for(session, mediation, party=who, kind="bid", round_=mediation.round) is not None:
        raise Conflict("you have already bid in this round", field="round")
    if mediation.round > 1:
        before = vault.entry_for(session, mediation, party=who, kind="bid", round_=mediation.round - 1)
        if before is not None:
            check_bid_progress(vault.read_position(session, before).payments[0][1], amount, who)
    today = registry.local_today(now)
    position = Position(party=who, payments=((today, amount),))
    vault.store(session, mediation, party=who, kind="bid", round_=mediation.round, payload=position.to_dict(),
                actor=actor, now=now)
    _after_submission(session, mediation, who, "bid", actor=actor, now=now)
    other = Party.debtor if who is Party.creditor else Party.creditor
    if vault.entry_for(session, mediation, party=other, kind="bid", round_=mediation.round) is None:
        return None
    _proposal_row, evaluation = _evaluate_round(session, mediation, actor=actor, now=now, settings=s)
    return visible_to(evaluation, viewer)


def _proposal(session: Session, mediation: Mediation, round_: int) -> Proposal | None:
    return session.scalar(select(Proposal).where(Proposal.mediation_id == mediation.id, Proposal.round == round_))


def _evaluate(session: Session, mediation: Mediation, round_: int, *, now: datetime,
              settings: MediationSettings) -> Evaluation:
    kind = "position" if mediation.mode == Mode.positions.value else "bid"
    entries = {p: vault.entry_for(session, mediation, party=p, kind=kind, round_=round_) for p in Party}
    missing = [p.value for p, e in entries.items() if e is None]
    if missing:
        raise RuleViolation(f"waiting for the {' and '.join(missing)} position", field="positions")
    creditor = vault.read_position(session, entries[Party.creditor])  # type: ignore[arg-type]
    debtor = vault.read_position(session, entries[Party.debtor])  # type: ignore[arg-type]
    today = registry.local_today(now)
    if kind == "position":
        proposal = _proposal(session, mediation, round_)
        as_of = registry.local_today(proposal.created_at) if proposal is not None else today
        return evaluate_positions(creditor, debtor, as_of=as_of, settings=settings)
    due = today + timedelta(days=settings.lump_sum_due_days)
    return evaluate_bids(creditor.payments[0][1], debtor.payments[0][1], due=due, settings=settings)


def _evaluate_round(session: Session, mediation: Mediation, *, actor: Actor, now: datetime,
                    settings: MediationSettings) -> tuple[Proposal, Evaluation]:
    evaluation = _evaluate(session, mediation, mediation.round, now=now, settings=settings)
    terms = evaluation.terms
    proposal = Proposal(
        mediation_id=mediation.id, round=mediation.round, mode=evaluation.mode.value, rule=evaluation.rule,
        zone_exists=evaluation.zone_exists, amount=terms.present_value.amount if terms else None,
        currency=mediation.currency, terms=terms.to_dict() if terms else None, created_at=now,
    )
    session.add(proposal)
    session.flush()
    data: dict[str, Any] = {"round": mediation.round, "mode": evaluation.mode.value, "zone_exists": evaluation.zone_exists,
                            "proposal_id": proposal.id}
    if terms is not None:
        data["proposed_total"] = str(terms.total.amount)  # the proposal is shown to both parties
    _event(session, mediation, "proposal", now=now, data=data)
    _case_event(session, mediation, "mediation_proposal", actor=actor, now=now, data=data)
    if (not evaluation.zone_exists and evaluation.mode is Mode.blind_bid
            and mediation.round < settings.max_rounds):
        mediation.round += 1
    session.flush()
    return proposal, evaluation


def propose(
    session: Session, mediation: Mediation, *, actor: Actor, now: datetime, settings: MediationSettings | None = None
) -> tuple[Proposal, VisibleOutcome]:
    """Run the settlement engine on this round's two confidential positions (mediator only)."""
    s = settings or default_settings()
    vault.require(viewer_of(session, mediation, actor=actor), Viewer.mediator, action="run the settlement engine")
    _require_active(mediation)
    if mediation.mode != Mode.positions.value:
        raise RuleViolation("blind bids settle by themselves when both bids are in", field="mode")
    if _proposal(session, mediation, mediation.round) is not None:
        raise Conflict("this round already has a proposal", field="round")
    proposal, evaluation = _evaluate_round(session, mediation, actor=actor, now=now, settings=s)
    return proposal, visible_to(evaluation, Viewer.mediator)


def next_round(session: Session, mediation: Mediation, *, actor: Actor, now: datetime,
               settings: MediationSettings | None = None) -> Mediation:
    """After a round without agreement, let the parties revise their positions (up to max_rounds)."""
    s = settings or default_settings()
    vault.require(viewer_of(session, mediation, actor=actor), Viewer.mediator, action="open a new round")
    _require_active(mediation)
    current = _proposal(session, mediation, mediation.round)
    if current is None:
        raise RuleViolation("this round has no result yet", field="round")
    if current.zone_exists:
        raise RuleViolation("this round found a settlement; agree or conclude", field="round")
    if mediation.round >= s.max_rounds:
        raise RuleViolation(f"at most {s.max_rounds} rounds", field="round")
    mediation.round += 1
    _event(session, mediation, "round_opened", now=now, data={"round": mediation.round})
    session.flush()
    return mediation


def respond(
    session: Session, mediation: Mediation, *, actor: Actor, now: datetime, accept: bool,
    party: str | None = None, party_token: str | None = None, proposal_id: str | None = None,
) -> Proposal:
    """A party accepts or rejects the proposal of the current round."""
    viewer = viewer_of(session, mediation, actor=actor, party_token=party_token)
    who = _acting_party(viewer, party)
    _require_active(mediation)
    proposal = session.get(Proposal, proposal_id) if proposal_id else _latest_settling(session, mediation)
    if proposal is None or proposal.mediation_id != mediation.id or not proposal.zone_exists:
        raise NotFound("no settlement proposal to answer", field="proposal_id")
    answer = "accepted" if accept else "rejected"
    if who is Party.creditor:
        proposal.creditor_response = answer
    else:
        proposal.debtor_response = answer
    _event(session, mediation, "response", now=now, data={"party": who.value, "answer": answer, "round": proposal.round})
    _case_event(session, mediation, "mediation_response", actor=actor, now=now,
                data={"party": who.value, "answer": answer, "round": proposal.round})
    session.flush()
    return proposal


def _latest_settling(session: Session, mediation: Mediation) -> Proposal | None:
    return session.scalar(select(Proposal).where(Proposal.mediation_id == mediation.id, Proposal.zone_exists.is_(True))
                          .order_by(Proposal.round.desc()).limit(1))


# --- agreement, conclusion, judicial confirmation ---------------------------------------------------


def agree(
    session: Session,
    mediation: Mediation,
    *,
    actor: Actor,
    now: datetime,
    proposal_id: str | None = None,
    schedule: Sequence[tuple[date, Money]] | None = None,
    partial: bool = False,
    settings: MediationSettings | None = None,
) -> Mediation:
    """Sign the mediation agreement (调解协议): from a proposal both parties accepted, or from terms
    agreed in a joint session. Lifts the mediation hold, starts the 30-day judicial-confirmation
    window, and hands the schedule to execution as a contract (source "mediation:<id>")."""
    s = settings or default_settings()
    vault.require(viewer_of(session, mediation, actor=actor), Viewer.mediator, action="record the agreement")
    _require_active(mediation)
    if schedule:
        payments = tuple(schedule)
        Position(party=Party.debtor, payments=payments)  # same validation as a position
        if payments[0][1].currency != mediation.currency:
            raise RuleViolation(f"the case is in {mediation.currency}", field="currency")
        chosen: Proposal | None = None
    else:
        chosen = session.get(Proposal, proposal_id) if proposal_id else _latest_settling(session, mediation)
        if chosen is None or chosen.mediation_id != mediation.id or not chosen.zone_exists or not chosen.terms:
            raise RuleViolation("give the agreed schedule or a settlement proposal", field="proposal_id")
        if chosen.creditor_response != "accepted" or chosen.debtor_response != "accepted":
            raise RuleViolation("both parties must accept the proposal first", field="proposal_id")
        payments = tuple((date.fromisoformat(d), Money(Decimal(a), chosen.currency)) for d, a in chosen.terms["schedule"])
    total = sum((m.amount for _, m in payments), Decimal(0))
    today = registry.local_today(now)
    status = Status.partially_settled if partial else Status.settled
    mediation.status = move(Status(mediation.status), status).value
    mediation.agreed_at = now
    mediation.concluded_at = now
    mediation.agreed_amount = total
    mediation.schedule = [[d.isoformat(), str(m.amount)] for d, m in payments]
    mediation.partial = partial
    mediation.proposal_id = chosen.id if chosen else None
    mediation.court = court_for(mediation.district)
    mediation.confirmation_deadline = confirmation_deadline(today, s)
    case = case_of(session, mediation)
    _lift(session, mediation, case, reason="mediation agreement signed", actor=actor, now=now)
    data = {"partial": partial, "agreed_on": today.isoformat(), "total": str(total),
            "confirmation_deadline": mediation.confirmation_deadline.isoformat()}
    _event(session, mediation, "agreed", now=now, data=data)
    _case_event(session, mediation, "mediation_agreed", actor=actor, now=now, data=data)
    mediation.contract_id = make_contract(session, mediation, actor=actor, now=now, settings=s)
    session.flush()
    return mediation


def make_contract(session: Session, mediation: Mediation, *, actor: Actor, now: datetime,
                  settings: MediationSettings | None = None) -> str | None:
    """Hand the agreed schedule to execution (idempotent on the source). None until execution exists."""
    s = settings or default_settings()
    try:
        execution = importlib.import_module("qingzhai.execution.service")
        execution_rules = importlib.import_module("qingzhai.execution.rules")
    except ImportError:
        return None
    create = getattr(execution, "create_contract", None)
    if create is None or not mediation.schedule:
        return None
    case = case_of(session, mediation)
    if case.stage == Stage.assessment.value:  # a mediated plan is a plan: the case moves on through planning
        registry.advance_case(session, case, to=Stage.planning, reason="mediation agreement signed", actor=actor, now=now)
    schedule = [(date.fromisoformat(d), Money(Decimal(a), mediation.currency)) for d, a in mediation.schedule]
    terms = execution_rules.ContractTerms(
        grace_days=min(s.default_grace_days, 60), consecutive_misses_to_default=1, total_misses_to_default=1,
        accelerate_on_default=True,
    )
    contract = create(session, case=case, schedule=schedule, source=f"mediation:{mediation.id}", actor=actor, now=now,
                      terms=terms, plan_type="installments" if len(schedule) > 1 else "settlement")
    return str(contract.id)


def _lift(session: Session, mediation: Mediation, case: Case, *, reason: str, actor: Actor, now: datetime) -> None:
    if mediation.hold_id is None:
        return
    if any(h.id == mediation.hold_id for h in registry.active_holds(session, case, now=now)):
        registry.lift_hold(session, case, mediation.hold_id, reason=reason, actor=actor, now=now)


def conclude(session: Session, mediation: Mediation, *, outcome: str, reason: str, actor: Actor, now: datetime) -> Mediation:
    """End without agreement: failed (no settlement, refusal, deadline) or withdrawn."""
    viewer = viewer_of(session, mediation, actor=actor)
    vault.require(viewer, Viewer.mediator, Viewer.staff, action="conclude a mediation")
    if outcome not in (Status.failed.value, Status.withdrawn.value):
        raise RuleViolation("must be failed or withdrawn (an agreement is recorded with agree)", field="outcome")
    if not reason or not reason.strip():
        raise RuleViolation("a reason is required", field="reason")
    mediation.status = move(Status(mediation.status), Status(outcome)).value
    mediation.concluded_at = now
    mediation.conclusion_reason = reason.strip()
    _lift(session, mediation, case_of(session, mediation), reason=f"mediation {outcome}", actor=actor, now=now)
    _event(session, mediation, "concluded", now=now, data={"outcome": outcome})
    _case_event(session, mediation, "mediation_concluded", actor=actor, now=now, reason=reason.strip(),
                data={"outcome": outcome})
    session.flush()
    return mediation


def apply_for_confirmation(session: Session, mediation: Mediation, *, actor: Actor, now: datetime,
                           court: str | None = None, settings: MediationSettings | None = None) -> Mediation:
    """The parties' joint application for judicial confirmation (司法确认), within the window."""
    vault.require(viewer_of(session, mediation, actor=actor), Viewer.mediator, Viewer.staff,
                  action="file the judicial-confirmation application")
    if Status(mediation.status) not in AGREED or mediation.agreed_at is None:
        raise RuleViolation("only an agreement can be confirmed", field="status")
    if mediation.confirmation != Confirmation.none.value:
        raise Conflict(f"the application is already {mediation.confirmation}", field="confirmation")
    s = settings or default_settings()
    window = confirmation_window(registry.local_today(mediation.agreed_at), registry.local_today(now), s)
    if not window.open:
        raise RuleViolation(f"the {s.confirmation_days}-day window closed on {window.deadline.isoformat()}",
                            field="confirmation", rule="confirmation_window")
    if court and court.strip():
        mediation.court = court.strip()
    mediation.confirmation = Confirmation.applied.value
    mediation.confirmation_applied_at = now
    _event(session, mediation, "confirmation_applied", now=now, data={"court": mediation.court})
    _case_event(session, mediation, "mediation_confirmation_applied", actor=actor, now=now, data={"court": mediation.court})
    session.flush()
    return mediation


def record_confirmation(session: Session, mediation: Mediation, *, confirmed: bool, actor: Actor, now: datetime) -> Mediation:
    vault.require(viewer_of(session, mediation, actor=actor), Viewer.mediator, Viewer.staff,
                  action="record the court's decision")
    if mediation.confirmation != Confirmation.applied.value:
        raise RuleViolation("no pending application", field="confirmation")
    decision = Confirmation.confirmed if confirmed else Confirmation.rejected
    mediation.confirmation = decision.value
    mediation.confirmation_decided_at = now
    _event(session, mediation, f"confirmation_{decision.value}", now=now)
    _case_event(session, mediation, f"mediation_confirmation_{decision.value}", actor=actor, now=now)
    session.flush()
    return mediation


def evaluate_round_again(session: Session, mediation: Mediation, round_: int, *, now: datetime,
                         settings: MediationSettings | None = None) -> Evaluation:
    """Re-run the engine on a past round's sealed positions (for the views; nothing is stored)."""
    return _evaluate(session, mediation, round_, now=now, settings=settings or default_settings())
