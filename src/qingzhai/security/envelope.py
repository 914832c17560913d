"""AES-256-GCM envelope encryption, pure: no database, no settings.

A blob is `MAGIC | data-key id (26 ASCII) | nonce (12) | ciphertext + tag (16)`. The context
(for columns `table.column`, for files e.g. `recording`) and the data-key id are authenticated as
associated data, so a blob moved to another column or relabelled with another key fails to open.
Data keys are wrapped (AES-256-GCM) by a master key; the wrap authenticates the data-key id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"QZE1"
KEY_ID_LEN = 26
NONCE_LEN = 12
TAG_LEN = 16
KEY_LEN = 32
HEADER_LEN = len(MAGIC) + KEY_ID_LEN + NONCE_LEN
TEXT_PREFIX = "qz1:"


class CiphertextRejected(Exception):
    """A blob failed authentication (tampered, truncated, wrong key or wrong context). Never ignored."""


class KeyUnavailable(Exception):
    """The data key a blob names cannot be found or unwrapped with the configured master key."""


def new_key() -> bytes:
    return os.urandom(KEY_LEN)


def master_key_id(master: bytes) -> str:
    """A public fingerprint naming a master key (never the key itself)."""
    return hmac.new(master, b"qingzhai-master-key-id", hashlib.sha256).hexdigest()[:16]


def parse_master_key(text: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the master key must be base64") from None
    if len(raw) != KEY_LEN:
        raise ValueError(f"the master key must be {KEY_LEN} bytes (base64 of {KEY_LEN} random bytes)")
    return raw


def format_master_key(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def wrap_key(master: bytes, key_id: str, data_key: bytes) -> bytes:
    nonce = os.urandom(NONCE_LEN)
    return nonce + AESGCM(master).encrypt(nonce, data_key, b"qingzhai-data-key:" + key_id.encode())


def unwrap_key(master: bytes, key_id: str, wrapped: bytes) -> bytes:
    try:
        return AESGCM(master).decrypt(wrapped[:NONCE_LEN], wrapped[NONCE_LEN:], b"qingzhai-data-key:" + key_id.encode())
    except (InvalidTag, ValueError):
        raise KeyUnavailable(f"data key {key_id} does not open with this master key") from None


def _aad(key_id: str, context: str) -> bytes:
    return MAGIC + key_id.encode() + b"|" + context.encode()


def seal(data: bytes, *, key_id: str, key: bytes, context: str) -> bytes:
    if len(key_id) != KEY_ID_LEN:
        raise ValueError("data-key ids are 26 characters")
    nonce = os.urandom(NONCE_LEN)
    return MAGIC + key_id.encode() + nonce + AESGCM(key).encrypt(nonce, data, _aad(key_id, context))


def key_id_of(blob: bytes) -> str:
    if len(blob) < HEADER_LEN + TAG_LEN or not blob.startswith(MAGIC):
        raise CiphertextRejected("not a qingzhai ciphertext (bad header or too short)")
    try:
        return blob[len(MAGIC): len(MAGIC) + KEY_ID_LEN].decode("ascii")
    except UnicodeDecodeError:
        raise CiphertextRejected("ciphertext header is damaged") from None


def open_sealed(blob: bytes, *, key: bytes, context: str) -> bytes:
    key_id = key_id_of(blob)
    nonce = blob[len(MAGIC) + KEY_ID_LEN: HEADER_LEN]
    try:
        return AESGCM(key).decrypt(nonce, blob[HEADER_LEN:], _aad(key_id, context))
    except InvalidTag:
        raise CiphertextRejected(
            f"ciphertext failed authentication (context {context}, key {key_id}): tampered or damaged"
        ) from None


def to_text(blob: bytes) -> str:
    return TEXT_PREFIX + base64.urlsafe_b64encode(blob).decode("ascii")


def from_text(text: str) -> bytes:
    if not text.startswith(TEXT_PREFIX):
        raise CiphertextRejected("stored value is not encrypted (missing qz1: prefix)")
    try:
        return base64.urlsafe_b64decode(text[len(TEXT_PREFIX):].encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise CiphertextRejected("stored ciphertext is not valid base64") from None
