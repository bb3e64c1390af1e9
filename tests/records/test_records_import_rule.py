"""Layering: records/ is below codec/, so no module of records/ imports codec (at module level or lazily)."""

from __future__ import annotations

import ast
from pathlib import Path

import wiretool.records

RECORDS = Path(wiretool.records.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports anywhere in its body (inside functions too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_records_do_not_import_codec() -> None:
    files = sorted(RECORDS.rglob("*.py"))
    assert files
    offenders = {f.name: sorted(m for m in imported_modules(f) if m.split(".")[:2] == ["wiretool", "codec"])
                 for f in files}
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_records_import_only_the_standard_library_and_records() -> None:
    for f in sorted(RECORDS.rglob("*.py")):
        for module in imported_modules(f):
            if module.startswith("wiretool"):
                assert module.split(".")[:2] == ["wiretool", "records"], (f.name, module)
