from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from qingzhai.core.actor import Role
from qingzhai.core.errors import RuleViolation
from qingzhai.security.rules import (
    GENESIS,
    AuditContent,
    Basis,
    BasisRecord,
    Category,
    LoginThrottle,
    check_basis_choice,
    entry_hash,
    has_valid_basis,
    parse_role,
    password_problem,
    record_is_valid,
    throttle_allows,
    verify_chain,
)

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize("category", [Category.financial_accounts, Category.location])
@pytest.mark.parametrize("basis", [Basis.consent, Basis.contract])
def test_sensitive_categories_refuse_ordinary_consent_or_contract(category, basis):
    with pytest.raises(RuleViolation, match="separate consent") as err:
        check_basis_choice(category, basis)
    assert err.value.field == "basis"
    assert not record_is_valid(BasisRecord(category.value, basis.value, NOW - timedelta(days=1)), category, NOW)


@pytest.mark.parametrize("category", [Category.financial_accounts, Category.location])
def test_sensitive_categories_accept_separate_consent(category):
    check_basis_choice(category, Basis.separate_consent)
    assert record_is_valid(BasisRecord(category.value, "separate_consent", NOW), category, NOW)


def test_contract_is_a_basis_for_contact_data():
    assert record_is_valid(BasisRecord("contact", "contract", NOW - timedelta(days=30)), Category.contact, NOW)


def test_basis_expiring_exactly_now_is_no_longer_valid():
    rec = BasisRecord("contact", "consent", NOW - timedelta(days=1), expires_at=NOW)
    assert not record_is_valid(rec, Category.contact, NOW)
    assert record_is_valid(rec, Category.contact, NOW - timedelta(microseconds=1))


def test_withdrawn_consent_stops_at_the_moment_of_withdrawal():
    rec = BasisRecord("location", "separate_consent", NOW - timedelta(days=5), withdrawn_at=NOW)
    assert not record_is_valid(rec, Category.location, NOW)
    assert record_is_valid(rec, Category.location, NOW - timedelta(seconds=1))


def test_basis_granted_in_the_future_is_not_yet_valid():
    assert not record_is_valid(BasisRecord("credit", "consent", NOW + timedelta(seconds=1)), Category.credit, NOW)


def test_basis_of_another_category_does_not_count():
    assert not has_valid_basis([BasisRecord("contact", "separate_consent", NOW)], Category.location, NOW)


def _content(seq: int, action: str = "case.read") -> AuditContent:
    return AuditContent(seq, NOW + timedelta(seconds=seq), "u1", "李四", "collector", "10.0.0.1", action,
                        "C1", None, {"n": seq})


def _chain(n: int) -> list[tuple[AuditContent, str, str]]:
    out, prev = [], GENESIS
    for i in range(1, n + 1):
        c = _content(i)
        h = entry_hash(c, prev)
        out.append((c, prev, h))
        prev = h
    return out


def test_intact_chain_verifies():
    assert verify_chain(_chain(5)) is None


def test_altered_entry_is_named_as_first_break():
    chain = _chain(5)
    _, prev, h = chain[2]
    chain[2] = (_content(3, action="case.export"), prev, h)
    broken = verify_chain(chain)
    assert broken is not None and broken.seq == 3 and "altered" in broken.reason


def test_removed_entry_is_named():
    chain = _chain(5)
    del chain[1]
    broken = verify_chain(chain)
    assert broken is not None and broken.seq == 2


def test_rehashed_entry_still_breaks_the_link_to_the_next():
    chain = _chain(4)
    c2 = _content(2, action="forged")
    chain[1] = (c2, chain[1][1], entry_hash(c2, chain[1][1]))
    broken = verify_chain(chain)
    assert broken is not None and broken.seq == 3


@pytest.mark.parametrize(("password", "ok"), [("a" * 11, False), ("a" * 12, True), ("a" * 256, True),
                                               ("a" * 257, False), (" " + "a" * 12, False)])
def test_password_length_edges(password, ok):
    assert (password_problem(password) is None) is ok


def test_system_is_not_a_role_for_users():
    with pytest.raises(RuleViolation):
        parse_role("system")
    assert parse_role("collector") is Role.collector


def test_fifth_failed_login_in_a_minute_still_allowed_sixth_not():
    policy = LoginThrottle(attempts=5, window_seconds=60)
    assert throttle_allows([0, 1, 2, 3], 10, policy)
    assert not throttle_allows([0, 1, 2, 3, 4], 10, policy)
    assert throttle_allows([0, 1, 2, 3, 4], 60, policy)  # the first failure left the window
