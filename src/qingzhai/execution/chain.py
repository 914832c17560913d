"""The ledger's cryptography, pure: canonical JSON, the hash chain, Merkle trees and proofs, and
Ed25519 seals. Nothing here touches the database, so an outsider can read it as the specification.

- An entry's body is the canonical JSON of its fields (keys sorted, no spaces, UTF-8).
- `hash = SHA-256(prev_hash_hex + "\\n" + body)` as hex; the first entry's prev_hash is 64 zeros.
- A day's seal: Merkle root over the entry hashes of that day (the leaves are the 32-byte entry
  hashes; node = SHA-256(0x01 || left || right); an odd last node is carried up unchanged; an entry
  hash never starts with the byte 0x01, as its input starts with a hex digit), signed with
  Ed25519 over `qingzhai-ledger-seal/1|<day>|<first_seq>|<last_seq>|<root hex>`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

GENESIS = "0" * 64
PROOF_FORMAT = "qingzhai-ledger-proof/1"


def canonical(data: Mapping[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, body: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def _leaf(hash_hex: str) -> bytes:
    return bytes.fromhex(hash_hex)


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root_of_digests(level: list[bytes]) -> bytes:
    sha256 = hashlib.sha256
    while len(level) > 1:
        nxt = [sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def merkle_root(hashes: Sequence[str]) -> str:
    if not hashes:
        return hashlib.sha256(b"").hexdigest()
    return merkle_root_of_digests([bytes.fromhex(h) for h in hashes]).hex()


def merkle_path(hashes: Sequence[str], index: int) -> list[dict[str, str]]:
    """The sibling hashes from leaf `index` up to the root; `side` says where the sibling sits."""
    if not 0 <= index < len(hashes):
        raise IndexError(index)
    level = [_leaf(h) for h in hashes]
    path: list[dict[str, str]] = []
    while len(level) > 1:
        sibling = index ^ 1
        if sibling < len(level):
            path.append({"side": "left" if sibling < index else "right", "hash": level[sibling].hex()})
        nxt = [_node(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
        index //= 2
    return path


def root_from_path(hash_hex: str, path: Iterable[Mapping[str, str]]) -> str:
    node = _leaf(hash_hex)
    for step in path:
        sibling = bytes.fromhex(step["hash"])
        node = _node(sibling, node) if step["side"] == "left" else _node(node, sibling)
    return node.hex()


def seal_message(day: str, first_seq: int, last_seq: int, root: str) -> bytes:
    return f"qingzhai-ledger-seal/1|{day}|{first_seq}|{last_seq}|{root}".encode()


def public_key_hex(private_seed: bytes) -> str:
    key = Ed25519PrivateKey.from_private_bytes(private_seed).public_key()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def sign(private_seed: bytes, message: bytes) -> str:
    return Ed25519PrivateKey.from_private_bytes(private_seed).sign(message).hex()


def signature_valid(public_hex: str, message: bytes, signature_hex: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class ProofCheck:
    ok: bool
    reason: str


def check_proof(proof: Mapping[str, Any], public_key: str) -> ProofCheck:
    """Check an inclusion proof (see docs/execution.md) against the platform's public key."""
    try:
        if proof.get("format") != PROOF_FORMAT:
            return ProofCheck(False, "unknown proof format")
        body = canonical(proof["entry"])
        computed = entry_hash(proof["prev_hash"], body)
        if computed != proof["hash"]:
            return ProofCheck(False, "the entry does not hash to the hash in the proof")
        seal = proof["seal"]
        root = root_from_path(computed, proof["path"])
        if root != seal["root"]:
            return ProofCheck(False, "the Merkle path does not lead to the sealed root")
        if not seal["first_seq"] <= proof["entry"]["seq"] <= seal["last_seq"]:
            return ProofCheck(False, "the entry is outside the sealed range")
        message = seal_message(seal["day"], seal["first_seq"], seal["last_seq"], seal["root"])
        if not signature_valid(public_key, message, seal["signature"]):
            return ProofCheck(False, "the seal's signature does not match the public key")
    except (KeyError, TypeError, ValueError) as exc:
        return ProofCheck(False, f"malformed proof ({exc.__class__.__name__}: {exc})")
    return ProofCheck(True, "the entry is in the sealed ledger")
