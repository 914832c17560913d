from __future__ import annotations

from datetime import date

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from qingzhai.core.identity import normalize_phone, resident_id_problem, uscc_problem
from qingzhai.core.masking import mask_email, mask_id_number, mask_phone
from qingzhai.sim.identities import resident_id, uscc

# Published example of GB 11643 (the standard's own worked example).
STANDARD_EXAMPLE = "11010519491231002X"


def test_resident_id_standard_example_is_valid():
    assert resident_id_problem(STANDARD_EXAMPLE) is None


def test_resident_id_with_wrong_check_character_is_refused():
    assert resident_id_problem("110105194912310021") == "check character does not match"


def test_resident_id_with_impossible_birth_date_is_refused():
    assert "impossible date" in (resident_id_problem("110105194902300021") or "")


def test_uscc_known_valid_code():
    # A published code (Tencent Technology (Shenzhen) Co., Ltd.)
    assert uscc_problem("9144030071526726XG") is None
    assert uscc_problem("9144030071526726XH") == "check character does not match"


def test_uscc_refuses_letters_outside_the_alphabet():
    assert uscc_problem("91440300715267260I") is not None


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_generated_identifiers_always_validate(seed):
    rng = np.random.default_rng(seed)
    assert resident_id_problem(resident_id(rng, "310151", date(1980, 2, 29), female=True)) is None
    assert uscc_problem(uscc(rng, "310115")) is None


def test_phone_normalisation():
    assert normalize_phone("+86 138-1234-5678") == "13812345678"
    assert normalize_phone("12812345678") is None
    assert normalize_phone("+14155550123") == "+14155550123"
    assert normalize_phone("12345") is None


def test_masks_keep_only_the_ends():
    assert mask_id_number("310101199001011234") == "3101**********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_email("zhangsan@qq.com") == "z***@qq.com"
