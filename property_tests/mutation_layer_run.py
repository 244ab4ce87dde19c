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

Per mutant, the incremental layers (``property_tests.mutation_layers``) run
other commands through ``run_command``: ``python -m property_tests.layer_z3
run ...`` (exit 0 survived, 1 killed, 2 refused: an ``error``), or pytest on
an explicit list of test IDs (``pytest_command``).  ``parse_output`` reads
their ``KILLED-BY <unit>`` and ``LAYER-STATS {json}`` lines.
"""

from __future__ import annotations

import argparse
import json
import os
import re
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
MACHINERY_TESTS = (
    "test_mutation_machinery.py",
    "test_mutation_layers.py",
    "test_layer_z3.py",
    "test_layer_crosshair.py",
)
"""Tests of this machinery itself, not of the kernel: left out of the property layer."""
PYTEST_LAYERS = ("property", "unit")


def unit_selection(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """The ``tests/`` part of ``[tool.mutmut] pytest_add_cli_args_test_selection``."""
    data = tomllib.loads(pyproject.read_text("utf-8"))
    selection = [str(arg) for arg in data["tool"]["mutmut"]["pytest_add_cli_args_test_selection"]]
    return [arg for arg in selection if arg.split("=", 1)[-1].startswith("tests/")]


def pytest_selection(layer: str) -> list[str]:
    """The pytest arguments that select a pytest layer's tests (see module docstring)."""
    if layer == "property":
        return ["property_tests", *(f"--ignore=property_tests/{name}" for name in MACHINERY_TESTS)]
    if layer == "unit":
        return unit_selection()
    raise ValueError(f"not a pytest layer: {layer}")


PYTEST = ("-m", "pytest", "-o", "addopts=", "--tb=line", "-q", "-x", "-p", "no:xdist")


def layer_command(layer: str) -> list[str]:
    """The command that runs the whole of ``layer`` in a tree (see module docstring)."""
    if layer in ("z3", "crosshair"):
        order = WORK / f"{layer}-killers.txt"
        return [sys.executable, "-m", "property_tests.mutation_layer_run", layer, "--order", str(order)]
    return [sys.executable, *PYTEST, "--ff", *pytest_selection(layer)]


def pytest_command(tests: list[str]) -> list[str]:
    """pytest on exactly ``tests`` (node IDs), in that order, stopping at the first failure."""
    return [sys.executable, *PYTEST, "-p", "no:cacheprovider", *tests]


def tree_env(tree: Path) -> dict[str, str]:
    """The environment of a run in ``tree``: its sources first on the path, no bytecode, the CI profile."""
    env = dict(os.environ)
    env.update(PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1", HYPOTHESIS_PROFILE="ci")
    env.pop("MUTANT_UNDER_TEST", None)
    return env


def parse_output(output: str, code: int) -> tuple[str, dict[str, Any] | None]:
    """What killed (``KILLED-BY`` line, else pytest's first ``FAILED``/``ERROR``, else the last line) and the
    ``LAYER-STATS`` object (None when absent or not a JSON object)."""
    lines = output.splitlines()
    stats: dict[str, Any] | None = None
    killer = ""
    for line in lines:
        if line.startswith("LAYER-STATS "):
            try:
                found = json.loads(line[len("LAYER-STATS ") :])
            except ValueError:
                continue
            stats = found if isinstance(found, dict) else None
        elif not killer and line.startswith("KILLED-BY "):
            killer = line[len("KILLED-BY ") :].strip()[:200]
    if not killer:
        for line in lines:
            if line.startswith(("FAILED ", "ERROR ")):
                killer = line.split(" ")[1][:200]
                break
    if not killer:
        last = next((line.strip() for line in reversed(lines) if line.strip()), "")
        killer = f"exit {code}: {last}"[:200]
    return killer, stats


def pytest_ran(output: str) -> int:
    """How many tests pytest ran (passed, failed, errors, skipped, xfailed...), from its last summary line."""
    summary = next((line for line in reversed(output.splitlines()) if " in " in line and "=" not in line[:1]), "")
    return sum(int(count) for count in re.findall(r"(\d+) (?:passed|failed|errors?|skipped|xfailed|xpassed)", summary))


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_command(command: list[str], tree: Path, timeout_s: float, *, pytest_like: bool) -> dict[str, Any]:
    """Run a layer's ``command`` in ``tree``: status, exit code, wall and CPU seconds, what killed, LAYER-STATS.

    Exit 0 ``survived``; pytest's 4 or 5, or a proof layer's 2 (refused), ``error`` (not counted); any other
    exit ``killed``; over ``timeout_s`` ``timeout`` (counted as killed: the gate would fail).
    """
    started, cpu = time.monotonic(), _children_cpu_s()
    found: dict[str, Any] = {"status": "timeout", "exit_code": None, "by": ""}
    try:
        run = subprocess.run(command, cwd=tree, env=tree_env(tree), capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        run = None
    if run is not None:
        output = run.stdout + run.stderr
        found["exit_code"] = run.returncode
        killer, stats = parse_output(output, run.returncode)
        if stats is not None:
            found["stats"] = stats
        if pytest_like:
            found["tests_run"] = pytest_ran(output)
        if run.returncode == 0:
            found["status"] = "survived"
        elif run.returncode in ((4, 5) if pytest_like else (2,)):
            found.update(status="error", by=output[-300:])
        else:
            found.update(status="killed", by=killer)
    found["seconds"] = round(time.monotonic() - started, 2)
    found["cpu_seconds"] = round(_children_cpu_s() - cpu, 2)
    return found


def run_layer(layer: str, tree: Path, timeout_s: float) -> dict[str, Any]:
    """Run the whole of ``layer`` in ``tree`` (see ``run_command``)."""
    return run_command(layer_command(layer), tree, timeout_s, pytest_like=layer in PYTEST_LAYERS)


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
