"""The proof report: every obligation's result, every planted defect, and every requirement's status (EVD-1).

Theory of operation
-------------------
``run_all`` runs the suite (``proofs.suite``) and returns a ``ProofReport``;
``to_json`` renders it as data.  A requirement's status is *derived* from the
results, never declared:

* ``proved``: (1) at least one obligation naming the requirement *observes*
  what the step emits (a ``Deliver`` command, an alarm, a notice, the
  outcome): an obligation about internal bookkeeping alone never proves a
  requirement; (2) every obligation naming it passed (``proved``; a premise
  that can never hold is ``vacuous`` and fails); (3) the induction every
  obligation assumes passed: every ``INIT``/``CONS`` obligation of the
  invariants; (4) no planted defect naming the requirement was missed.  The
  row lists the obligations, what they assume (always: the structural
  configuration rules, and the invariants, proved inductive) and what they
  leave out (the families' ``SCOPE``);
* ``tested``: no obligation observing the step's outputs names it, and tests
  name it (``tests/``, ``property_tests/``);
* ``open``: neither, or something of (2) to (4) failed, with the reason.

``unknown``, timeouts and errors are failures, never passes (EVD-1).  A run
restricted to some obligations or without the planted defects is
``partial`` and its report says so; ``ok`` is false for it (EVD-2).
"""

from __future__ import annotations

import contextlib
import pathlib
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import z3

from proofs.framework import Obligation
from proofs.suite import SuiteResult, run
from specs.invariants import INVARIANTS
from specs.requirements import REQUIREMENTS

ROOT = pathlib.Path(__file__).resolve().parent.parent

BASE_ASSUMPTIONS = (
    "the configuration satisfies the structural rules (kernel.config.structural_checks; each proof names those "
    "it used)",
    "the state satisfies the invariants of specs/invariants.py, proved inductive from the initial state "
    "(INIT/CONS obligations)",
    "the Z3 meaning of the kernel's logic primitives equals Python's wherever the step calls them "
    "(tested in property_tests/test_logic_agreement.py; proved in range where the primitives family says so)",
    "Python runs the kernel's code as written (the interpreter, and Z3 as the solver, are trusted)",
)
"""What every obligation takes for granted."""

STEP_OUTSIDE_Z3 = (
    "kernel.step.step's type check of the event and its turning of command slots into Deliver/Alarm/Notice "
    "objects and the log entry run in Python only; they are checked by the conformance tests, not proved"
)


@dataclass
class ProofReport:
    suite: SuiteResult
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def rows(self) -> list[dict[str, Any]]:
        return self.suite.rows

    @property
    def seconds(self) -> float:
        return self.suite.seconds

    @property
    def failures(self) -> list[dict[str, Any]]:
        return [row for row in self.rows if row["result"] != "proved"]

    @property
    def missed_weakenings(self) -> list[dict[str, Any]]:
        return [w for w in self.suite.weakenings if w["caught_by"] is None]

    @property
    def complete(self) -> bool:
        return self.suite.selection == "all"

    @property
    def ok(self) -> bool:
        return self.complete and not self.failures and not self.missed_weakenings


def versions() -> dict[str, str]:
    import platform
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version(), "z3": z3.get_version_string()}
    for name in ("z3-solver", "crosshair-tool", "hypothesis"):
        with contextlib.suppress(PackageNotFoundError):  # metadata is optional in unusual installs
            found[name] = version(name)
    return found


def run_all(
    *,
    weakenings: bool = True,
    processes: int = 2,
    select: Callable[[Obligation], bool] | None = None,
    progress: Callable[[str], None] | None = None,
) -> ProofReport:
    """Run the suite (every obligation, and every planted defect unless ``weakenings`` is false)."""
    return ProofReport(
        run(processes=processes, weakenings=weakenings, select=select, progress=progress),
        versions(),
    )


def tests_naming(requirement_ids: list[str]) -> dict[str, list[str]]:
    """For each requirement ID, the test files that name it (empty outside a source checkout)."""
    found: dict[str, list[str]] = {rid: [] for rid in requirement_ids}
    patterns = {rid: re.compile(rf"(?<![A-Z0-9-]){re.escape(rid)}(?!\d)") for rid in requirement_ids}
    for folder in ("tests", "property_tests"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            text = path.read_text(errors="replace")
            for rid, pattern in patterns.items():
                if pattern.search(text):
                    found[rid].append(str(path.relative_to(ROOT)))
    return found


def _induction(report: ProofReport) -> tuple[bool, list[str]]:
    rows = [r for r in report.rows if r["kind"] in ("initiation", "consecution") and r["family"] == "invariants"]
    failed = [r["id"] for r in rows if r["result"] != "proved"]
    return bool(rows) and not failed, failed


def _invariants(report: ProofReport) -> dict[str, dict[str, Any]]:
    used: dict[str, int] = defaultdict(int)
    for row in report.rows:
        for label in row["used"]:
            used[label] += 1
    inductive, _ = _induction(report)
    return {
        inv.id: {
            "requirements": list(inv.requirements),
            "statement": inv.statement,
            "inductive": inductive,
            "used_by_proofs": used.get(inv.id, 0),
        }
        for inv in INVARIANTS
    }


def requirement_statuses(report: ProofReport) -> list[dict[str, Any]]:
    """Each requirement's derived status, obligations, assumptions and what is not covered (module docstring)."""
    covering: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in report.rows:
        if row["family"] == "invariants":
            continue
        for rid in row["requirements"]:
            covering[rid].append(row)
    planted: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for w in report.suite.weakenings:
        for rid in w["requirements"]:
            planted[rid].append(w)
    inductive, induction_failed = _induction(report)
    named = tests_naming([req.id for req in REQUIREMENTS])
    result = []
    for req in REQUIREMENTS:
        rows = covering.get(req.id, [])
        observing = [r for r in rows if r["observes"] and r["kind"] != "non-vacuity"]
        failed = [r["id"] + f" ({r['result']})" for r in rows if r["result"] != "proved"]
        missed = [w["id"] for w in planted.get(req.id, []) if w["caught_by"] is None]
        if observing and not failed and not missed and inductive and report.complete:
            status, reason = "proved", ""
        elif observing or failed:
            problems = failed[:5] + [f"planted defect {m} not refuted" for m in missed]
            if not inductive:
                problems.append("the invariants' induction failed: " + ", ".join(induction_failed[:3]))
            if not report.complete:
                problems.append("partial run")
            status, reason = "open", "; ".join(problems) or "not every obligation ran"
        elif named[req.id]:
            status = "tested"
            reason = "no obligation about what the pump commands states it; tests name it"
            if rows:
                reason = "only bookkeeping obligations name it; tests name it"
        else:
            status, reason = "open", "not covered by any proof or test"
        assumed = sorted({a for r in rows for a in r["assumes"]})
        result.append(
            {
                "id": req.id,
                "statement": req.statement,
                "hazards": list(req.hazards),
                "status": status,
                "reason": reason,
                "obligations": [r["id"] for r in rows],
                "observing_obligations": [r["id"] for r in observing],
                "observes": sorted({o for r in observing for o in r["observes"]}),
                "assumptions": list(BASE_ASSUMPTIONS) + assumed if observing else assumed,
                "not_covered": report.suite.scope.get(req.id, []) + ([STEP_OUTSIDE_Z3] if observing else []),
                "scope": " ".join(report.suite.scope.get(req.id, [])),
                "weakenings": [{"id": w["id"], "caught_by": w["caught_by"]} for w in planted.get(req.id, [])],
                "tests": named[req.id],
                "added": req.added,
            }
        )
    return result


def to_json(report: ProofReport) -> dict[str, Any]:
    """The report as data (``pumpkernel prove --json``)."""
    invariants = _invariants(report)
    rows = report.rows
    slowest = sorted(rows, key=lambda r: -r["seconds"])[:10]
    return {
        "format": "pumpkernel-proofs/2",
        "tool_versions": report.versions,
        "seconds": round(report.seconds, 3),
        "processes": report.suite.processes,
        "selection": report.suite.selection,
        "complete": report.complete,
        "families": report.suite.families,
        "summary": {
            "obligations": len(rows),
            "proved": sum(r["result"] == "proved" for r in rows),
            "failed": sum(r["result"] == "failed" for r in rows),
            "unknown": sum(r["result"] == "unknown" for r in rows),
            "vacuous": sum(r["result"] == "vacuous" for r in rows),
            "error": sum(r["result"] == "error" for r in rows),
            "observing": sum(bool(r["observes"]) for r in rows),
            "weakenings": len(report.suite.weakenings),
            "weakenings_caught": sum(w["caught_by"] is not None for w in report.suite.weakenings),
        },
        "slowest": [{"id": r["id"], "seconds": r["seconds"]} for r in slowest],
        "assumptions": list(BASE_ASSUMPTIONS),
        "not_covered": [STEP_OUTSIDE_Z3],
        "obligations": rows,
        "invariants": invariants,
        "unused_invariants": [inv for inv, info in invariants.items() if info["used_by_proofs"] == 0],
        "config_rules_used": sorted({label for r in rows for label in r["used"] if label.startswith("CFG:")}),
        "weakenings": report.suite.weakenings,
        "requirements": requirement_statuses(report),
    }
