"""One verification layer run on one (mutated) kernel, in a scratch copy of the repository.

Theory of operation
-------------------
``make_tree(index)`` copies the repository's sources to
``.mutation-layers/tree-<index>``; ``run_layer(layer, tree, timeout_s)``
runs one layer there in a subprocess whose ``PYTHONPATH`` is the tree (so its
``kernel`` is imported, not the installed one) and which writes no bytecode
(a mutated file of the same size and second as the original must never be
read from a stale cache).  Verdicts:

* exit code 0: the layer passed, the mutant ``survived``;
* a failure (any other exit code; for pytest 1, 2 or 3: failed, collection
  error, internal error): ``killed``, with what killed it (the obligation,
  the condition's function, the test);
* pytest's 4 (usage) or 5 (no tests): ``error``, a fault of this machinery,
  not counted;
* over ``timeout_s``: ``timeout``, counted as killed (the gate would fail).

The Z3 and CrossHair layers run through this module's own command line
(``python -m property_tests.mutation_layer_run z3|crosshair --order FILE``)
inside the tree: the Z3 layer runs every obligation of
``proofs.obligations.all_obligations`` (those that killed most mutants so
far first, from ``FILE``) and stops at the first that fails, is unknown or
raises; the CrossHair layer is ``proofs.crosshair_gate.run_gate()``.  The
pytest layers use pytest's ``--ff`` (last failures first, from the tree's
own cache) with ``-x``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutation-layers"
COPIED = ("kernel", "specs", "proofs", "property_tests", "tests", "adapters", "pumpkernel", "tools", "examples")
MACHINERY_TESTS = ("test_mutation_machinery.py",)
"""Tests of this machinery itself, not of the kernel: left out of the property layer."""


def unit_selection(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """The ``tests/`` part of ``[tool.mutmut] pytest_add_cli_args_test_selection``."""
    data = tomllib.loads(pyproject.read_text("utf-8"))
    selection = [str(arg) for arg in data["tool"]["mutmut"]["pytest_add_cli_args_test_selection"]]
    return [arg for arg in selection if arg.split("=", 1)[-1].startswith("tests/")]


def layer_command(layer: str) -> list[str]:
    """The command that runs ``layer`` in a tree (see module docstring)."""
    if layer in ("z3", "crosshair"):
        order = WORK / f"{layer}-killers.txt"
        return [sys.executable, "-m", "property_tests.mutation_layer_run", layer, "--order", str(order)]
    pytest = [sys.executable, "-m", "pytest", "-o", "addopts=", "--tb=line", "-q", "-x", "--ff", "-p", "no:xdist"]
    if layer == "property":
        return [*pytest, "property_tests", *(f"--ignore=property_tests/{name}" for name in MACHINERY_TESTS)]
    if layer == "unit":
        return [*pytest, *unit_selection()]
    raise ValueError(f"unknown layer {layer}")


def tree_env(tree: Path) -> dict[str, str]:
    """The environment of a run in ``tree``: its sources first on the path, no bytecode, the CI profile."""
    env = dict(os.environ)
    env.update(PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1", HYPOTHESIS_PROFILE="ci")
    env.pop("MUTANT_UNDER_TEST", None)
    return env


def _killer(output: str, code: int) -> str:
    lines = output.splitlines()
    for line in lines:
        if line.startswith("KILLED-BY "):
            return line[len("KILLED-BY ") :].strip()[:200]
        if line.startswith(("FAILED ", "ERROR ")):
            return line.split(" ")[1][:200]
    last = next((line.strip() for line in reversed(lines) if line.strip()), "")
    return f"exit {code}: {last}"[:200]


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_layer(layer: str, tree: Path, timeout_s: float) -> dict[str, Any]:
    """Run ``layer`` in ``tree``: status, exit code, wall and CPU seconds, what killed it (see module docstring)."""
    started, cpu = time.monotonic(), _children_cpu_s()
    found: dict[str, Any] = {"status": "timeout", "exit_code": None, "by": ""}
    try:
        run = subprocess.run(
            layer_command(layer), cwd=tree, env=tree_env(tree), capture_output=True, text=True, timeout=timeout_s
        )
    except subprocess.TimeoutExpired:
        run = None
    if run is not None:
        output = run.stdout + run.stderr
        found["exit_code"] = run.returncode
        if run.returncode == 0:
            found["status"] = "survived"
        elif layer in ("property", "unit") and run.returncode in (4, 5):
            found.update(status="error", by=output[-300:])
        else:
            found.update(status="killed", by=_killer(output, run.returncode))
    found["seconds"] = round(time.monotonic() - started, 2)
    found["cpu_seconds"] = round(_children_cpu_s() - cpu, 2)
    return found


def make_tree(index: int) -> Path:
    """A fresh copy of the repository's sources for worker ``index`` (no bytecode, no caches)."""
    tree = WORK / f"tree-{index}"
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache", ".hypothesis")
    for name in COPIED:
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, tree / name, ignore=ignore)
    shutil.copy2(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


# Inside a tree: the Z3 and CrossHair layers.


def _rank(order_file: Path | None) -> Counter[str]:
    if order_file is None or not order_file.exists():
        return Counter()
    return Counter(line.strip() for line in order_file.read_text("utf-8").splitlines() if line.strip())


def run_z3(order_file: Path | None) -> int:
    """Every obligation, likeliest killers first; 1 at the first that fails, is unknown or raises."""
    from proofs.context import Context, describe
    from proofs.framework import run_query
    from proofs.suite import collect

    try:
        ctx = Context()
        obligations, _, _ = collect()
    except Exception as problem:  # the mutated kernel cannot even be encoded: no proof holds
        print(f"KILLED-BY building the obligations ({type(problem).__name__})")
        return 1
    rank = _rank(order_file)
    obligations.sort(key=lambda o: -rank[o.id])
    for obligation in obligations:
        try:
            passed = run_query(obligation, obligation.build(ctx), describe).passed
        except Exception as problem:
            print(f"KILLED-BY {obligation.id} ({type(problem).__name__})")
            return 1
        if not passed:
            print(f"KILLED-BY {obligation.id}")
            return 1
    return 0


def run_crosshair() -> int:
    """The CrossHair gate; 1 unless it passes."""
    from proofs.crosshair_gate import run_gate

    result = run_gate()
    if result.passed:
        return 0
    unconfirmed = [c.function for c, _ in result.unconfirmed if c is not None]
    missing = [c.function for c in result.missing]
    print(f"KILLED-BY {(unconfirmed + missing + ['gate'])[0]}")
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run one proof layer on the kernel of this tree.")
    parser.add_argument("layer", choices=("z3", "crosshair"))
    parser.add_argument("--order", type=Path, default=None, help="killers so far, one ID a line")
    args = parser.parse_args(argv)
    return run_z3(args.order) if args.layer == "z3" else run_crosshair()


if __name__ == "__main__":
    sys.exit(main())
