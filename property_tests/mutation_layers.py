"""Kill rate per verification layer: the same mutants scored by the Z3 proofs, CrossHair, property and unit tests.

Theory of operation
-------------------
``python -m property_tests.mutation_layers`` (``make mutation-layers``):

1. *Mutants.*  mutmut's own generator (``mutate_file_contents``, the code
   ``mutmut run`` uses; same mutant names) mutates every ``kernel/`` file
   into ``.mutation-layers/generated/`` (cached per kernel SHA-256).  A
   mutant is applied as plain source: the original function's text is
   replaced by the mutant's (``property_tests.mutation_apply``), so every
   layer, the Z3 proofs included, runs the mutated kernel exactly as shipped
   code would be (no trampolines).
2. *Sample.*  ``stratified_sample``: a seeded random sample stratified by
   kernel module, proportional allocation with at least ``MIN_PER_MODULE``
   mutants of every module, ``--size`` in all (default 320).  The same
   mutants are scored by every layer.
3. *Layers*, each run in a scratch copy of the repository with the mutated
   file written in (``.mutation-layers/tree-<worker>``; no bytecode cache):

   * ``z3``: every proof obligation of ``proofs.obligations`` (what
     ``pumpkernel prove`` runs, without the weakened-kernel checks), the
     likeliest to fail first; killed if any obligation fails, is unknown or
     raises;
   * ``crosshair``: ``proofs.crosshair_gate.run_gate()``; killed unless it
     passes (every condition "Confirmed over all paths.");
   * ``property``: ``pytest property_tests`` (CI Hypothesis profile) without
     the mutation machinery's own tests; killed if any test fails or errors;
   * ``unit``: ``pytest tests`` as selected for mutation testing
     (``[tool.mutmut]``: without the adapters, the Z3 and CrossHair gate
     tests, the verification pipeline's tests, the purity check, the
     vectors); killed likewise.

   A layer that does not finish within ``TIMEOUT_FACTOR`` times its time on
   the unmutated kernel (at least ``TIMEOUT_FLOOR_S``) counts as killed (the
   gate would fail) and is marked ``timeout``.  Each layer is first run on
   the unmutated kernel and must pass, or the command stops.
4. *Resumable, parallel.*  Tasks (mutant, layer) run in a shuffled order of
   the sample (so a run cut short has scored a random part of it) on
   ``--processes`` workers (default 2); each result is appended to
   ``.mutation-layers/results.jsonl`` at once, so an interrupted run
   continues where it stopped (results of another kernel are ignored).
5. *Output.*  ``property_tests/mutation_layers.json``, format
   ``pumpkernel-mutation-layers/1`` (``write_output``): per module and layer
   mutants run and killed, per layer the totals with a 95 % Wilson interval
   for the kill rate (fractions in [0, 1]), the sample's size and method, the
   kernel hash, ``generated`` = mutants generated.  A layer whose planned
   sample is not finished says so in its ``method`` ("INCOMPLETE").
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import random
import shutil
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from property_tests.mutation import kernel_sha256
from property_tests.mutation_apply import Generated, generate, mutated_source
from property_tests.mutation_layer_run import make_tree, run_layer
from property_tests.mutation_report import module_of

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutation-layers"
RESULTS = WORK / "results.jsonl"
OUTPUT = ROOT / "property_tests" / "mutation_layers.json"
FORMAT = "pumpkernel-mutation-layers/1"
LAYERS = ("z3", "crosshair", "property", "unit")
MIN_PER_MODULE = 3
DEFAULT_SIZE = 320
DEFAULT_SEED = 20261203
TIMEOUT_FACTOR = 5.0
TIMEOUT_FLOOR_S = 120.0


def stratified_sample(names: Iterable[str], size: int, seed: int, minimum: int = MIN_PER_MODULE) -> list[str]:
    """A seeded random sample of ``names``, stratified by kernel module (see module docstring)."""
    by_module: dict[str, list[str]] = defaultdict(list)
    for name in sorted(names):
        by_module[module_of(name)].append(name)
    population = sum(len(v) for v in by_module.values())
    size = min(size, population)
    quota = {m: min(len(v), max(minimum, math.floor(size * len(v) / population))) for m, v in by_module.items()}
    remainders = sorted(by_module, key=lambda m: (-(size * len(by_module[m]) / population) % 1, m))
    while sum(quota.values()) < size:
        grown = False
        for module in remainders:
            if sum(quota.values()) >= size:
                break
            if quota[module] < len(by_module[module]):
                quota[module] += 1
                grown = True
        if not grown:
            break
    rng = random.Random(seed)
    return sorted(name for module in sorted(by_module) for name in rng.sample(by_module[module], quota[module]))


def wilson(killed: int, run: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The 95 % Wilson score interval of the kill rate ``killed / run`` (``(0, 1)`` when nothing ran)."""
    if run == 0:
        return 0.0, 1.0
    p = killed / run
    denominator = 1 + z * z / run
    center = (p + z * z / (2 * run)) / denominator
    half = z * math.sqrt(p * (1 - p) / run + z * z / (4 * run * run)) / denominator
    return round(max(0.0, center - half), 4), round(min(1.0, center + half), 4)


# The workers: each owns a scratch tree; a task writes the mutant in, runs one layer, restores the file.

_TREE: Path | None = None
_GENERATED: Generated | None = None
_TIMEOUTS: dict[str, float] = {}


def _init_worker(indices: Any, generated: Generated, timeouts: dict[str, float]) -> None:
    global _TREE, _GENERATED, _TIMEOUTS
    _TREE = make_tree(indices.get())
    _GENERATED, _TIMEOUTS = generated, timeouts


def _task(job: tuple[str, str]) -> dict[str, Any]:
    mutant, layer = job
    assert _TREE is not None and _GENERATED is not None
    relative, source = mutated_source(_GENERATED, mutant)
    target = _TREE / relative
    original = target.read_text("utf-8")
    target.write_text(source, "utf-8")
    try:
        found = run_layer(layer, _TREE, _TIMEOUTS[layer])
    finally:
        target.write_text(original, "utf-8")
    killer = str(found["by"]).split(" (")[0]
    if found["status"] == "killed" and layer in ("z3", "crosshair") and killer and " " not in killer:
        with (WORK / f"{layer}-killers.txt").open("a", encoding="utf-8") as out:
            out.write(killer + "\n")
    return {"mutant": mutant, "layer": layer, **found}


def baseline(layers: Iterable[str]) -> dict[str, float]:
    """Each layer on the unmutated kernel: its seconds; raises if it does not pass (nothing could be scored)."""
    tree = make_tree(99)
    seconds: dict[str, float] = {}
    for layer in layers:
        found = run_layer(layer, tree, 3600.0)
        if found["status"] != "survived":
            raise RuntimeError(f"layer {layer} fails on the unmutated kernel: {found}")
        seconds[layer] = found["seconds"]
        print(
            f"  baseline {layer}: passes on the unmutated kernel in {found['seconds']:.1f} s "
            f"({found['cpu_seconds']:.1f} s CPU)",
            flush=True,
        )
    shutil.rmtree(tree)
    return seconds


def read_results(sha: str) -> list[dict[str, Any]]:
    """The results recorded so far for the kernel ``sha`` (one JSON object a line)."""
    if not RESULTS.exists():
        return []
    found = [json.loads(line) for line in RESULTS.read_text("utf-8").splitlines() if line.strip()]
    return [r for r in found if r.get("kernel_sha256") == sha]


def run(plan: list[str], layers: list[str], processes: int, generated: Generated, limit: int | None) -> None:
    """Score every (mutant of ``plan``, layer) not yet in ``RESULTS``, on ``processes`` workers (resumable)."""
    done = {(r["mutant"], r["layer"]) for r in read_results(generated.kernel_sha256)}
    order = list(plan)
    random.Random(len(plan)).shuffle(order)  # a run cut short has scored a random part of the sample
    jobs = [(m, layer) for m in order for layer in layers if (m, layer) not in done]
    if limit is not None:
        jobs = jobs[:limit]
    print(f"{len(done)} results recorded, {len(jobs)} to run on {processes} processes", flush=True)
    if not jobs:
        return
    timeouts = {layer: max(TIMEOUT_FLOOR_S, TIMEOUT_FACTOR * s) for layer, s in baseline(layers).items()}
    context = multiprocessing.get_context("fork")
    indices = context.Queue()
    for index in range(processes):
        indices.put(index)
    started = time.monotonic()
    with context.Pool(processes, _init_worker, (indices, generated, timeouts)) as pool:
        for count, result in enumerate(pool.imap_unordered(_task, jobs), start=1):
            result["kernel_sha256"] = generated.kernel_sha256
            with RESULTS.open("a", encoding="utf-8") as out:
                out.write(json.dumps(result) + "\n")
            elapsed = time.monotonic() - started
            print(
                f"  [{count}/{len(jobs)}] {result['layer']:9} {result['status']:8} {result['seconds']:7.1f} s "
                f"{result['mutant']} ({elapsed / count * (len(jobs) - count) / 60:.0f} min left)",
                flush=True,
            )


def summarize(results: list[dict[str, Any]], plan: list[str], layers: Iterable[str]) -> dict[str, Any]:
    """Per module and layer: run and killed; per layer: totals and Wilson interval (timeouts count as killed)."""
    planned = set(plan)
    modules: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: {la: {"run": 0, "killed": 0} for la in LAYERS})
    for r in results:
        if r["mutant"] not in planned or r["status"] == "error":
            continue
        cell = modules[module_of(r["mutant"])][r["layer"]]
        cell["run"] += 1
        cell["killed"] += r["status"] in ("killed", "timeout")
    totals: dict[str, dict[str, Any]] = {}
    for layer in LAYERS:
        run_count = sum(m[layer]["run"] for m in modules.values())
        killed = sum(m[layer]["killed"] for m in modules.values())
        low, high = wilson(killed, run_count)
        totals[layer] = {"run": run_count, "killed": killed, "low95": low, "high95": high}
    return {"modules": {m: modules[m] for m in sorted(modules)}, "totals": totals}


def write_output(generated: Generated, plan: list[str], layers: list[str], seed: int, size: int) -> dict[str, Any]:
    """``property_tests/mutation_layers.json`` (format ``pumpkernel-mutation-layers/1``) from the results so far."""
    results = read_results(generated.kernel_sha256)
    summary = summarize(results, plan, layers)
    method = (
        f"seeded random sample (seed {seed}) of {size} of the {len(generated.mutants)} mutants mutmut generates, "
        f"stratified by kernel module: proportional allocation, at least {MIN_PER_MODULE} per module"
    )
    sample = {}
    for layer in LAYERS:
        scored = summary["totals"][layer]["run"]
        note = "" if scored >= len(plan) else f"; INCOMPLETE: {scored} of the {len(plan)} planned scored so far"
        sample[layer] = {"size": scored, "method": method + note if scored or layer in layers else "not run"}
    output = {
        "format": FORMAT,
        "kernel_sha256": generated.kernel_sha256,
        "generated": len(generated.mutants),
        "layers": list(LAYERS),
        "sample": sample,
        "modules": summary["modules"],
        "totals": summary["totals"],
    }
    OUTPUT.write_text(json.dumps(output, indent=2) + "\n", "utf-8")
    return output


def print_summary(output: dict[str, Any], results: list[dict[str, Any]]) -> None:
    print(f"Kill rate per layer ({output['generated']} mutants generated; kernel {output['kernel_sha256'][:12]}):")
    for layer in LAYERS:
        t = output["totals"][layer]
        mine = [r for r in results if r["layer"] == layer and r["status"] != "error"]
        mean = sum(r["seconds"] for r in mine) / len(mine) if mine else 0.0
        cpu = sum(r.get("cpu_seconds", 0.0) for r in mine) / len(mine) if mine else 0.0
        timeouts = sum(r["status"] == "timeout" for r in mine)
        rate = f"{100 * t['killed'] / t['run']:.1f} %" if t["run"] else "-"
        print(
            f"  {layer:9} killed {t['killed']:4} of {t['run']:4} ({rate}, 95 % {t['low95']:.3f}-{t['high95']:.3f}); "
            f"per mutant {mean:.1f} s wall, {cpu:.1f} s CPU; {timeouts} timeouts counted as killed"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Kill rate per verification layer (see module docstring).")
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE, help=f"sample size (default {DEFAULT_SIZE})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"sample seed (default {DEFAULT_SEED})")
    parser.add_argument("--layers", default=",".join(LAYERS), help="comma-separated layers (default all four)")
    parser.add_argument("--processes", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--limit", type=int, default=None, help="run at most this many (mutant, layer) tasks now")
    parser.add_argument("--fresh", action="store_true", help="forget the recorded results first")
    parser.add_argument("--report-only", action="store_true", help="write the output from the recorded results")
    args = parser.parse_args(argv)
    layers = [layer for layer in args.layers.split(",") if layer]
    unknown = set(layers) - set(LAYERS)
    if unknown:
        parser.error(f"unknown layers: {sorted(unknown)}")
    WORK.mkdir(exist_ok=True)
    if args.fresh and RESULTS.exists():
        RESULTS.unlink()
    generated = generate(ROOT, WORK)
    assert generated.kernel_sha256 == kernel_sha256(), "the kernel changed while generating"
    plan = stratified_sample(generated.mutants, args.size, args.seed)
    if not args.report_only:
        run(plan, layers, args.processes, generated, args.limit)
    output = write_output(generated, plan, layers, args.seed, len(plan))
    print_summary(output, [r for r in read_results(generated.kernel_sha256) if r["mutant"] in set(plan)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
