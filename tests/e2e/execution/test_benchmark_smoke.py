from __future__ import annotations

import importlib.util
from pathlib import Path


def test_execution_benchmark_runs_at_tiny_sizes():
    path = Path(__file__).parents[3] / "benchmarks" / "execution.py"
    spec = importlib.util.spec_from_file_location("bench_execution", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    table = module.main(["--contracts", "40", "--payments", "5", "--ledger", "300"])
    assert table.row_count == 8
