"""The import rules that keep the layers apart (shared/ARCHITECTURE.md), read from the source with ``ast``.

Layer rules count every import (module level, inside functions, under TYPE_CHECKING); the cycle rule
counts only imports that run when a module is loaded (module level, not under TYPE_CHECKING).
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "wiretool"
MODULES = {".".join(p.relative_to(ROOT.parent).with_suffix("").parts).removesuffix(".__init__"): p
           for p in ROOT.rglob("*.py")}

# (rule, importer, imported) that may break a rule for now; the list may only shrink (the test fails when one
# is gone, too). It is empty: every layer rule holds, and there is no cycle.
KNOWN_BREACHES: set[tuple[str, str, str]] = set()


RULES = [  # (rule, layers of the importer, layers it must not import)
    ("codec-imports-only-codec-records-secrets", ("codec",), lambda t: not _in(t, "codec", "records", "secrets")),
    ("records-import-no-codec", ("records",), lambda t: _in(t, "codec")),
    ("transport-imports-no-output-cli", ("transport",), lambda t: _in(t, "output", "cli")),
    ("demo-imports-no-cli", ("demo",), lambda t: _in(t, "cli")),
    ("session-run-import-no-transport-cli", ("session", "run"), lambda t: _in(t, "transport", "cli")),
    ("tls-is-pure-imports-only-tls-errors", ("tls",), lambda t: not _in(t, "tls", "errors", "exitcodes")),
]


def _in(module: str, *layers: str) -> bool:
    return any(module == f"wiretool.{layer}" or module.startswith(f"wiretool.{layer}.") for layer in layers)


def _imports(name: str) -> tuple[set[str], set[str]]:
    """(every wiretool module ``name`` imports, those imported when it loads: module level, not TYPE_CHECKING)."""
    every: set[str] = set()
    at_load: set[str] = set()

    def visit(node: ast.AST, loads: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                targets = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom):
                assert not child.level, f"{name}: relative import"
                base = child.module or ""
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in child.names]
            else:
                targets = []
            for target in (t for t in targets if t in MODULES and t != name):
                every.add(target)
                if loads:
                    at_load.add(target)
            deferred = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) or (
                isinstance(child, ast.If) and "TYPE_CHECKING" in ast.dump(child.test))
            visit(child, loads and not deferred)

    visit(ast.parse(MODULES[name].read_text()), True)
    return every, at_load


def breaches(every: dict[str, set[str]]) -> set[tuple[str, str, str]]:
    return {(rule, mod, t) for rule, layers, bad in RULES for mod, targets in every.items() if _in(mod, *layers)
            for t in targets if bad(t)}


def cycle(at_load: dict[str, set[str]]) -> list[str] | None:
    try:
        graphlib.TopologicalSorter(at_load).prepare()
    except graphlib.CycleError as exc:
        return list(exc.args[1])
    return None


def test_import_rules_hold_except_the_known_breaches() -> None:
    graphs = {name: _imports(name) for name in MODULES}
    found = breaches({name: g[0] for name, g in graphs.items()})
    assert found - KNOWN_BREACHES == set(), "new layer breach: fix the import"
    assert KNOWN_BREACHES - found == set(), "a known breach is gone: remove it from KNOWN_BREACHES"
    assert cycle({name: g[1] for name, g in graphs.items()}) is None


def test_the_checker_sees_a_breach_and_a_cycle() -> None:
    graph = {"wiretool.codec.a": {"wiretool.output.sink"}, "wiretool.x": {"wiretool.y"}, "wiretool.y": {"wiretool.x"}}
    assert breaches(graph) == {("codec-imports-only-codec-records-secrets", "wiretool.codec.a", "wiretool.output.sink")}
    assert set(cycle(graph) or ()) == {"wiretool.x", "wiretool.y"}
