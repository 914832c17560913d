"""Architecture rules that import-linter cannot express per capability (STYLE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import qingzhai

ROOT = Path(qingzhai.__file__).parent
PLUMBING = {"core", "db", "api", "sim", "locale"}


def capabilities() -> list[str]:
    return sorted(p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists() and p.name not in PLUMBING)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """Imports under `if TYPE_CHECKING:` only name types; they are allowed."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for child in node.body for n in ast.walk(child))
    return skip


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_nodes(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def test_no_capability_imports_another_capabilitys_tables():
    offences = []
    caps = capabilities()
    for cap in caps:
        for path in (ROOT / cap).rglob("*.py"):
            for module in imported_modules(path):
                parts = module.split(".")
                if len(parts) >= 3 and parts[0] == "qingzhai" and parts[2] == "models" and parts[1] in caps \
                        and parts[1] != cap:
                    offences.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not offences, "call the other capability's service instead:\n" + "\n".join(offences)


def test_pure_rules_never_read_the_clock():
    offences = []
    for path in ROOT.rglob("rules.py"):
        source = path.read_text(encoding="utf-8")
        for needle in ("datetime.now(", "date.today(", "time.time(", "datetime.utcnow("):
            if needle in source:
                offences.append(f"{path.relative_to(ROOT)}: {needle}")
    assert not offences, "rules take `now` as an argument:\n" + "\n".join(offences)
