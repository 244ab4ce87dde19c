"""The proof steps of ``pumpkernel verify``: the Z3 obligations, the weakened kernels, the CrossHair gate.

Theory of operation
-------------------
``step_proofs`` runs the proof suite (``proofs.report.run_all``: every
family's obligations, or those whose ID starts with ``--obligations``: the
step is then *incomplete*, and every planted defect, each of which must be
refuted by some obligation); ``unknown`` and timeouts never count as proved.
A failed obligation comes with its counterexample and a regression test.
``step_crosshair`` runs the CrossHair gate (``proofs.crosshair_gate``): every
condition must be "Confirmed over all paths".  Each contract's requirement
IDs are read from its docstring.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pumpkernel.suite.model import (
    FAILED,
    INCOMPLETE,
    NOT_AVAILABLE,
    PASSED,
    TIMEOUT,
    UNKNOWN,
    Case,
    Options,
    StepReport,
)

Progress = Callable[[str, int, int], None]
"""``progress(name, index, count)``: called before each obligation and weakening."""


def step_proofs(options: Options, state: dict[str, Any], progress: Progress | None = None) -> StepReport:
    from proofs.report import run_all, to_json

    name, title = "proofs", "Z3 proofs over the commands the step emits, and planted defects"
    prefixes = tuple(options.obligations)
    select = (lambda ob: ob.id.startswith(prefixes)) if prefixes else None
    tell = (lambda text: progress(text, 0, 0)) if progress else None
    report = run_all(weakenings=options.weakenings, processes=2, select=select, progress=tell)
    data = to_json(report)
    timings = {f"obligation {o['id']}": float(o.pop("seconds", 0.0)) for o in data["obligations"]}
    timings.update({f"weakening {w['id']}": float(w.pop("seconds", 0.0)) for w in data.get("weakenings", [])})
    data.pop("seconds", None)
    data.pop("tool_versions", None)
    data["partial"] = bool(prefixes)
    counterexamples = []
    cases = []
    for row in data["obligations"]:
        ok = row["result"] == "proved"
        message = ""
        if not ok:
            message = f"{row['result']} ({' '.join(row['requirements'])}): {row.get('detail', '')}".strip()
        cases.append(Case(f"proofs.{row['kind']}", row["id"], PASSED if ok else FAILED, message))
        if row.get("counterexample"):
            counterexamples.append(_counterexample(row))
    for w in data.get("weakenings", []):
        caught = w["caught_by"] is not None
        cases.append(
            Case(
                "proofs.weakening", w["id"], PASSED if caught else FAILED, "" if caught else "not refuted by any proof"
            )
        )
    data["counterexamples"] = counterexamples
    outcomes = [str(row.get("result", "unknown")) for row in data["obligations"]]
    weakenings = data.get("weakenings", [])
    s = {
        "obligations": len(outcomes),
        "proved": outcomes.count("proved"),
        "failed": outcomes.count("failed"),
        "unknown": len(outcomes) - outcomes.count("proved") - outcomes.count("failed"),
        "weakenings": len(weakenings),
        "weakenings_caught": sum(w.get("caught_by") is not None for w in weakenings),
    }
    data["summary"] = s
    unknown = [row for row in data["obligations"] if row["result"] not in ("proved", "failed")]
    if unknown:
        timed = any("timeout" in row["detail"] or "canceled" in row["detail"] for row in unknown)
        status = TIMEOUT if timed else UNKNOWN
    else:
        status = PASSED
    if s["failed"] or report.missed_weakenings:
        status = FAILED
    if not outcomes:
        status = NOT_AVAILABLE
    incomplete = []
    if prefixes:
        incomplete.append(f"only the {len(outcomes)} obligations starting with {', '.join(prefixes)}")
    if not weakenings:
        incomplete.append("planted-defect checks not run")
    if status == PASSED and incomplete:
        status = INCOMPLETE
    data["incomplete"] = incomplete
    failed_reqs = sorted(
        {rid for row in data["obligations"] if row["result"] != "proved" for rid in row["requirements"]}
    )
    summary = (
        f"{s['proved']}/{s['obligations']} obligations proved, {s['failed']} failed, {s['unknown']} unknown; "
        f"{s['weakenings_caught']}/{s['weakenings']} planted defects refuted"
    )
    if failed_reqs:
        summary += "; requirements affected: " + ", ".join(failed_reqs)
    if incomplete:
        summary += "; INCOMPLETE: " + "; ".join(incomplete)
    return StepReport(name, title, status, summary, data, cases, timings=timings)


def _counterexample(row: dict[str, Any]) -> dict[str, Any]:
    cx = row["counterexample"]
    return {
        "obligation": row["id"],
        "requirements": row["requirements"],
        "statement": row["statement"],
        "event": cx["event"],
        "changes": cx["changes"],
        "kernel_agrees": cx["kernel_agrees"],
        "config": cx["config"],
        "state_before": cx["before"],
        "state_after": cx["after"],
        "regression_test": regression_test_source(row),
        "regression_file": "counterexamples/test_cex_" + re.sub(r"\W+", "_", row["id"]).strip("_").lower() + ".py",
    }


def regression_test_source(row: dict[str, Any]) -> str:
    """A pytest module that replays a refuted step through the real kernel and fails while the kernel still takes it.

    The counterexample is one concrete step (configuration, state, event) and the state the kernel reached; the
    test asserts the kernel no longer reaches that state from there, so it fails on the kernel the proof refuted
    and passes once the step is fixed.
    """
    cx: dict[str, Any] = row["counterexample"]
    oid = str(row["id"])
    name = re.sub(r"\W+", "_", oid).strip("_").lower()
    return (
        '"""Regression test generated from a refuted proof obligation: ' + oid + '."""\n\n'
        "from kernel.config import *  # noqa: F403\n"
        "from kernel.events import *  # noqa: F403\n"
        "from kernel.log import EventLog, LogEntry  # noqa: F401\n"
        "from kernel.settings import TherapySettings  # noqa: F401\n"
        "from kernel.state import *  # noqa: F403\n"
        "from kernel.step import step\n\n"
        f"CONFIG = {cx['config']}\n"
        f"BEFORE = {cx['before']}\n"
        f"EVENT = {cx['event']}\n"
        f"REFUTED_AFTER = {cx['after']}\n\n\n"
        f"def test_{name}() -> None:\n"
        f'    """Obligation {row["id"]}: {row["statement"]}"""\n'
        "    reached = step(CONFIG, BEFORE, EVENT).state\n"
        "    # The log entry is step's own, not part of the proved transition.\n"
        "    assert reached._replace(log=REFUTED_AFTER.log) != REFUTED_AFTER\n"
    )


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
            {
                "function": c.function,
                "file": c.file,
                "line": c.line,
                "condition": c.text,
                "verdict": verdict,
                "checked_as_one_conjunction_of_lines": result.checked_with(c),
            }
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
    if result.together:
        summary += f" ({len(result.together)} as parts of their contract function's conjunction)"
    if result.timed_out:
        summary += " (wall-clock limit reached)"
    return StepReport(name, title, status, summary, data, cases)


REQUIREMENT_ID = re.compile(r"\b(?:U|CFG|BAS|TMP|BOL|CALC|LIM|RES|OCC|DLV|SUS|SEN|ALM|CLK|INP|PER|SEC|LOG)-\d+\b")


def _crosshair_requirements() -> dict[str, list[str]]:
    """CrossHair contract function -> the requirement IDs its docstring names (both targets files)."""
    import inspect

    import proofs.crosshair_steps as steps
    import proofs.crosshair_targets as targets

    found: dict[str, list[str]] = {}
    for module in (steps, targets):
        for fname, function in sorted(vars(module).items()):
            if inspect.isfunction(function) and function.__module__ == module.__name__ and function.__doc__:
                ids = sorted(set(REQUIREMENT_ID.findall(function.__doc__.split("\n\n")[0].split("pre:")[0])))
                if ids:
                    found[fname] = ids
    return dict(sorted(found.items()))
