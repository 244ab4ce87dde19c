"""A pytest plugin for mutation runs: the tests most likely to kill a mutant first.

Theory of operation
-------------------
mutmut 3 runs, for each mutant, the tests that reach the mutated function,
with ``-x``: the run stops at the first failure.  A killed mutant costs the
time of every test run before the one that kills it, so the order matters:
this plugin puts first the tests that already killed a mutant of the same
function, then tests that killed any mutant, then the rest, fastest first
(durations from mutmut's stats pass, ``mutants/mutmut-stats.json``).  Each
failure is appended to ``mutants/mutation-killers.txt`` as
``function<TAB>test`` (the mutant's name comes from mutmut's
``MUTANT_UNDER_TEST`` environment variable), so the order learns during the
run.  It changes no verdict: the same tests run, only in another order.

Loaded by ``pytest_add_cli_args`` in ``[tool.mutmut]`` of ``pyproject.toml``;
the tests run with ``mutants/`` as the working directory.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

_STATS = Path("mutmut-stats.json")
_KILLERS = Path("mutation-killers.txt")


def _function(mutant_name: str) -> str:
    """The mangled function of a mutant name (``kernel.windows.x_shift__mutmut_3`` -> ``kernel.windows.x_shift``)."""
    return mutant_name.rsplit("__mutmut_", 1)[0]


def _durations() -> dict[str, float]:
    try:
        data = json.loads(_STATS.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    durations = data.get("duration_by_test", {}) if isinstance(data, dict) else {}
    return {str(k): float(v) for k, v in durations.items()} if isinstance(durations, dict) else {}


def _killers() -> list[tuple[str, str]]:
    try:
        lines = _KILLERS.read_text("utf-8").splitlines()
    except OSError:
        return []
    return [(parts[0], parts[1]) for parts in (line.split("\t") for line in lines) if len(parts) == 2]


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Sort ``items``: killers of this function, then other killers, then by recorded duration."""
    durations = _durations()
    if not durations:
        return
    function = _function(os.environ.get("MUTANT_UNDER_TEST", ""))
    kills = _killers()
    here = Counter(test for fn, test in kills if fn == function)
    anywhere = Counter(test for _, test in kills)
    items.sort(key=lambda item: (-here[item.nodeid], -anywhere[item.nodeid], durations.get(item.nodeid, 1e9)))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Record which test killed the mutant under test."""
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if report.failed and "__mutmut_" in mutant:
        with _KILLERS.open("a", encoding="utf-8") as killers:
            killers.write(f"{_function(mutant)}\t{report.nodeid}\n")
