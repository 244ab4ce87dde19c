"""Validation of the incremental Z3 layer: its verdict on a mutant against the whole layer's, with costs.

Theory of operation
-------------------
``python -m property_tests.layer_z3_validate whole|incremental MUTANT INDEX --baseline FILE --results FILE``
makes a scratch tree (``mutation_layer_run.make_tree(INDEX)``), writes the
mutant in as plain source (``mutation_apply.mutated_source``), runs either the
whole Z3 layer (``mutation_layer_run.run_layer("z3", ...)``) or the
incremental one (``python -m property_tests.layer_z3 run``) there, and appends
one JSON line (mutant, mode, verdict, killer, wall and CPU seconds, the
incremental layer's ``LAYER-STATS``) to the results file.  One mutant and mode
per process, so several run side by side.  ``sample SIZE SEED`` prints a
seeded stratified sample of mutant names (``mutation_layers.stratified_sample``,
no per-module minimum); ``summary INCREMENTAL-FILE 0`` compares the results
files (``--results``: the whole layer's); ``crosscheck EVENTS N`` compares,
for the first N obligations of each event class, the dependencies and
fingerprints traced on a fresh context with those traced on a shared one.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from property_tests.mutation_apply import generate, mutated_source
from property_tests.mutation_layer_run import ROOT, WORK, _children_cpu_s, make_tree, run_layer, tree_env


def run_incremental(tree: Path, mutant: str, baseline: Path) -> dict[str, object]:
    """The incremental layer in ``tree``: verdict, killer, wall and CPU seconds, its LAYER-STATS."""
    started, cpu = time.monotonic(), _children_cpu_s()
    command = [sys.executable, "-m", "property_tests.layer_z3", "run", "--baseline", str(baseline), "--mutant", mutant]
    done = subprocess.run(command, cwd=tree, env=tree_env(tree), capture_output=True, text=True, check=False)
    found: dict[str, object] = {"exit_code": done.returncode, "by": "", "stats": None}
    for line in done.stdout.splitlines():
        if line.startswith("KILLED-BY "):
            found["by"] = line[len("KILLED-BY ") :]
        if line.startswith("LAYER-STATS "):
            found["stats"] = json.loads(line[len("LAYER-STATS ") :])
    found["status"] = {0: "survived", 1: "killed"}.get(done.returncode, f"error: {done.stderr[-300:]}")
    found["seconds"] = round(time.monotonic() - started, 2)
    found["cpu_seconds"] = round(_children_cpu_s() - cpu, 2)
    return found


def crosscheck(events: list[str], per_event: int = 2) -> int:
    """Dependencies and fingerprints of a few obligations: fresh context each vs one shared context with the
    caches attributed (as ``layer_z3 baseline`` traces them); one JSON line each; 0 iff all agree.

    Run in a fresh process (the imports are traced); ``events``: event class names, ``-`` for step-less ones."""
    from property_tests.layer_z3_trace import KernelTracer, attribute_caches, fingerprint

    tracer = KernelTracer(ROOT / "kernel")
    with tracer.section():
        from proofs.context import Context
        from proofs.suite import collect

        Context()
        obligations, _, _ = collect()
    chosen = [o for e in events for o in [o for o in obligations if (o.event or "-") == e][:per_event]]
    fresh = {}
    for o in chosen:
        with tracer.section() as called:
            query = o.build(Context())
        fresh[o.id] = (set(called), fingerprint(o, query))
    attribute_caches(tracer)
    shared, agree = Context(), True
    for o in chosen:
        with tracer.section() as called:
            query = o.build(shared)
        same = (set(called), fingerprint(o, query)) == fresh[o.id]
        agree &= same
        print(json.dumps({"id": o.id, "deps": len(called), "fresh_deps": len(fresh[o.id][0]), "agree": same}))
    return 0 if agree else 1


def summary(whole: Path, incremental: Path) -> None:
    """Per mutant: both verdicts (and whether they agree), the incremental layer's counts and cost split."""
    rows: dict[str, dict[str, dict[str, Any]]] = {mode: {} for mode in ("whole", "incremental")}
    for path in (whole, incremental):
        if path.exists():
            for line in path.read_text("utf-8").splitlines():
                row = json.loads(line)
                rows[row["mode"]][row["mutant"]] = row
    agree = disagree = 0
    for mutant, row in sorted(rows["incremental"].items()):
        stats = row.get("stats") or {}
        other = rows["whole"].get(mutant)
        verdict = "-" if other is None else other["status"]
        if other is not None:
            agree += other["status"] == row["status"]
            disagree += other["status"] != row["status"]
        cost = {k: stats.get(k) for k in ("lookup_s", "import_s", "rebuild_s", "solve_s")}
        print(
            f"{mutant}: incremental {row['status']} ({row['by'] or '-'}), whole {verdict}; affected "
            f"{stats.get('affected')}, rebuilt {stats.get('rebuilt')}, changed {stats.get('changed', 0)}, solved "
            f"{stats.get('run')}; {row['seconds']} s wall, {row['cpu_seconds']} s CPU; {cost}"
        )
    done = list(rows["incremental"].values())
    if done:
        skipped = sum((r.get("stats") or {}).get("affected") == 0 for r in done)
        wall, cpu = sum(r["seconds"] for r in done) / len(done), sum(r["cpu_seconds"] for r in done) / len(done)
        print(
            f"{len(done)} mutants: {skipped} skipped outright; mean {wall:.1f} s wall, {cpu:.1f} s CPU; "
            f"whole layer agrees on {agree}, "
            f"differs on {disagree}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Whole vs incremental Z3 layer on one mutant (see docstring).")
    parser.add_argument("mode", choices=("whole", "incremental", "sample", "summary", "crosscheck"))
    parser.add_argument("mutant", help="mutant name (sample: the size)")
    parser.add_argument("index", type=int, help="scratch tree index (sample: the seed)")
    parser.add_argument("--baseline", type=Path, default=WORK / "z3-baseline.json")
    parser.add_argument("--results", type=Path, default=WORK / "z3-validation.jsonl")
    args = parser.parse_args(argv)
    if args.mode == "crosscheck":
        return crosscheck(args.mutant.split(","), args.index)
    if args.mode == "summary":
        summary(args.results, Path(args.mutant))
        return 0
    generated = generate(ROOT, WORK)
    if args.mode == "sample":
        from property_tests.mutation_layers import stratified_sample

        print("\n".join(stratified_sample(generated.mutants, int(args.mutant), args.index, minimum=0)))
        return 0
    tree = make_tree(args.index)
    relative, source = mutated_source(generated, args.mutant)
    (tree / relative).write_text(source, "utf-8")
    if args.mode == "whole":
        found = run_layer("z3", tree, 7200.0)
    else:
        found = run_incremental(tree, args.mutant, args.baseline.resolve())
    shutil.rmtree(tree)
    row = {"mutant": args.mutant, "mode": args.mode, **found}
    with args.results.open("a", encoding="utf-8") as out:
        out.write(json.dumps(row) + "\n")
    print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
