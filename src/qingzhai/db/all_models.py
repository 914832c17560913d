"""Imports every capability's tables so the metadata is complete (migrations, test schemas).

Discovers `qingzhai.<capability>.models` by walking the package, so a new capability's tables
are picked up without editing this file.
"""

from __future__ import annotations

import importlib
import pkgutil

import qingzhai
from qingzhai.db import sequences  # noqa: F401
from qingzhai.db.base import Base


def _load_all() -> None:
    for info in pkgutil.iter_modules(qingzhai.__path__):
        if not info.ispkg:
            continue
        try:
            importlib.import_module(f"qingzhai.{info.name}.models")
        except ModuleNotFoundError as exc:
            if exc.name != f"qingzhai.{info.name}.models":
                raise


_load_all()
metadata = Base.metadata
