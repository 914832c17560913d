import pytest

from qingzhai.assessment import sources
from qingzhai.assessment.evidence import CreditReport, Employment
from qingzhai.core.errors import FileRefused, RuleViolation


def test_a_record_is_normalised_to_fen_and_iso_dates_under_its_business_key():
    rec = sources.parse_record("property", {"debtor_id": "D", "certificate": "沪1", "checked_on": "2026-10-01",
                                            "address": "x", "value": "1,000,000.50"})
    assert rec.key == "沪1" and rec.payload["value"] == 100_000_050 and rec.observed_on.isoformat() == "2026-10-01"


@pytest.mark.parametrize(("record", "field"), [
    ({"certificate": "沪1", "checked_on": "2026-10-01", "address": "x", "value": "1"}, "debtor_id"),
    ({"debtor_id": "D", "checked_on": "2026-10-01", "address": "x", "value": "1"}, "certificate"),
    ({"debtor_id": "D", "certificate": "沪1", "checked_on": "01/10/2026", "address": "x", "value": "1"}, "checked_on"),
    ({"debtor_id": "D", "certificate": "沪1", "checked_on": "2026-10-01", "address": "x", "value": 1.5}, "value"),
    ({"debtor_id": "D", "certificate": "沪1", "checked_on": "2026-10-01", "address": "x", "value": "1.005"}, "value"),
    ({"debtor_id": "D", "certificate": "沪1", "checked_on": "2026-10-01", "address": "x", "value": "-1"}, "value"),
    ({"debtor_id": "D", "certificate": "沪1", "checked_on": "2026-10-01", "address": "x", "value": "1", "colour": "red"},
     ""),
])
def test_bad_records_are_refused_naming_the_field(record, field):
    with pytest.raises(RuleViolation) as err:
        sources.parse_record("property", record)
    assert err.value.field == field


def test_a_choice_outside_the_documented_values_is_refused():
    with pytest.raises(RuleViolation) as err:
        sources.parse_record("court", {"debtor_id": "D", "case_no": "1", "court": "c", "kind": "parking_fine",
                                       "role": "defendant", "amount": "1", "filed_on": "2026-01-01", "status": "open"})
    assert err.value.field == "kind"


def test_nothing_found_is_a_known_empty_answer():
    rec = sources.parse_record("court", {"debtor_id": "D", "nothing_found": True, "checked_on": "2026-10-01"})
    assert rec.key == "nothing_found" and rec.payload == {"nothing_found": True, "checked_on": "2026-10-01"}


def test_stored_payloads_come_back_as_evidence():
    rec = sources.parse_record("employment", {"debtor_id": "D", "verified_on": "2026-10-01", "status": "unemployed"})
    job = sources.to_evidence("employment", rec.payload)
    assert job == Employment(job.verified_on, "unemployed", None, None, None, 0)
    rec = sources.parse_record("credit", {"debtor_id": "D", "reported_on": "2026-10-01", "bureau": "PBOC", "accounts": [
        {"lender": "b", "kind": "credit_card", "balance": "100.00", "status": "normal"}]})
    report = sources.to_evidence("credit", rec.payload)
    assert isinstance(report, CreditReport) and report.accounts[0].balance_fen == 10_000


def test_a_bank_csv_without_the_needed_columns_is_refused():
    with pytest.raises(FileRefused):
        list(sources.read_records("bank", b"debtor_id,account,date\nD,1,2026-01-01\n"))


def test_a_json_source_must_be_a_list():
    with pytest.raises(FileRefused):
        list(sources.read_records("court", b'{"a": 1}'))
