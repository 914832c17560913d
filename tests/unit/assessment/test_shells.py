import copy
from datetime import date

import pytest

from qingzhai.assessment.graph import RegistryGraph
from qingzhai.assessment.shells import ShellSettings, detect_for_debtor
from qingzhai.core.errors import RuleViolation

BASE = {
    "people": [
        {"id": "P1", "name": "张三", "address": "上海市浦东新区A路1号", "phone": "13800000001"},
        {"id": "P2", "name": "李四", "relatives": [{"person": "P1", "relation": "spouse"}]},
        {"id": "P3", "name": "王五"},
    ],
    "companies": [
        {"id": "C1", "name": "张三贸易", "registered_on": "2015-01-01", "registered_capital": "1000000.00"},
        {"id": "C3", "name": "正常供应商", "registered_on": "2010-01-01", "registered_capital": "5000000.00"},
    ],
    "roles": [
        {"holder": "P1", "company": "C1", "role": "legal_representative"},
        {"holder": "P1", "company": "C1", "role": "shareholder", "share": "0.8", "from": "2015-01-01"},
    ],
    "transfers": [],
    "debtors": [{"id": "D1", "person_or_company": "P1", "default_date": "2025-03-01"}],
}


def doc(**extra):
    d = copy.deepcopy(BASE)
    for key, rows in extra.items():
        d[key].extend(rows)
    return d


def shell(cid="C2", registered="2025-01-10", capital="10000.00", **kw):
    return {"id": cid, "name": "空壳公司", "registered_on": registered, "registered_capital": capital, **kw}


def transfer(src="P1", dst="C2", value="3000000.00", consideration="100000.00", on="2025-02-01", tid="T1", kind="real_estate"):
    return {"id": tid, "from": src, "to": dst, "kind": kind, "asset": "沪房权证001", "value": value,
            "consideration": consideration, "currency": "CNY", "date": on}


def findings(document, **kw):
    return detect_for_debtor(RegistryGraph.from_document(document), "D1", **kw).findings


def test_planted_transfer_to_a_relatives_new_company_is_found_with_its_path():
    d = doc(companies=[shell()], roles=[{"holder": "P2", "company": "C2", "role": "shareholder", "share": "1"}],
            transfers=[transfer()])
    top = findings(d)[0]
    assert top.kind == "transfer_to_tied" and top.strength >= 0.9
    assert [p["id"] for p in top.path] == ["P1", "P2", "C2"]
    assert top.path[1]["via"] == "relative" and top.transfers[0]["id"] == "T1"


def test_an_ordinary_supplier_paid_at_value_is_not_flagged():
    d = doc(transfers=[transfer(src="C1", dst="C3", value="200000.00", consideration="200000.00", kind="payment")])
    assert findings(d) == ()


def test_a_related_company_paid_at_value_long_before_default_is_not_flagged():
    d = doc(companies=[shell(registered="2012-01-01", capital="5000000.00")],
            roles=[{"holder": "P2", "company": "C2", "role": "shareholder", "share": "1"}],
            transfers=[transfer(value="100000.00", consideration="100000.00", on="2019-01-01", kind="payment")])
    assert findings(d) == ()


def test_a_below_value_sale_to_a_stranger_near_default_is_flagged_weaker():
    d = doc(companies=[shell(registered="2000-01-01", capital="9000000.00")], transfers=[transfer()])
    top = findings(d)[0]
    assert top.kind == "below_value_transfer" and top.strength < 0.6


def test_a_shared_address_ties_a_company_but_a_registered_agent_hub_does_not():
    d = doc(companies=[shell(address="上海市浦东新区A路1号")], transfers=[transfer()])
    assert findings(d)[0].kind == "transfer_to_tied"
    hub = "上海市浦东新区A路1号"
    crowd = [{"id": f"H{i}", "name": f"托管{i}", "registered_on": "2010-01-01", "address": hub} for i in range(60)]
    assert findings(doc(companies=[shell(address=hub), *crowd], transfers=[transfer()]))[0].kind == "below_value_transfer"


def test_deregistration_after_receiving_the_asset_is_a_reason():
    d = doc(companies=[shell(deregistered_on="2025-09-01")],
            roles=[{"holder": "P2", "company": "C2", "role": "shareholder", "share": "1"}], transfers=[transfer()])
    assert "receiver deregistered after receiving the asset" in findings(d)[0].reasons


def test_circular_ownership_is_found():
    d = doc(companies=[shell("C4", registered="2012-01-01", capital="5000000.00"),
                       shell("C5", registered="2012-01-01", capital="5000000.00")],
            roles=[{"holder": "C1", "company": "C4", "role": "shareholder", "share": "0.6"},
                   {"holder": "C4", "company": "C5", "role": "shareholder", "share": "0.6"},
                   {"holder": "C5", "company": "C1", "role": "shareholder", "share": "0.2"}])
    assert [f.kind for f in findings(d)] == ["circular_ownership"]


def test_a_nominee_in_many_companies_is_found():
    companies = [shell(f"N{i}", registered="2012-01-01", capital="5000000.00") for i in range(10)]
    roles = [{"holder": "P3", "company": f"N{i}", "role": "legal_representative"} for i in range(10)]
    roles.append({"holder": "P3", "company": "C1", "role": "supervisor"})
    kinds = [f.kind for f in findings(doc(companies=companies, roles=roles))]
    assert kinds == ["nominee"]
    kinds = [f.kind for f in findings(doc(companies=companies[:8], roles=[*roles[:8], roles[-1]]))]  # 9 roles
    assert kinds == []


def test_transfer_to_a_nominee_run_shell_ranks_above_weaker_findings():
    companies = [shell(f"N{i}", registered="2012-01-01", capital="5000000.00") for i in range(10)]
    roles = [{"holder": "P3", "company": f"N{i}", "role": "legal_representative"} for i in range(10)]
    roles += [{"holder": "P3", "company": "C2", "role": "legal_representative"},
              {"holder": "P1", "company": "C2", "role": "executive"}]
    found = findings(doc(companies=[*companies, shell()], roles=roles, transfers=[transfer()]))
    assert found[0].kind == "transfer_to_tied" and any("nominee" in r for r in found[0].reasons)
    assert [f.strength for f in found] == sorted((f.strength for f in found), reverse=True)


def test_default_date_override_moves_the_window():
    d = doc(companies=[shell(registered="2000-01-01", capital="9000000.00")], transfers=[transfer()])
    assert findings(d, default_date=date(2020, 1, 1)) == ()


def test_phone_numbers_are_masked_in_paths():
    d = doc(companies=[shell(phone="13800000001")], transfers=[transfer()])
    path = findings(d)[0].path
    assert path[1]["name"] == "138****0001" and "13800000001" not in str(path)


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda d: d["roles"].append({"holder": "P9", "company": "C1", "role": "shareholder"}), "roles[2].holder"),
    (lambda d: d["roles"].append({"holder": "P1", "company": "C1", "role": "boss"}), "roles[2].role"),
    (lambda d: d["roles"].append({"holder": "P1", "company": "C1", "role": "shareholder", "share": "1.5"}), "roles[2].share"),
    (lambda d: d["transfers"].append(transfer(dst="C1", value=3.5)), "transfers[0].value"),
    (lambda d: d["transfers"].append(transfer(dst="C1", on="2025-13-01")), "transfers[0].date"),
    (lambda d: d["companies"].append({"id": "C1", "name": "dup"}), "companies[2].id"),
    (lambda d: d["debtors"].append({"id": "D2", "person_or_company": "X"}), "debtors[1].person_or_company"),
])
def test_a_bad_registry_record_is_refused_naming_the_field(mutate, field):
    d = doc()
    mutate(d)
    with pytest.raises(RuleViolation) as err:
        RegistryGraph.from_document(d)
    assert err.value.field == field


def test_search_radius_setting_bounds_the_ties():
    d = doc(companies=[shell(registered="2000-01-01", capital="9000000.00")],
            people=[{"id": "P4", "name": "远亲", "relatives": [{"person": "P2", "relation": "sibling"}]}],
            roles=[{"holder": "P4", "company": "C2", "role": "shareholder", "share": "1"}], transfers=[transfer()])
    assert findings(d)[0].kind == "transfer_to_tied"
    assert findings(d, settings=ShellSettings(radius=2))[0].kind == "below_value_transfer"
