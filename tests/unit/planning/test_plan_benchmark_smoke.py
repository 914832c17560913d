from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from rich.console import Console

BENCH = Path(__file__).resolve().parents[3] / "benchmarks" / "planning.py"


def test_benchmark_runs_on_a_few_cases(monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("planning_benchmark", BENCH)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    _wall, _cpu, best, options = module.bench_rules(60, 1, Console(quiet=True))
    assert sum(best.values()) == 60 and options >= 60
    monkeypatch.setattr(sys, "argv", ["planning.py", "--cases", "30"])
    module.main()
    assert "cases/s" in capsys.readouterr().out
