"""The shape of ``pumpkernel/``: no import cycles, and the evidence code's layers import downwards only.

Every import of every ``pumpkernel`` module (top-level and inside functions)
is read with ``ast``; the graph of ``pumpkernel.*`` imports must have no cycle
(``graphlib`` finds one), and ``suite`` (gathers results) must not import
``assurance`` (argues) or ``report`` (renders), nor ``assurance`` import
``report``.  The modules of these three packages stay under 400 lines.
"""

from __future__ import annotations

import ast
import graphlib
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
PACKAGE = ROOT / "pumpkernel"
LAYERS = ("suite", "assurance", "report")
"""Lowest first: a layer imports only layers before it (and other pumpkernel modules outside the three)."""


def _module(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: pathlib.Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name.startswith("pumpkernel")}


def _graph() -> dict[str, set[str]]:
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {i for i in _imports(path) if i in modules and i != name} for name, path in modules.items()}


def test_no_import_cycles_among_pumpkernel_modules() -> None:
    graph = _graph()
    assert len(graph) > 20
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError, naming the cycle


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def test_gather_argue_render_import_downwards_only() -> None:
    for module, imported in _graph().items():
        mine = _layer(module)
        if mine is None:
            continue
        for other in imported:
            theirs = _layer(other)
            assert theirs is None or theirs <= mine, f"{module} imports {other}: upwards"


def test_evidence_modules_stay_small() -> None:
    for layer in LAYERS:
        for path in (PACKAGE / layer).glob("*.py"):
            lines = len(path.read_text().splitlines())
            assert lines <= 400, f"{path.relative_to(ROOT)}: {lines} lines"
