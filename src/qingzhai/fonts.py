"""The Chinese font qingzhai ships with (Noto Sans CJK, inside the `cvttf-NotoSansCJK-Regular`
wheel), for PDF documents and for the plots in reports. Nothing is downloaded at run time."""

from __future__ import annotations

import importlib.resources
from functools import lru_cache
from pathlib import Path

FONT_PACKAGE = "cvttf_NotoSansCJK_Regular"
FONT_FILE = "NotoSansCJKtc-Regular.otf"


def cjk_font_path() -> Path | None:
    try:
        path = importlib.resources.files(FONT_PACKAGE) / FONT_FILE
    except ModuleNotFoundError:
        return None
    return Path(str(path)) if path.is_file() else None


@lru_cache(maxsize=1)
def register_cjk_font_for_plots() -> str | None:
    """Make the shipped font known to matplotlib; returns its family name (None without it)."""
    path = cjk_font_path()
    if path is None:
        return None
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()
