from __future__ import annotations

import pytest

from qingzhai.core.actor import Actor, Role
from qingzhai.core.errors import NotPermitted
from qingzhai.security.rules import CASE_SCOPE, PERMISSIONS, Permission, Scope, allows, case_scope, require

# The expected table, written out cell by cell: role columns are
# admin, manager, compliance_officer, collector, mediator, creditor.
COLUMNS = (Role.admin, Role.manager, Role.compliance_officer, Role.collector, Role.mediator, Role.creditor)
EXPECTED = {
    Permission.case_read:          "Y Y Y Y Y Y",
    Permission.case_work:          "Y Y Y Y Y .",
    Permission.case_assign:        "Y Y . . . .",
    Permission.debtor_read:        "Y Y Y Y Y Y",
    Permission.placement_create:   "Y Y . . . Y",
    Permission.creditor_manage:    "Y Y . . . .",
    Permission.user_manage:        "Y . . . . .",
    Permission.api_key_manage:     "Y . . . . .",
    Permission.audit_read:         "Y Y Y . . .",
    Permission.audit_verify:       "Y . Y . . .",
    Permission.legal_basis_record: "Y Y Y Y Y .",
    Permission.privacy_export:     "Y . Y . . .",
    Permission.privacy_erase:      "Y . Y . . .",
    Permission.keys_manage:        "Y . . . . .",
    Permission.jobs_run:           "Y Y . . . .",
    Permission.conduct_oversee:    "Y Y Y . . .",
}
CELLS = [
    (perm, role, mark == "Y")
    for perm, row in EXPECTED.items()
    for role, mark in zip(COLUMNS, row.split(), strict=True)
]


def test_expected_table_covers_every_permission():
    assert set(EXPECTED) == set(Permission)


@pytest.mark.parametrize(("permission", "role", "allowed"), CELLS, ids=[f"{r.value}-{p.value}" for p, r, _ in CELLS])
def test_permission_cell(permission, role, allowed):
    assert allows(role, permission) is allowed
    actor = Actor(id="u", name="u", role=role, creditor_id="c" if role is Role.creditor else None)
    if allowed:
        require(actor, permission)
    else:
        with pytest.raises(NotPermitted) as err:
            require(actor, permission)
        assert err.value.field == "role"


def test_table_grants_nothing_beyond_the_expected_cells():
    for role, granted in PERMISSIONS.items():
        if role in COLUMNS:
            assert granted == {p for p, r, ok in CELLS if r is role and ok}


@pytest.mark.parametrize(("role", "scope"), [
    (Role.admin, Scope.all), (Role.manager, Scope.all), (Role.compliance_officer, Scope.all),
    (Role.collector, Scope.assigned), (Role.mediator, Scope.assigned), (Role.creditor, Scope.own_placements),
    (Role.system, Scope.all),
])
def test_case_scope_per_role(role, scope):
    assert CASE_SCOPE[role] is scope
    assert case_scope(Actor(id="x", name="x", role=role)) is scope


def test_no_actor_means_the_platform_itself_sees_all():
    assert case_scope(None) is Scope.all
