"""`EncryptedText`: a column stored AES-256-GCM encrypted, read and written as plain `str` in Python.

Applies wherever SQLAlchemy binds the column: ORM flushes, Core `insert(Debtor)` with a list of
rows, `update(...)`. The context authenticated with each value is `table.column`, so a ciphertext
copied into another column does not open. Equality in SQL never matches (encryption is randomised):
search by the keyed hash columns (`id_key`, `phone_key`) instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from qingzhai.security import envelope
from qingzhai.security.keyring import current_connection, seal, unseal


class EncryptedText(TypeDecorator[str]):
    impl = Text()
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return envelope.to_text(seal(current_connection(), str(value).encode("utf-8"), context=self.context))

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return unseal(current_connection(), envelope.from_text(value), context=self.context).decode("utf-8")
