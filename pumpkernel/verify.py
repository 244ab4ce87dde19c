"""``pumpkernel verify``: the verification suite, in order, with its evidence bundle.

Theory of operation
-------------------
``run_verify(options)`` runs the steps of ``STEPS`` in order and returns a
``Verification``; each step gives a ``StepReport`` with a status, a one-line
summary, *deterministic* data (what the evidence bundle shows), JUnit cases,
and its timings kept apart (so that the same inputs give the same report,
apart from the date and the timings).  The steps:

1. ``configuration``: the configuration (``--config FILE`` or the default) is
   read (``pumpkernel.configfile``) and validated as a whole
   (``kernel.config.config_problems``, every reason listed).  Passing the
   structural rules is what makes the Z3 proofs apply to it: the proofs are
   stated over every configuration that passes them.
2. ``exercise``: the configuration run concretely (``pumpkernel.exercise``): a
   scripted day and a seeded random run checking every invariant after every
   step.  The proofs already cover it; this is the concrete complement.
3. ``proofs``: every Z3 obligation and every weakened-model check
   (``proofs.report``).  ``unknown`` and timeouts are failures.
4. ``crosshair``: the CrossHair gate (``proofs.crosshair_gate``): every
   condition must be "Confirmed over all paths".
5. ``property-tests``: ``pytest property_tests`` in a subprocess at the
   Hypothesis profile (``quick``, ``ci``, ``deep``), its JUnit XML written into
   the bundle.
6. ``small-scope``: the exhaustive small-scope search
   (``property_tests.small_scope.explore``).
7. ``mutation``: the committed mutation report
   (``property_tests/mutation_report.json``), or a fresh run with ``--mutation``.

A step that cannot run (its module or report is missing) is *not available*;
like failed, unknown and timed out, that makes the whole run fail.  Only a run
in which every step passed exits 0.  A run restricted to some steps or to some
obligations is marked *partial* in the bundle.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import pathlib
import re
import shlex
import subprocess
import sys
import time
import traceback
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pumpkernel.configfile import ConfigFileError, LoadedConfig, as_table, default, load

HELP = "run the whole verification suite on a configuration and write the evidence bundle"

ROOT = pathlib.Path(__file__).resolve().parent.parent

PASSED = "passed"
FAILED = "failed"
UNKNOWN = "unknown"
TIMEOUT = "timed out"
NOT_AVAILABLE = "not available"
ERROR = "error"
STATUSES = (PASSED, FAILED, UNKNOWN, TIMEOUT, NOT_AVAILABLE, ERROR)

STEPS: tuple[tuple[str, str], ...] = (
    ("configuration", "Configuration validation"),
    ("exercise", "Concrete exercise of the configuration"),
    ("proofs", "Z3 proofs and weakened-model checks"),
    ("crosshair", "CrossHair gate"),
    ("property-tests", "Property tests (Hypothesis)"),
    ("small-scope", "Small-scope exhaustive search"),
    ("mutation", "Mutation testing"),
)
"""Step name -> title, in the order they run."""

PROFILES = ("quick", "ci", "deep")
PROPERTY_TEST_TIMEOUT_S: dict[str, float] = {"quick": 1200.0, "ci": 2400.0, "deep": 6 * 3600.0}
MUTATION_TIMEOUT_S = 6 * 3600.0
MUTATION_REPORT = ROOT / "property_tests" / "mutation_report.json"


@dataclass
class Case:
    """One JUnit test case."""

    classname: str
    name: str
    status: str = PASSED
    message: str = ""
    seconds: float = 0.0


@dataclass
class StepReport:
    """The outcome of one step (see module docstring)."""

    name: str
    title: str
    status: str
    summary: str
    data: dict[str, Any] = field(default_factory=dict)
    cases: list[Case] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == PASSED


@dataclass
class Options:
    """What to verify and how."""

    config_path: pathlib.Path | None = None
    profile: str = "ci"
    out: pathlib.Path = pathlib.Path("evidence")
    steps: tuple[str, ...] = tuple(name for name, _ in STEPS)
    obligations: tuple[str, ...] = ()
    """Run only obligations whose ID starts with one of these (all when empty); partial run."""
    weakenings: bool = True
    proof_timeout_s: float = 60.0
    crosshair_timeout_s: float = 60.0
    mutation: bool = False
    workers: int = 2
    unit_tests: bool = False

    @property
    def partial(self) -> list[str]:
        """Why this run is not the full suite (empty for a full run)."""
        why = []
        skipped = [name for name, _ in STEPS if name not in self.steps]
        if skipped:
            why.append("steps not run: " + ", ".join(skipped))
        if self.obligations:
            why.append("obligations restricted to " + ", ".join(self.obligations))
        if not self.weakenings and "proofs" in self.steps:
            why.append("weakened-model checks not run")
        return why

    def command(self) -> str:
        """The command that regenerates this bundle."""
        words = ["pumpkernel", "verify", "--profile", self.profile, "--out", str(self.out)]
        if self.config_path is not None:
            words += ["--config", str(self.config_path)]
        if tuple(self.steps) != tuple(name for name, _ in STEPS):
            words += ["--steps", ",".join(self.steps)]
        for prefix in self.obligations:
            words += ["--obligations", prefix]
        if not self.weakenings:
            words.append("--no-weakened")
        if self.proof_timeout_s != 60.0:
            words += ["--proof-timeout", f"{self.proof_timeout_s:g}"]
        if self.crosshair_timeout_s != 60.0:
            words += ["--crosshair-timeout", f"{self.crosshair_timeout_s:g}"]
        if self.mutation:
            words.append("--mutation")
        if self.unit_tests:
            words.append("--unit-tests")
        return shlex.join(words)


@dataclass
class Verification:
    """A whole run: every step, and what was verified."""

    options: Options
    steps: list[StepReport]
    loaded: LoadedConfig | None
    date: str
    context: dict[str, Any] = field(default_factory=dict)
    """Source hashes, git commit and tool versions (``source_context``)."""

    @property
    def passed(self) -> bool:
        return all(step.passed for step in self.steps)

    def step(self, name: str) -> StepReport | None:
        return next((s for s in self.steps if s.name == name), None)


# ---------------------------------------------------------------- context


def _sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _git(*args: str) -> str | None:
    try:
        run = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return run.stdout.strip() if run.returncode == 0 else None


def tool_versions() -> dict[str, str]:
    """Exact versions of the tools the evidence depends on."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for package in ("z3-solver", "crosshair-tool", "hypothesis", "pytest", "pytest-xdist", "mutmut", "rich"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


def source_context() -> dict[str, Any]:
    """The exact source verified: SHA-256 of every kernel file, of the verification code, and the git commit."""
    kernel = {str(p.relative_to(ROOT)): _sha256(p) for p in sorted((ROOT / "kernel").rglob("*.py"))}
    verification: dict[str, str] = {}
    for folder in ("specs", "proofs", "property_tests", "pumpkernel"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            verification[str(path.relative_to(ROOT))] = _sha256(path)
    combined = hashlib.sha256("".join(f"{k}:{v}\n" for k, v in kernel.items()).encode()).hexdigest()
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no")
    kernel_status = _git("status", "--porcelain", "--untracked-files=all", "--", "kernel")
    return {
        "git_commit": commit or "unknown (not a git checkout)",
        "git_dirty": bool(status) if status is not None else None,
        "kernel_dirty": bool(kernel_status) if kernel_status is not None else None,
        "kernel_sha256": combined,
        "kernel_files": kernel,
        "verification_files": verification,
        "tool_versions": tool_versions(),
    }


def now_utc() -> str:
    """The date of the run: ``SOURCE_DATE_EPOCH`` if set (reproducible builds), else now, in UTC."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        moment = datetime.datetime.fromtimestamp(int(epoch), tz=datetime.UTC)
    else:
        moment = datetime.datetime.now(tz=datetime.UTC)
    return moment.replace(microsecond=0).isoformat()


# ---------------------------------------------------------------- steps

Progress = Callable[[str, int, int], None]


def step_configuration(options: Options, state: dict[str, Any]) -> StepReport:
    from kernel.config import ConfigRule, clinical_checks, config_problems, structural_checks
    from kernel.logic import PY
    from kernel.settings import make_settings, settings_problems

    name, title = "configuration", "Configuration validation"
    try:
        loaded = default() if options.config_path is None else load(options.config_path)
    except ConfigFileError as problem:
        return StepReport(
            name,
            title,
            FAILED,
            f"{problem.path}: {len(problem.reasons)} problem(s) reading the file",
            {"source": problem.path, "file_problems": problem.reasons},
            [Case("configuration.file", "read", FAILED, "; ".join(problem.reasons))],
        )
    state["loaded"] = loaded
    config = loaded.config
    problems = config_problems(config)
    cases: list[Case] = []
    rules: list[dict[str, Any]] = []
    if problems == (ConfigRule.FIELD_NOT_INTEGER,):
        structural_ok = False
    else:
        for kind, checks in (("structural", structural_checks(config, PY)), ("clinical", clinical_checks(config))):
            for rule, holds in checks:
                rules.append({"rule": rule.name, "kind": kind, "holds": bool(holds)})
                cases.append(Case(f"configuration.{kind}", rule.name, PASSED if holds else FAILED))
        structural_ok = all(r["holds"] for r in rules if r["kind"] == "structural")
    settings_note = ""
    if structural_ok:
        try:
            settings = make_settings(config)
            bad = settings_problems(config, settings)
            settings_note = "valid" if not bad else "invalid: " + ", ".join(rule.name for rule in bad)
        except ValueError as problem:
            settings_note = f"cannot be expressed in this pulse size: {problem}"
    data = {
        "source": loaded.source,
        "name": loaded.name,
        "base": loaded.base,
        "values": as_table(config),
        "sha256": hashlib.sha256(json.dumps(as_table(config), sort_keys=True).encode()).hexdigest(),
        "problems": [rule.name for rule in problems],
        "rules": rules,
        "proofs_apply": structural_ok,
        "default_settings": settings_note,
        "statement": (
            "The Z3 proofs are stated over every configuration that passes the structural rules "
            "(kernel.config.structural_checks); this configuration "
            + ("passes them, so every proved obligation holds for it." if structural_ok else "does NOT pass them.")
        ),
    }
    if problems:
        summary = f"{len(problems)} rule(s) broken: " + ", ".join(rule.name for rule in problems)
        return StepReport(name, title, FAILED, summary, data, cases)
    summary = f"{loaded.name}: all {len(rules)} rules hold; the proofs apply to it"
    return StepReport(name, title, PASSED, summary, data, cases)


def step_exercise(options: Options, state: dict[str, Any]) -> StepReport:
    from kernel.config import config_problems
    from pumpkernel.exercise import RANDOM_STEPS, exercise

    name, title = "exercise", "Concrete exercise of the configuration"
    loaded: LoadedConfig | None = state.get("loaded")
    if loaded is None or config_problems(loaded.config):
        return StepReport(name, title, NOT_AVAILABLE, "no valid configuration to exercise")
    report = exercise(loaded.config, RANDOM_STEPS[options.profile])
    data = report.as_json()
    data["statement"] = (
        "The symbolic proofs already cover every structurally valid configuration; this exercise runs the kernel "
        "on this configuration concretely and checks every invariant after every step."
    )
    cases = [
        Case("exercise", "scripted-day", PASSED if not report.scripted_day else FAILED, "; ".join(report.scripted_day)),
        Case(
            "exercise",
            "random-run-invariants",
            PASSED if not report.violations else FAILED,
            "; ".join(report.violations),
        ),
    ]
    summary = f"{report.steps} steps, {len(report.violations)} invariant violations, modes: {len(report.modes_seen)}"
    if report.scripted_day:
        summary += f"; scripted day: {report.scripted_day[0]}"
    return StepReport(name, title, PASSED if report.passed else FAILED, summary, data, cases)


def step_proofs(options: Options, state: dict[str, Any], progress: Progress | None = None) -> StepReport:
    from proofs.model import Context
    from proofs.obligations import all_obligations
    from proofs.report import ProofReport, to_json, versions
    from proofs.run import run_obligation
    from proofs.weakened import WEAKENINGS, check_weakening

    name, title = "proofs", "Z3 proofs and weakened-model checks"
    started = time.perf_counter()
    ctx = Context()
    obligations = all_obligations()
    if options.obligations:
        obligations = [o for o in obligations if o.id.startswith(options.obligations)]
    timeout_ms = int(options.proof_timeout_s * 1000)
    results = []
    for index, obligation in enumerate(obligations):
        if progress:
            progress(obligation.id, index, len(obligations))
        results.append(run_obligation(ctx, obligation, timeout_ms))
    weakened = []
    if options.weakenings and not options.obligations:
        for index, weakening in enumerate(WEAKENINGS):
            if progress:
                progress(weakening.id, index, len(WEAKENINGS))
            weakened.append(check_weakening(weakening))
    report = ProofReport(results, weakened, time.perf_counter() - started, versions())
    data = to_json(report)
    timings = {f"obligation {o['id']}": o.pop("seconds") for o in data["obligations"]}
    timings.update({f"weakening {w['id']}": w.pop("seconds") for w in data["weakenings"]})
    data.pop("seconds")
    data.pop("tool_versions")
    data["partial"] = bool(options.obligations)
    counterexamples = []
    cases = []
    for row in data["obligations"]:
        ok = row["result"] == "proved"
        message = ""
        if not ok:
            message = f"{row['result']} ({' '.join(row['requirements'])}): {row['detail']}".strip()
        cases.append(Case(f"proofs.{row['kind']}", row["id"], PASSED if ok else FAILED, message))
        if row["counterexample"]:
            counterexamples.append(_counterexample(row, report))
    for w in data["weakenings"]:
        caught = w["caught_by"] is not None
        cases.append(
            Case("proofs.weakening", w["id"], PASSED if caught else FAILED, "" if caught else "not caught by any proof")
        )
    data["counterexamples"] = counterexamples
    s = data["summary"]
    if any(r.status == "unknown" for r in results):
        timed = any("timeout" in r.detail or "canceled" in r.detail for r in results if r.status == "unknown")
        status = TIMEOUT if timed else UNKNOWN
    else:
        status = PASSED
    if s["failed"] or report.missed_weakenings:
        status = FAILED
    if not results:
        status = NOT_AVAILABLE
    failed_reqs = sorted({rid for r in report.failures for rid in r.obligation.requirements})
    summary = (
        f"{s['proved']}/{s['obligations']} obligations proved, {s['failed']} failed, {s['unknown']} unknown; "
        f"{s['weakenings_caught']}/{s['weakenings']} weakened kernels caught"
    )
    if failed_reqs:
        summary += "; requirements affected: " + ", ".join(failed_reqs)
    return StepReport(name, title, status, summary, data, cases, timings=timings)


def _counterexample(row: dict[str, Any], report: Any) -> dict[str, Any]:
    result = next(r for r in report.results if r.obligation.id == row["id"])
    cx = result.counterexample
    return {
        "obligation": row["id"],
        "requirements": row["requirements"],
        "statement": row["statement"],
        "event": row["counterexample"]["event"],
        "changes": row["counterexample"]["changes"],
        "kernel_agrees": row["counterexample"]["kernel_agrees"],
        "config": repr(cx.config),
        "state_before": repr(cx.before),
        "state_after": repr(cx.after),
        "regression_test": row["counterexample"]["regression"],
        "regression_file": "counterexamples/test_cex_" + re.sub(r"\W+", "_", row["id"]).strip("_").lower() + ".py",
    }


def step_crosshair(options: Options, state: dict[str, Any]) -> StepReport:
    from proofs.crosshair_gate import CONFIRMED, run_gate
    from proofs.crosshair_targets import NOT_EXHAUSTED

    name, title = "crosshair", "CrossHair gate"
    result = run_gate(options.crosshair_timeout_s)
    conditions = []
    cases = []
    for c in result.conditions:
        verdict = result.verdict(c) or "not reported"
        conditions.append(
            {"function": c.function, "file": c.file, "line": c.line, "condition": c.text, "verdict": verdict}
        )
        cases.append(Case("crosshair", f"{c.function}:{c.line}", PASSED if verdict == CONFIRMED else FAILED, verdict))
    data: dict[str, Any] = {
        "conditions": conditions,
        "requirements": _crosshair_requirements(),
        "returncode": result.returncode,
        "timed_out": result.timed_out,
        "not_exhausted": dict(NOT_EXHAUSTED),
        "per_condition_timeout_s": options.crosshair_timeout_s,
    }
    confirmed = sum(c["verdict"] == CONFIRMED for c in conditions)
    if result.passed:
        status = PASSED
    elif result.timed_out:
        status = TIMEOUT
    else:
        status = FAILED
        data["output_tail"] = result.output[-4000:]
    summary = f"{confirmed}/{len(conditions)} conditions confirmed over all paths"
    if result.timed_out:
        summary += " (wall-clock limit reached)"
    return StepReport(name, title, status, summary, data, cases)


REQUIREMENT_ID = re.compile(r"\b(?:U|CFG|BAS|TMP|BOL|CALC|LIM|RES|OCC|DLV|SUS|SEN|ALM|CLK|INP|PER|SEC|LOG)-\d+\b")


def _crosshair_requirements() -> dict[str, list[str]]:
    """CrossHair contract function -> the requirement IDs its docstring names."""
    import inspect

    import proofs.crosshair_targets as targets

    found: dict[str, list[str]] = {}
    for fname, function in sorted(vars(targets).items()):
        if inspect.isfunction(function) and function.__module__ == targets.__name__ and function.__doc__:
            ids = sorted(set(REQUIREMENT_ID.findall(function.__doc__.split("\n\n")[0].split("pre:")[0])))
            if ids:
                found[fname] = ids
    return found


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
    if run.returncode == 0 and cases:
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
    return StepReport(name, title, status, summary, data, cases, timings={"search": found["seconds"]})


MUTATION_KEYS = ("killed", "survived", "timeout", "suspicious", "skipped", "total", "score")


def step_mutation(options: Options, state: dict[str, Any]) -> StepReport:
    name, title = "mutation", "Mutation testing"
    rerun_note = ""
    if options.mutation:
        command = [sys.executable, "-m", "property_tests.mutation"]
        try:
            run = subprocess.run(
                command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=MUTATION_TIMEOUT_S
            )
        except subprocess.TimeoutExpired:
            return StepReport(name, title, TIMEOUT, f"mutation run did not finish within {MUTATION_TIMEOUT_S:.0f} s")
        if run.returncode != 0 and not MUTATION_REPORT.exists():
            tail = (run.stdout + run.stderr).strip()[-300:]
            return StepReport(name, title, NOT_AVAILABLE, f"python -m property_tests.mutation failed: {tail}")
        rerun_note = f"re-run by this verification (exit code {run.returncode})"
    if not MUTATION_REPORT.exists():
        return StepReport(
            name, title, NOT_AVAILABLE, "no mutation report (property_tests/mutation_report.json); run with --mutation"
        )
    try:
        report = json.loads(MUTATION_REPORT.read_text())
        counts = {key: report[key] for key in MUTATION_KEYS}
        survivors = sorted(
            (
                {"name": s["name"], "classification": s["classification"], "reason": s["reason"]}
                for s in report["survivors"]
            ),
            key=lambda s: s["name"],
        )
    except (ValueError, KeyError, TypeError) as problem:
        return StepReport(name, title, FAILED, f"malformed mutation report: {type(problem).__name__} {problem}")
    stale = _report_is_stale(MUTATION_REPORT) if not options.mutation else False
    unclassified = [s["name"] for s in survivors if not s["classification"] or not s["reason"]]
    data = {
        **counts,
        "survivors": survivors,
        "unclassified": unclassified,
        "source": rerun_note or "committed report property_tests/mutation_report.json",
        "report_sha256": _sha256(MUTATION_REPORT),
        "stale": stale,
    }
    cases = [
        Case("mutation", s["name"], FAILED if s["name"] in unclassified else PASSED, s["classification"])
        for s in survivors
    ]
    summary = f"score {counts['score']}: {counts['killed']} killed, {counts['survived']} survived of {counts['total']}"
    if unclassified:
        summary += f"; {len(unclassified)} survivor(s) not classified"
    if stale:
        summary += "; WARNING: kernel files changed after the report was committed (re-run with --mutation)"
    timings = {"mutation run (from the report)": float(report.get("seconds", 0.0))}
    return StepReport(name, title, FAILED if unclassified else PASSED, summary, data, cases, timings=timings)


def _report_is_stale(path: pathlib.Path) -> bool | None:
    """Whether kernel files changed (in git, or uncommitted) after the report's last commit."""
    rel = str(path.relative_to(ROOT))
    last = _git("log", "-1", "--format=%H", "--", rel)
    if not last:
        return None
    changed = _git("diff", "--name-only", last, "--", "kernel")
    return bool(changed)


STEP_FUNCTIONS: dict[str, Callable[..., StepReport]] = {
    "configuration": step_configuration,
    "exercise": step_exercise,
    "proofs": step_proofs,
    "crosshair": step_crosshair,
    "property-tests": step_property_tests,
    "small-scope": step_small_scope,
    "mutation": step_mutation,
}


def run_step(name: str, options: Options, state: dict[str, Any], progress: Progress | None = None) -> StepReport:
    """Run one step; an exception is the step's failure (``error``), never a pass."""
    title = dict(STEPS)[name]
    started = time.perf_counter()
    try:
        function = STEP_FUNCTIONS[name]
        report = function(options, state, progress) if name == "proofs" else function(options, state)
    except Exception as problem:
        report = StepReport(
            name,
            title,
            ERROR,
            f"{type(problem).__name__}: {problem}",
            {"traceback": traceback.format_exc()[-4000:]},
            [Case(name, name, ERROR, f"{type(problem).__name__}: {problem}")],
        )
    report.seconds = time.perf_counter() - started
    return report


def run_verify(
    options: Options,
    on_step: Callable[[str, str], None] | None = None,
    on_done: Callable[[StepReport], None] | None = None,
    progress: Progress | None = None,
) -> Verification:
    """Run the selected steps in order (see module docstring)."""
    state: dict[str, Any] = {}
    steps = []
    for name, title in STEPS:
        if name not in options.steps:
            continue
        if on_step:
            on_step(name, title)
        report = run_step(name, options, state, progress)
        steps.append(report)
        if on_done:
            on_done(report)
    return Verification(options, steps, state.get("loaded"), now_utc(), source_context())


# ---------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=pathlib.Path, help="a pump builder's configuration (.toml or .json)")
    parser.add_argument("--profile", choices=PROFILES, default="ci", help="Hypothesis profile (default ci)")
    parser.add_argument(
        "--out", type=pathlib.Path, default=pathlib.Path("evidence"), help="bundle folder (default evidence)"
    )
    parser.add_argument(
        "--steps",
        help="comma-separated subset of steps (a partial run): " + ",".join(name for name, _ in STEPS),
    )
    parser.add_argument(
        "--obligations",
        action="append",
        default=[],
        help="run only obligations whose ID starts with this (repeatable; a partial run, no weakenings)",
    )
    parser.add_argument("--no-weakened", action="store_true", help="skip the weakened-model checks (a partial run)")
    parser.add_argument("--proof-timeout", type=float, default=60.0, help="Z3 seconds per obligation (default 60)")
    parser.add_argument(
        "--crosshair-timeout", type=float, default=60.0, help="CrossHair seconds per condition (default 60)"
    )
    parser.add_argument(
        "--mutation", action="store_true", help="re-run mutation testing instead of the committed report"
    )
    parser.add_argument("--unit-tests", action="store_true", help="also run tests/ in the pytest step")
    parser.add_argument(
        "--workers", type=int, default=2, help="pytest-xdist workers for the property tests (default 2)"
    )


def options_from(args: argparse.Namespace) -> Options:
    steps = tuple(name for name, _ in STEPS)
    if args.steps:
        wanted = [s.strip() for s in args.steps.split(",") if s.strip()]
        unknown = [s for s in wanted if s not in steps]
        if unknown:
            raise SystemExit(f"unknown step(s): {', '.join(unknown)} (steps: {', '.join(steps)})")
        steps = tuple(s for s in steps if s in wanted)
    return Options(
        config_path=args.config,
        profile=args.profile,
        out=args.out,
        steps=steps,
        obligations=tuple(args.obligations),
        weakenings=not args.no_weakened,
        proof_timeout_s=args.proof_timeout,
        crosshair_timeout_s=args.crosshair_timeout,
        mutation=args.mutation,
        workers=args.workers,
        unit_tests=args.unit_tests,
    )


STYLE = {PASSED: "green", FAILED: "bold red", UNKNOWN: "bold red", TIMEOUT: "bold red", NOT_AVAILABLE: "bold yellow"}


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from pumpkernel.evidence import write_bundle

    options = options_from(args)
    console = Console(width=None if Console().is_terminal else 150)
    console.print(f"[bold]pumpkernel verify[/]: {options.command()}")
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        overall = bar.add_task("verification", total=len(options.steps))
        inner = bar.add_task("", total=None, visible=False)

        def on_step(name: str, title: str) -> None:
            bar.update(overall, description=f"[bold]{title}")
            bar.update(inner, description="", visible=name == "proofs", completed=0, total=None)

        def on_done(report: StepReport) -> None:
            bar.update(inner, visible=False)
            bar.advance(overall)
            style = STYLE.get(report.status, "bold red")
            bar.console.print(
                f"  [{style}]{report.status:>13}[/] {report.title} ({report.seconds:.1f} s): {report.summary}"
            )

        def tell(name: str, index: int, count: int) -> None:
            bar.update(inner, description=f"  {name}", completed=index, total=count)

        verification = run_verify(options, on_step, on_done, tell)
        bar.update(overall, description="verification done")

    table = Table(title=f"pumpkernel verify: {'PASSED' if verification.passed else 'FAILED'}")
    for column in ("step", "status", "summary", "time s"):
        table.add_column(column)
    for step in verification.steps:
        style = STYLE.get(step.status, "bold red")
        table.add_row(step.title, f"[{style}]{step.status}[/]", step.summary, f"{step.seconds:.1f}")
    console.print(table)
    for why in options.partial:
        console.print(f"[bold yellow]partial run[/]: {why}")
    paths = write_bundle(verification, options.out)
    console.print(f"evidence bundle: {options.out}/ (" + ", ".join(p.name for p in paths) + ")")
    proofs = verification.step("proofs")
    if proofs is not None:
        for cx in proofs.data.get("counterexamples", []):
            console.print(
                f"[bold red]counterexample[/] {cx['obligation']} ({', '.join(cx['requirements'])}): event {cx['event']}"
            )
    console.print("[green]every step passed[/]" if verification.passed else "[bold red]FAILED[/]")
    return 0 if verification.passed else 1
