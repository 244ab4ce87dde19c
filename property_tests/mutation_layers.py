"""Kill rate per verification layer: the same mutants scored by the Z3 proofs, CrossHair, property and unit tests.

Theory of operation
-------------------
``python -m property_tests.mutation_layers`` (``make mutation-layers``):

1. *Mutants.*  mutmut's own generator (``mutate_file_contents``, the code
   ``mutmut run`` uses; same mutant names) mutates every ``kernel/`` file
   into ``.mutation-layers/generated/`` (cached per kernel SHA-256).  A
   mutant is applied as plain source (``property_tests.mutation_apply``), so
   every layer runs the mutated kernel as shipped code would (no trampolines).
2. *Sample.*  ``stratified_sample``: a seeded random sample stratified by
   kernel module, proportional allocation with at least ``MIN_PER_MODULE``
   mutants of every module, ``--size`` in all (default 320).  The same
   mutants are scored by every layer, in a seeded shuffled order, so a run cut
   short has scored a random part of the sample.
3. *Layers*, per mutant in a scratch copy of the repository
   (``.mutation-layers/tree-<worker>``, no bytecode cache).  A layer kills a
   mutant iff the whole layer, run on the mutated kernel, would fail; each
   layer is made incremental without changing that, or says what it assumes:

   * ``z3``, ``crosshair``: ``python -m property_tests.layer_<layer> run
     --baseline FILE --mutant NAME --order FILE`` (only the proof obligations
     / CrossHair conditions the mutated function can affect; exit 0 survived,
     1 killed, 2 refused), after ``... baseline --out FILE`` once per kernel
     in an unmutated tree; the method and assumptions are the module's own
     (``method``/``assumptions`` of its baseline file or LAYER-STATS line);
   * ``property`` (``pytest property_tests`` without the machinery's own
     tests) and ``unit`` (``pytest tests`` as selected for mutmut): only the
     tests that call the mutated function, killers first, with ``-x`` and the
     CI Hypothesis profile (``property_tests.mutation_layer_select``: mutmut's
     stats of a full ``make mutation`` run on this kernel, ``--stats``; without
     them, the whole selection, and the method says so).

   ``--whole`` runs every layer whole per mutant instead (the old path:
   ``mutation_layer_run.run_layer``), to compare verdicts.  A run over
   ``TIMEOUT_FACTOR`` times the layer's baseline (at least
   ``TIMEOUT_FLOOR_S``) counts as killed (``timeout``).  Every layer must pass
   on the unmutated kernel first, or the command stops.
4. *Resumable, budgeted.*  ``--processes`` workers (default 2) each score
   whole mutants (every layer of one mutant, then the next); each result
   (with the LAYER-STATS of the layer: units, affected, run, skipped,
   seconds) is appended at once to ``.mutation-layers/results.jsonl``, so an
   interrupted run continues where it stopped.  Results of another kernel,
   test suite (``suite_sha256``) or mode are never merged.  ``--budget-min
   N`` stops scheduling new mutants after N minutes.
5. *Output.*  ``property_tests/mutation_layers.json``, format
   ``pumpkernel-mutation-layers/1`` (``write_output``): per module and layer
   mutants run and killed, per layer the totals with a 95 % Wilson interval
   (fractions in [0, 1]), the sample's size, planned size, ``complete`` and
   method (with the layer's assumptions); a layer whose planned sample is not
   finished says "INCOMPLETE" with its counts, and ``complete`` is false.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import multiprocessing
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from property_tests.mutation import kernel_sha256
from property_tests.mutation_apply import Generated, generate, mutated_source
from property_tests.mutation_layer_prepare import PROOF_LAYERS, LayerSetup, prepare_layers
from property_tests.mutation_layer_run import make_tree, pytest_command, run_command, run_layer
from property_tests.mutation_layer_select import killer_counts, select
from property_tests.mutation_report import module_of

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutation-layers"
RESULTS = WORK / "results.jsonl"
OUTPUT = ROOT / "property_tests" / "mutation_layers.json"
DEFAULT_STATS = Path("mutants") / "mutmut-stats.json"
FORMAT = "pumpkernel-mutation-layers/1"
LAYERS = ("z3", "crosshair", "property", "unit")
MIN_PER_MODULE = 3
DEFAULT_SIZE = 320
DEFAULT_SEED = 20261203
SUITE_DIRS = ("kernel", "specs", "proofs", "tests", "property_tests")
MACHINERY = (
    "property_tests/mutation",
    "property_tests/layer_",
    "property_tests/mutmut_names",
    "property_tests/test_mutation",
    "property_tests/test_layer_",
)
"""Files of this machinery: not part of the suite hash (they decide nothing a layer reports)."""


def suite_sha256(root: Path = ROOT) -> str:
    """SHA-256 over the kernel, specs, proofs and tests (``.py``, without this machinery): what a verdict depends on."""
    digest = hashlib.sha256()
    for folder in SUITE_DIRS:
        for path in sorted((root / folder).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if "__pycache__" not in relative and not relative.startswith(MACHINERY):
                digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


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


def shuffled(plan: list[str]) -> list[str]:
    """The order mutants are scored in: a seeded shuffle, so a run cut short has scored a random part of the plan."""
    order = list(plan)
    random.Random(len(plan)).shuffle(order)
    return order


def wilson(killed: int, run: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The 95 % Wilson score interval of the kill rate ``killed / run`` (``(0, 1)`` when nothing ran)."""
    if run == 0:
        return 0.0, 1.0
    p = killed / run
    denominator = 1 + z * z / run
    center = (p + z * z / (2 * run)) / denominator
    half = z * math.sqrt(p * (1 - p) / run + z * z / (4 * run * run)) / denominator
    return round(max(0.0, center - half), 4), round(min(1.0, center + half), 4)


def read_results(sha: str, suite: str | None = None, mode: str | None = None) -> list[dict[str, Any]]:
    """The results recorded for the kernel ``sha`` (and, when given, the suite hash and mode); one JSON a line."""
    if not RESULTS.exists():
        return []
    found = [json.loads(line) for line in RESULTS.read_text("utf-8").splitlines() if line.strip()]
    return [
        r
        for r in found
        if r.get("kernel_sha256") == sha
        and (suite is None or r.get("suite_sha256") == suite)
        and (mode is None or r.get("mode", "whole") == mode)
    ]


# The workers: each owns a scratch tree; a task writes one mutant in, runs its layers, restores the file.

_TREE: Path | None = None
_GENERATED: Generated | None = None
_SETUPS: dict[str, LayerSetup] = {}


def _init_worker(indices: Any, generated: Generated, setups: dict[str, LayerSetup]) -> None:
    global _TREE, _GENERATED, _SETUPS
    _TREE = make_tree(indices.get())
    _GENERATED, _SETUPS = generated, setups


def _proof_order(layer: str, results: list[dict[str, Any]]) -> str:
    """The proof units that killed most mutants so far, one a line, most first."""
    counts: dict[str, int] = defaultdict(int)
    for r in results:
        if r["layer"] == layer and r["status"] == "killed" and r.get("by") and " " not in str(r["by"]):
            counts[str(r["by"])] += 1
    return "".join(f"{unit}\n" for unit in sorted(counts, key=lambda u: (-counts[u], u)))


def _collection_failure(tests: list[str], tree: Path, timeout_s: float) -> dict[str, Any] | None:
    """Killed, if a file of ``tests`` cannot even be collected on the mutated kernel; else ``None``.

    Every selected node ID was collected on the unmutated kernel, so pytest's exit 4 ("found no collectors")
    on the mutant means a test file failed to import (its module level calls the kernel): the whole layer
    reports that as a collection error (exit 2), a failure.  Checked per file with ``--collect-only``.
    """
    for path in dict.fromkeys(test.split("::")[0] for test in tests):
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only", path]
        found = run_command(command, tree, timeout_s, pytest_like=True)
        if found["exit_code"] == 2:
            found.update(status="killed", by=f"{path} (collection error on the mutant)")
            return found
    return None


def score(layer: str, mutant: str, tree: Path, setup: LayerSetup, earlier: list[dict[str, Any]]) -> dict[str, Any]:
    """One layer's verdict on ``mutant`` (already applied in ``tree``), with the layer's statistics."""
    if not setup.incremental:
        found = run_layer(layer, tree, setup.timeout_s)
        killer = str(found["by"]).split(" (")[0]
        if found["status"] == "killed" and layer in PROOF_LAYERS and killer and " " not in killer:
            with (WORK / f"{layer}-killers.txt").open("a", encoding="utf-8") as out:  # the whole layer's --order
                out.write(killer + "\n")
    elif layer in PROOF_LAYERS:
        order = tree / f".order-{layer}.txt"
        order.write_text(_proof_order(layer, earlier), "utf-8")
        command = [sys.executable, "-m", f"property_tests.layer_{layer}", "run", "--baseline", setup.baseline]
        command += ["--mutant", mutant, "--order", str(order)]
        command += ["--kernel-sha", setup.kernel_sha256] if setup.kernel_flag else []
        found = run_command(command, tree, setup.timeout_s, pytest_like=False)
    else:
        if setup.coverage is None:
            tests, why = list(setup.tests), "whole selection"
        else:
            tests, why = select(
                mutant, setup.tests, setup.coverage, killer_counts(e for e in earlier if e["layer"] == layer)
            )
        if tests:
            found = run_command(pytest_command(tests), tree, setup.timeout_s, pytest_like=True)
            collected = _collection_failure(tests, tree, setup.timeout_s) if found["exit_code"] == 4 else None
            if collected is not None:
                collected["seconds"] = round(collected["seconds"] + found["seconds"], 2)
                collected["cpu_seconds"] = round(collected["cpu_seconds"] + found["cpu_seconds"], 2)
                found = collected
        else:
            found = {
                "status": "survived",
                "exit_code": None,
                "by": "",
                "seconds": 0.0,
                "cpu_seconds": 0.0,
                "tests_run": 0,
            }
        found["stats"] = {
            "units": len(setup.tests),
            "affected": len(tests),
            "run": found.pop("tests_run", 0),
            "skipped": len(setup.tests) - len(tests),
            "seconds": found["seconds"],
            "selection": why,
        }
    return {"mutant": mutant, "layer": layer, **found}


def _task(job: tuple[str, list[str]]) -> list[dict[str, Any]]:
    mutant, layers = job
    assert _TREE is not None and _GENERATED is not None
    try:
        relative, source = mutated_source(_GENERATED, mutant)
    except (LookupError, ValueError, SyntaxError) as problem:  # a fault of this machinery: no verdict
        found = {"status": "error", "exit_code": None, "by": f"{type(problem).__name__}: {problem}"[:300]}
        return [{"mutant": mutant, "layer": layer, **found, "seconds": 0.0, "cpu_seconds": 0.0} for layer in layers]
    target = _TREE / relative
    original = target.read_text("utf-8")
    target.write_text(source, "utf-8")
    earlier = read_results(_GENERATED.kernel_sha256)
    try:
        return [score(layer, mutant, _TREE, _SETUPS[layer], earlier) for layer in layers]
    finally:
        target.write_text(original, "utf-8")


def run(
    plan: list[str],
    setups: dict[str, LayerSetup],
    processes: int,
    generated: Generated,
    tags: dict[str, str],
    limit: int | None = None,
    budget_min: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> bool:
    """Score every (mutant of ``plan``, layer) not yet recorded (resumable); True if the budget stopped it early."""
    done = {
        (r["mutant"], r["layer"]) for r in read_results(generated.kernel_sha256, tags["suite_sha256"], tags["mode"])
    }
    jobs = [(m, [la for la in setups if (m, la) not in done]) for m in shuffled(plan)]
    jobs = [job for job in jobs if job[1]][:limit]
    print(f"{len(done)} results recorded, {len(jobs)} mutants to score on {processes} processes", flush=True)
    if not jobs:
        return False
    context = multiprocessing.get_context("fork")
    indices = context.Queue()
    for index in range(processes):
        indices.put(index)
    started = time.monotonic()
    pending, count = list(reversed(jobs)), 0
    inflight: list[Any] = []
    with context.Pool(processes, _init_worker, (indices, generated, setups)) as pool:
        deadline = None if budget_min is None else clock() + 60.0 * budget_min
        while pending or inflight:
            while pending and len(inflight) < processes and (deadline is None or clock() < deadline):
                inflight.append(pool.apply_async(_task, (pending.pop(),)))
            if not inflight:
                break
            ready = [task for task in inflight if task.ready()]
            if not ready:
                time.sleep(0.2)
                continue
            for task in ready:
                inflight.remove(task)
                count += 1
                with RESULTS.open("a", encoding="utf-8") as out:
                    for result in task.get():
                        out.write(json.dumps({**result, **tags}) + "\n")
                        print(
                            f"  [{count}/{len(jobs)}] {result['layer']:9} {result['status']:8} "
                            f"{result['seconds']:7.1f} s {result['mutant']} "
                            f"({(time.monotonic() - started) / 60:.1f} min)",
                            flush=True,
                        )
    if pending:
        print(f"Budget of {budget_min} min reached: {len(pending)} mutants not scheduled (INCOMPLETE)", flush=True)
    return bool(pending)


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


def write_output(
    generated: Generated,
    plan: list[str],
    layers: list[str],
    seed: int,
    size: int,
    methods: dict[str, str] | None = None,
    results: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``property_tests/mutation_layers.json`` (format ``pumpkernel-mutation-layers/1``) from the results so far."""
    results = read_results(generated.kernel_sha256) if results is None else results
    summary = summarize(results, plan, layers)
    method = (
        f"seeded random sample (seed {seed}) of {size} of the {len(generated.mutants)} mutants mutmut generates, "
        f"stratified by kernel module: proportional allocation, at least {MIN_PER_MODULE} per module"
    )
    sample = {}
    for layer in LAYERS:
        scored = summary["totals"][layer]["run"]
        note = "" if scored >= len(plan) else f"; INCOMPLETE: {scored} of the {len(plan)} planned scored so far"
        how = f"; {methods[layer]}" if methods and layer in methods else ""
        text = method + how + note if scored or layer in layers else "not run"
        sample[layer] = {"size": scored, "planned": len(plan), "complete": scored >= len(plan), "method": text}
    output = {
        "format": FORMAT,
        "kernel_sha256": generated.kernel_sha256,
        "generated": len(generated.mutants),
        "layers": list(LAYERS),
        "sample": sample,
        "modules": summary["modules"],
        "totals": summary["totals"],
        "complete": all(sample[layer]["complete"] for layer in LAYERS),
    }
    OUTPUT.write_text(json.dumps(output, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return output


def print_summary(output: dict[str, Any], results: list[dict[str, Any]]) -> None:
    print(f"Kill rate per layer ({output['generated']} mutants generated; kernel {output['kernel_sha256'][:12]}):")
    for layer in LAYERS:
        t = output["totals"][layer]
        mine = [r for r in results if r["layer"] == layer and r["status"] != "error"]
        n = len(mine) or 1
        mean, cpu = sum(r["seconds"] for r in mine) / n, sum(r.get("cpu_seconds", 0.0) for r in mine) / n
        stats = [r["stats"] for r in mine if isinstance(r.get("stats"), dict)]
        share = sum(float(s.get("affected", 0)) / max(1.0, float(s.get("units", 1))) for s in stats) / (len(stats) or 1)
        rate = f"{100 * t['killed'] / t['run']:.1f} %" if t["run"] else "-"
        complete = "" if output["sample"][layer]["complete"] else " INCOMPLETE"
        print(
            f"  {layer:9} killed {t['killed']:4} of {t['run']:4} ({rate}, 95 % {t['low95']:.3f}-{t['high95']:.3f})"
            f"{complete};"
            f" per mutant {mean:.1f} s wall, {cpu:.1f} s CPU; {100 * share:.0f} % of units affected;"
            f" {sum(r['status'] == 'timeout' for r in mine)} timeouts counted as killed"
        )


def compare(results: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per layer, mutants scored both whole and incrementally: how many, and how many verdicts agree."""
    verdicts: dict[tuple[str, str], dict[str, bool]] = defaultdict(dict)
    for r in results:
        if r["status"] != "error":
            verdicts[(r["layer"], r["mutant"])][r.get("mode", "whole")] = r["status"] in ("killed", "timeout")
    table: dict[str, dict[str, int]] = {layer: {"both": 0, "agree": 0} for layer in LAYERS}
    for (layer, mutant), by_mode in sorted(verdicts.items()):
        if len(by_mode) == 2:
            table[layer]["both"] += 1
            table[layer]["agree"] += by_mode["whole"] == by_mode["incremental"]
            if by_mode["whole"] != by_mode["incremental"]:
                whole, incremental = by_mode["whole"], by_mode["incremental"]
                print(f"  DISAGREE {layer} {mutant}: killed whole {whole}, incremental {incremental}")
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Kill rate per verification layer (see module docstring).")
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE, help=f"sample size (default {DEFAULT_SIZE})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"sample seed (default {DEFAULT_SEED})")
    parser.add_argument("--layers", default=",".join(LAYERS), help="comma-separated layers (default all four)")
    parser.add_argument("--processes", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--limit", type=int, default=None, help="score at most this many mutants now")
    parser.add_argument("--budget-min", type=float, default=None, help="schedule no new mutant after this many minutes")
    parser.add_argument("--whole", action="store_true", help="run every layer whole per mutant (the old path)")
    parser.add_argument("--stats", type=Path, default=DEFAULT_STATS, help=f"mutmut's stats (default {DEFAULT_STATS})")
    parser.add_argument("--fresh", action="store_true", help="forget the recorded results first")
    parser.add_argument("--report-only", action="store_true", help="write the output from the recorded results")
    parser.add_argument("--compare", action="store_true", help="whole against incremental verdicts recorded so far")
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
    stats_path = args.stats if args.stats.is_absolute() else ROOT / args.stats
    if args.compare:
        for layer, row in compare(read_results(generated.kernel_sha256, suite_sha256())).items():
            print(f"  {layer:9} scored both ways {row['both']:4}, verdicts agree {row['agree']:4}")
        return 0
    tags = {
        "kernel_sha256": generated.kernel_sha256,
        "suite_sha256": suite_sha256(),
        "mode": "whole" if args.whole else "incremental",
    }
    setups = prepare_layers(
        layers, generated, args.whole, stats_path, tags["suite_sha256"], WORK, run=not args.report_only
    )
    if not args.report_only:
        run(plan, setups, args.processes, generated, tags, args.limit, args.budget_min)
    results = read_results(generated.kernel_sha256, tags["suite_sha256"], tags["mode"])
    methods = {layer: setup.method for layer, setup in setups.items()}
    output = write_output(generated, plan, layers, args.seed, len(plan), methods, results)
    print_summary(output, [r for r in results if r["mutant"] in set(plan)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
