"""The mutation step of ``pumpkernel verify``: what mutation testing measured, and nothing more.

Theory of operation
-------------------
The step reads ``property_tests/mutation_report.json`` (written by
``python -m property_tests.mutation``; with ``--mutation`` it runs that first:
the default sample, or every mutant in the ``deep`` profile) and, when it
exists, the per-layer report ``property_tests/mutation_layers.json``.

It states what the numbers give (issue 15, "evidence that cannot overstate"):

* mutants generated, run, killed, survived (and timed out, suspicious, no
  tests, skipped), not run;
* whether the run was a *sample* (with its size and how it was drawn) and
  whether it covered every generated mutant;
* the *measured* score, ``killed / (run - skipped)`` over the mutants run, as
  the report's own figures give it; survivors classified later (equivalent,
  or ``closed``: killed by a test added after the run) are listed as a
  classification, never folded into the score without saying so;
* whether the report was made on this kernel (its ``kernel_sha256``, or the
  kernel files changed since its ``commit``).

Status: ``failed`` when a survivor is unclassified ("unexplained"), or the
report is malformed; ``incomplete`` when the run did not cover every generated
mutant, when it cannot be told whether it did, when the report is stale, or
when a survivor is a ``gap`` (a change no test notices, known but not closed);
``passed`` only for a complete, current run whose every survivor is equivalent
or closed.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
from typing import Any

from pumpkernel.suite import context
from pumpkernel.suite.model import FAILED, INCOMPLETE, NOT_AVAILABLE, PASSED, TIMEOUT, Case, Options, StepReport

ROOT = context.ROOT
MUTATION_TIMEOUT_S = 6 * 3600.0
MUTATION_REPORT = ROOT / "property_tests" / "mutation_report.json"
MUTATION_LAYERS = ROOT / "property_tests" / "mutation_layers.json"
LAYERS_FORMAT = "pumpkernel-mutation-layers/1"
COUNT_KEYS = ("killed", "survived", "no_tests", "timeout", "suspicious", "skipped")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def accounting(report: dict[str, Any]) -> dict[str, Any]:
    """The figures of a mutation report, completeness and measured score (see module docstring).

    Raises ``KeyError`` or ``TypeError`` on a report without the run's counts.
    """
    counts = {key: int(report.get(key, 0)) for key in COUNT_KEYS}
    counts["killed"] = int(report["killed"])
    counts["survived"] = int(report["survived"])
    run = int(report["total"])
    generated = _int(report.get("generated"))
    not_run = _int(report.get("not_run"))
    if not_run is None and generated is not None:
        not_run = generated - run
    sample = str(report.get("sample", "")).strip()
    complete = generated is not None and not_run == 0 and run == generated
    scored = run - counts["skipped"]
    measured = round(100.0 * counts["killed"] / scored, 2) if scored > 0 else None
    classes = report.get("classification_counts") or {}
    closed = int(classes.get("closed", 0))
    return {
        **counts,
        "generated": generated,
        "run": run,
        "not_run": not_run,
        "complete": complete,
        "sample": sample,
        "is_sample": not complete,
        "run_fraction": round(run / generated, 4) if generated else None,
        "measured_score": measured,
        "reported_score": report.get("score"),
        "classification_counts": {str(k): int(v) for k, v in classes.items()},
        "killed_if_closed_counted": counts["killed"] + closed if closed else None,
    }


def mutated_kernel_sha256() -> str:
    """The kernel's hash as the mutation tools write it (``property_tests.mutation.kernel_sha256``): the reports
    carry that one, not the bundle's per-file hash (``context.kernel_sha256``), so they are compared with it."""
    from property_tests.mutation import kernel_sha256

    return kernel_sha256()


def _stale(report: dict[str, Any], path: pathlib.Path) -> bool | None:
    """Whether the kernel changed since the report was made (None: cannot tell)."""
    if isinstance(report.get("kernel_sha256"), str):
        return bool(report["kernel_sha256"] != mutated_kernel_sha256())
    commit = report.get("commit")
    if not isinstance(commit, str) or not commit:
        try:
            commit = context.git("log", "-1", "--format=%H", "--", str(path.relative_to(ROOT)))
        except ValueError:
            commit = None
    if not commit:
        return None
    changed = context.git("diff", "--name-only", commit, "--", "kernel")
    return None if changed is None else bool(changed)


def read_layers(path: pathlib.Path) -> dict[str, Any] | None:
    """``mutation_layers.json`` with a ``stale`` flag and each layer's totals, or None when absent or unreadable."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text("utf-8"))
        if data.get("format") != LAYERS_FORMAT:
            return {"problem": f"unknown format {data.get('format')!r} (expected {LAYERS_FORMAT})"}
        layers = [str(layer) for layer in data["layers"]]
        modules = {
            str(module): {layer: {"run": int(c["run"]), "killed": int(c["killed"])} for layer, c in row.items()}
            for module, row in data["modules"].items()
        }
        totals = {str(layer): dict(t) for layer, t in data["totals"].items()}
        sample = {str(layer): dict(s) for layer, s in data.get("sample", {}).items()}
    except (ValueError, KeyError, TypeError, AttributeError) as problem:
        return {"problem": f"malformed {path.name}: {type(problem).__name__} {problem}"}
    made_on = data.get("kernel_sha256")
    return {
        "layers": layers,
        "modules": modules,
        "totals": totals,
        "sample": sample,
        "kernel_sha256": made_on,
        "stale": made_on != mutated_kernel_sha256() if isinstance(made_on, str) else None,
        "generated": data.get("generated"),
    }


def _rerun(options: Options) -> tuple[str, StepReport | None]:
    """Run ``python -m property_tests.mutation`` (``--all`` in the deep profile); a note, or the failed step."""
    name, title = "mutation", "Mutation testing"
    command = [sys.executable, "-m", "property_tests.mutation"] + (["--all"] if options.profile == "deep" else [])
    try:
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=MUTATION_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return "", StepReport(name, title, TIMEOUT, f"mutation run did not finish within {MUTATION_TIMEOUT_S:.0f} s")
    if run.returncode not in (0, 1) or not MUTATION_REPORT.exists():
        tail = (run.stdout + run.stderr).strip()[-300:]
        return "", StepReport(name, title, FAILED, f"{' '.join(command[1:])} failed ({run.returncode}): {tail}")
    return f"re-run by this verification: {' '.join(command[1:])} (exit code {run.returncode})", None


def step_mutation(options: Options, state: dict[str, Any]) -> StepReport:
    name, title = "mutation", "Mutation testing"
    source = f"committed report {MUTATION_REPORT.name}"
    if options.mutation:
        source, failure = _rerun(options)
        if failure is not None:
            return failure
    if not MUTATION_REPORT.exists():
        return StepReport(
            name, title, NOT_AVAILABLE, f"no mutation report ({MUTATION_REPORT.name}); run with --mutation"
        )
    try:
        report = json.loads(MUTATION_REPORT.read_text("utf-8"))
        figures = accounting(report)
        survivors = sorted(
            (
                {
                    "name": str(s["name"]),
                    "status": str(s.get("status", "survived")),
                    "classification": str(s.get("classification") or ""),
                    "reason": str(s.get("reason") or ""),
                }
                for s in report["survivors"]
            ),
            key=lambda s: s["name"],
        )
    except (ValueError, KeyError, TypeError) as problem:
        return StepReport(name, title, FAILED, f"malformed mutation report: {type(problem).__name__} {problem}")
    stale = _stale(report, MUTATION_REPORT)
    unclassified = [
        s["name"] for s in survivors if s["classification"] in ("", "unexplained") or not s["reason"].strip()
    ]
    layers = read_layers(MUTATION_LAYERS)
    data: dict[str, Any] = {
        **figures,
        "survivors": survivors,
        "unclassified": unclassified,
        "source": source,
        "report_sha256": context.sha256_file(MUTATION_REPORT),
        "report_commit": report.get("commit"),
        "stale": stale,
        "layers": layers,
    }
    incomplete = _incompleteness(figures, stale)
    gaps = [s["name"] for s in survivors if s["classification"] == "gap"]
    if gaps:
        incomplete.append(f"{len(gaps):,} survivors are gaps: changes no test notices")
    data["incomplete"] = incomplete
    cases = [
        Case(
            "mutation",
            s["name"],
            FAILED if s["name"] in unclassified else INCOMPLETE if s["name"] in gaps else PASSED,
            s["classification"],
        )
        for s in survivors
    ]
    cases.append(Case("mutation", "every-mutant-run", INCOMPLETE if incomplete else PASSED, "; ".join(incomplete)))
    status = FAILED if unclassified else INCOMPLETE if incomplete else PASSED
    summary = _summary(figures, unclassified, incomplete)
    timings = {"mutation run (from the report)": float(report.get("seconds", 0.0) or 0.0)}
    return StepReport(name, title, status, summary, data, cases, timings=timings)


def _incompleteness(figures: dict[str, Any], stale: bool | None) -> list[str]:
    why = []
    if figures["generated"] is None:
        why.append("the report does not say how many mutants were generated, so completeness cannot be told")
    elif not figures["complete"]:
        why.append(
            f"{figures['run']:,} of {figures['generated']:,} generated mutants run ({figures['not_run']:,} not run)"
        )
    if stale:
        why.append("the kernel changed after this report was made (re-run with --mutation)")
    elif stale is None:
        why.append("cannot tell whether the report was made on this kernel (no kernel_sha256, commit or git history)")
    return why


def _summary(figures: dict[str, Any], unclassified: list[str], incomplete: list[str]) -> str:
    head = "INCOMPLETE: " if incomplete and not unclassified else ""
    run, generated = figures["run"], figures["generated"]
    if generated is not None and not figures["complete"]:
        share = f" ({100.0 * run / generated:.1f} %)" if generated else ""
        what = f"a sample of {run:,} of {generated:,} generated mutants{share}"
    elif generated is not None:
        what = f"every one of the {generated:,} generated mutants"
    else:
        what = f"{run:,} mutants (number generated not reported)"
    score = "n/a" if figures["measured_score"] is None else f"{figures['measured_score']:.2f} %"
    text = (
        f"{head}{what}: {figures['killed']:,} killed, {figures['survived']:,} survived; "
        f"measured score {score} of the mutants run"
    )
    classes = figures["classification_counts"]
    if classes:
        gloss = {"closed": "closed (killed by tests added after the run, not re-measured)"}
        text += "; survivors classified: " + ", ".join(f"{v} {gloss.get(k, k)}" for k, v in classes.items() if v)
    if unclassified:
        text += f"; {len(unclassified)} survivor(s) not classified"
    if incomplete and generated is None:
        text += "; " + incomplete[0]
    if any("kernel" in why for why in incomplete):
        text += "; " + next(why for why in incomplete if "kernel" in why)
    return text
