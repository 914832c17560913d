"""Encryption at rest: AES-256-GCM throughput, and what encryption costs the placement import.

    .venv/bin/python benchmarks/crypto.py                    # 20,000 placement rows, 200,000 small values
    .venv/bin/python benchmarks/crypto.py --rows 2000 --values 20000 --blobs 5   # quick

The import runs on fresh SQLite databases with the same synthetic file, alternately with the
encrypted column type switched to pass-through (what the import cost before encryption) and as
shipped (ID number, phone, email and address encrypted per row), `--repeat` times each; the best
run of each counts, measured in CPU time of this process (the machine may be shared, and wall time
then measures the neighbours).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from qingzhai.core.actor import SYSTEM
from qingzhai.core.ids import new_id
from qingzhai.db.all_models import metadata
from qingzhai.db.session import make_engine, unit_of_work
from qingzhai.registry.intake.files import open_placements
from qingzhai.registry.intake.service import import_placements
from qingzhai.registry.service import create_creditor
from qingzhai.security import envelope
from qingzhai.security.types import EncryptedText
from qingzhai.sim.portfolio import write_portfolio

NOW = datetime(2026, 11, 20, 2, tzinfo=UTC)
COMMAND = ".venv/bin/python benchmarks/crypto.py"


def value_throughput(n: int) -> tuple[float, float]:
    """(seals per second, opens per second) of an 18-character ID number."""
    key, kid = envelope.new_key(), new_id()
    data = b"310101199001011234"
    started = time.perf_counter()
    blobs = [envelope.seal(data, key_id=kid, key=key, context="debtors.id_number") for _ in range(n)]
    sealed = time.perf_counter() - started
    started = time.perf_counter()
    for blob in blobs:
        envelope.open_sealed(blob, key=key, context="debtors.id_number")
    opened = time.perf_counter() - started
    return n / sealed, n / opened


def blob_throughput(count: int, size: int = 8 * 1024 * 1024) -> tuple[float, float]:
    """(MB/s sealed, MB/s opened) of recording-sized blobs."""
    key, kid = envelope.new_key(), new_id()
    data = os.urandom(size)
    started = time.perf_counter()
    blobs = [envelope.seal(data, key_id=kid, key=key, context="recording") for _ in range(count)]
    sealed = time.perf_counter() - started
    started = time.perf_counter()
    for blob in blobs:
        envelope.open_sealed(blob, key=key, context="recording")
    opened = time.perf_counter() - started
    megabytes = count * size / 1e6
    return megabytes / sealed, megabytes / opened


@contextmanager
def encryption_disabled() -> Iterator[None]:
    bind, result = EncryptedText.process_bind_param, EncryptedText.process_result_value

    def passthrough(self: Any, value: Any, dialect: Any) -> Any:
        return value

    EncryptedText.process_bind_param = passthrough  # type: ignore[method-assign]
    EncryptedText.process_result_value = passthrough  # type: ignore[method-assign]
    try:
        yield
    finally:
        EncryptedText.process_bind_param = bind  # type: ignore[method-assign]
        EncryptedText.process_result_value = result  # type: ignore[method-assign]


def import_rate(path: Path, workdir: Path, label: str) -> float:
    """Rows per CPU-second of a full placement import into a fresh SQLite database (a new engine each
    time, so SQLAlchemy's per-dialect processor cache sees the current column type behaviour)."""
    engine = make_engine(f"sqlite:///{workdir / f'{label}.db'}")
    metadata.create_all(engine)
    try:
        with unit_of_work(engine) as session:
            creditor = create_creditor(session, name="Benchmark", now=NOW)
            source = open_placements(path)
            started = time.process_time()
            report = import_placements(session, creditor=creditor, rows=source.rows(), filename=path.name,
                                       sha256="bench", actor=SYSTEM, now=NOW)
            session.flush()
        elapsed = time.process_time() - started
        return report.read / elapsed
    finally:
        engine.dispose()


def run(*, rows: int, values: int, blobs: int, repeat: int = 3, console: Console | None = None) -> dict[str, float]:
    console = console or Console()
    results: dict[str, float] = {}
    with console.status("sealing and opening values"):
        results["seal_per_s"], results["open_per_s"] = value_throughput(values)
    with console.status("sealing and opening 8 MiB blobs"):
        results["blob_seal_mb_s"], results["blob_open_mb_s"] = blob_throughput(blobs)
    with tempfile.TemporaryDirectory(prefix="qingzhai-crypto-") as tmp:
        work = Path(tmp)
        path = work / "placements.csv"
        n = write_portfolio(path, rows, seed=3)
        results["import_rows"] = n
        plain, encrypted = [], []
        for i in range(repeat):
            with console.status(f"importing {n:,} rows without encryption ({i + 1}/{repeat})"), encryption_disabled():
                plain.append(import_rate(path, work, f"plain{i}"))
            with console.status(f"importing {n:,} rows with encryption ({i + 1}/{repeat})"):
                encrypted.append(import_rate(path, work, f"encrypted{i}"))
        results["import_plain_rows_s"], results["import_encrypted_rows_s"] = max(plain), max(encrypted)
    results["import_overhead_pct"] = (results["import_plain_rows_s"] / results["import_encrypted_rows_s"] - 1) * 100
    table = Table(title="Encryption at rest (AES-256-GCM, envelope)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("seal an ID number (18 B)", f"{results['seal_per_s']:,.0f} /s")
    table.add_row("open an ID number (18 B)", f"{results['open_per_s']:,.0f} /s")
    table.add_row("seal 8 MiB recording", f"{results['blob_seal_mb_s']:,.0f} MB/s")
    table.add_row("open 8 MiB recording", f"{results['blob_open_mb_s']:,.0f} MB/s")
    table.add_row(f"import {n:,} rows, no encryption", f"{results['import_plain_rows_s']:,.0f} rows/CPU-s")
    table.add_row(f"import {n:,} rows, encrypted", f"{results['import_encrypted_rows_s']:,.0f} rows/CPU-s")
    table.add_row("import overhead of encryption", f"{results['import_overhead_pct']:.1f} %")
    console.print(table)
    console.print(f"rerun: {COMMAND} --rows {rows} --values {values} --blobs {blobs} --repeat {repeat}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000, help="placement rows imported (default 20,000)")
    parser.add_argument("--values", type=int, default=200_000, help="small values sealed (default 200,000)")
    parser.add_argument("--blobs", type=int, default=20, help="8 MiB blobs sealed (default 20)")
    parser.add_argument("--repeat", type=int, default=3, help="import runs of each kind; the best counts (default 3)")
    args = parser.parse_args()
    run(rows=args.rows, values=args.values, blobs=args.blobs, repeat=args.repeat)


if __name__ == "__main__":
    main()
