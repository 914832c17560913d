"""Simulated plan outcomes, for when a database has too little real repayment history.

Given snapshots of real cases, draws the plan each debtor might have been offered and whether
they kept it, from a stated behaviour model (affordability first, then cooperation, the age and
size of the debt, earlier broken plans). Same snapshots and seed, same history. Used only as the
declared fallback of the portfolio model (its model card then says `history: simulated`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from qingzhai.scoring.portfolio import CaseSnapshot, PlanShape

PLAN_MIX: tuple[tuple[str, float], ...] = (
    ("installments", 0.55), ("settlement", 0.25), ("restructuring_scf", 0.05), ("moratorium", 0.10), ("mediation", 0.05),
)
PLAN_EFFECT: dict[str, float] = {
    "installments": 0.0, "settlement": -0.3, "restructuring_scf": -0.2, "moratorium": 0.4, "mediation": 0.3,
    "debt_to_equity": -0.2, "litigation": -1.0,
}
GRADE_EFFECT: dict[str, float] = {"A": 0.9, "B": 0.45, "C": 0.0, "D": -0.45, "E": -0.9}


@dataclass(frozen=True)
class SimulatedPlan:
    snapshot: CaseSnapshot
    plan: PlanShape
    kept: bool


def keep_logit(s: CaseSnapshot, plan: PlanShape) -> float:
    """The behaviour model: log-odds that the debtor keeps the plan."""
    z = 0.9 + PLAN_EFFECT.get(plan.plan_type, 0.0)
    income = s.disposable_income or (s.monthly_income * 0.5 if s.monthly_income else None)
    if plan.monthly_amount and income:
        z -= 3.0 * max(plan.monthly_amount / income - 0.3, 0.0)
    if plan.plan_type == "settlement" and s.monthly_income:
        z -= 0.4 * max(math.log10(max(s.amount_owed, 1.0) / (6 * s.monthly_income)), 0.0)
    if s.default_date is not None:
        z -= 0.015 * max((s.as_of - s.default_date).days, 0) / 30.4
    z -= 0.35 * math.log10(max(s.amount_owed, 100.0) / 20_000)
    z += 0.5 if s.has_employer else 0.0
    z -= 0.3 if s.debtor_kind != "individual" else 0.0
    z -= 0.8 * s.defaults_before
    z += GRADE_EFFECT.get(s.grade or "", 0.0)
    z += 0.6 if s.cooperative else 0.0
    z -= 1.0 if s.concealment_flagged else 0.0
    return z


def simulate_history(snapshots: list[CaseSnapshot], *, seed: int, plans_per_case: int = 1) -> list[SimulatedPlan]:
    rng = np.random.default_rng(seed)
    names = [n for n, _ in PLAN_MIX]
    weights = np.array([w for _, w in PLAN_MIX])
    out = []
    for snapshot in snapshots:
        for _ in range(plans_per_case):
            kind = str(rng.choice(names, p=weights / weights.sum()))
            income = snapshot.monthly_income or 8000.0
            if kind in ("installments", "restructuring_scf"):
                term = int(rng.choice([6, 12, 18, 24, 36]))
                monthly = round(max(snapshot.amount_owed / term, 100.0) * float(rng.uniform(0.6, 1.2)), 2)
                monthly = min(monthly, income * float(rng.uniform(0.1, 0.8)))
                plan = PlanShape(kind, monthly_amount=round(monthly, 2), term_months=term)
            else:
                plan = PlanShape(kind)
            past = replace(snapshot, defaults_before=int(rng.random() < 0.15))
            p = 1 / (1 + math.exp(-keep_logit(past, plan)))
            out.append(SimulatedPlan(snapshot=past, plan=plan, kept=bool(rng.random() < p)))
    return out


def credit_table(rows: int, *, seed: int, signal: float = 1.0):
    """A synthetic tabular credit data set (for tests, the CLI walkthrough and the scoring benchmark):
    numeric and text columns, some missing values, and a `repaid` target ("yes"/"no") that
    depends on the features with strength `signal` (0 = pure noise)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    income = np.round(rng.lognormal(9.2, 0.5, rows), 2)
    debt_ratio = np.round(rng.beta(2, 5, rows) * 1.5, 4)
    months_employed = rng.integers(0, 240, rows).astype(float)
    months_employed[rng.random(rows) < 0.05] = np.nan
    delinquencies = rng.poisson(0.6, rows)
    purpose = rng.choice(np.array(["car", "home", "education", "business", "other"]), rows)
    region = rng.choice(np.array(["north", "south", "east", "west"]), rows)
    gender = rng.choice(np.array(["female", "male"]), rows)
    purpose_effect = pd.Series(purpose).map({"car": 0.2, "home": 0.4, "education": -0.2, "business": -0.5, "other": 0.0})
    z = (1.0 + signal * (0.8 * (np.log(income) - 9.2) - 2.0 * (debt_ratio - 0.4) + 0.004 * np.nan_to_num(months_employed, nan=60)
                         - 0.6 * delinquencies + purpose_effect.to_numpy()))
    repaid = rng.random(rows) < 1 / (1 + np.exp(-z))
    return pd.DataFrame({
        "income": income, "debt_ratio": debt_ratio, "months_employed": months_employed, "delinquencies": delinquencies,
        "purpose": purpose, "region": region, "gender": gender, "repaid": np.where(repaid, "yes", "no"),
    })
