"""Streaming readers for placement files (CSV in any declared encoding, XLSX).

Rows are yielded one at a time with their line number, so memory stays flat for any file size.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

from qingzhai.core.errors import FileRefused
from qingzhai.core.text import N_
from qingzhai.registry.intake.rules import ALL_COLUMNS, missing_columns

csv.field_size_limit(1 << 20)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class PlacementSource:
    """An opened placement file: its header, its rows, and how far reading has got (bytes)."""

    path: Path
    header: list[str]
    extra_columns: list[str]
    size: int
    _rows: Iterator[tuple[int, dict[str, str]]]
    _position: list[int] = field(default_factory=lambda: [0])

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        return self._rows

    def position(self) -> int:
        return self._position[0]


def _check_header(header: list[str], *, allow_extra: bool) -> tuple[list[str], list[str]]:
    names = [(h or "").strip().lower().lstrip("\ufeff") for h in header]
    if not any(names):
        raise FileRefused(N_("the file has no header row"), line=1)
    missing = missing_columns(names)
    if missing:
        raise FileRefused(
            N_("missing required column(s): {columns}"), field=missing[0], line=1,
            params={"columns": ", ".join(missing)},
        )
    extra = [n for n in names if n and n not in ALL_COLUMNS]
    if extra and not allow_extra:
        raise FileRefused(
            N_("unknown column(s): {columns} (check the spelling, or pass --allow-extra-columns to ignore them)"),
            field=extra[0],
            line=1,
            params={"columns": ", ".join(extra)},
        )
    dupes = sorted({n for n in names if n and names.count(n) > 1})
    if dupes:
        raise FileRefused(N_("duplicate column(s): {columns}"), field=dupes[0], line=1,
                           params={"columns": ", ".join(dupes)})
    return names, extra


def open_csv(path: Path, *, encoding: str = "utf-8", allow_extra: bool = False) -> PlacementSource:
    size = path.stat().st_size
    if size == 0:
        raise FileRefused(N_("the file is empty"), line=1)
    enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        "".encode(enc)
    except LookupError:
        raise FileRefused(N_("unknown encoding '{encoding}'"), field="encoding", params={"encoding": encoding}) from None
    with path.open("rb") as probe:
        head = probe.read(1 << 16)
    try:
        head.decode(enc)
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the probe's end is not an error
        if exc.start < len(head) - 4:
            line = head[: exc.start].count(b"\n") + 1
            raise FileRefused(
                N_("the file is not valid {encoding} (save it as UTF-8, or pass --encoding gbk)"),
                field="encoding",
                line=line,
                params={"encoding": encoding},
            ) from None
    raw: BinaryIO = path.open("rb")
    text = io.TextIOWrapper(raw, encoding=enc, errors="strict", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        raw.close()
        raise FileRefused(N_("the file has no header row"), line=1) from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raw.close()
        raise FileRefused(N_("cannot read the header: {error}"), line=1, params={"error": str(exc)}) from None
    try:
        names, extra = _check_header(header, allow_extra=allow_extra)
    except FileRefused:
        raw.close()
        raise
    position = [0]

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        try:
            while True:
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except UnicodeDecodeError:
                    raise FileRefused(
                        N_("the file is not valid {encoding} (save it as UTF-8, or pass --encoding gbk)"),
                        field="encoding",
                        line=reader.line_num + 1,
                        params={"encoding": encoding},
                    ) from None
                except csv.Error as exc:
                    raise FileRefused(N_("malformed CSV: {error}"), line=reader.line_num, params={"error": str(exc)}) from None
                if not any(v.strip() for v in values):
                    continue
                position[0] = raw.tell()
                row = {n: (values[i] if i < len(values) else "") for i, n in enumerate(names) if n}
                if len(values) > len(names):
                    row["__extra__"] = "1"
                yield reader.line_num, row
        finally:
            raw.close()

    return PlacementSource(path, names, extra, size, rows(), position)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def open_xlsx(path: Path, *, allow_extra: bool = False) -> PlacementSource:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a bad file
        raise FileRefused(N_("not a readable .xlsx workbook ({error})"), params={"error": type(exc).__name__}) from None
    sheet = workbook.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    try:
        header = [_cell_text(v) for v in next(values)]
    except StopIteration:
        workbook.close()
        raise FileRefused(N_("the workbook's first sheet is empty"), line=1) from None
    names, extra = _check_header(header, allow_extra=allow_extra)
    size = max(sheet.max_row or 1, 1)
    position = [0]

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        try:
            for index, cells in enumerate(values, start=2):
                texts = [_cell_text(v) for v in cells]
                position[0] = index
                if not any(t.strip() for t in texts):
                    continue
                row = {n: (texts[i] if i < len(texts) else "") for i, n in enumerate(names) if n}
                yield index, row
        finally:
            workbook.close()

    return PlacementSource(path, names, extra, size, rows(), position)


def open_placements(path: Path, *, encoding: str = "utf-8", allow_extra: bool = False) -> PlacementSource:
    if not path.exists():
        raise FileRefused(N_("no such file: {path}"), field="file", params={"path": str(path)})
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return open_xlsx(path, allow_extra=allow_extra)
    if path.suffix.lower() == ".xls":
        raise FileRefused(N_("old .xls workbooks are not supported; save as .xlsx or CSV"), field="file")
    return open_csv(path, encoding=encoding, allow_extra=allow_extra)
