"""Masking of personal identifiers for every list, log and error message."""

from __future__ import annotations


def mask_middle(value: str | None, keep_start: int, keep_end: int) -> str:
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


def mask_id_number(value: str | None) -> str:
    """`310101199001011234` -> `3101**********1234`."""
    return mask_middle(value, 4, 4)


def mask_phone(value: str | None) -> str:
    """`13812345678` -> `138****5678`."""
    return mask_middle(value, 3, 4)


def mask_account(value: str | None) -> str:
    """Bank account: last four only."""
    return mask_middle(value, 0, 4)


def mask_email(value: str | None) -> str:
    if not value or "@" not in value:
        return mask_middle(value, 1, 0) if value else ""
    local, _, domain = value.partition("@")
    return (local[:1] + "***@" + domain) if local else "***@" + domain


def mask_name(value: str | None) -> str:
    """Chinese convention: keep the surname, `张三丰` -> `张**`."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)
