from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from qingzhai.core.errors import RuleViolation
from qingzhai.scoring.rules import (
    Bands,
    FairnessSettings,
    FeatureLabel,
    ScoreScale,
    TrainSettings,
    auc,
    brier,
    calibration_table,
    check_leaks,
    fairness_by_group,
    ks,
    level_of,
    phrase_category,
    phrase_numeric,
    top_reasons,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 20)), min_size=2, max_size=60))
def test_auc_agrees_with_scikit_learn_including_ties(pairs):
    y = np.array([p[0] for p in pairs])
    s = np.array([p[1] for p in pairs], dtype=float)
    if y.all() or not y.any():
        assert math.isnan(auc(y, s))
    else:
        assert auc(y, s) == pytest.approx(roc_auc_score(y, s))


def test_ks_is_one_for_perfect_separation_and_zero_for_identical_scores():
    y = np.array([0, 0, 1, 1])
    assert ks(y, np.array([0.1, 0.2, 0.8, 0.9])) == pytest.approx(1.0)
    assert brier(y, np.array([0, 0, 1, 1])) == 0.0


def test_calibration_table_covers_every_row_in_equal_bins():
    rows = calibration_table(np.arange(100) % 2, np.linspace(0, 1, 100), bins=10)
    assert [r.count for r in rows] == [10] * 10
    assert rows[0].mean_predicted < rows[-1].mean_predicted


def test_score_scale_gives_base_points_at_base_odds_and_pdo_more_when_odds_double():
    scale = ScoreScale()
    p50 = 50 / 51
    p100 = 100 / 101
    assert scale.points(np.array([p50]))[0] == pytest.approx(600.0)
    assert scale.points(np.array([p100]))[0] - scale.points(np.array([p50]))[0] == pytest.approx(20.0)


@pytest.mark.parametrize(("p", "band"), [
    (0.80, "A"), (0.7999, "B"), (0.65, "B"), (0.5, "C"), (0.3, "D"), (0.2999, "E"), (0.0, "E")])
def test_band_lower_bounds_are_inclusive(p, band):
    assert Bands().band(p) == band
    assert Bands().bands(np.array([p]))[0] == band


def test_leak_threshold_is_inclusive_and_folds_around_one_half():
    found = check_leaks({"copy": 0.98, "inverted": 0.01, "fine": 0.75}, threshold=0.98)
    assert [f.feature for f in found] == ["copy", "inverted"]


@pytest.mark.parametrize("field", ["folds", "repeats", "inner_folds", "calibration", "blend_weights", "leak_auc"])
def test_bad_training_settings_are_refused_naming_the_field(field):
    bad = {"folds": 1, "repeats": 0, "inner_folds": 1, "calibration": "magic", "blend_weights": (0.5, 0.5), "leak_auc": 0.5}
    with pytest.raises(RuleViolation) as err:
        TrainSettings(**{field: bad[field]})
    assert err.value.field == field


@pytest.mark.parametrize("weights", [(1.0, -1.0, 1.0), (0.0, 0.0, 0.0), (1.0, 1.0)])
def test_blend_weights_are_three_non_negative_weights_not_all_zero(weights):
    with pytest.raises(RuleViolation) as err:
        TrainSettings(blend_weights=weights)
    assert err.value.field == "blend_weights"


@pytest.mark.parametrize("bad", [{"forest_trees": 0}, {"forest_leaves": 1}, {"forest_min_leaf": 0},
                                 {"forest_feature_fraction": 0.0}, {"forest_bagging_fraction": 1.0}])
def test_bad_forest_settings_are_refused(bad):
    with pytest.raises(RuleViolation) as err:
        TrainSettings(**bad)
    assert err.value.field == "forest"


def test_level_words_follow_the_training_quartiles():
    assert level_of(10.0, 2.0, 8.0) == "high"
    assert level_of(1.0, 2.0, 8.0) == "low"
    assert level_of(5.0, 2.0, 8.0) == "moderate"
    assert level_of(float("nan"), 2.0, 8.0) == "missing"


def test_reasons_are_phrased_for_people_in_both_languages():
    label = FeatureLabel("income volatility over 36 months", "36个月收入波动")
    assert phrase_numeric(label, "high") == ("income volatility over 36 months is high", "36个月收入波动偏高")
    en, zh = phrase_category(FeatureLabel("plan type", "方案类型"), "settlement")
    assert en == "plan type is a lump-sum settlement" and zh == "方案类型为一次性和解"


def test_top_reasons_keep_only_what_lowers_the_probability_most_negative_first():
    impacts = [("a", 0.5), ("b", -0.1), ("c", -0.7), ("d", -0.2), ("e", -0.05)]
    assert top_reasons(impacts) == [("c", -0.7), ("d", -0.2), ("b", -0.1)]


def test_group_below_four_fifths_of_the_best_approval_rate_is_flagged():
    y = np.array([1, 0] * 50 + [1, 0] * 50)
    p = np.array([0.9, 0.6] * 50 + [0.9, 0.3] * 50)  # group b: half the approvals of group a
    groups = np.array(["a"] * 100 + ["b"] * 100)
    rows = {r.group: r for r in fairness_by_group(y, p, groups, settings=FairnessSettings())}
    assert rows["a"].approval_rate == 1.0 and not rows["a"].flagged
    assert rows["b"].parity_ratio == pytest.approx(0.5) and rows["b"].flagged


def test_small_groups_are_reported_but_not_flagged():
    y = np.array([1, 0] * 50 + [1, 0])
    p = np.array([0.9, 0.6] * 50 + [0.1, 0.1])
    groups = np.array(["a"] * 100 + ["tiny"] * 2)
    rows = {r.group: r for r in fairness_by_group(y, p, groups, settings=FairnessSettings())}
    assert rows["tiny"].approval_rate == 0.0 and not rows["tiny"].flagged


@pytest.mark.parametrize(("now", "last", "history", "expected"), [
    (0, None, None, True),  # no model yet
    (150, 0, "simulated", False),  # still not enough real history
    (200, 0, "simulated", True),  # real history has become sufficient
    (249, 200, "real", False),  # grown by less than 25%
    (250, 200, "real", True),  # grown by exactly 25%
    (0, 0, "real", False),
])
def test_retraining_waits_for_enough_new_history(now, last, history, expected):
    from qingzhai.scoring.rules import PortfolioSettings, should_retrain

    assert should_retrain(labelled_now=now, labelled_at_last_training=last, history_at_last_training=history,
                          settings=PortfolioSettings()) is expected


@pytest.mark.parametrize(("field", "value"), [("approve_at", 1.01), ("approve_at", -0.1), ("parity_floor", 0.0)])
def test_bad_fairness_settings_are_refused_naming_the_field(field, value):
    with pytest.raises(RuleViolation) as err:
        FairnessSettings(**{field: value})
    assert err.value.field == field
