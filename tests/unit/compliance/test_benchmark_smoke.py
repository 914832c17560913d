"""The benchmark script runs with tiny sizes (it is never run by the test suite in full)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "benchmarks" / "compliance.py"


def test_benchmark_decisions_and_audit_run_small(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("compliance_bench", BENCH)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = bench.bench_decisions(200)
    assert len(rows) == 3 and all(r[1].endswith("/s") for r in rows)
    audit_rows = bench.bench_audit(500, tmp_path)
    assert "row log" in audit_rows[0][0] and audit_rows[1][1].endswith("MiB")
