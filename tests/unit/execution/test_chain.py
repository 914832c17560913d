from __future__ import annotations

import hashlib
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from qingzhai.execution import chain

SEED = bytes(range(32))


def build(n: int) -> tuple[list[str], list[str]]:
    bodies, hashes, prev = [], [], chain.GENESIS
    for i in range(1, n + 1):
        body = chain.canonical({"seq": i, "kind": "paid", "data": {"amount": f"{i}.00"}})
        prev = chain.entry_hash(prev, body)
        bodies.append(body)
        hashes.append(prev)
    return bodies, hashes


def test_entry_hash_is_sha256_of_previous_hash_newline_body():
    body = chain.canonical({"b": 1, "a": "清债"})
    assert body == '{"a":"清债","b":1}'
    assert chain.entry_hash(chain.GENESIS, body) == hashlib.sha256(
        (chain.GENESIS + "\n" + body).encode()).hexdigest()


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 70), st.data())
def test_every_leaf_has_a_path_to_the_root(n, data):
    _bodies, hashes = build(n)
    index = data.draw(st.integers(0, n - 1))
    root = chain.merkle_root(hashes)
    assert chain.root_from_path(hashes[index], chain.merkle_path(hashes, index)) == root


def test_a_changed_leaf_changes_the_root():
    _bodies, hashes = build(5)
    changed = [*hashes[:2], "0" * 64, *hashes[3:]]
    assert chain.merkle_root(changed) != chain.merkle_root(hashes)


def proof_for(n: int, index: int) -> dict:
    bodies, hashes = build(n)
    root = chain.merkle_root(hashes)
    message = chain.seal_message("2026-11-20", 1, n, root)
    return {
        "format": chain.PROOF_FORMAT,
        "entry": json.loads(bodies[index]),
        "prev_hash": hashes[index - 1] if index else chain.GENESIS,
        "hash": hashes[index],
        "path": chain.merkle_path(hashes, index),
        "seal": {"day": "2026-11-20", "first_seq": 1, "last_seq": n, "root": root,
                 "signature": chain.sign(SEED, message), "public_key": chain.public_key_hex(SEED)},
    }


def test_a_proof_checks_against_the_public_key():
    result = chain.check_proof(proof_for(9, 4), chain.public_key_hex(SEED))
    assert result.ok, result.reason


def test_a_proof_with_an_altered_entry_fails():
    proof = proof_for(9, 4)
    proof["entry"]["data"]["amount"] = "9999.00"
    assert not chain.check_proof(proof, chain.public_key_hex(SEED)).ok


def test_a_proof_checked_with_another_key_fails():
    other = chain.public_key_hex(bytes(32))
    result = chain.check_proof(proof_for(9, 4), other)
    assert not result.ok and "signature" in result.reason


def test_a_malformed_proof_is_reported_not_raised():
    assert not chain.check_proof({"format": chain.PROOF_FORMAT}, chain.public_key_hex(SEED)).ok


def test_the_twenty_line_verifier_in_the_docs_accepts_a_proof_and_rejects_a_forgery():
    from pathlib import Path

    text = (Path(__file__).parents[3] / "docs" / "execution.md").read_text(encoding="utf-8")
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    code = code.rsplit("print(", 1)[0]
    namespace: dict = {}
    exec(compile(code, "docs/execution.md", "exec"), namespace)
    proof = proof_for(13, 7)
    assert namespace["check"](proof, chain.public_key_hex(SEED))
    proof["entry"]["data"]["amount"] = "1.00"
    assert not namespace["check"](proof, chain.public_key_hex(SEED))
