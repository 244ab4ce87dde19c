"""A pytest plugin for mutation runs: killers first, the kernel at native speed, a time guard.

Theory of operation
-------------------
mutmut 3 tests each mutant in a process forked from its own, running with
``-x`` (stop at the first failure) the tests that reach the mutated function
(found by its stats pass).  This plugin, loaded by ``pytest_add_cli_args`` in
``[tool.mutmut]`` of ``pyproject.toml``, works inside that process when it
tests a real mutant (``MUTANT_UNDER_TEST`` holds a name with ``__mutmut_``):

1. *Native speed.*  ``property_tests.mutation_trampoline.bypass`` replaces
   mutmut's per-call trampolines by the function mutmut would call for this
   mutant (about four times faster; same results).
2. *Order.*  A killed mutant costs the tests run before the one that kills
   it, so the tests go: those that already killed a mutant of the same
   function, then those that killed any mutant, then the rest, fastest
   first (durations from mutmut's stats pass, ``mutants/mutmut-stats.json``).
   Each failure is appended to ``mutants/mutation-killers.txt`` as
   ``function<TAB>test``, so the order learns during the run.  The same tests
   run; only the order changes, so no verdict does.
3. *Time guard.*  A mutant can make a test loop for ever (a ``while`` waiting
   for a mode that never comes).  mutmut's own limit is fifteen times its
   trampolined estimate of the whole selection, tens of minutes for the
   busiest functions.  The guard is per test and counts this process's CPU
   seconds (``ITIMER_PROF``), so a loaded machine cannot trip it: each test
   (setup, call, teardown) may use ``GUARD_FACTOR`` times its own trampolined
   duration from the stats pass plus ``GUARD_FLOOR_S``.  Measured (native
   durations of the whole selection against a stats pass, docs/mutation.md):
   no test ran natively more than 0.1 s longer than its trampolined figure
   (warm caches in the stats pass) and every allowance was at least 5.5 times
   the native duration, so a test that would finish is not ended; a looping
   test is ended after seconds, not after the whole selection's allowance.  The guard exits
   with code 36, which mutmut records as a timeout (counted as not killed),
   and notes ``mutant<TAB>test<TAB>allowed CPU seconds`` in
   ``mutants/mutation-guard.txt``.
4. *CPU time.*  At the end it appends ``mutant<TAB>CPU seconds<TAB>tests
   run`` to ``mutants/mutation-cpu.txt``: the cost of the mutant on an idle
   core, whatever else the machine was doing (the report projects from it).

In mutmut's stats, clean-test and forced-fail runs (in its main process) the
plugin changes nothing but the order.  The tests run with ``mutants/`` as the
working directory.
"""

from __future__ import annotations

import json
import os
import resource
import signal
from collections import Counter
from collections.abc import Generator
from pathlib import Path
from types import FrameType

import pytest

from property_tests.mutation_trampoline import bypass

_STATS = Path("mutmut-stats.json")
_KILLERS = Path("mutation-killers.txt")
_GUARD_LOG = Path("mutation-guard.txt")
_CPU_LOG = Path("mutation-cpu.txt")
_ran: list[str] = []
_allowance_s: dict[str, float] = {}

GUARD_FACTOR = 2.0
"""Each test may use this many times its trampolined duration (mutmut's stats pass) in CPU seconds ..."""
GUARD_FLOOR_S = 5.0
"""... plus this many CPU seconds (a fixture's first import, a Hypothesis example that draws long)."""
GUARD_UNKNOWN_S = 60.0
"""The allowance of a test the stats pass did not time (never expected: mutmut selects from its stats)."""
TIMEOUT_EXIT_CODE = 36
"""mutmut 3.8.1 reads exit code 36 as "timeout"."""


def _function(mutant_name: str) -> str:
    """The mangled function of a mutant name (``kernel.windows.x_shift__mutmut_3`` -> ``kernel.windows.x_shift``)."""
    return mutant_name.rsplit("__mutmut_", 1)[0]


def _mutant() -> str:
    name = os.environ.get("MUTANT_UNDER_TEST", "")
    return name if "__mutmut_" in name else ""


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


def _arm_guard(mutant: str, test: str, cpu_seconds: float) -> None:
    """End this process (exit 36, a timeout) once it has used ``cpu_seconds`` more CPU; 0 disarms."""

    def expired(signum: int, frame: FrameType | None) -> None:
        try:
            with _GUARD_LOG.open("a", encoding="utf-8") as log:
                log.write(f"{mutant}\t{test}\t{cpu_seconds:.1f}\n")
        finally:
            os._exit(TIMEOUT_EXIT_CODE)

    signal.signal(signal.SIGPROF, expired)
    signal.setitimer(signal.ITIMER_PROF, cpu_seconds)


def pytest_configure(config: pytest.Config) -> None:
    """In a mutant's process: run the kernel without trampolines."""
    mutant = _mutant()
    if mutant:
        bypass(mutant)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Sort ``items`` (killers of this function, other killers, then by duration); arm the guard."""
    durations = _durations()
    if not durations:
        return
    mutant = _mutant()
    function = _function(mutant)
    kills = _killers()
    here = Counter(test for fn, test in kills if fn == function)
    anywhere = Counter(test for _, test in kills)
    items.sort(key=lambda item: (-here[item.nodeid], -anywhere[item.nodeid], durations.get(item.nodeid, 1e9)))
    timed = (item.nodeid for item in items if item.nodeid in durations)
    _allowance_s.update({test: GUARD_FACTOR * durations[test] + GUARD_FLOOR_S for test in timed})


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    """In a mutant's process: the CPU-time guard around each test (setup, call, teardown)."""
    mutant = _mutant()
    if mutant and _allowance_s:
        _arm_guard(mutant, item.nodeid, _allowance_s.get(item.nodeid, GUARD_UNKNOWN_S))
    yield
    if mutant and _allowance_s:
        signal.setitimer(signal.ITIMER_PROF, 0)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Record which test killed the mutant under test."""
    mutant = _mutant()
    if mutant and report.when == "call":
        _ran.append(report.nodeid)
    if report.failed and mutant:
        with _KILLERS.open("a", encoding="utf-8") as killers:
            killers.write(f"{_function(mutant)}\t{report.nodeid}\n")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Record the CPU seconds this mutant's process used (it was forked with zeroed counters)."""
    mutant = _mutant()
    if mutant:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        with _CPU_LOG.open("a", encoding="utf-8") as log:
            log.write(f"{mutant}\t{usage.ru_utime + usage.ru_stime:.3f}\t{len(_ran)}\n")
