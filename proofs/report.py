"""The proof report: every obligation's result, and every requirement's status.

Theory of operation
-------------------
``run_all`` runs every obligation of ``proofs.obligations`` and every
weakening of ``proofs.weakened`` and returns a ``ProofReport``; ``to_json``
renders it as data.  A requirement's status is *derived*, never declared:

* ``proved``: at least one proof covers it and every proof covering it
  passed.  A proof covers a requirement when the obligation names it, or when
  the obligation is the initiation or consecution of an invariant that names
  it (an invariant is proved when its initiation and all 18 consecutions are);
* ``tested``: no proof covers it, but tests name it (``tests/``,
  ``property_tests/``);
* ``open``: neither, or a covering proof failed, with the reason.

``SCOPE_NOTES`` records where a proof covers only the kernel's part of a
requirement and the rest lies with the adapters (and their tests).

The report also lists what the unsat cores used: an invariant or a
configuration rule that no proof uses is reported, as a requirement that no
proof uses is.
"""

from __future__ import annotations

import pathlib
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import z3

from proofs.model import Context
from proofs.obligations import EVENT_CLASSES, all_obligations
from proofs.run import DEFAULT_TIMEOUT_MS, Result, run_obligation
from proofs.weakened import WEAKENINGS, WeakeningResult, check_weakening
from specs.invariants import INVARIANTS
from specs.requirements import REQUIREMENTS

ROOT = pathlib.Path(__file__).resolve().parent.parent

SCOPE_NOTES: dict[str, str] = {
    "CLK-1": "Proved: a replayed missed tick delivers nothing and time moves only by ticks. Detecting missed and "
    "doubled ticks is the adapter's (tests/adapters).",
    "OCC-1": "Proved: the report completing the evidence raises the alarm at once. Producing the evidence "
    "(force or pressure samples, displacement) is the motor adapter's.",
    "SEC-2": "Proved: a remote bolus is accepted only when switched on, and every bolus start is announced. "
    "Authenticating the remote is the command channel's (SEC-1).",
    "SEC-3": "Proved: every bolus and temp basal passes the same checks whatever its source; the channel adds none.",
    "INP-1": "The kernel's refusals are proved to change nothing; that step never raises is tested and fuzzed.",
    "DLV-1": "Proved: every command has the next sequence number and is in the returned state. Persisting that "
    "state before commanding the motor is the persistence adapter's (PER-2).",
}


@dataclass
class ProofReport:
    results: list[Result]
    weakenings: list[WeakeningResult]
    seconds: float
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def failures(self) -> list[Result]:
        return [r for r in self.results if not r.passed]

    @property
    def missed_weakenings(self) -> list[WeakeningResult]:
        return [w for w in self.weakenings if not w.caught]

    @property
    def ok(self) -> bool:
        return not self.failures and not self.missed_weakenings


def versions() -> dict[str, str]:
    import platform

    found = {"python": platform.python_version(), "z3": z3.get_version_string()}
    try:
        from importlib.metadata import version

        found["crosshair-tool"] = version("crosshair-tool")
        found["hypothesis"] = version("hypothesis")
    except Exception:  # metadata is optional in unusual installs
        pass
    return found


def run_all(
    *,
    weakenings: bool = True,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
    progress: Callable[[str, int, int], None] | None = None,
) -> ProofReport:
    """Run every obligation (and every weakening unless ``weakenings`` is false)."""
    started = time.perf_counter()
    ctx = Context()
    obligations = all_obligations()
    results = []
    for index, obligation in enumerate(obligations):
        if progress:
            progress(obligation.id, index, len(obligations))
        results.append(run_obligation(ctx, obligation, timeout_ms))
    weakened = []
    if weakenings:
        for index, weakening in enumerate(WEAKENINGS):
            if progress:
                progress(weakening.id, index, len(WEAKENINGS))
            weakened.append(check_weakening(weakening))
    return ProofReport(results, weakened, time.perf_counter() - started, versions())


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


def _invariant_status(results: list[Result]) -> dict[str, dict[str, Any]]:
    by_id = {r.obligation.id: r for r in results}
    status: dict[str, dict[str, Any]] = {}
    used: dict[str, int] = defaultdict(int)
    for r in results:
        for label in r.used:
            used[label] += 1
    for inv in INVARIANTS:
        needed = [f"INIT/{inv.id}"] + [f"CONS/{cls.__name__}" for cls in EVENT_CLASSES]
        proved = all(by_id[name].passed for name in needed if name in by_id)
        status[inv.id] = {
            "requirements": list(inv.requirements),
            "statement": inv.statement,
            "inductive": proved,
            "obligations": needed,
            "used_by_proofs": used.get(inv.id, 0),
        }
    return status


def requirement_statuses(report: ProofReport) -> list[dict[str, Any]]:
    """Each requirement's derived status and covering obligations (see module docstring)."""
    invariants = _invariant_status(report.results)
    covering: dict[str, list[Result]] = defaultdict(list)
    for r in report.results:
        if r.obligation.kind in ("initiation", "consecution", "non-vacuity"):
            continue
        for rid in r.obligation.requirements:
            covering[rid].append(r)
    inv_cover: dict[str, list[str]] = defaultdict(list)
    for inv_id, info in invariants.items():
        for rid in info["requirements"]:
            inv_cover[rid].append(inv_id)
    named = tests_naming([req.id for req in REQUIREMENTS])
    rows = []
    for req in REQUIREMENTS:
        proofs = covering.get(req.id, [])
        invs = inv_cover.get(req.id, [])
        failed = [r.obligation.id for r in proofs if not r.passed]
        failed += [f"{inv} (not inductive)" for inv in invs if not invariants[inv]["inductive"]]
        if failed:
            status, reason = "open", "failed: " + ", ".join(failed[:5])
        elif proofs or invs:
            status, reason = "proved", ""
        elif named[req.id]:
            status, reason = "tested", "no proof obligation states it; tests name it"
        else:
            status, reason = "open", "not covered by any proof or test yet"
        rows.append(
            {
                "id": req.id,
                "statement": req.statement,
                "hazards": list(req.hazards),
                "status": status,
                "reason": reason,
                "scope": SCOPE_NOTES.get(req.id, ""),
                "obligations": sorted({r.obligation.id for r in proofs}),
                "invariants": invs,
                "tests": named[req.id],
                "added": req.added,
            }
        )
    return rows


def to_json(report: ProofReport) -> dict[str, Any]:
    """The report as data (``pumpkernel prove --json``)."""
    used: dict[str, int] = defaultdict(int)
    for r in report.results:
        for label in r.used:
            used[label] += 1
    config_rules = sorted({label for r in report.results for label in r.used if label.startswith("CFG:")})
    invariants = _invariant_status(report.results)
    return {
        "tool_versions": report.versions,
        "seconds": round(report.seconds, 3),
        "summary": {
            "obligations": len(report.results),
            "proved": sum(r.passed for r in report.results),
            "failed": sum(r.status == "failed" for r in report.results),
            "unknown": sum(r.status == "unknown" for r in report.results),
            "weakenings": len(report.weakenings),
            "weakenings_caught": sum(w.caught for w in report.weakenings),
        },
        "obligations": [
            {
                "id": r.obligation.id,
                "kind": r.obligation.kind,
                "requirements": list(r.obligation.requirements),
                "statement": r.obligation.statement,
                "result": r.status,
                "seconds": round(r.seconds, 4),
                "used": r.used,
                "detail": r.detail,
                "counterexample": _counterexample_json(r),
            }
            for r in report.results
        ],
        "invariants": invariants,
        "unused_invariants": [inv for inv, info in invariants.items() if info["used_by_proofs"] == 0],
        "config_rules_used": config_rules,
        "weakenings": [
            {
                "id": w.weakening.id,
                "description": w.weakening.description,
                "caught_by": w.caught_by,
                "obligations_run": w.obligations_run,
                "seconds": round(w.seconds, 3),
            }
            for w in report.weakenings
        ],
        "requirements": requirement_statuses(report),
    }


def _counterexample_json(result: Result) -> dict[str, Any] | None:
    cx = result.counterexample
    if cx is None:
        return None
    return {
        "event": repr(cx.event),
        "changes": [[name, repr(a), repr(b)] for name, a, b in cx.changes],
        "kernel_agrees": cx.kernel_agrees,
        "regression": regression_test_source(result),
    }


def regression_test_source(result: Result) -> str:
    """A pytest module that replays a counterexample step through the real kernel."""
    cx = result.counterexample
    if cx is None:
        return ""
    name = re.sub(r"\W+", "_", result.obligation.id).strip("_").lower()
    return (
        '"""Regression test generated from a failed proof obligation: ' + result.obligation.id + '."""\n\n'
        "from kernel.alarms import *  # noqa: F403\n"
        "from kernel.config import PumpConfig\n"
        "from kernel.events import *  # noqa: F403\n"
        "from kernel.log import EventLog, LogEntry\n"
        "from kernel.settings import TherapySettings\n"
        "from kernel.state import *  # noqa: F403\n"
        "from kernel.step import step\n"
        "from proofs.replay import goal_holds\n\n"
        f"CONFIG = {cx.config!r}\n"
        f"BEFORE = {cx.before!r}\n"
        f"EVENT = {cx.event!r}\n\n\n"
        f"def test_{name}() -> None:\n"
        f'    """Obligation {result.obligation.id}: {result.obligation.statement}"""\n'
        "    step(CONFIG, BEFORE, EVENT)  # the real kernel takes the step without raising\n"
        f"    assert goal_holds({result.obligation.id!r}, CONFIG, BEFORE, EVENT)\n"
    )
