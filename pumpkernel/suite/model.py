"""The verification suite's types: step statuses, options, a step's report, a whole run, its verdict.

Theory of operation
-------------------
Every step of ``pumpkernel verify`` gives a ``StepReport``: a status, a
one-line summary, *deterministic* data (what the evidence bundle shows), JUnit
cases, and its timings kept apart.  A ``Verification`` is the run: the options,
every step, the configuration and the exact source.

Statuses never overstate (issue 15):

* ``passed``: the step ran completely and found nothing wrong;
* ``incomplete``: it found nothing wrong but did not cover everything it is
  about (a mutation sample, a stale mutation report, a subset of the
  obligations, skipped tests, a search stopped early);
* ``failed``, ``unknown`` (Z3), ``timed out``, ``not available`` (a module or
  report is missing), ``error`` (the step raised).

The verdict of a run is ``PASSED`` only when every step of the full suite
passed; ``FAILED`` when any step failed, was unknown, timed out, could not
run or raised; ``INCOMPLETE`` otherwise (nothing failed, but some step or the
selection of steps did not cover everything).  Exit codes: 0, 1 and 3.
"""

from __future__ import annotations

import pathlib
import shlex
from dataclasses import dataclass, field
from typing import Any

from pumpkernel.configfile import LoadedConfig

PASSED = "passed"
INCOMPLETE = "incomplete"
FAILED = "failed"
UNKNOWN = "unknown"
TIMEOUT = "timed out"
NOT_AVAILABLE = "not available"
ERROR = "error"
STATUSES = (PASSED, INCOMPLETE, FAILED, UNKNOWN, TIMEOUT, NOT_AVAILABLE, ERROR)
FAILING = (FAILED, UNKNOWN, TIMEOUT, NOT_AVAILABLE, ERROR)
"""Statuses that make the verdict FAILED."""

VERDICT_PASSED, VERDICT_FAILED, VERDICT_INCOMPLETE = "PASSED", "FAILED", "INCOMPLETE"
EXIT_CODES = {VERDICT_PASSED: 0, VERDICT_FAILED: 1, VERDICT_INCOMPLETE: 3}
"""Exit code of ``pumpkernel verify`` per verdict (2 is argparse's usage error)."""

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

STEP_NAMES = tuple(name for name, _ in STEPS)
PROFILES = ("quick", "ci", "deep")


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
    steps: tuple[str, ...] = STEP_NAMES
    obligations: tuple[str, ...] = ()
    """Run only obligations whose ID starts with one of these (all when empty); partial run."""
    weakenings: bool = True
    proof_timeout_s: float = 60.0
    crosshair_timeout_s: float = 60.0
    mutation: bool = False
    workers: int = 2
    unit_tests: bool = False
    browser: bool = True
    """Open the HTML pages of the bundle in headless Chromium and store screenshots (when installed)."""

    @property
    def partial(self) -> list[str]:
        """Why this run is not the full suite (empty for a full run)."""
        why = []
        skipped = [name for name in STEP_NAMES if name not in self.steps]
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
        if tuple(self.steps) != STEP_NAMES:
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
    """Source hashes, git commit and tool versions (``suite.context.source_context``)."""

    @property
    def verdict(self) -> str:
        """PASSED, FAILED or INCOMPLETE (see module docstring)."""
        if any(step.status in FAILING or step.status not in STATUSES for step in self.steps):
            return VERDICT_FAILED
        if self.options.partial or any(step.status != PASSED for step in self.steps):
            return VERDICT_INCOMPLETE
        return VERDICT_PASSED

    @property
    def passed(self) -> bool:
        return self.verdict == VERDICT_PASSED

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    def step(self, name: str) -> StepReport | None:
        return next((s for s in self.steps if s.name == name), None)
