"""The first two steps of ``pumpkernel verify``: the configuration, validated and exercised.

Theory of operation
-------------------
``step_configuration`` reads the configuration (``--config FILE`` or the
default, ``pumpkernel.configfile``) and validates it as a whole
(``kernel.config.config_problems``, every reason listed, CFG-1).  Passing the
*structural* rules is what makes the Z3 proofs apply to it: the proofs are
stated over every configuration that passes them.  ``step_exercise`` runs the
configuration concretely (``pumpkernel.exercise``): a scripted day and a seeded
random run checking every invariant after every step; the proofs already cover
it, this is the concrete complement.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pumpkernel.configfile import ConfigFileError, LoadedConfig, as_table, default, load
from pumpkernel.suite.model import FAILED, NOT_AVAILABLE, PASSED, Case, Options, StepReport


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
