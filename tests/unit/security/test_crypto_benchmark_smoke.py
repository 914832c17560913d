from __future__ import annotations

import importlib.util
import io
from pathlib import Path

from rich.console import Console

BENCH = Path(__file__).resolve().parents[3] / "benchmarks" / "crypto.py"


def test_crypto_benchmark_runs_at_tiny_sizes_and_prints_its_table():
    spec = importlib.util.spec_from_file_location("bench_crypto", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = io.StringIO()
    results = module.run(rows=15, values=50, blobs=1, repeat=1, console=Console(file=out, width=120))
    assert results["seal_per_s"] > 0 and results["import_encrypted_rows_s"] > 0
    assert "import overhead of encryption" in out.getvalue() and "benchmarks/crypto.py" in out.getvalue()
