"""The benchmark script runs on a handful of pairs."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def test_benchmark_runs_small() -> None:
    path = Path(__file__).resolve().parents[3] / "benchmarks" / "mediation.py"
    spec = importlib.util.spec_from_file_location("mediation_benchmark", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.main(20, 1)
    assert [r[1] for r in rows] == [20, 20, 20]
    assert all(0 <= r[3] <= 1 for r in rows)
