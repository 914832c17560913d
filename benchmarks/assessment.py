"""Assessment benchmark: cases assessed per second (pure indicators, and the full service path on
SQLite), and shell detection on a registry graph of 1,000,000 people, companies, addresses and phones
(build time, peak memory, time per debtor after load).

    .venv/bin/python benchmarks/assessment.py                       # 10,000 cases, 1,000,000 nodes
    .venv/bin/python benchmarks/assessment.py --cases 500 --db-cases 100 --nodes 20000   # quick
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from qingzhai.assessment import sources
from qingzhai.assessment.evidence import BankTxn, CaseFacts, DebtFacts, Evidence
from qingzhai.assessment.graph import (
    ADDRESS,
    AT_ADDRESS,
    COMPANY,
    EXECUTIVE,
    HAS_PHONE,
    LEGAL_REP,
    PERSON,
    PHONE,
    RELATIVE,
    SHAREHOLDER,
    RegistryGraph,
)
from qingzhai.assessment.outcome import assess
from qingzhai.assessment.rules import AssessmentSettings
from qingzhai.assessment.shells import detect
from qingzhai.sim.evidence import DebtorProfile, DebtProfile, EvidenceMix, build_evidence

AS_OF = date(2026, 11, 1)
NOW = datetime(2026, 11, 1, 2, tzinfo=UTC)


def profiles(n: int, seed: int) -> list[DebtorProfile]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        default = AS_OF - timedelta(days=int(rng.integers(60, 1400)))
        principal = Decimal(int(rng.integers(3_000, 300_000)))
        kind = "individual" if rng.random() < 0.8 else "enterprise"
        out.append(DebtorProfile(f"D{i:07d}", kind, "张三", "310115198506010011",
                                 Decimal(int(rng.integers(3_000, 40_000))), "上海市浦东新区A路1号", "13800000000",
                                 (DebtProfile(f"R{i:07d}", principal, default - timedelta(days=400), default),)))
    return out


def evidence_objects(built, plist: list[DebtorProfile]) -> tuple[list[Evidence], list[CaseFacts]]:
    """The generator's records parsed exactly as an import would, grouped per debtor."""
    per: dict[str, dict[str, list]] = {p.debtor_id: {} for p in plist}
    for source, records in built.records.items():
        for rec in records:
            parsed = sources.parse_record(source, rec)
            bucket = per[parsed.debtor_id].setdefault(source, [])
            if not parsed.payload.get("nothing_found"):
                bucket.append(sources.to_evidence(source, parsed.payload))
    for row in built.bank_rows:
        parsed = sources.parse_record("bank", row)
        p = parsed.payload
        per[parsed.debtor_id].setdefault("bank", []).append(BankTxn(
            p["account"], date.fromisoformat(p["date"]), p["amount"], p.get("counterparty", ""), p["category"],
            p.get("balance")))
    evidence = [Evidence(**{k: tuple(v) for k, v in per[p.debtor_id].items()}) for p in plist]
    facts = []
    for i, p in enumerate(plist):
        d = p.debts[0]
        fen = int(d.principal * 100)
        facts.append(CaseFacts(i + 1, p.kind, "CNY", fen, fen, (DebtFacts(d.debt_ref, fen, 0, 0, d.origination, d.default),),
                               int(p.monthly_income * 100) if p.monthly_income else None))
    return evidence, facts


def bench_pure(n: int, seed: int) -> dict[str, float]:
    plist = profiles(n, seed)
    t0 = time.perf_counter()
    built = build_evidence(plist, seed=seed, as_of=AS_OF, mix=EvidenceMix())
    t1 = time.perf_counter()
    evidence, facts = evidence_objects(built, plist)
    t2 = time.perf_counter()
    settings = AssessmentSettings()
    c2 = time.process_time()
    for ev, f in zip(evidence, facts, strict=True):
        assess(ev, f, now=NOW, as_of=AS_OF, settings=settings)
    t3 = time.perf_counter()
    return {"generate_s": t1 - t0, "parse_s": t2 - t1, "assess_s": t3 - t2, "assess_cpu_s": time.process_time() - c2,
            "bank_rows": len(built.bank_rows)}


def bench_db(n: int, seed: int) -> dict[str, float]:
    """Import synthetic evidence for n cases into a fresh SQLite database and assess every case."""
    from qingzhai.assessment import service
    from qingzhai.core.actor import SYSTEM
    from qingzhai.db.all_models import metadata
    from qingzhai.db.session import make_engine, unit_of_work
    from qingzhai.registry import service as registry
    from qingzhai.registry.intake.files import file_sha256, open_placements
    from qingzhai.registry.intake.service import import_placements
    from qingzhai.registry.rules import Stage
    from qingzhai.sim.evidence import profiles_from_db
    from qingzhai.sim.portfolio import write_portfolio

    folder = Path(tempfile.mkdtemp(prefix="qz-bench-"))
    engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
    metadata.create_all(engine)
    placements = folder / "p.csv"
    write_portfolio(placements, n, seed=seed, as_of=AS_OF)
    with unit_of_work(engine) as session:
        creditor = registry.ensure_creditor(session, name="bench", now=NOW)
        import_placements(session, creditor=creditor, rows=open_placements(placements).rows(), filename="p.csv",
                          sha256=file_sha256(placements), actor=SYSTEM, now=NOW)
    with unit_of_work(engine) as session:
        cases, _ = registry.list_cases(session, limit=10_000_000)
        for case in cases:
            registry.advance_case(session, case, to=Stage.assessment, reason="bench", actor=SYSTEM, now=NOW)
        built = build_evidence(profiles_from_db(session), seed=seed, as_of=AS_OF)
    t0 = time.perf_counter()
    with unit_of_work(engine) as session:
        for source, records in built.records.items():
            service.import_records(session, source=source, records=list(enumerate(records)), filename=source,
                                   sha256=source, actor=SYSTEM, now=NOW)
        service.import_records(session, source="bank", records=list(enumerate(built.bank_rows)), filename="bank",
                               sha256="bank", actor=SYSTEM, now=NOW)
        service.import_registry(session, document=built.registry, filename="registry", sha256="registry", actor=SYSTEM,
                                now=NOW)
    t1 = time.perf_counter()
    c1 = time.process_time()
    with unit_of_work(engine) as session:
        cases, _ = registry.list_cases(session, stage=Stage.assessment, limit=10_000_000)
        results = service.assess_cases(session, list(cases), actor=SYSTEM, now=NOW,
                                       basis=lambda *_a, **_k: True)
    t2 = time.perf_counter()
    cpu = time.process_time() - c1
    engine.dispose()
    shutil.rmtree(folder, ignore_errors=True)
    return {"cases": len(results), "import_s": t1 - t0, "assess_s": t2 - t1, "assess_cpu_s": cpu}


def registry_graph(nodes: int, seed: int, debtors: int) -> tuple[RegistryGraph, list[int], set[int]]:
    """A registry of `nodes` nodes: 45% people, 40% companies, 12% addresses, 3% phones, with roles,
    relatives, shared addresses (some of them registered-agent hubs), transfers, and planted shells."""
    rng = np.random.default_rng(seed)
    n_p, n_c, n_a = int(nodes * 0.45), int(nodes * 0.40), int(nodes * 0.12)
    n_ph = nodes - n_p - n_c - n_a
    kind = np.concatenate([np.full(n_p, PERSON), np.full(n_c, COMPANY), np.full(n_a, ADDRESS), np.full(n_ph, PHONE)])
    people = np.arange(n_p)
    companies = np.arange(n_p, n_p + n_c)
    addresses = np.arange(n_p + n_c, n_p + n_c + n_a)
    phones = np.arange(n_p + n_c + n_a, nodes)
    today = AS_OF.toordinal()
    registered = np.zeros(nodes, dtype=np.int32)
    registered[companies] = today - rng.integers(30, 9000, size=n_c)
    deregistered = np.zeros(nodes, dtype=np.int32)
    capital = np.full(nodes, -1, dtype=np.int64)
    capital[companies] = rng.integers(1, 500, size=n_c) * 10_000_000
    src, dst, typ = [], [], []

    def link(a: np.ndarray, b: np.ndarray, t: int) -> None:
        src.append(a)
        dst.append(b)
        typ.append(np.full(len(a), t))

    link(rng.choice(people, n_c), companies, LEGAL_REP)
    holders = np.where(rng.random(n_c * 2) < 0.9, rng.choice(people, n_c * 2), rng.choice(companies, n_c * 2))
    link(holders, np.tile(companies, 2), SHAREHOLDER)
    link(rng.choice(people, n_c // 2), rng.choice(companies, n_c // 2), EXECUTIVE)
    link(rng.choice(people, n_p // 4), rng.choice(people, n_p // 4), RELATIVE)
    zipf = np.minimum(rng.zipf(1.6, size=n_c) - 1, n_a - 1)  # a few addresses hold thousands of companies
    link(companies, addresses[zipf], AT_ADDRESS)
    half = rng.choice(people, n_p // 2, replace=False)
    link(half, rng.choice(addresses, len(half)), AT_ADDRESS)
    link(rng.choice(companies, n_c // 2), rng.choice(phones, n_c // 2), HAS_PHONE)
    n_t = nodes // 3
    t_src = rng.choice(nodes - n_a - n_ph, n_t)
    t_dst = rng.choice(companies, n_t)
    t_value = rng.integers(1, 10_000, size=n_t) * 100_000
    t_cons = t_value.copy()
    t_day = today - rng.integers(1, 3000, size=n_t)
    debtor_nodes = rng.choice(people, debtors, replace=False)
    defaults = today - rng.integers(60, 1000, size=debtors)
    planted: set[int] = set()
    extra_src, extra_dst, extra_typ = [], [], []
    add_t = []
    for i in range(0, debtors, 5):  # every fifth debtor moved a property to a relative's new company
        d, default = int(debtor_nodes[i]), int(defaults[i])
        relative = int(rng.choice(people))
        shell = int(rng.choice(companies))
        registered[shell] = default - 30
        capital[shell] = 1_000_000
        extra_src += [d, relative]
        extra_dst += [relative, shell]
        extra_typ += [RELATIVE, SHAREHOLDER]
        planted.add(n_t + len(add_t))
        add_t.append((d, shell, 500_000_000, 100, default + 10))
    src.append(np.array(extra_src))
    dst.append(np.array(extra_dst))
    typ.append(np.array(extra_typ))
    t_extra = np.array(add_t, dtype=np.int64).reshape(-1, 5)
    link_src, link_dst, link_type = np.concatenate(src), np.concatenate(dst), np.concatenate(typ)
    n_links = len(link_src)
    is_role = link_type <= EXECUTIVE
    rows = np.full(n_links, -1, dtype=np.int32)
    rows[is_role] = np.arange(int(is_role.sum()), dtype=np.int32)
    n_roles = int(is_role.sum())
    share = np.where(link_type[is_role] == SHAREHOLDER, rng.integers(100, 10_000, size=n_roles), -1)
    ids = [f"N{i}" for i in range(nodes)]
    graph = RegistryGraph.from_arrays(
        ids=ids, names=ids, kind=kind, registered=registered, deregistered=deregistered, capital_fen=capital,
        link_src=link_src, link_dst=link_dst, link_type=link_type, link_row=rows, share_bp=share,
        role_from=np.zeros(n_roles), role_to=np.zeros(n_roles), t_ids=[f"T{i}" for i in range(n_t + len(t_extra))],
        t_asset=[""] * (n_t + len(t_extra)), t_src=np.concatenate([t_src, t_extra[:, 0]]),
        t_dst=np.concatenate([t_dst, t_extra[:, 1]]), t_kind=np.zeros(n_t + len(t_extra)),
        t_value=np.concatenate([t_value, t_extra[:, 2]]), t_cons=np.concatenate([t_cons, t_extra[:, 3]]),
        t_day=np.concatenate([t_day, t_extra[:, 4]]),
        debtors={f"D{i}": (int(debtor_nodes[i]), int(defaults[i])) for i in range(debtors)},
    )
    return graph, [int(x) for x in debtor_nodes], planted


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000, help="cases for the pure assessment figure")
    parser.add_argument("--db-cases", type=int, default=10_000, help="debtors for the full service path on SQLite")
    parser.add_argument("--nodes", type=int, default=1_000_000, help="registry graph size")
    parser.add_argument("--queries", type=int, default=200, help="debtors searched on the graph")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    console = Console()
    table = Table("figure", "value", title="qingzhai assessment benchmark")

    before = rss_mb()
    t0 = time.perf_counter()
    graph, _debtor_nodes, planted = registry_graph(args.nodes, args.seed, max(args.queries, 10))
    build = time.perf_counter() - t0
    peak = rss_mb()
    times = []
    hits = 0
    for _name, (node, day) in list(graph.debtors.items())[: args.queries]:
        t = time.perf_counter()
        report = detect(graph, node, default_day=day)
        times.append(time.perf_counter() - t)
        hits += any(tr.get("id") in {graph.t_ids[p] for p in planted} for f in report.findings for tr in f.transfers)
    table.add_row(f"registry graph: {graph.nodes:,} nodes, {len(graph.nbr) // 2:,} links, {len(graph.t_src):,} transfers",
                  f"built in {build:.1f} s; arrays {graph.memory_bytes / 2**20:,.0f} MiB; "
                  f"peak RSS {peak:,.0f} MiB (+{peak - before:,.0f} for the graph)")
    table.add_row(f"shell detection per debtor ({len(times)} debtors, after load)",
                  f"median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms")
    table.add_row("planted transfers found", f"{hits} of {len([1 for i in range(0, len(times), 5)])}")
    pure = bench_pure(args.cases, args.seed)
    table.add_row(f"synthetic evidence for {args.cases:,} debtors", f"{pure['generate_s']:.1f} s "
                  f"({int(pure['bank_rows']):,} statement lines)")
    table.add_row("parse as the importers do", f"{pure['parse_s']:.1f} s")
    table.add_row(f"assess {args.cases:,} cases (12 indicators, pure)",
                  f"{pure['assess_s']:.2f} s = {args.cases / pure['assess_s']:,.0f} cases/s "
                  f"(CPU {pure['assess_cpu_s']:.2f} s)")
    if args.db_cases:
        db = bench_db(args.db_cases, args.seed)
        table.add_row(f"import evidence for {args.db_cases:,} debtors (SQLite)", f"{db['import_s']:.1f} s")
        table.add_row(f"assess {int(db['cases']):,} cases via the service (SQLite, versions stored)",
                      f"{db['assess_s']:.1f} s = {db['cases'] / db['assess_s']:,.0f} cases/s "
                      f"(CPU {db['assess_cpu_s']:.1f} s)")

    console.print(table)
    console.print("rerun: .venv/bin/python benchmarks/assessment.py " +
                  f"--cases {args.cases} --db-cases {args.db_cases} --nodes {args.nodes} --queries {args.queries}")


if __name__ == "__main__":
    main()
