from datetime import date, timedelta

import pytest
from tests.builders import NOW, make_case, make_debtor

from qingzhai.assessment import service
from qingzhai.assessment.rules import AssessmentSettings
from qingzhai.core.actor import SYSTEM
from qingzhai.registry import service as registry
from qingzhai.registry.rules import Stage
from qingzhai.sim.evidence import EvidenceMix, build_evidence, profiles_from_db


def allow_all(session, *, debtor_id, category, purpose, now):
    return True


def put(session, source, records, name="f.json"):
    return service.import_records(session, source=source, records=list(enumerate(records)), filename=name,
                                  sha256=name, actor=SYSTEM, now=NOW)


def complete_evidence(session, case, *, disbursement="80000.00"):
    d = case.debtor_id
    debt = registry.case_debts(session, case)[0]
    put(session, "identity", [{"debtor_id": d, "checked_on": "2026-11-01", "provider": "公安", "id_valid": True,
                               "name_matches": True, "photo_match": "0.95"}])
    put(session, "employment", [{"debtor_id": d, "verified_on": "2026-11-01", "status": "employed", "employer": "X",
                                 "since": "2018-01-01", "monthly_salary": "12000.00", "social_insurance_months": 60}])
    for source in ("property", "vehicles", "court"):
        put(session, source, [{"debtor_id": d, "nothing_found": True, "checked_on": "2026-11-01"}])
    put(session, "credit", [{"debtor_id": d, "reported_on": "2026-11-01", "bureau": "PBOC", "accounts": []}])
    put(session, "debt_documents", [{"debtor_id": d, "debt_ref": debt.debt_ref, "checked_on": "2026-11-01",
                                     "contract": True, "disbursement": disbursement}])
    put(session, "contact", [{"debtor_id": d, "checked_on": "2026-11-01", "method": "phone", "phone_reachable": True}])


def bank_rows(debtor_id, months=12):
    rows = []
    for k in range(months):
        y, m = divmod(2026 * 12 + 9 - k, 12)
        rows.append({"debtor_id": debtor_id, "account": "6222020200112233445", "date": f"{y}-{m + 1:02d}-10",
                     "amount": "12000.00", "category": "salary", "counterparty": "employer"})
        rows.append({"debtor_id": debtor_id, "account": "6222020200112233445", "date": f"{y}-{m + 1:02d}-02",
                     "amount": "-4000.00", "category": "rent", "balance": "30000.00"})
    return rows


def test_importing_the_same_records_twice_changes_nothing(session):
    case = make_case(session, stage=Stage.assessment)
    rec = [{"debtor_id": case.debtor_id, "case_no": "(2025)沪01执1号", "court": "c", "kind": "enforcement",
            "role": "defendant", "amount": "5000.00", "filed_on": "2025-05-01", "status": "open"}]
    first = put(session, "court", rec)
    again = put(session, "court", rec)
    assert (first.added, again.added, again.unchanged) == (1, 0, 1)
    changed = put(session, "court", [{**rec[0], "status": "closed"}])
    assert changed.updated == 1


def test_a_bad_record_is_rejected_with_its_field_and_the_others_are_kept(session):
    case = make_case(session, stage=Stage.assessment)
    good = {"debtor_id": case.debtor_id, "plate": "沪A1", "checked_on": "2026-10-01", "value": "50000.00"}
    report = put(session, "vehicles", [good, {**good, "plate": "沪A2", "value": "lots"},
                                       {**good, "debtor_id": "no-such-debtor"}])
    assert report.added == 1
    assert [(r["at"], r["field"]) for r in report.rejected] == [(1, "value"), (2, "debtor_id")]


def test_records_may_name_the_debtor_by_id_number(session):
    debtor = make_debtor(session)
    report = put(session, "identity", [{"id_number": debtor.id_number, "checked_on": "2026-11-01", "provider": "p",
                                        "id_valid": True, "name_matches": True}])
    assert report.added == 1 and not report.rejected


def test_bank_statement_accounts_are_stored_masked_and_reimport_is_harmless(session):
    case = make_case(session, stage=Stage.assessment)
    first = put(session, "bank", bank_rows(case.debtor_id))
    again = put(session, "bank", bank_rows(case.debtor_id))
    assert (first.records, first.added, again.unchanged) == (24, 1, 1)
    assert "6222020200112233445" not in str(service.load_evidence(session, [case.debtor_id], now=NOW, basis=allow_all))


def test_rerunning_without_changes_keeps_the_version_and_new_evidence_adds_one(session):
    case = make_case(session, stage=Stage.assessment)
    assert service.latest_summary(session, case) is None
    first = service.assess_case(session, case, actor=SYSTEM, now=NOW, move=False)
    again = service.assess_case(session, case, actor=SYSTEM, now=NOW, move=False)
    assert (first.version, first.new_version, again.version, again.new_version) == (1, True, 1, False)
    complete_evidence(session, case)
    third = service.assess_case(session, case, actor=SYSTEM, now=NOW, move=False)
    assert third.version == 2
    assert [a.version for a in service.history(session, case)] == [1, 2]
    summary = service.latest_summary(session, case)
    assert summary.completeness == third.summary.completeness > first.summary.completeness
    assert summary.fake_debt_risk == "low" and summary.limitation_date == date(2028, 3, 1)


def test_a_complete_enough_case_moves_to_planning(session):
    case = make_case(session, stage=Stage.assessment)
    complete_evidence(session, case)
    result = service.assess_case(session, case, actor=SYSTEM, now=NOW, settings=AssessmentSettings(planning_completeness=0.5))
    assert result.moved_to_planning and case.stage == Stage.planning.value
    kinds = [e.kind for e in registry.case_events(session, case)]
    assert "assessed" in kinds and "stage_changed" in kinds


def test_an_incomplete_case_stays_in_assessment(session):
    case = make_case(session, stage=Stage.assessment)
    complete_evidence(session, case)
    result = service.assess_case(session, case, actor=SYSTEM, now=NOW, settings=AssessmentSettings(planning_completeness=0.99))
    assert not result.moved_to_planning and case.stage == Stage.assessment.value


def test_a_debt_that_may_be_fake_does_not_move_to_planning(session):
    case = make_case(session, stage=Stage.assessment)
    complete_evidence(session, case, disbursement="30000.00")
    result = service.assess_case(session, case, actor=SYSTEM, now=NOW, settings=AssessmentSettings(planning_completeness=0.5))
    assert result.summary.fake_debt_risk == "high" and not result.moved_to_planning


def test_bank_statements_are_used_only_with_a_recorded_separate_consent(session):
    security = pytest.importorskip("qingzhai.security.service")
    case = make_case(session, stage=Stage.assessment)
    put(session, "bank", bank_rows(case.debtor_id))
    without = service.assess_case(session, case, actor=SYSTEM, now=NOW, move=False)
    statuses = {i.key.value: i.status.value for i in without.outcome.indicators}
    assert statuses["cash_flow"] == "withheld" and without.summary.liquid_assets is None
    security.record_basis(session, debtor_id=case.debtor_id, category="financial_accounts", basis="separate_consent",
                          source="consent form 17", actor=SYSTEM, now=NOW - timedelta(days=1))
    with_basis = service.assess_case(session, case, actor=SYSTEM, now=NOW, move=False)
    assert with_basis.version == 2
    assert with_basis.summary.disposable_income.amount == 8000 and with_basis.summary.liquid_assets.amount == 30000


def test_registry_import_stores_findings_for_known_debtors_and_rejects_unknown_ones(session):
    case = make_case(session, stage=Stage.assessment)
    doc = {
        "people": [{"id": "P1", "name": "张三"}, {"id": "P2", "name": "李四", "relatives": [{"person": "P1"}]}],
        "companies": [{"id": "C2", "name": "空壳", "registered_on": "2025-01-10", "registered_capital": "10000.00"}],
        "roles": [{"holder": "P2", "company": "C2", "role": "shareholder", "share": "1"}],
        "transfers": [{"id": "T1", "from": "P1", "to": "C2", "kind": "real_estate", "value": "3000000.00",
                       "consideration": "1.00", "date": "2025-02-01"}],
        "debtors": [{"id": case.debtor_id, "person_or_company": "P1", "default_date": "2025-03-01"},
                    {"id": "unknown", "person_or_company": "P2"}],
    }
    report = service.import_registry(session, document=doc, filename="r.json", sha256="abc", actor=SYSTEM, now=NOW)
    assert (report.added, report.findings, len(report.rejected)) == (1, 1, 1)
    stored = service.evidence_subgraph(session, case)
    assert stored["findings"][0]["transfers"][0]["id"] == "T1" and len(stored["subgraph"]["nodes"]) == 3
    result = service.assess_case(session, case, actor=SYSTEM, now=NOW, move=False)
    assert result.summary.concealment_flagged


class RecordingProvider:
    source = "court"

    def __init__(self):
        self.asked = []

    def fetch(self, *, debtor_id, id_number, name):
        self.asked.append(debtor_id)
        return [{"case_no": "(2026)沪01执9号", "court": "c", "kind": "dishonest", "role": "defendant", "amount": "100.00",
                 "filed_on": "2026-01-01", "status": "open"}]


def test_a_live_provider_plugs_into_the_same_import(session):
    case = make_case(session, stage=Stage.assessment)
    provider = RecordingProvider()
    report = service.collect(session, provider=provider, debtor_ids=[case.debtor_id], actor=SYSTEM, now=NOW)
    assert provider.asked == [case.debtor_id] and report.added == 1
    result = service.assess_case(session, case, actor=SYSTEM, now=NOW, move=False)
    assert "dishonest_debtor" in {f.code for f in result.outcome.red_flags}


def test_synthetic_evidence_matches_the_portfolio_and_its_planted_transfers_are_found(session):
    cases = [make_case(session, stage=Stage.assessment) for _ in range(6)]
    profiles = [p for p in profiles_from_db(session) if p.debtor_id in {c.debtor_id for c in cases}]
    built = build_evidence(profiles, seed=3, as_of=NOW.date(), mix=EvidenceMix(planted_share=1.0))
    for source, records in built.records.items():
        assert not put(session, source, records, name=source).rejected
    assert not put(session, "bank", built.bank_rows, name="bank").rejected
    service.import_registry(session, document=built.registry, filename="registry.json", sha256="reg", actor=SYSTEM, now=NOW)
    found = set()
    for case in cases:
        for f in (service.evidence_subgraph(session, case) or {}).get("findings", []):
            found.update(t["id"] for t in f["transfers"])
    assert len(built.planted) == 6 and {p["transfer"] for p in built.planted} <= found
    results = service.assess_cases(session, cases, actor=SYSTEM, now=NOW, basis=allow_all, move=False)
    assert all(r.summary.concealment_flagged for r in results)


def test_the_daily_job_is_harmless_to_rerun(session):
    from qingzhai.assessment.jobs import assess_waiting_cases

    make_case(session, stage=Stage.assessment)
    first = assess_waiting_cases(session, now=NOW, settings=AssessmentSettings(planning_completeness=1.0))
    again = assess_waiting_cases(session, now=NOW, settings=AssessmentSettings(planning_completeness=1.0))
    assert first["new_versions"] >= 1 and again["new_versions"] == 0


def test_a_bank_statement_csv_file_is_imported_per_account(session):
    case = make_case(session, stage=Stage.assessment)
    text = "debtor_id,account,date,amount,counterparty,category,balance\n" + "".join(
        f"{r['debtor_id']},{r['account']},{r['date']},{r['amount']},{r.get('counterparty', '')},{r['category']},"
        f"{r.get('balance', '')}\n" for r in bank_rows(case.debtor_id))
    report = service.import_file(session, source="bank", data=text.encode("utf-8"), filename="bank.csv", actor=SYSTEM, now=NOW)
    assert (report.records, report.added, report.rejected) == (24, 1, [])
    evidence, _keys = service.load_evidence(session, [case.debtor_id], now=NOW, basis=allow_all)
    assert len(evidence[case.debtor_id].bank) == 24


@pytest.mark.parametrize("bulk_from", [1, 10_000])
def test_the_same_debt_placed_by_two_creditors_is_a_high_fake_debt_risk(session, monkeypatch, bulk_from):
    monkeypatch.setattr(service, "BULK_FROM", bulk_from)  # the whole-portfolio path and the per-case path
    debtor = make_debtor(session)
    first = make_case(session, stage=Stage.assessment, debtor=debtor)
    second = make_case(session, stage=Stage.assessment, debtor=debtor)
    results = service.assess_cases(session, [first, second], actor=SYSTEM, now=NOW, move=False)
    assert [r.summary.fake_debt_risk for r in results] == ["high", "high"]
    texts = [f.render() for f in results[0].outcome.fake_debt_reasons]
    assert any("also placed by another creditor" in t for t in texts)
