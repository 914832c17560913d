from __future__ import annotations

import csv
import hashlib
import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from qingzhai.cli import app
from qingzhai.db.session import engine_for
from qingzhai.registry.models import Debt

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_generate_portfolio_same_seed_same_file(tmp_path):
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    assert run("generate", "portfolio", "--debtors", "50", "--seed", "3", "--out", str(a)).exit_code == 0
    run("generate", "portfolio", "--debtors", "50", "--seed", "3", "--out", str(b))
    run("generate", "portfolio", "--debtors", "50", "--seed", "4", "--out", str(c))
    assert digest(a) == digest(b) != digest(c)
    rows = list(csv.DictReader(a.open(encoding="utf-8")))
    assert {r["debtor_type"] for r in rows} == {"individual", "enterprise"}
    assert any(r["district"] == "崇明区" for r in rows) or len(rows) < 200


def test_import_then_reimport_then_list_and_show(fresh_db, tmp_path):
    path = tmp_path / "p.csv"
    run("generate", "portfolio", "--debtors", "40", "--seed", "1", "--out", str(path))
    first = run("import", "placements", str(path), "--creditor", "浦江银行", "--json")
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["imported"] >= 40 and report["rejected"] == 0
    again = json.loads(run("import", "placements", str(path), "--creditor", "浦江银行", "--json").stdout)
    assert again["imported"] == 0 and again["already_present"] == report["imported"]

    listing = json.loads(run("cases", "list", "--json", "--limit", "5").stdout)
    assert listing["total"] == 40 and len(listing["items"]) == 5
    shown = listing["items"][0]
    assert "*" in shown["debtor"]["id_number"] and len(shown["debtor"]["id_number"]) == 18

    detail = run("cases", "show", str(shown["number"]), "--json")
    body = json.loads(detail.stdout)
    assert body["stage"] == "intake" and body["debts"]
    raw_ids = [row["id_number"] for row in csv.DictReader(path.open(encoding="utf-8"))]
    assert not any(raw in detail.stdout for raw in raw_ids)


def test_bad_rows_go_to_the_rejects_file(sqlite_db, tmp_path):
    path = tmp_path / "p.csv"
    run("generate", "portfolio", "--debtors", "3", "--seed", "2", "--out", str(path))
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    cells[0], cells[6] = "BAD-1", "12.345"
    path.write_text("\n".join([*lines, ",".join(cells)]) + "\n", encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    result = run("import", "placements", str(path), "--creditor", "C", "--rejects", str(rejects))
    assert result.exit_code == 0
    rows = list(csv.DictReader(rejects.open(encoding="utf-8-sig")))
    assert len(rows) == 1
    assert (rows[0]["line"], rows[0]["field"]) == (str(len(lines) + 1), "principal")
    assert "decimal places" in rows[0]["reason"]


def test_unreadable_file_exits_2_and_stores_nothing(fresh_db, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("debt_ref,debtor_name\nX,Y\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "placements", str(path), "--creditor", "C"])
    assert result.exit_code == 2
    assert "missing required column" in result.stderr
    with engine_for(fresh_db).connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Debt)) == 0


def test_stage_change_refused_names_the_rule(sqlite_db, tmp_path):
    path = tmp_path / "p.csv"
    run("generate", "portfolio", "--debtors", "2", "--seed", "2", "--out", str(path))
    run("import", "placements", str(path), "--creditor", "C")
    bad = runner.invoke(app, ["cases", "advance", "1", "--to", "execution", "--reason", "skip"])
    assert bad.exit_code == 2 and "cannot move from intake to execution" in bad.stderr
    ok = run("cases", "advance", "1", "--to", "assessment", "--reason", "accepted")
    assert ok.exit_code == 0
    hold = run("cases", "hold", "1", "--kind", "dispute", "--until", "2099-01-01", "--reason", "amount disputed", "--json")
    assert json.loads(hold.stdout)["kind"] == "dispute"
    missing = runner.invoke(app, ["cases", "show", "999"])
    assert missing.exit_code == 3


def test_demo_runs_end_to_end(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("demo", "--debtors", "30", "--seed", "5")
    assert result.exit_code == 0, result.output
    assert "Portfolio summary" in result.stdout
