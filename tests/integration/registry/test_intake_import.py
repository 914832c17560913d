from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.builders import NOW, make_creditor

from qingzhai.core.actor import SYSTEM
from qingzhai.core.errors import FileRefused
from qingzhai.registry.intake.files import open_placements
from qingzhai.registry.intake.rules import ALL_COLUMNS
from qingzhai.registry.intake.service import import_placements
from qingzhai.registry.models import Case, CaseEvent, Debt, Debtor
from qingzhai.sim.portfolio import iter_placements, write_portfolio


def load(session, creditor, path: Path, **kw):
    return import_placements(
        session, creditor=creditor, rows=open_placements(path, **kw).rows(), filename=path.name,
        sha256="x", actor=SYSTEM, now=NOW, batch_size=100,
    )


def write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(ALL_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    return path


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_generated_portfolio_imports_completely_and_amounts_add_up(session, tmp_path):
    path = tmp_path / "p.csv"
    rows = write_portfolio(path, 250, seed=3)
    creditor = make_creditor(session)
    report = load(session, creditor, path)
    assert (report.read, report.imported, report.rejected) == (rows, rows, 0)
    assert report.cases_created == report.debtors_created == 250
    placed = session.scalar(select(func.sum(Case.placed_amount)).where(Case.creditor_id == creditor.id))
    debts = session.scalar(
        select(func.sum(Debt.principal + Debt.interest + Debt.fees)).where(Debt.creditor_id == creditor.id)
    )
    assert placed == debts
    assert isinstance(placed, Decimal)


def test_importing_the_same_file_again_changes_nothing(session, tmp_path):
    path = tmp_path / "p.csv"
    write_portfolio(path, 60, seed=4)
    creditor = make_creditor(session)
    first = load(session, creditor, path)
    before = (count(session, Debt), count(session, Case), count(session, Debtor), count(session, CaseEvent))
    again = load(session, creditor, path)
    assert again.imported == 0 and again.already_present == first.imported and again.rejected == 0
    assert (count(session, Debt), count(session, Case), count(session, Debtor), count(session, CaseEvent)) == before


def test_same_id_number_is_one_debtor_across_rows_and_creditors(session, tmp_path):
    base = next(iter_placements(1, seed=5))
    rows = [base, {**base, "debt_ref": "QZ-B"}, {**base, "debt_ref": "QZ-C", "debtor_name": "别名"}]
    path = write_rows(tmp_path / "p.csv", rows)
    one, two = make_creditor(session), make_creditor(session)
    r1 = load(session, one, path)
    r2 = load(session, two, path)
    assert (r1.debtors_created, r1.cases_created, r1.imported) == (1, 1, 3)
    assert (r2.debtors_created, r2.cases_created, r2.imported) == (0, 1, 3)
    key_count = session.scalar(select(func.count(func.distinct(Debt.debtor_id))).where(Debt.debt_ref.in_(["QZ-B", "QZ-C"])))
    assert key_count == 1


def test_a_new_debt_for_a_known_debtor_joins_the_open_case(session, tmp_path):
    base = next(iter_placements(1, seed=6))
    creditor = make_creditor(session)
    load(session, creditor, write_rows(tmp_path / "a.csv", [base]))
    report = load(session, creditor, write_rows(tmp_path / "b.csv", [{**base, "debt_ref": "QZ-NEXT", "principal": "100.00",
                                                                        "interest": "0", "fees": "0"}]))
    assert report.cases_created == 0 and report.imported == 1
    case = session.scalar(select(Case).where(Case.creditor_id == creditor.id))
    total = Decimal(base["principal"]) + Decimal(base["interest"]) + Decimal(base["fees"]) + Decimal("100.00")
    assert case.placed_amount == total
    assert [e.kind for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.at,
                                                                                                           CaseEvent.kind))] \
        == ["case_opened", "debts_added"]


def test_changed_figures_for_a_placed_debt_are_rejected_not_overwritten(session, tmp_path):
    base = next(iter_placements(1, seed=8))
    creditor = make_creditor(session)
    load(session, creditor, write_rows(tmp_path / "a.csv", [base]))
    changed = {**base, "principal": str(Decimal(base["principal"]) + 1)}
    report = load(session, creditor, write_rows(tmp_path / "b.csv", [changed]))
    assert report.rejected == 1 and report.sample_rejects[0].field == "debt_ref"
    debt = session.scalar(select(Debt).where(Debt.creditor_id == creditor.id))
    assert debt.principal == Decimal(base["principal"])


def test_duplicate_debt_ref_within_one_file(session, tmp_path):
    base = next(iter_placements(1, seed=9))
    rows = [base, dict(base), {**base, "principal": "1.00"}]
    report = load(session, make_creditor(session), write_rows(tmp_path / "p.csv", rows))
    assert (report.imported, report.already_present, report.rejected) == (1, 1, 1)
    assert "line 2" in report.sample_rejects[0].reason


def test_bad_rows_are_rejected_with_line_field_and_reason_good_rows_stored(session, tmp_path):
    good = list(iter_placements(3, seed=10))
    bad = {**good[0], "debt_ref": "BAD-1", "phone": "12345"}
    path = write_rows(tmp_path / "p.csv", [good[0], bad, *good[1:]])
    rejects = []
    report = import_placements(
        session, creditor=make_creditor(session), rows=open_placements(path).rows(), filename="p.csv",
        sha256="x", actor=SYSTEM, now=NOW, on_reject=rejects.append,
    )
    assert report.rejected == 1 and report.imported == len(good)
    assert (rejects[0].line, rejects[0].field) == (3, "phone")


def test_missing_required_column_refuses_the_whole_file(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("debt_ref,debtor_type\nA,individual\n", encoding="utf-8")
    with pytest.raises(FileRefused) as err:
        open_placements(path)
    assert err.value.field == "debtor_name" and err.value.line == 1


def test_wrong_encoding_is_refused_with_a_hint(tmp_path):
    row = next(iter_placements(1, seed=11))
    path = tmp_path / "gbk.csv"
    header = ",".join(ALL_COLUMNS)
    path.write_bytes((header + "\n" + ",".join(row[c] for c in ALL_COLUMNS) + "\n").encode("gbk"))
    with pytest.raises(FileRefused, match="--encoding gbk"):
        open_placements(path)
    assert next(open_placements(path, encoding="gbk").rows())[1]["debtor_name"] == row["debtor_name"]


def test_xlsx_placements_import_like_csv(session, tmp_path):
    from openpyxl import Workbook

    rows = list(iter_placements(5, seed=12))
    wb = Workbook()
    ws = wb.active
    ws.append(list(ALL_COLUMNS))
    for row in rows:
        ws.append([row[c] for c in ALL_COLUMNS])
    path = tmp_path / "p.xlsx"
    wb.save(path)
    report = load(session, make_creditor(session), path)
    assert report.imported == len(rows) and report.rejected == 0
