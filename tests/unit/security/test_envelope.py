from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qingzhai.core.ids import new_id
from qingzhai.security import envelope

KEY = envelope.new_key()
KID = new_id()


def test_sealed_value_opens_with_same_key_and_context():
    blob = envelope.seal(b"310101199001011234", key_id=KID, key=KEY, context="debtors.id_number")
    assert b"310101199001011234" not in blob
    assert envelope.key_id_of(blob) == KID
    assert envelope.open_sealed(blob, key=KEY, context="debtors.id_number") == b"310101199001011234"


def test_same_plaintext_encrypts_differently_each_time():
    a = envelope.seal(b"13812345678", key_id=KID, key=KEY, context="c")
    b = envelope.seal(b"13812345678", key_id=KID, key=KEY, context="c")
    assert a != b


@settings(max_examples=60, deadline=None)
@given(data=st.binary(min_size=0, max_size=64), position=st.integers(min_value=0), flip=st.integers(1, 255))
def test_tampering_with_any_single_byte_fails_loudly(data, position, flip):
    blob = bytearray(envelope.seal(data, key_id=KID, key=KEY, context="recording"))
    i = position % len(blob)
    blob[i] ^= flip
    with pytest.raises(envelope.CiphertextRejected):
        envelope.open_sealed(bytes(blob), key=KEY, context="recording")


def test_value_moved_to_another_column_does_not_open():
    blob = envelope.seal(b"13812345678", key_id=KID, key=KEY, context="debtors.phone")
    with pytest.raises(envelope.CiphertextRejected):
        envelope.open_sealed(blob, key=KEY, context="debtors.email")


def test_wrong_data_key_does_not_open():
    blob = envelope.seal(b"x", key_id=KID, key=KEY, context="c")
    with pytest.raises(envelope.CiphertextRejected):
        envelope.open_sealed(blob, key=envelope.new_key(), context="c")


def test_truncated_blob_is_rejected():
    blob = envelope.seal(b"abc", key_id=KID, key=KEY, context="c")
    with pytest.raises(envelope.CiphertextRejected):
        envelope.open_sealed(blob[:20], key=KEY, context="c")


def test_wrapped_data_key_opens_only_with_its_master_and_id():
    master = envelope.new_key()
    wrapped = envelope.wrap_key(master, KID, KEY)
    assert envelope.unwrap_key(master, KID, wrapped) == KEY
    with pytest.raises(envelope.KeyUnavailable):
        envelope.unwrap_key(envelope.new_key(), KID, wrapped)
    with pytest.raises(envelope.KeyUnavailable):
        envelope.unwrap_key(master, new_id(), wrapped)


def test_text_form_round_trips_and_refuses_plaintext():
    blob = envelope.seal(b"a", key_id=KID, key=KEY, context="c")
    assert envelope.from_text(envelope.to_text(blob)) == blob
    with pytest.raises(envelope.CiphertextRejected):
        envelope.from_text("13812345678")


def test_master_key_must_be_32_bytes_of_base64():
    good = envelope.format_master_key(envelope.new_key())
    assert len(envelope.parse_master_key(good)) == 32
    with pytest.raises(ValueError, match="32 bytes"):
        envelope.parse_master_key(envelope.format_master_key(b"short"))
    with pytest.raises(ValueError, match="base64"):
        envelope.parse_master_key("not base64 !!")


def test_master_key_fingerprint_is_stable_and_not_the_key():
    master = envelope.new_key()
    fp = envelope.master_key_id(master)
    assert fp == envelope.master_key_id(master) and len(fp) == 16
    assert fp not in envelope.format_master_key(master)
