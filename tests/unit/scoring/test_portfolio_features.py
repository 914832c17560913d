from __future__ import annotations

import math
from datetime import date

from qingzhai.scoring.portfolio import (
    FEATURES,
    CaseSnapshot,
    PlanShape,
    categories_used,
    features,
    groups_from_resident_id,
)
from qingzhai.sim.identities import resident_id

ALL = frozenset({"debt", "plan", "employment", "credit", "financial_accounts", "location"})
ORDINARY = frozenset({"debt", "plan", "employment", "credit"})


def _snapshot(**kw) -> CaseSnapshot:
    base = dict(case_id="c1", as_of=date(2026, 11, 1), amount_owed=60_000.0, principal=50_000.0,
                interest_and_fees=10_000.0, default_date=date(2025, 11, 1), monthly_income=10_000.0,
                disposable_income=4_000.0, liquid_assets=20_000.0)
    base.update(kw)
    return CaseSnapshot(**base)


def test_affordability_ratios_come_from_the_plan_and_the_income():
    row = features(_snapshot(), PlanShape("installments", 2_000.0, 24), allowed_categories=ALL)
    assert row["payment_to_income"] == 0.2
    assert row["payment_to_disposable"] == 0.5
    assert row["plan_share_of_debt"] == 0.8
    assert round(row["months_since_default"], 1) == 12.0
    assert row["interest_share"] == 10_000 / 60_000


def test_sensitive_categories_are_missing_without_a_legal_basis():
    row = features(_snapshot(), PlanShape("settlement"), allowed_categories=ORDINARY)
    assert math.isnan(row["liquid_assets"])
    assert row["disposable_income"] == 4_000.0
    assert categories_used([row]) == ["credit", "debt", "employment", "plan"]
    allowed = features(_snapshot(), PlanShape("settlement"), allowed_categories=ALL)
    assert allowed["liquid_assets"] == 20_000.0
    assert "financial_accounts" in categories_used([allowed])


def test_every_feature_is_produced_and_belongs_to_a_category():
    row = features(_snapshot(), PlanShape("settlement"), allowed_categories=ALL)
    assert set(row) == {f.name for f in FEATURES}
    assert all(f.label.en and f.label.zh for f in FEATURES)


def test_a_lump_sum_plan_has_no_monthly_ratios():
    row = features(_snapshot(), PlanShape("settlement"), allowed_categories=ALL)
    assert math.isnan(row["payment_to_income"]) and math.isnan(row["monthly_amount"])


def test_gender_and_age_band_are_read_from_the_resident_id():
    import numpy as np

    number = resident_id(np.random.default_rng(1), "310115", date(1985, 6, 1), female=True)
    assert groups_from_resident_id(number, date(2026, 11, 1)) == ("female", "40-49")
    assert groups_from_resident_id(number, date(2025, 5, 31)) == ("female", "30-39")
    assert groups_from_resident_id(None, date(2026, 1, 1)) == ("unknown", "unknown")
