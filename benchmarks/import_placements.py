"""Placement import throughput and peak memory, SQLite and PostgreSQL.

    .venv/bin/python benchmarks/import_placements.py [--sizes 100000,1000000] [--backends sqlite,postgresql]

Each import runs in a fresh child process against a fresh database, in one transaction as the
CLI does, so the peak resident memory reported is that of a whole import. Goal (issue 2): at
least 20,000 rows/s into SQLite and under 300 MB peak at 1,000,000 rows.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

OUT = Path(__file__).parent / "out"
PG_ADMIN = os.environ.get("QINGZHAI_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def portfolio_file(rows: int, seed: int = 11) -> Path:
    """A generated placement file with about `rows` rows (cached between runs)."""
    from qingzhai.sim.portfolio import write_portfolio

    OUT.mkdir(exist_ok=True)
    path = OUT / f"placements-{rows}-{seed}.csv"
    if not path.exists():
        debtors = int(rows / 1.15)  # the generator gives ~1.15 debts per debtor
        tmp = path.with_suffix(".tmp")
        write_portfolio(tmp, debtors, seed=seed)
        tmp.rename(path)
    return path


def child(backend: str, file: str) -> None:
    from sqlalchemy import create_engine, text

    from qingzhai import clock
    from qingzhai.core.actor import SYSTEM
    from qingzhai.db.all_models import metadata
    from qingzhai.db.session import make_engine, unit_of_work
    from qingzhai.registry.intake.files import file_sha256, open_placements
    from qingzhai.registry.intake.service import import_placements
    from qingzhai.registry.service import ensure_creditor

    admin = None
    if backend == "sqlite":
        tmpdir = tempfile.mkdtemp()
        url = f"sqlite:///{tmpdir}/bench.db"
    else:
        name = f"qz_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    metadata.create_all(engine)
    path = Path(file)
    started = time.perf_counter()
    cpu_started = time.process_time()
    with unit_of_work(engine) as session:
        creditor = ensure_creditor(session, name="bench", now=clock.now())
        report = import_placements(
            session, creditor=creditor, rows=open_placements(path).rows(), filename=path.name,
            sha256=file_sha256(path), actor=SYSTEM, now=clock.now(),
        )
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    engine.dispose()
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{url.rsplit("/", 1)[1]}"'))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": report.read, "imported": report.imported, "seconds": seconds,
                      "cpu_seconds": cpu_seconds, "peak_mb": peak_mb}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--child", nargs=2, metavar=("BACKEND", "FILE"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    console = Console()
    sizes = [int(s) for s in args.sizes.split(",")]
    backends = args.backends.split(",")
    results = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("benchmark", total=len(sizes) * (len(backends) + 1))
        for size in sizes:
            progress.update(task, description=f"generating {size:,} rows")
            file = portfolio_file(size)
            progress.advance(task)
            for backend in backends:
                progress.update(task, description=f"importing {size:,} rows into {backend}")
                out = subprocess.run(
                    [sys.executable, __file__, "--child", backend, str(file)],
                    check=True, capture_output=True, text=True,
                ).stdout
                results.append((backend, size, json.loads(out.strip().splitlines()[-1])))
                r = results[-1][2]
                progress.console.print(f"{backend}: {r['rows']:,} rows in {r['seconds']:.1f} s "
                                       f"({r['rows'] / r['seconds']:,.0f} rows/s, {r['cpu_seconds']:.1f} s CPU), "
                                       f"peak {r['peak_mb']:.0f} MB")
                progress.advance(task)
    table = Table(title="Placement import (one transaction, fresh database, child process)")
    for col in ("backend", "rows", "imported", "seconds", "rows/s", "importer CPU s", "rows per CPU-s", "peak RSS (MB)"):
        table.add_column(col, justify="right")
    for backend, _size, r in results:
        table.add_row(backend, f"{r['rows']:,}", f"{r['imported']:,}", f"{r['seconds']:.1f}",
                      f"{r['rows'] / r['seconds']:,.0f}", f"{r['cpu_seconds']:.1f}",
                      f"{r['rows'] / r['cpu_seconds']:,.0f}", f"{r['peak_mb']:.0f}")
    console.print(table)
    console.print(f"rerun: .venv/bin/python benchmarks/import_placements.py --sizes {args.sizes} --backends {args.backends}")


if __name__ == "__main__":
    main()
