"""The run of ``pumpkernel verify``: every selected step, in order, into one ``Verification``.

Theory of operation
-------------------
``run_verify(options)`` runs the steps of ``model.STEPS`` that ``options``
selects, in order, each through ``run_step``: an exception inside a step is
that step's ``error``, never a pass, and the run goes on.  The steps share a
``state`` dict (the configuration the first step loaded).  The result carries
the date and the exact source (``context.source_context``).
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import Any

from pumpkernel.suite import config_steps, mutation_step, proof_steps, testing_steps
from pumpkernel.suite.context import now_utc, source_context
from pumpkernel.suite.model import ERROR, STEPS, Case, Options, StepReport, Verification
from pumpkernel.suite.proof_steps import Progress

STEP_FUNCTIONS: dict[str, Callable[..., StepReport]] = {
    "configuration": config_steps.step_configuration,
    "exercise": config_steps.step_exercise,
    "proofs": proof_steps.step_proofs,
    "crosshair": proof_steps.step_crosshair,
    "property-tests": testing_steps.step_property_tests,
    "small-scope": testing_steps.step_small_scope,
    "mutation": mutation_step.step_mutation,
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
