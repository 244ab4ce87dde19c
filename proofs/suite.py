"""Running the proof suite: every family's obligations and planted defects, over worker processes.

Theory of operation
-------------------
``collect()`` gathers every obligation and weakening of the families
(``proofs.families``).  ``run()`` runs them over ``processes`` worker
processes.  Work is partitioned by event class: all obligations about one
event class's step go to the same worker, which builds that symbolic step
once (``proofs.context.Context`` caches it); groups are dealt out largest
first to the least loaded worker.  Weakenings each build their own planted
context and are dealt out the same way.  Workers return plain rows (no Z3
objects cross a process boundary); the rows are the suite's result, in the
order the families list them.

A row's ``status`` is ``proved``, ``failed``, ``unknown``, ``vacuous`` or
``error`` (an exception while building or running: a failure, never a
pass).  Units: seconds of wall time.
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from proofs.framework import Obligation
from proofs.weakening import Weakening


@dataclass
class SuiteResult:
    rows: list[dict[str, Any]]
    """One row per obligation (see ``_row``)."""
    weakenings: list[dict[str, Any]]
    """One row per planted defect: id, family, statement, requirements, caught_by, tried, seconds."""
    scope: dict[str, list[str]]
    """Per requirement, what the families say their obligations leave out."""
    seconds: float
    processes: int
    selection: str = "all"
    """``all``, or what was selected (a partial run is never reported as complete)."""
    families: list[str] = field(default_factory=list)


def collect() -> tuple[list[Obligation], list[Weakening], dict[str, list[str]]]:
    """Every obligation, every planted defect, and every family's scope notes."""
    from proofs.families import load

    obligations: list[Obligation] = []
    weakenings: list[Weakening] = []
    scope: dict[str, list[str]] = {}
    for module in load():
        obligations += module.obligations()
        weakenings += list(module.WEAKENINGS)
        for rid, note in module.SCOPE.items():
            scope.setdefault(rid, []).append(note)
    return obligations, weakenings, scope


def _row(ob: Obligation, status: str, seconds: float, **more: Any) -> dict[str, Any]:
    return {
        "id": ob.id,
        "family": ob.family,
        "kind": ob.kind,
        "requirements": list(ob.requirements),
        "statement": ob.statement,
        "observes": list(ob.observes),
        "assumes": list(ob.assumes),
        "event": ob.event,
        "result": status,
        "seconds": round(seconds, 4),
        "used": more.get("used", []),
        "premise": more.get("premise", "none"),
        "detail": more.get("detail", ""),
        "counterexample": more.get("counterexample"),
    }


def _counterexample(cx: dict[str, Any] | None) -> dict[str, Any] | None:
    if cx is None:
        return None
    return {
        "event": repr(cx.get("event")),
        "changes": [[name, repr(a), repr(b)] for name, a, b in cx.get("changes", [])],
        "kernel_agrees": cx.get("kernel_agrees"),
        "config": repr(cx.get("config")),
        "before": repr(cx.get("before")),
        "after": repr(cx.get("after")),
    }


def _run_obligations(ids: Sequence[str]) -> list[dict[str, Any]]:
    from proofs.context import Context, describe
    from proofs.framework import run_query

    wanted = set(ids)
    obligations, _, _ = collect()
    ctx = Context()
    rows = []
    for ob in obligations:
        if ob.id not in wanted:
            continue
        started = time.perf_counter()
        try:
            r = run_query(ob, ob.build(ctx), describe)
        except Exception:  # a build or solver error is a failure of the obligation, reported with its trace
            rows.append(_row(ob, "error", time.perf_counter() - started, detail=traceback.format_exc(limit=4)))
            continue
        rows.append(
            _row(
                ob,
                r.status,
                r.seconds,
                used=r.used,
                premise=r.premise,
                detail=r.detail,
                counterexample=_counterexample(r.counterexample),
            )
        )
    return rows


def _run_weakenings(ids: Sequence[str]) -> list[dict[str, Any]]:
    from proofs.weakening import check_weakening

    obligations, weakenings, _ = collect()
    rows = []
    for w in weakenings:
        if w.id not in ids:
            continue
        started = time.perf_counter()
        try:
            res = check_weakening(w, obligations)
            caught, tried, seconds = res.caught_by, res.tried, res.seconds
        except Exception:  # an error is not a refutation: the defect counts as missed
            caught, tried, seconds = None, [("error", traceback.format_exc(limit=3))], time.perf_counter() - started
        rows.append(
            {
                "id": w.id,
                "family": w.family,
                "statement": w.statement,
                "description": w.statement,
                "requirements": list(w.requirements),
                "expected": list(w.expected),
                "caught_by": caught,
                "tried": [list(t) for t in tried],
                "obligations_run": len(tried),
                "seconds": round(seconds, 3),
            }
        )
    return rows


def _deal(groups: dict[str, list[str]], weights: dict[str, float], workers: int) -> list[list[str]]:
    """Groups dealt largest first to the least loaded worker."""
    loads = [0.0] * workers
    dealt: list[list[str]] = [[] for _ in range(workers)]
    for key in sorted(groups, key=lambda k: -weights[k]):
        target = loads.index(min(loads))
        dealt[target] += groups[key]
        loads[target] += weights[key]
    return dealt


EVENT_WEIGHT = {"Tick": 4.0, "Rewind": 1.5, "SettingsChange": 1.5, "BolusRequest": 1.5, "TempBasal": 1.5}
"""Relative cost of an obligation about one event class's step (the tick's step is the largest)."""


def run(
    *,
    processes: int = 2,
    weakenings: bool = True,
    select: Callable[[Obligation], bool] | None = None,
    progress: Callable[[str], None] | None = None,
) -> SuiteResult:
    """Run the suite (see module docstring); ``select`` restricts it (the result then says so)."""
    started = time.perf_counter()
    obligations, planted, scope = collect()
    chosen = [ob for ob in obligations if select is None or select(ob)]
    groups: dict[str, list[str]] = {}
    weights: dict[str, float] = {}
    for ob in chosen:
        key = ob.event or "state"
        groups.setdefault(key, []).append(ob.id)
        weights[key] = weights.get(key, 0.0) + EVENT_WEIGHT.get(key, 1.0)
    planted_ids = [w.id for w in planted] if weakenings and select is None else []
    workers = max(1, processes)
    ob_parts = [part for part in _deal(groups, weights, workers) if part]
    w_parts = [planted_ids[i::workers] for i in range(workers) if planted_ids[i::workers]]
    rows: list[dict[str, Any]] = []
    w_rows: list[dict[str, Any]] = []
    if workers == 1:
        for part in ob_parts:
            rows += _run_obligations(part)
        for part in w_parts:
            w_rows += _run_weakenings(part)
    else:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            ob_jobs = [pool.apply_async(_run_obligations, (part,)) for part in ob_parts]
            w_jobs = [pool.apply_async(_run_weakenings, (part,)) for part in w_parts]
            for job in ob_jobs:
                rows += job.get()
                if progress:
                    progress(f"{len(rows)} of {len(chosen)} obligations")
            for job in w_jobs:
                w_rows += job.get()
    order = {ob.id: index for index, ob in enumerate(chosen)}
    rows.sort(key=lambda row: order[row["id"]])
    w_order = {wid: index for index, wid in enumerate(planted_ids)}
    w_rows.sort(key=lambda row: w_order[row["id"]])
    from proofs.families import FAMILY_MODULES

    return SuiteResult(
        rows,
        w_rows,
        scope,
        time.perf_counter() - started,
        workers,
        "all" if select is None and weakenings else "partial",
        list(FAMILY_MODULES),
    )
