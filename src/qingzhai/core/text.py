"""Marking user-facing text in pure code.

Pure modules may not import the catalogs (they read settings), so they mark English messages
with `N_` for extraction, and the shell translates them where they are shown.
"""

from __future__ import annotations


def N_(message: str) -> str:
    return message
