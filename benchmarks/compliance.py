"""Compliance engine figures: decisions/s in-process, reservations/s on SQLite and PostgreSQL, and
the audit of a large contact log (rows/s, peak memory).

    .venv/bin/python benchmarks/compliance.py                      # full: 1,000,000-row audit
    .venv/bin/python benchmarks/compliance.py --rows 100000 --decisions 50000 --reservations 200
    .venv/bin/python benchmarks/compliance.py --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text

from qingzhai.compliance import service
from qingzhai.compliance.audit import audit
from qingzhai.compliance.presets import CN, US_REGF
from qingzhai.compliance.rules import ContactRequest, PastContact, decide
from qingzhai.db.all_models import metadata
from qingzhai.db.session import make_engine, session_factory
from qingzhai.registry import service as registry
from qingzhai.registry.models import Case, Debt, Debtor
from qingzhai.sim.contact_log import write_contact_log

AT = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)  # 14:00 Shanghai


def bench_decisions(n: int) -> list[tuple[str, str, str]]:
    out = []
    for label, rules, zone, at in (
        ("cn, allowed, 5 calls of history", CN, "Asia/Shanghai", AT),
        ("us-regf, allowed, 5 calls of history", US_REGF, "America/New_York", AT + timedelta(hours=9)),
        ("cn, denied at 23:00 with next allowed time", CN, "Asia/Shanghai", AT + timedelta(hours=9)),
    ):
        hist = tuple(PastContact(at=(at - timedelta(hours=h)).timestamp(), channel="call", outcome="no_answer",
                                 phone="p1") for h in range(1, 6))
        req = ContactRequest(at=at, channel="call", zones=(zone,), phone="p1", case_id="c1")
        decide(rules, req, hist)
        started = time.perf_counter()
        for _ in range(n):
            decide(rules, req, hist)
        rate = n / (time.perf_counter() - started)
        out.append((f"decisions in-process ({label})", f"{rate:,.0f} /s", f"{n:,} decisions, one core"))
    return out


def _seed(url: str, debtors: int) -> list[str]:
    engine = make_engine(url)
    metadata.create_all(engine)
    ids = []
    with session_factory(engine)() as session:
        creditor = registry.create_creditor(session, name=f"Bench {uuid.uuid4().hex[:6]}", now=AT)
        for i in range(debtors):
            d = Debtor(kind="individual", name="张三", id_number=f"X{i}", id_key=uuid.uuid4().hex, phone=f"139{i:08d}",
                       timezone="Asia/Shanghai", created_at=AT)
            session.add(d)
            session.flush()
            c = Case(number=10_000_000 + i, creditor_id=creditor.id, debtor_id=d.id, currency="CNY", stage="assessment",
                     opened_at=AT, stage_changed_at=AT)
            session.add(c)
            session.flush()
            session.add(Debt(creditor_id=creditor.id, debtor_id=d.id, case_id=c.id, debt_ref=f"B{i}", currency="CNY",
                             principal=1000, default_date=AT.date(), placed_at=AT))
            ids.append(c.id)
        session.commit()
    engine.dispose()
    return ids


def bench_reservations(url: str, n: int, label: str) -> tuple[str, str, str]:
    cases = _seed(url, max(n // 3, 1))
    engine = make_engine(url)
    sessions = session_factory(engine)
    allowed = 0
    started = time.perf_counter()
    for i in range(n):
        with sessions() as session:
            case = registry.get_case(session, cases[i % len(cases)])
            d = service.request_contact(session, case=case, channel="call", at=AT + timedelta(seconds=i), agent_id="bench")
            session.commit()
            allowed += d.allowed
    rate = n / (time.perf_counter() - started)
    engine.dispose()
    return (f"reservations, {label}", f"{rate:,.0f} /s", f"{n:,} requests, one transaction each, {allowed:,} reserved")


def bench_audit(rows: int, workdir: Path) -> list[tuple[str, str, str]]:
    path = workdir / "log.csv"
    started = time.perf_counter()
    write_contact_log(path, rows, seed=11)
    gen = time.perf_counter() - started
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    report = audit(path, CN)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return [
        (f"audit of a {report.rows:,}-row log (cn)", f"{elapsed:.1f} s",
         f"{report.rows / elapsed:,.0f} rows/s; {len(report.violations):,} violations; log written in {gen:.1f} s"),
        ("audit peak memory (process max RSS)", f"{peak / 1024:,.0f} MiB", f"{before / 1024:,.0f} MiB before the audit"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--decisions", type=int, default=200_000)
    parser.add_argument("--reservations", type=int, default=500)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                        help="admin URL; a throwaway database is created and dropped ('' to skip)")
    args = parser.parse_args()
    console = Console()
    table = Table("figure", "value", "detail", title="qingzhai compliance engine")
    for row in bench_decisions(args.decisions):
        table.add_row(*row)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        table.add_row(*bench_reservations(f"sqlite:///{workdir / 'bench.db'}", args.reservations, "SQLite (file, WAL)"))
        if args.pg_url:
            admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
            name = f"qz_bench_{uuid.uuid4().hex[:8]}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                table.add_row(*bench_reservations(args.pg_url.rsplit("/", 1)[0] + "/" + name, args.reservations,
                                                  "PostgreSQL"))
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
        for row in bench_audit(args.rows, workdir):
            table.add_row(*row)
    console.print(table)
    console.print("rerun: .venv/bin/python benchmarks/compliance.py "
                  f"--decisions {args.decisions} --reservations {args.reservations} --rows {args.rows}")


if __name__ == "__main__":
    main()
