"""The proof steps of ``pumpkernel verify``: the Z3 obligations, the weakened kernels, the CrossHair gate.

Theory of operation
-------------------
``step_proofs`` runs every Z3 obligation of ``proofs.obligations`` (or those
whose ID starts with ``--obligations``: the step is then *incomplete*) and
every weakened kernel of ``proofs.weakened`` (each must be caught by some
obligation); ``unknown`` and timeouts never count as proved.  A failed
obligation comes with its counterexample and a regression test.
``step_crosshair`` runs the CrossHair gate (``proofs.crosshair_gate``): every
condition must be "Confirmed over all paths".  Each contract's requirement
IDs are read from its docstring.
"""

from __future__ import annotations

import re
import time
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
    timings = {f"obligation {o['id']}": float(o.pop("seconds", 0.0)) for o in data["obligations"]}
    timings.update({f"weakening {w['id']}": float(w.pop("seconds", 0.0)) for w in data.get("weakenings", [])})
    data.pop("seconds", None)
    data.pop("tool_versions", None)
    data["partial"] = bool(options.obligations)
    counterexamples = []
    cases = []
    for row in data["obligations"]:
        ok = row["result"] == "proved"
        message = ""
        if not ok:
            message = f"{row['result']} ({' '.join(row['requirements'])}): {row.get('detail', '')}".strip()
        cases.append(Case(f"proofs.{row['kind']}", row["id"], PASSED if ok else FAILED, message))
        if row.get("counterexample"):
            counterexamples.append(_counterexample(row, report))
    for w in data.get("weakenings", []):
        caught = w["caught_by"] is not None
        cases.append(
            Case("proofs.weakening", w["id"], PASSED if caught else FAILED, "" if caught else "not caught by any proof")
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
    if any(r.status == "unknown" for r in results):
        timed = any("timeout" in r.detail or "canceled" in r.detail for r in results if r.status == "unknown")
        status = TIMEOUT if timed else UNKNOWN
    else:
        status = PASSED
    if s["failed"] or report.missed_weakenings:
        status = FAILED
    if not results:
        status = NOT_AVAILABLE
    incomplete = []
    if options.obligations:
        incomplete.append(f"only the {len(results)} obligations starting with {', '.join(options.obligations)}")
    if not weakened:
        incomplete.append("weakened-model checks not run")
    if status == PASSED and incomplete:
        status = INCOMPLETE
    data["incomplete"] = incomplete
    failed_reqs = sorted({rid for r in report.failures for rid in r.obligation.requirements})
    summary = (
        f"{s['proved']}/{s['obligations']} obligations proved, {s['failed']} failed, {s['unknown']} unknown; "
        f"{s['weakenings_caught']}/{s['weakenings']} weakened kernels caught"
    )
    if failed_reqs:
        summary += "; requirements affected: " + ", ".join(failed_reqs)
    if incomplete:
        summary += "; INCOMPLETE: " + "; ".join(incomplete)
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
