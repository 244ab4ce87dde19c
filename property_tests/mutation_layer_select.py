"""Which tests of the property and unit layers can observe a mutant: mutmut's coverage, read once per kernel.

Theory of operation
-------------------
A test that never calls the mutated function (nor anything run with it at
import time) executes exactly the same code on the mutated kernel as on the
shipped one, so its verdict cannot change: per mutant, a pytest layer runs
only the tests that call the mutated function, with ``-x``, killers first.
Everything else about the layer stays (the same tests, profile and tree).

* *Coverage.*  mutmut's stats pass (``mutants/mutmut-stats.json`` of a full
  ``make mutation`` run: ``tests_by_mangled_function_name``, each test's
  duration) says which tests call which kernel function
  (``kernel.windows.x_shift``; a method ``kernel.m.xǁClassǁf``; a nested
  function is part of its enclosing one).  ``load_coverage`` accepts it only
  when the run mutated *this* kernel: mutmut's generated files next to it
  (``mutants/kernel/**.py``) must equal, byte for byte, the code
  ``property_tests.mutation_apply.generate`` makes from the shipped kernel.
  Otherwise (missing, another kernel) the layer runs whole and its method
  says so.
* *Import time.*  The stats pass attributes a call made while modules are
  imported (``kernel.modes._event_rows``, ``kernel.config.make_config``, a
  test module's module-level call) to whichever test ran first.  They are
  found by ``python -m property_tests.mutation_layer_select trace -- <pytest
  args>``: the layer's ``pytest --collect-only`` (imports everything the
  layer imports) under ``sys.setprofile``, recording every kernel function
  called and which module's top-level code called it.  A function called by
  a test file's own top level selects every test of that file; one called by
  any other module's top level (the kernel's, a helper's, a conftest's)
  selects every test of the layer.  The trace also lists the layer's test IDs.
* *Tests the stats pass never ran* (not in mutmut's selection, e.g.
  ``property_tests/test_conformance.py``, or added since) are traced once per
  kernel (``trace-run``: the same profiler while they run, in the layer's
  own profile, each test's kernel functions and CPU seconds) and then
  selected like the others; a test neither in the stats nor traced runs for
  every mutant.

Assumptions (stated in each pytest layer's ``method``): the stats pass ran
the tests in Hypothesis' ``quick`` profile (10 examples, derandomized) with
conformance checks off, the layers run the ``ci`` profile (60 examples); a
test that reaches a function only in its later examples is not selected for
that function's mutants.  A per-process cache in the tests
(``property_tests.arbitrary.reachable``) is charged by mutmut to the first
test that fills it.  Both can only make a layer miss a kill (the layer's kill
rate is then a lower bound), never invent one.  Tests are assumed not to
depend on each other's order (mutmut's own runs assume the same).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from property_tests.mutation_apply import Generated
from property_tests.mutmut_names import kernel_module, mutated_function, mutmut_name

ASSUMPTIONS = (
    "tests per mutant from mutmut's stats pass on this kernel (a test that never calls the mutated function "
    "cannot observe it); a function called by a test file's top level selects that file's tests, by any other "
    "module's top level every test of the layer; tests the stats pass never ran are traced once "
    "(sys.setprofile, ci profile) and selected alike; assumed: the stats pass ran Hypothesis' quick profile "
    "(10 examples) with conformance off, this layer the ci profile (60 examples), so a test reaching the "
    "function only in a later example, only through a per-process cache another test filled "
    "(property_tests.arbitrary.reachable) or only in a child process is not selected (a missed test can only lower "
    "the kill rate); tests do not depend on each other's order (as in mutmut's own runs)"
)


@dataclass
class Coverage:
    """mutmut's coverage of one kernel: tests per mangled function, each test's duration (s), the file it came from."""

    tests_by_function: dict[str, set[str]]
    duration_s: dict[str, float]
    source: str
    import_time: dict[str, set[str]] = field(default_factory=dict)
    """Kernel function -> the test files whose module-level code calls it (``""``: imported code calls it: every
    test)."""


def load_coverage(stats_path: Path, generated: Generated) -> tuple[Coverage | None, str]:
    """mutmut's stats for this kernel, or None and why not (see module docstring)."""
    if not stats_path.exists():
        return None, f"no mutmut stats at {stats_path}"
    tree = stats_path.parent
    for relative, code in generated.codes.items():
        mine = tree / relative
        if not mine.exists() or mine.read_text("utf-8") != code:
            return None, f"the mutmut stats at {stats_path} are of another kernel ({relative} differs)"
    try:
        data = json.loads(stats_path.read_text("utf-8"))
        tests = {str(k): {str(t) for t in v} for k, v in data["tests_by_mangled_function_name"].items()}
        durations = {str(k): float(v) for k, v in data["duration_by_test"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as problem:
        return None, f"the mutmut stats at {stats_path} cannot be read ({type(problem).__name__})"
    return Coverage(tests, durations, str(stats_path)), ""


def select(
    mutant: str, layer_tests: list[str], coverage: Coverage, killers: Counter[str] | None = None
) -> tuple[list[str], str]:
    """The tests of ``layer_tests`` that can observe ``mutant``, likeliest killers first; and why they were chosen.

    ``killers`` counts, per ``function<TAB>test`` and per test, the kills so far (``killer_counts``).
    """
    function = mutated_function(mutant)
    files = coverage.import_time.get(function, set())
    if "" in files:
        chosen, why = list(layer_tests), "called while the kernel or a test helper is imported: every test"
    else:
        calling = coverage.tests_by_function.get(function, set())
        at_import = tuple(f"{name}::" for name in sorted(files))
        chosen = [t for t in layer_tests if t in calling or t not in coverage.duration_s or t.startswith(at_import)]
        why = (
            f"{sum(t in calling for t in chosen)} calling, {sum(t not in coverage.duration_s for t in chosen)} "
            f"never run by the stats pass, {sum(t.startswith(at_import) for t in chosen)} in {len(files)} test "
            "files calling it at import"
        )
    killers = killers or Counter()

    def rank(test: str) -> tuple[int, int, float, str]:
        return (-killers[f"{function}\t{test}"], -killers[test], coverage.duration_s.get(test, 60.0), test)

    return sorted(chosen, key=rank), why


def killer_counts(results: Iterable[dict[str, Any]]) -> Counter[str]:
    """Kills per ``function<TAB>test`` and per test, from recorded pytest-layer results."""
    counts: Counter[str] = Counter()
    for r in results:
        by = str(r.get("by", ""))
        if r.get("status") == "killed" and "::" in by and " " not in by:
            counts[f"{mutated_function(str(r['mutant']))}\t{by}"] += 1
            counts[by] += 1
    return counts


# Inside a tree: the layer's tests and the kernel functions called while collecting them.


def _mangled(frame: FrameType, kernel: str) -> str | None:
    code = frame.f_code
    if not code.co_filename.startswith(kernel):
        return None
    return mutmut_name(kernel_module(Path("kernel", code.co_filename[len(kernel) :].lstrip("/"))), code.co_qualname)


def _importer(frame: FrameType, root: str) -> str:
    """The test file whose module-level code made this call (``tests/test_x.py``), or ``""`` for any other module."""
    found: FrameType | None = frame
    while found is not None and found.f_code.co_name != "<module>":
        found = found.f_back
    if found is None or not found.f_code.co_filename.startswith(root):
        return ""
    relative = Path(found.f_code.co_filename[len(root) :]).as_posix()
    return relative if Path(relative).name.startswith("test_") else ""


def trace(pytest_args: list[str], run: bool = False) -> dict[str, Any]:
    """``pytest --collect-only`` with ``pytest_args`` under a profiler: the test IDs, and each kernel function
    called while collecting with the test files whose module-level code called it (``""``: any other module).
    With ``run``, the tests also run: each test's kernel functions (``per_test``) and seconds (``seconds``)."""
    import os

    import pytest

    root = os.getcwd() + os.sep
    kernel = os.path.join(root, "kernel") + os.sep
    called: dict[str, set[str]] = {}
    per_test: dict[str, set[str]] = {}
    seconds: dict[str, float] = {}
    current: list[str] = []

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event == "call":
            name = _mangled(frame, kernel)
            if name is None:
                return
            if current:
                per_test[current[0]].add(name)
            else:
                called.setdefault(name, set()).add(_importer(frame, root))

    class Collector:
        def __init__(self) -> None:
            self.ids: list[str] = []
            self.started = 0.0

        def pytest_collection_finish(self, session: pytest.Session) -> None:
            self.ids = [item.nodeid for item in session.items]

        def pytest_runtest_logstart(self, nodeid: str, location: object) -> None:
            current[:] = [nodeid]
            per_test.setdefault(nodeid, set())
            self.started = time.process_time()

        def pytest_runtest_logfinish(self, nodeid: str, location: object) -> None:
            seconds[nodeid] = round(time.process_time() - self.started, 3)
            current.clear()

    collector = Collector()
    options = ["-q", "-p", "no:cacheprovider", *([] if run else ["--collect-only"])]
    sys.setprofile(profile)
    try:
        code = int(pytest.main([*options, *pytest_args], plugins=[collector]))
    finally:
        sys.setprofile(None)
    found: dict[str, Any] = {"exit_code": code, "tests": collector.ids}
    found["import_time"] = {k: sorted(v) for k, v in sorted(called.items())}
    if run:
        found.update(per_test={k: sorted(v) for k, v in per_test.items()}, seconds=seconds)
    return found


def run_trace(tree: Path, pytest_args: list[str], env: dict[str, str], run: bool = False) -> dict[str, Any]:
    """``trace`` in a fresh process in ``tree``; raises when collection (or, with ``run``, a test) fails."""
    mode = "trace-run" if run else "trace"
    command = [sys.executable, "-m", "property_tests.mutation_layer_select", mode, "--", *pytest_args]
    traced = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
    lines = [line for line in traced.stdout.splitlines() if line.startswith("TRACE ")]
    if traced.returncode != 0 or not lines:
        raise RuntimeError(
            f"collecting {pytest_args} failed ({traced.returncode}): {(traced.stdout + traced.stderr)[-500:]}"
        )
    found: dict[str, Any] = json.loads(lines[-1][len("TRACE ") :])
    if found["exit_code"] != 0:
        raise RuntimeError(f"collecting {pytest_args} failed: pytest exit {found['exit_code']}")
    return found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in ("trace", "trace-run"):
        print("usage: python -m property_tests.mutation_layer_select trace|trace-run -- PYTEST_ARGS", file=sys.stderr)
        return 2
    rest = args[1:]
    found = trace(rest[1:] if rest[:1] == ["--"] else rest, run=args[0] == "trace-run")
    print("TRACE " + json.dumps(found), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
