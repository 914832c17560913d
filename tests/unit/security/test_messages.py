from __future__ import annotations

import pytest

from qingzhai.core.actor import Actor, Role
from qingzhai.core.errors import NotPermitted, RuleViolation
from qingzhai.i18n import gettext
from qingzhai.security.rules import Basis, Category, Permission, check_basis_choice, require


def zh(message: str) -> str:
    return gettext(message, "zh_CN")


def test_permission_refusal_reads_in_chinese():
    with pytest.raises(NotPermitted) as err:
        require(Actor(id="c", name="c", role=Role.collector), Permission.user_manage)
    assert err.value.localized(zh) == "role: 角色 collector 无权执行 user.manage"


def test_sensitive_category_refusal_reads_in_chinese():
    with pytest.raises(RuleViolation) as err:
        check_basis_choice(Category.location, Basis.consent)
    assert "单独同意" in err.value.localized(zh)
    assert "separate consent" in str(err.value)
