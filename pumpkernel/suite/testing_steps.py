"""The testing steps of ``pumpkernel verify``: the property tests and the small-scope search.

Theory of operation
-------------------
``step_property_tests`` runs ``pytest property_tests`` (and ``tests`` with
``--unit-tests``) in a subprocess at the Hypothesis profile (``quick``, ``ci``,
``deep``), its JUnit XML written into the bundle; a skipped test makes the step
*incomplete*.  ``step_small_scope`` runs the exhaustive small-scope search
(``property_tests.small_scope.explore``) in a subprocess under a wall-clock
limit; a violation fails it, a search that stopped early is *incomplete*.
"""

from __future__ import annotations

import json
import os
import pathlib
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from typing import Any

from pumpkernel.suite.context import ROOT
from pumpkernel.suite.model import ERROR, FAILED, INCOMPLETE, NOT_AVAILABLE, PASSED, TIMEOUT, Case, Options, StepReport

PROPERTY_TEST_TIMEOUT_S: dict[str, float] = {"quick": 1200.0, "ci": 2400.0, "deep": 6 * 3600.0}


def _parse_junit(path: pathlib.Path) -> list[Case]:
    cases = []
    root = ET.parse(path).getroot()
    for element in root.iter("testcase"):
        status, message = PASSED, ""
        for child in element:
            if child.tag in ("failure", "error"):
                status, message = (FAILED if child.tag == "failure" else ERROR), child.get("message", "")[:500]
            elif child.tag == "skipped":
                status, message = "skipped", child.get("message", "")[:200]
        cases.append(
            Case(element.get("classname", ""), element.get("name", ""), status, message, float(element.get("time", 0)))
        )
    return cases


def _property_test_files() -> list[str]:
    folder = ROOT / "property_tests"
    return sorted(str(p.relative_to(ROOT)) for p in folder.rglob("test_*.py")) if folder.is_dir() else []


def step_property_tests(options: Options, state: dict[str, Any]) -> StepReport:
    name, title = "property-tests", f"Property tests (Hypothesis, profile {options.profile})"
    files = _property_test_files()
    if not files:
        return StepReport(name, title, NOT_AVAILABLE, "no property tests found (property_tests/test_*.py)")
    options.out.mkdir(parents=True, exist_ok=True)
    junit = (options.out / "junit-property-tests.xml").resolve()  # pytest runs in ROOT, not here
    targets = ["property_tests"] + (["tests"] if options.unit_tests else [])
    command = [sys.executable, "-m", "pytest", *targets, "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"]
    if options.workers > 1:
        command += ["-n", str(options.workers)]
    env = dict(os.environ, HYPOTHESIS_PROFILE=options.profile)
    try:
        run = subprocess.run(
            command,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=PROPERTY_TEST_TIMEOUT_S[options.profile],
        )
    except subprocess.TimeoutExpired:
        limit = PROPERTY_TEST_TIMEOUT_S[options.profile]
        return StepReport(name, title, TIMEOUT, f"pytest did not finish within {limit:.0f} s", {"files": files})
    cases = _parse_junit(junit) if junit.exists() else []
    for case in cases:
        case.classname = "property-tests." + case.classname
    counts = {status: sum(c.status == status for c in cases) for status in (PASSED, FAILED, ERROR, "skipped")}
    data: dict[str, Any] = {
        "profile": options.profile,
        "files": files,
        "paths": targets,
        "command": shlex.join(["HYPOTHESIS_PROFILE=" + options.profile, "pytest", *command[3:]]).replace(
            str(junit), "<out>/" + junit.name
        ),
        "returncode": run.returncode,
        "counts": counts,
        "failures": sorted(f"{c.classname}::{c.name}: {c.message}" for c in cases if c.status in (FAILED, ERROR)),
        "junit": junit.name,
    }
    summary = f"{counts[PASSED]} passed, {counts[FAILED]} failed, {counts[ERROR]} errors, {counts['skipped']} skipped"
    if run.returncode == 0 and cases and counts["skipped"]:
        status = INCOMPLETE
        summary += " (a skipped test is not evidence)"
    elif run.returncode == 0 and cases:
        status = PASSED
    elif run.returncode == 5:
        status, summary = NOT_AVAILABLE, "pytest collected no property tests"
    else:
        status = FAILED
        if not cases:
            data["output_tail"] = (run.stdout + run.stderr)[-4000:]
            summary = f"pytest exited with {run.returncode}: " + (run.stdout + run.stderr).strip()[-200:]
    timings = {f"{c.classname}::{c.name}": c.seconds for c in cases}
    return StepReport(name, title, status, summary, data, cases, timings=timings)


SMALL_SCOPE_TIMEOUT_S = 1800.0
"""Wall-clock limit of the small-scope search (it runs in a subprocess so that the limit holds)."""

_SMALL_SCOPE_SCRIPT = """
import json, sys
try:
    import property_tests.small_scope as module
except ImportError as problem:
    print(json.dumps({"missing": str(problem)}))
    sys.exit(0)
result = module.explore()
print(json.dumps({
    "states": result.states,
    "transitions": result.transitions,
    "violations": [str(v) for v in result.violations],
    "seconds": float(result.seconds),
    "complete": bool(getattr(result, "complete", True)),
    "expected_states": getattr(module, "EXPECTED_STATES", None),
    "scope": (module.__doc__ or "").strip().split("\\n\\n")[0],
}))
"""


def step_small_scope(options: Options, state: dict[str, Any]) -> StepReport:
    name, title = "small-scope", "Small-scope exhaustive search"
    if not (ROOT / "property_tests" / "small_scope.py").exists():
        return StepReport(name, title, NOT_AVAILABLE, "property_tests/small_scope.py not available")
    command = [sys.executable, "-c", _SMALL_SCOPE_SCRIPT]
    try:
        run = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=SMALL_SCOPE_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        return StepReport(name, title, TIMEOUT, f"the search did not finish within {SMALL_SCOPE_TIMEOUT_S:.0f} s", {})
    try:
        found = json.loads(run.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        tail = (run.stdout + run.stderr).strip()[-300:]
        return StepReport(name, title, ERROR, f"the search exited with {run.returncode}: {tail}")
    if "missing" in found:
        return StepReport(name, title, NOT_AVAILABLE, f"property_tests.small_scope not available: {found['missing']}")
    expected = found["expected_states"]
    violations = found["violations"]
    data = {k: found[k] for k in ("states", "transitions", "expected_states", "violations", "scope")}
    data["complete"] = found.get("complete", True)
    problems = []
    if violations:
        problems.append(f"{len(violations)} violation(s)")
    if expected is not None and found["states"] != expected:
        problems.append(f"{found['states']} states reached, {expected} expected (the state space changed)")
    cases = [Case("small-scope", "exhaustive-search", FAILED if problems else PASSED, "; ".join(problems))]
    summary = f"{found['states']} states, {found['transitions']} transitions, {len(violations)} violations"
    if problems:
        summary += "; " + "; ".join(problems)
    status = FAILED if problems else PASSED
    if status == PASSED and not data["complete"]:
        status = INCOMPLETE
        summary += "; INCOMPLETE: the search stopped before it had visited every reachable state"
    return StepReport(name, title, status, summary, data, cases, timings={"search": found["seconds"]})
