"""Write a zh_CN catalog: `python tools/translate.py DOMAIN MODULE_WITH_DICT` (used by the lead to
keep qingzhai.po in step with the source). The translations live in `tools/zh_cn_core.py`."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]


def main(domain: str, table_file: str, *sources: str) -> None:
    spec = importlib.util.spec_from_file_location("table", table_file)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    table: dict[str, str] = module.ZH
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "x.pot"
        subprocess.run([str(Path(sys.executable).parent / "pybabel"), "extract", "-k", "_", "-k", "N_",
                        "-o", str(pot), *sources], check=True, cwd=ROOT, capture_output=True)
        with pot.open("rb") as fh:
            template = read_po(fh)
    catalog = Catalog(locale="zh_CN", domain=domain, project="qingzhai")
    missing = []
    for message in template:
        if not message.id:
            continue
        text = table.get(str(message.id))
        if text is None:
            missing.append(str(message.id))
            continue
        catalog.add(message.id, text, locations=message.locations)
    out = ROOT / "src/qingzhai/locale/zh_CN/LC_MESSAGES" / f"{domain}.po"
    with out.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False)
    print(f"wrote {out} ({len(catalog)} messages)")
    for m in missing:
        print("MISSING:", m)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *sys.argv[3:])
