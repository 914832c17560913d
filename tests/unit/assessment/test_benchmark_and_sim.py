import importlib.util
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from qingzhai.assessment.shells import detect
from qingzhai.sim.evidence import DebtorProfile, DebtProfile, EvidenceMix, build_evidence, write_evidence

ROOT = Path(__file__).resolve().parents[3]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_assessment", ROOT / "benchmarks" / "assessment.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_runs_small_and_finds_the_planted_shells():
    bench = _bench()
    pure = bench.bench_pure(20, 3)
    assert pure["assess_s"] > 0
    graph, _nodes, planted = bench.registry_graph(5_000, 3, 20)
    found = set()
    for node, day in graph.debtors.values():
        found.update(t["id"] for f in detect(graph, node, default_day=day).findings for t in f.transfers)
    assert {graph.t_ids[p] for p in planted} <= found


def profile(i, kind="individual"):
    return DebtorProfile(f"D{i}", kind, "张三", "310115198506010011", Decimal("9000.00"), "上海市浦东新区A路1号",
                         "13800000000", (DebtProfile(f"R{i}", Decimal("50000.00"), date(2023, 1, 1), date(2024, 6, 1)),))


def test_same_seed_same_evidence_and_nothing_after_as_of(tmp_path):
    people = [profile(i, "enterprise" if i % 4 == 0 else "individual") for i in range(12)]
    a = build_evidence(people, seed=5, as_of=date(2026, 11, 1), mix=EvidenceMix(planted_share=0.5))
    b = build_evidence(people, seed=5, as_of=date(2026, 11, 1), mix=EvidenceMix(planted_share=0.5))
    assert a.registry == b.registry and a.bank_rows == b.bank_rows and a.planted == b.planted
    assert all(r["date"] <= "2026-11-01" for r in a.bank_rows)
    assert all(t["date"] <= "2026-11-01" for t in a.registry["transfers"])
    files = write_evidence(tmp_path, a)
    assert json.loads(files["registry"].read_text(encoding="utf-8"))["debtors"][0]["id"] == "D0"
    assert (tmp_path / "planted.json").exists() and files["bank"].read_text(encoding="utf-8").startswith("debtor_id,")
