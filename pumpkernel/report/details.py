"""The report's per-step details as blocks: obligations, contracts, tests, search, exercise, mutation, timings.

Theory of operation
-------------------
``detail_blocks(doc)`` shows every proof obligation and weakened kernel,
every CrossHair condition, the property-test counts, the small-scope search,
the concrete exercise (delivery in pulses and in U) and the mutation figures
exactly as measured: generated, run, killed, survived, not run, whether it was
a sample (with its size), the measured score, the classification of the
survivors kept apart from it, and the per-layer table when
``property_tests/mutation_layers.json`` exists.  ``volatile_blocks(doc)`` is
the last section: the date and the timings, with a chart.
"""

from __future__ import annotations

from typing import Any

from pumpkernel.report import charts
from pumpkernel.report.markup import Block
from pumpkernel.report.units import units_of_insulin


def detail_blocks(doc: dict[str, Any]) -> list[Block]:
    """Per-step details, then the mutation section."""
    return _details_blocks(doc) + mutation_blocks(doc.get("mutation"))


def _details_blocks(doc: dict[str, Any]) -> list[Block]:
    details = doc["details"]
    out: list[Block] = []
    proofs = details.get("proofs")
    if proofs:
        out.append(("h", 2, "Proof obligations"))
        if proofs.get("incomplete"):
            out.append(("box", "warn", "**INCOMPLETE**: " + "; ".join(proofs["incomplete"]) + "."))
        s = proofs["summary"]
        out.append(
            (
                "p",
                f"{s['proved']} of {s['obligations']} obligations proved "
                f"({s['failed']} failed, {s['unknown']} unknown); "
                f"{s['weakenings_caught']} of {s['weakenings']} deliberately weakened kernels caught. "
                "Obligations are stated over every configuration that passes the structural rules.",
            )
        )
        out.append(
            (
                "table",
                ["obligation", "kind", "requirements", "result"],
                [
                    [f"`{o['id']}`", o["kind"], " ".join(o["requirements"]), o["result"].upper()]
                    for o in proofs["obligations"]
                ],
            )
        )
        if proofs["weakenings"]:
            out.append(
                (
                    "table",
                    ["weakened kernel", "description", "caught by"],
                    [[w["id"], w["description"], w["caught_by"] or "**MISSED**"] for w in proofs["weakenings"]],
                )
            )
        if proofs.get("unused_invariants"):
            out.append(("p", "Invariants no proof used: " + ", ".join(proofs["unused_invariants"]) + "."))
    cross = details.get("crosshair")
    if cross:
        out.append(("h", 2, "CrossHair contracts"))
        out.append(
            (
                "table",
                ["contract", "line", "condition", "verdict", "checked"],
                [
                    [c["function"], str(c["line"]), f"`{c['condition']}`", c["verdict"], _checked_as(c)]
                    for c in cross["conditions"]
                ],
            )
        )
        out.append(
            (
                "p",
                "Each contract function's conditions are checked by CrossHair as one conjunction (it explores the "
                "function's paths once per condition); a conjunction holds on all paths exactly when each part does. "
                "A function whose conjunction is not confirmed is checked again one condition at a time, and those "
                "verdicts are shown.",
            )
        )
        out.append(("p", "Not exhausted by CrossHair (covered elsewhere):"))
        out.append(("list", [f"**{k}**: {v}" for k, v in cross["not_exhausted"].items()]))
    props = details.get("property-tests")
    if props:
        out.append(("h", 2, "Property tests"))
        if "counts" in props:
            c = props["counts"]
            out.append(
                (
                    "p",
                    f"Profile `{props['profile']}`: {c['passed']} passed, {c['failed']} failed, {c['error']} errors, "
                    f"{c['skipped']} skipped. Command: `{props['command']}`. JUnit XML: `{props['junit']}`.",
                )
            )
            out.append(("list", [f"`{f}`" for f in props["files"]]))
            if props["failures"]:
                out.append(("p", "Failures:"))
                out.append(("list", props["failures"]))
    scope = details.get("small-scope")
    if scope:
        out.append(("h", 2, "Small-scope exhaustive search"))
        out.append(
            (
                "p",
                f"{scope['states']} states and {scope['transitions']} transitions explored "
                f"(expected {scope['expected_states']} states); {len(scope['violations'])} violations. "
                + ("" if scope.get("complete", True) else "**INCOMPLETE**: the search stopped early. ")
                + scope["scope"],
            )
        )
        if scope["violations"]:
            out.append(("list", scope["violations"]))
    exercise = details.get("exercise")
    if exercise:
        out.append(("h", 2, "Concrete exercise of the configuration"))
        out.append(("p", exercise["statement"]))
        out.append(
            (
                "p",
                f"Seed {exercise['seed']}: {exercise['steps']} steps, {exercise['accepted']} accepted, "
                f"{exercise['delivered_pulses']:,} pulses commanded"
                f"{_as_units(doc, exercise['delivered_pulses'])}; modes visited: {', '.join(exercise['modes_seen'])}.",
            )
        )
        out.append(("table", ["refusal reason", "count"], [[k, str(v)] for k, v in exercise["refusals"].items()]))
        problems = exercise["violations"] + exercise["scripted_day_problems"]
        out.append(("p", "Problems: " + ("none." if not problems else "")))
        if problems:
            out.append(("list", problems))
    for name, data in details.items():
        if data.get("traceback"):
            out.append(("h", 2, f"Error in step {name}"))
            out.append(("code", "text", data["traceback"]))
    return out


def _as_units(doc: dict[str, Any], pulses: int) -> str:
    values = (doc.get("configuration") or {}).get("values") or {}
    return f" ({units_of_insulin(pulses, int(values['pulse_mu']))})" if "pulse_mu" in values else ""


CLASS_MEANING = {
    "equivalent": "equivalent: the edit does not change behaviour (reason given)",
    "closed": "closed: a test added after the run kills it (not re-measured by this run)",
    "gap": "gap: no test notices it yet",
    "unexplained": "unexplained: not classified",
}


def mutation_blocks(mutation: dict[str, Any] | None) -> list[Block]:
    """The mutation figures as measured (see module docstring)."""
    out: list[Block] = [("h", 2, "Mutation testing")]
    if not mutation:
        out.append(("p", "Not available: no mutation report."))
        return out
    generated, run = mutation.get("generated"), mutation.get("run", mutation.get("total"))
    incomplete = mutation.get("incomplete") or []
    if incomplete:
        out.append(("box", "warn", "**INCOMPLETE**: " + "; ".join(incomplete) + ". This is not a full mutation run."))
    if mutation.get("sample"):
        size = f"{run:,} of {generated:,} generated mutants" if generated is not None else f"{run:,} mutants"
        label = "Sample" if not mutation.get("complete") else "Run"
        out.append(("p", f"{label}: {size}. How it was drawn: {mutation['sample']}."))
    score = mutation.get("measured_score")
    rows = [
        ["generated", "n/a (not reported)" if generated is None else f"{generated:,}"],
        ["run", f"{run:,}"],
        ["not run", "n/a" if mutation.get("not_run") is None else f"{mutation['not_run']:,}"],
        ["killed", f"{mutation['killed']:,}"],
        ["survived", f"{mutation['survived']:,}"],
        ["timed out", str(mutation.get("timeout", 0))],
        ["suspicious", str(mutation.get("suspicious", 0))],
        ["no tests reach it", str(mutation.get("no_tests", 0))],
        ["skipped", str(mutation.get("skipped", 0))],
        ["measured score (killed / (run - skipped))", "n/a" if score is None else f"{score:.2f} %"],
    ]
    out.append(("table", ["mutants", "count"], rows))
    classes = mutation.get("classification_counts") or {}
    if classes:
        out.append(("p", "Survivors by classification (a classification, not a measurement):"))
        out.append(("list", [f"{v}: {CLASS_MEANING.get(k, k)}" for k, v in classes.items()]))
    again = mutation.get("killed_if_closed_counted")
    if again is not None and run:
        out.append(
            (
                "p",
                f"The score above is the measured one. Counting the survivors classified *closed* as killed would "
                f"give {again:,} of {run:,} ({100.0 * again / run:.2f} %); that figure is a reclassification, not a "
                "measurement of this run.",
            )
        )
    out.append(
        (
            "p",
            f"Source: {mutation['source']} (sha256 {mutation['report_sha256']}"
            + (f", made at commit {mutation['report_commit']}" if mutation.get("report_commit") else "")
            + ").",
        )
    )
    out.append(
        (
            "table",
            ["surviving mutant", "status", "classification", "reason"],
            [
                [f"`{s['name']}`", s.get("status", ""), s["classification"] or "**unexplained**", s["reason"]]
                for s in mutation["survivors"]
            ],
        )
    )
    out += layer_blocks(mutation.get("layers"))
    return out


def _rate(killed: int, run: int) -> str:
    return f"{killed}/{run}" + (f" ({100.0 * killed / run:.0f} %)" if run else "")


def layer_blocks(layers: dict[str, Any] | None) -> list[Block]:
    """The per-layer kill rates (module x layer -> killed / run) and their chart, when the report exists."""
    out: list[Block] = [("h", 3, "Kill rate per verification layer")]
    if not layers:
        out.append(("p", "Not available: `property_tests/mutation_layers.json` does not exist yet."))
        return out
    if layers.get("problem"):
        out.append(("box", "bad", f"`property_tests/mutation_layers.json` cannot be read: {layers['problem']}."))
        return out
    if layers.get("stale"):
        out.append(
            ("box", "warn", "**Stale**: these figures were measured on another kernel (kernel SHA-256 differs).")
        )
    names = layers["layers"]
    samples = layers.get("sample") or {}
    notes = [
        f"`{name}`: a sample of {samples[name].get('size')} mutants "
        f"({samples[name].get('method', 'method not stated')})"
        for name in names
        if name in samples
    ]
    if notes:
        out.append(("p", "Layers run on a sample: " + "; ".join(notes) + "."))
    rows = []
    for module, row in sorted(layers["modules"].items()):
        cells = [_rate(row[n]["killed"], row[n]["run"]) if n in row else "–" for n in names]
        rows.append([f"`{module}`", *cells])
    totals = layers.get("totals") or {}
    total_cells = []
    for name in names:
        t = totals.get(name)
        if not t:
            total_cells.append("–")
            continue
        interval = ""
        if "low95" in t and "high95" in t:
            interval = f", 95 % interval {100 * float(t['low95']):.1f}–{100 * float(t['high95']):.1f} %"
        total_cells.append(f"**{_rate(int(t['killed']), int(t['run']))}**{interval}")
    rows.append(["**all modules**", *total_cells])
    out.append(("table", ["module", *names], rows))
    out.append(("p", "The chart of these totals is on the reviewer's page at the top of the report."))
    return out


def volatile_blocks(doc: dict[str, Any]) -> list[Block]:
    """The date and the timings: the only part of the report that differs between equal runs."""
    timings = doc["timings"]
    return [
        ("h", 2, "Date and timings (not part of the content comparison)"),
        ("p", f"Generated {doc['generated']['date']} (UTC)."),
        ("table", ["step", "seconds"], [[k, f"{v:.1f}"] for k, v in timings["steps_seconds"].items()]),
        ("svg", "chart-times", charts.step_times(doc), "Proof and test times: seconds per step, slowest obligations"),
    ]


def _checked_as(condition: dict[str, Any]) -> str:
    """How a CrossHair condition was checked: alone, or as part of its function's conjunction (lines)."""
    lines = condition.get("checked_as_one_conjunction_of_lines") or [condition["line"]]
    if len(lines) < 2:
        return "alone"
    return f"in one conjunction, lines {min(lines)}-{max(lines)}"
