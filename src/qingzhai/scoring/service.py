"""Use cases of scoring: train and score tables, train the portfolio model from the database,
and give planning the probability that a debtor keeps a plan.

Other capabilities are reached through their services only, looked up when installed:
`assessment.service.latest_summary`, `execution.service.list_contracts` / `evaluate_contract` /
`contract_payments`, `security.service.has_basis`. Services never commit; the caller does.
"""

from __future__ import annotations

import importlib
import logging
import math
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from qingzhai import clock
from qingzhai.core.errors import FileRefused, NotFound, RuleViolation
from qingzhai.core.money import Money
from qingzhai.i18n import _
from qingzhai.registry import service as registry
from qingzhai.registry.service import Case
from qingzhai.scoring.model import TrainedModel, train_table
from qingzhai.scoring.models import ScoringModel
from qingzhai.scoring.portfolio import (
    LABELS,
    SENSITIVE_CATEGORIES,
    TARGET,
    CaseSnapshot,
    PlanShape,
    categories_used,
    features,
    groups_from_resident_id,
)
from qingzhai.scoring.rules import PortfolioSettings, TrainSettings
from qingzhai.scoring.tabular import encode_records
from qingzhai.sim.repayment import simulate_history

log = logging.getLogger(__name__)

PORTFOLIO = "portfolio"
NON_SENSITIVE = frozenset({"debt", "plan", "employment", "credit"})


@dataclass(frozen=True)
class ScoringPaths:
    """Where trained models are kept: `QINGZHAI_MODEL_DIR`, default `./qingzhai-models`."""

    model_dir: Path

    @classmethod
    def from_env(cls) -> ScoringPaths:
        return cls(model_dir=Path(os.environ.get("QINGZHAI_MODEL_DIR", "qingzhai-models")))


def _installed(module: str, name: str) -> Callable[..., Any] | None:
    try:
        return getattr(importlib.import_module(module), name, None)
    except ModuleNotFoundError:
        return None


# --- tables ----------------------------------------------------------------------------------


def read_table(path: Path) -> pd.DataFrame:
    """A CSV (UTF-8, with or without BOM) or Parquet file as a DataFrame."""
    path = Path(path)
    if not path.is_file():
        raise FileRefused(f"no file '{path}'", field="data")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix in (".csv", ".txt"):
            return pd.read_csv(path, encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError, OSError) as exc:
        raise FileRefused(f"cannot read '{path.name}': {exc}", field="data") from None
    raise FileRefused(f"'{path.name}' is neither .csv nor .parquet", field="data")


def train_file(
    path: Path, *, target: str, out: Path, now: datetime, positive: str | None = None,
    settings: TrainSettings | None = None, protected: tuple[str, ...] = (), groups: tuple[str, ...] = (),
    progress: Callable[[str], None] | None = None,
) -> TrainedModel:
    frame = read_table(path)
    model, _result = train_table(frame, target=target, positive=positive, settings=settings, protected=protected,
                                 groups=groups, now=now, name=Path(path).stem, progress=progress)
    model.card["data"]["file"] = Path(path).name
    model.save(out)
    return model


def score_file(model_dir: Path, data: Path, out: Path, *, lang: str) -> int:
    model = TrainedModel.load(model_dir)
    frame = read_table(data)
    scored = model.score(frame, lang=lang)
    result = pd.concat([frame.reset_index(drop=True), scored.reset_index(drop=True)], axis=1)
    result.to_csv(out, index=False, encoding="utf-8")
    return len(result)


# --- case snapshots --------------------------------------------------------------------------


def allowed_categories(session: Session, *, debtor_id: str, now: datetime, purpose: str = "scoring") -> frozenset[str]:
    """The data categories that may enter this debtor's features: the ordinary ones, plus each
    sensitive one only where `security.service.has_basis` confirms a legal basis."""
    has_basis = _installed("qingzhai.security.service", "has_basis")
    allowed = set(NON_SENSITIVE)
    if has_basis is not None:
        for category in sorted(SENSITIVE_CATEGORIES):
            if has_basis(session, debtor_id=debtor_id, category=category, purpose=purpose, now=now):
                allowed.add(category)
    return frozenset(allowed)


def _float(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, Money):
        return float(value.amount)
    return float(value)


def _assessment_fields(session: Session, case: Case) -> dict[str, Any]:
    latest_summary = _installed("qingzhai.assessment.service", "latest_summary")
    if latest_summary is None:
        return {}
    summary = latest_summary(session, case)
    if summary is None:
        return {}
    return {
        "grade": summary.grade, "completeness": float(summary.completeness),
        "disposable_income": _float(summary.disposable_income), "liquid_assets": _float(summary.liquid_assets),
        "total_assets": _float(summary.total_assets), "concealment_flagged": bool(summary.concealment_flagged),
        "fake_debt_risk": summary.fake_debt_risk, "cooperative": summary.cooperative,
        "hardship_declared": summary.hardship is not None,
    }


def _contracts(session: Session, case: Case) -> list[Any]:
    list_contracts = _installed("qingzhai.execution.service", "list_contracts")
    if list_contracts is None:
        return []
    rows, _total = list_contracts(session, case=case, limit=1000)
    return list(rows)


def _history_before(session: Session, contracts: list[Any], start: date) -> dict[str, Any]:
    """Earlier plans of the same case that began before `start`: payments made, plans broken."""
    payments = _installed("qingzhai.execution.service", "contract_payments")
    earlier = [c for c in contracts if c.starts_on < start]
    made = sum(len(payments(session, c)) for c in earlier) if payments else 0
    broken = sum(1 for c in earlier if (c.defaults or 0) > 0 or c.status == "escalated")
    return {"payments_made": made, "defaults_before": broken}


def case_snapshot(session: Session, case: Case, *, as_of: date, amount_owed: float | None = None,
                  contracts: list[Any] | None = None) -> CaseSnapshot:
    debtor = registry.get_debtor(session, case.debtor_id)
    debts = list(registry.case_debts(session, case))
    owed = float(registry.outstanding(case).amount) if amount_owed is None else amount_owed
    contracts = _contracts(session, case) if contracts is None else contracts
    return CaseSnapshot(
        case_id=case.id, as_of=as_of, debtor_kind=debtor.kind, district=debtor.district, amount_owed=owed,
        principal=float(sum((d.principal for d in debts), start=0)),
        interest_and_fees=float(sum((d.interest + d.fees for d in debts), start=0)), debts=len(debts),
        default_date=min((d.default_date for d in debts), default=None),
        origination_date=min((d.origination_date for d in debts if d.origination_date), default=None),
        recovered=float(case.recovered_amount or 0),
        monthly_income=_float(debtor.monthly_income), has_employer=bool(debtor.employer) if debtor.kind == "individual" else None,
        **_assessment_fields(session, case), **_history_before(session, contracts, as_of),
    )


# --- the portfolio model ---------------------------------------------------------------------


@dataclass
class PortfolioExample:
    row: dict[str, object]
    kept: bool
    groups: dict[str, str]


@dataclass
class PortfolioTraining:
    model: TrainedModel
    path: Path
    history: str  # "real" or "simulated"
    real_examples: int
    examples: int
    record: ScoringModel
    notes: list[str] = field(default_factory=list)


def _groups(session: Session, case: Case, snapshot: CaseSnapshot) -> dict[str, str]:
    debtor = registry.get_debtor(session, case.debtor_id)
    gender, band = groups_from_resident_id(debtor.id_number if debtor.kind == "individual" else None, snapshot.as_of)
    return {"district": snapshot.district or "unknown", "gender": gender, "age_band": band}


def real_history(session: Session, *, now: datetime, settings: PortfolioSettings) -> list[PortfolioExample]:
    """Labelled examples from the contracts in the database: a plan is kept (1) when completed or
    not defaulted within `horizon_days` of its start, broken (0) when it defaulted within them.
    Younger plans without a default are not labelled yet; cancelled plans are left out."""
    list_contracts = _installed("qingzhai.execution.service", "list_contracts")
    evaluate = _installed("qingzhai.execution.service", "evaluate_contract")
    decode = _installed("qingzhai.execution.rules", "decode_schedule")
    if list_contracts is None or evaluate is None or decode is None:
        return []
    today = registry.local_today(now)
    examples: list[PortfolioExample] = []
    offset = 0
    by_case: dict[str, list[Any]] = {}
    all_contracts: list[Any] = []
    while True:
        rows, total = list_contracts(session, offset=offset, limit=500)
        all_contracts.extend(rows)
        offset += len(rows)
        if not rows or offset >= total:
            break
    for contract in all_contracts:
        by_case.setdefault(contract.case_id, []).append(contract)
    allowed_cache: dict[str, frozenset[str]] = {}
    for contract in all_contracts:
        if contract.status == "cancelled":
            continue
        horizon_end = contract.starts_on + timedelta(days=settings.horizon_days)
        evaluation = evaluate(session, contract, as_of=min(horizon_end, today))
        state = getattr(evaluation, "state", evaluation)
        status, defaults = str(state.status), int(state.defaults or 0)
        if status.endswith("completed"):
            kept = True
        elif defaults > 0 or status.endswith(("defaulted", "escalated")):
            kept = False
        elif horizon_end <= today:
            kept = True
        else:
            continue
        case = registry.get_case(session, contract.case_id)
        schedule = decode(contract.schedule)
        monthly = float(schedule[0].amount) if len(schedule) > 1 else None
        plan = PlanShape(contract.plan_type, monthly_amount=monthly, term_months=len(schedule) if monthly else None)
        snapshot = case_snapshot(session, case, as_of=contract.starts_on, amount_owed=float(contract.case_outstanding),
                                 contracts=by_case[contract.case_id])
        if case.debtor_id not in allowed_cache:
            allowed_cache[case.debtor_id] = allowed_categories(session, debtor_id=case.debtor_id, now=now,
                                                               purpose=settings.purpose)
        row = features(snapshot, plan, allowed_categories=allowed_cache[case.debtor_id])
        examples.append(PortfolioExample(row=row, kept=kept, groups=_groups(session, case, snapshot)))
    return examples


def simulated_history(session: Session, *, now: datetime, settings: PortfolioSettings, seed: int) -> list[PortfolioExample]:
    """Real cases of the database with simulated plan offers and outcomes (`sim.repayment`)."""
    today = registry.local_today(now)
    cases, _total = registry.list_cases(session, limit=1_000_000)
    snapshots = [case_snapshot(session, case, as_of=today, contracts=[]) for case in cases]
    simulated = simulate_history(snapshots, seed=seed, plans_per_case=settings.simulated_plans_per_case)
    by_id = {c.id: c for c in cases}
    allowed_cache: dict[str, frozenset[str]] = {}
    examples = []
    for item in simulated:
        case = by_id[item.snapshot.case_id]
        if case.debtor_id not in allowed_cache:
            allowed_cache[case.debtor_id] = allowed_categories(session, debtor_id=case.debtor_id, now=now,
                                                               purpose=settings.purpose)
        row = features(item.snapshot, item.plan, allowed_categories=allowed_cache[case.debtor_id])
        examples.append(PortfolioExample(row=row, kept=item.kept, groups=_groups(session, case, item.snapshot)))
    return examples


def _enough(examples: list[PortfolioExample], settings: PortfolioSettings, *, simulated: bool = False) -> bool:
    kept = sum(e.kept for e in examples)
    needed = settings.min_simulated_examples if simulated else settings.min_examples
    return len(examples) >= needed and min(kept, len(examples) - kept) >= settings.min_per_class


def train_portfolio(
    session: Session, *, now: datetime, settings: PortfolioSettings | None = None,
    train_settings: TrainSettings | None = None, model_dir: Path | None = None, allow_simulated: bool = True,
    progress: Callable[[str], None] | None = None,
) -> PortfolioTraining:
    """Train the repayment-capacity model on the database's history and register it as active.

    With too little real history (fewer than `min_examples` labelled plans) it trains on
    simulated outcomes for the real cases when `allow_simulated`, and says so in the model card;
    otherwise it refuses."""
    settings = settings or PortfolioSettings()
    train_settings = train_settings or TrainSettings()
    real = real_history(session, now=now, settings=settings)
    notes = []
    if _enough(real, settings):
        examples, history = real, "real"
    else:
        kept = sum(e.kept for e in real)
        notes.append(_("only {n} labelled plans in the database ({kept} kept); {need} with {per} of each outcome "
                       "are needed", n=len(real), kept=kept, need=settings.min_examples, per=settings.min_per_class))
        if not allow_simulated:
            raise RuleViolation(notes[0], field="history", rule="portfolio_history")
        examples, history = simulated_history(session, now=now, settings=settings, seed=train_settings.seed), "simulated"
        if not _enough(examples, settings, simulated=True):
            raise RuleViolation(_("too few cases even for a simulated history ({n} examples)", n=len(examples)),
                                field="history")
    frame = pd.DataFrame([e.row for e in examples])
    frame[TARGET] = np.where([e.kept for e in examples], "kept", "broken")
    for group in settings.groups:
        frame[group] = [e.groups.get(group, "unknown") for e in examples]
    used = categories_used([e.row for e in examples])
    model, _result = train_table(
        frame, target=TARGET, positive="kept", settings=train_settings, protected=settings.groups,
        groups=settings.groups, labels=LABELS, now=now, name=PORTFOLIO, progress=progress,
        extra_card={"history": history, "history_notes": notes, "real_examples": len(real),
                    "data_categories": used,
                    "sensitive_categories": sorted(set(used) & SENSITIVE_CATEGORIES),
                    "horizon_days": settings.horizon_days,
                    "target_meaning": f"plan kept (no default) for {settings.horizon_days} days after it started"},
    )
    base = model_dir or ScoringPaths.from_env().model_dir
    path = (base / f"{PORTFOLIO}-{now.strftime('%Y%m%dT%H%M%S')}-{model.card['data']['fingerprint'][:8]}").resolve()
    model.save(path)
    for old in session.scalars(select(ScoringModel).where(ScoringModel.kind == PORTFOLIO, ScoringModel.active)):
        old.active = False
    record = ScoringModel(kind=PORTFOLIO, path=str(path), version=str(model.card["version"]),
                          fingerprint=model.card["data"]["fingerprint"], trained_at=now, active=True, card=model.card)
    session.add(record)
    session.flush()
    return PortfolioTraining(model=model, path=path, history=history, real_examples=len(real), examples=len(examples),
                             record=record, notes=notes)


def active_portfolio(session: Session) -> ScoringModel | None:
    return session.scalar(
        select(ScoringModel).where(ScoringModel.kind == PORTFOLIO, ScoringModel.active)
        .order_by(ScoringModel.trained_at.desc(), ScoringModel.id.desc()).limit(1)
    )


_cache: dict[str, TrainedModel] = {}
_cache_lock = threading.Lock()


def load_model(path: str) -> TrainedModel | None:
    with _cache_lock:
        if path in _cache:
            return _cache[path]
    try:
        model = TrainedModel.load(Path(path))
    except NotFound:
        log.warning("registered scoring model is missing on disk", extra={"path": path})
        return None
    with _cache_lock:
        _cache[path] = model
    return model


@dataclass(frozen=True)
class CaseScore:
    case_id: str
    plan: PlanShape
    probability: float
    score: int
    band: str
    reasons: list[dict[str, Any]]
    model_id: str
    history: str


SNAPSHOT_CACHE = "qingzhai.scoring.snapshots"


def _case_row(session: Session, case: Case, plan: PlanShape, *, now: datetime) -> dict[str, object]:
    """The feature row of a case and a plan. Planning asks for several plan shapes of the same case
    in a row, so the case snapshot is kept for the rest of the session (keyed by the case version)."""
    today = registry.local_today(now)
    cache: dict[str, tuple[Any, CaseSnapshot, frozenset[str]]] = session.info.setdefault(SNAPSHOT_CACHE, {})
    key = (case.version, today)
    hit = cache.get(case.id)
    if hit is None or hit[0] != key:
        snapshot = case_snapshot(session, case, as_of=today)
        allowed = allowed_categories(session, debtor_id=case.debtor_id, now=now)
        cache[case.id] = hit = (key, snapshot, allowed)
    return features(hit[1], plan, allowed_categories=hit[2])


def _case_frame(session: Session, case: Case, plan: PlanShape, *, now: datetime) -> pd.DataFrame:
    return pd.DataFrame([_case_row(session, case, plan, now=now)])


def _plan(plan_type: str, monthly_amount: Money | None, term_months: int | None) -> PlanShape:
    if not plan_type or not plan_type.strip():
        raise RuleViolation("must not be empty", field="plan_type")
    if term_months is not None and term_months < 1:
        raise RuleViolation("must be at least 1", field="term_months")
    monthly = float(monthly_amount.amount) if monthly_amount is not None else None
    if monthly is not None and monthly <= 0:
        raise RuleViolation("must be more than zero", field="monthly_amount")
    return PlanShape(plan_type.strip(), monthly_amount=monthly, term_months=term_months)


def score_case(session: Session, case: Case, *, plan_type: str, monthly_amount: Money | None = None,
               term_months: int | None = None, now: datetime) -> CaseScore:
    record = active_portfolio(session)
    model = load_model(record.path) if record else None
    if record is None or model is None:
        raise NotFound(_("no portfolio model has been trained; run 'qingzhai model train-portfolio'"), field="model")
    plan = _plan(plan_type, monthly_amount, term_months)
    frame = _case_frame(session, case, plan, now=now)
    scored = model.score(frame, with_reasons=False)
    reasons = model.reasons(frame)[0]
    return CaseScore(case_id=case.id, plan=plan, probability=float(scored["probability"].iloc[0]),
                     score=int(scored["score"].iloc[0]), band=str(scored["band"].iloc[0]), reasons=reasons,
                     model_id=record.id, history=str(model.card.get("history", "")))


def repayment_probability(session: Session, case: Case, *, plan_type: str, monthly_amount: Money | None = None,
                          term_months: int | None = None) -> float | None:
    """Probability that the debtor keeps a plan of this shape; None when no portfolio model has
    been trained for this database (or its files are gone)."""
    record = active_portfolio(session)
    if record is None:
        return None
    model = load_model(record.path)
    if model is None:
        return None
    plan = _plan(plan_type, monthly_amount, term_months)
    x = encode_records(model.pipeline.schema, [_case_row(session, case, plan, now=clock.now())])
    p = float(model.probability_matrix(x)[0])
    return None if math.isnan(p) else p


def record_access(session: Session, *, actor: Any, case: Case, now: datetime, detail: dict[str, Any]) -> None:
    """Audit that a case's personal data was read for scoring (when the security capability is installed)."""
    audit = _installed("qingzhai.security.service", "audit")
    if audit is not None:
        audit(session, actor=actor, action="scoring.score_case", now=now, case_id=case.id, debtor_id=case.debtor_id,
              detail=detail)
