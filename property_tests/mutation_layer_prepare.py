"""Each layer made ready once per kernel: its baseline on the unmutated kernel, its time limit, its method text.

Theory of operation
-------------------
``prepare_layers`` runs, in an unmutated scratch tree
(``.mutation-layers/tree-99``), what each layer needs before any mutant is
scored, and caches it in ``.mutation-layers/baselines-<suite hash>.json``
(``suite_sha256``: kernel, specs, proofs and tests), so a resumed run does
not pay it again:

* a proof layer (``z3``, ``crosshair``) run incrementally:
  ``python -m property_tests.layer_<layer> baseline --out FILE`` (must exit
  0: a layer that fails on the shipped kernel cannot kill anything); whether
  its ``run`` accepts ``--kernel-sha``; the ``method`` and ``assumptions``
  its baseline file states.  If the module does not exist, the layer runs
  whole per mutant and its method says so;
* a pytest layer run incrementally: its test IDs and the kernel functions
  run at import time (``mutation_layer_select.run_trace``), the whole layer
  on the unmutated kernel (must pass); mutmut's coverage if it is of this
  kernel (``load_coverage``), else the whole selection per mutant, said in
  the method;
* a layer run whole (``--whole``): the whole layer on the unmutated kernel.

Every layer's time limit per mutant is ``TIMEOUT_FACTOR`` times its whole
baseline's wall-clock seconds, at least ``TIMEOUT_FLOOR_S``.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from property_tests.mutation_apply import Generated
from property_tests.mutation_layer_run import make_tree, pytest_selection, run_command, run_layer, tree_env
from property_tests.mutation_layer_select import ASSUMPTIONS, Coverage, load_coverage, run_trace

PROOF_LAYERS = ("z3", "crosshair")
TIMEOUT_FACTOR = 5.0
TIMEOUT_FLOOR_S = 120.0
BASELINE_LIMIT_S = 3 * 3600.0
WHOLE = {
    "z3": "every proof obligation of pumpkernel prove, likeliest killers first, stopping at the first failure",
    "crosshair": "the whole CrossHair gate (proofs.crosshair_gate.run_gate)",
    "property": "pytest property_tests (without the mutation machinery's tests), CI profile, -x",
    "unit": "pytest tests as selected for mutmut, CI profile, -x",
}


@dataclass
class LayerSetup:
    """What a worker needs to score one layer: incremental or whole, time limit (s), method text, baseline."""

    layer: str
    incremental: bool
    timeout_s: float
    method: str
    baseline: str = ""
    kernel_flag: bool = False
    kernel_sha256: str = ""
    tests: list[str] = field(default_factory=list)
    coverage: Coverage | None = None


def proof_module(layer: str) -> str:
    return f"property_tests.layer_{layer}"


def _available(layer: str) -> bool:
    try:
        return importlib.util.find_spec(proof_module(layer)) is not None
    except ModuleNotFoundError:
        return False


def _whole_baseline(layer: str, tree: Path) -> dict[str, Any]:
    found = run_layer(layer, tree, BASELINE_LIMIT_S)
    if found["status"] != "survived":
        raise RuntimeError(f"layer {layer} fails on the unmutated kernel: {found}")
    print(f"  baseline {layer}: the whole layer passes in {found['seconds']:.1f} s ({found['cpu_seconds']:.1f} s CPU)")
    return {"seconds": found["seconds"], "cpu_seconds": found["cpu_seconds"]}


def _proof_baseline(layer: str, tree: Path, out: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", proof_module(layer), "baseline", "--out", str(out)]
    found = run_command(command, tree, BASELINE_LIMIT_S, pytest_like=False)
    if found["status"] != "survived" or not out.exists():
        raise RuntimeError(f"{' '.join(command[1:4])} fails on the unmutated kernel: {found}")
    usage = subprocess.run(
        [sys.executable, "-m", proof_module(layer), "run", "--help"],
        cwd=tree,
        env=tree_env(tree),
        capture_output=True,
        text=True,
        check=False,
    )
    data = json.loads(out.read_text("utf-8"))
    told = [str(data.get("method", "")), *(str(a) for a in data.get("assumptions", []) or [])]
    if not told[0]:  # the module's METHOD (and ASSUMPTIONS) constants, when its baseline file does not state them
        said = "import json, {0} as m; print(json.dumps([getattr(m, 'METHOD', ''), *getattr(m, 'ASSUMPTIONS', ())]))"
        asked = subprocess.run(
            [sys.executable, "-c", said.format(proof_module(layer))],
            cwd=tree,
            env=tree_env(tree),
            capture_output=True,
            text=True,
            check=False,
        )
        told = [str(t) for t in json.loads(asked.stdout)] if asked.returncode == 0 and asked.stdout.strip() else told
    print(
        f"  baseline {layer}: {proof_module(layer)} baseline in {found['seconds']:.1f} s "
        f"({found['cpu_seconds']:.1f} s CPU)"
    )
    return {
        "seconds": found["seconds"],
        "cpu_seconds": found["cpu_seconds"],
        "file": str(out),
        "kernel_flag": "--kernel-sha" in usage.stdout,
        "told": "; ".join(t for t in told if t),
    }


def _pytest_baseline(layer: str, tree: Path, coverage: Coverage | None) -> dict[str, Any]:
    traced = run_trace(tree, pytest_selection(layer), tree_env(tree))
    entry = _whole_baseline(layer, tree)
    print(f"  {layer}: {len(traced['tests'])} tests; {len(traced['import_time'])} kernel functions run at import time")
    unknown = [t for t in traced["tests"] if coverage is not None and t not in coverage.duration_s]
    per_test: dict[str, list[str]] = {}
    seconds: dict[str, float] = {}
    if unknown:
        ran = run_trace(tree, unknown, tree_env(tree), run=True)
        per_test, seconds = ran["per_test"], ran["seconds"]
        print(f"  {layer}: {len(per_test)} tests the stats pass never ran, traced in {sum(seconds.values()):.1f} CPU s")
    return {
        **entry,
        "tests": traced["tests"],
        "import_time": traced["import_time"],
        "per_test": per_test,
        "per_test_s": seconds,
    }


def _with_traced(coverage: Coverage, entry: dict[str, Any]) -> Coverage:
    """mutmut's coverage plus the import-time callers and the tests traced by this machinery (``entry``)."""
    tests = {function: set(found) for function, found in coverage.tests_by_function.items()}
    for test, functions in dict(entry.get("per_test", {})).items():
        for function in functions:
            tests.setdefault(str(function), set()).add(str(test))
    durations = {**coverage.duration_s, **{str(k): float(v) for k, v in dict(entry.get("per_test_s", {})).items()}}
    import_time = {str(k): set(v) for k, v in dict(entry.get("import_time", {})).items()}
    return Coverage(tests, durations, coverage.source, import_time)


def prepare_layers(
    layers: list[str], generated: Generated, whole: bool, stats_path: Path, suite: str, work: Path, run: bool = True
) -> dict[str, LayerSetup]:
    """Each layer's setup (see module docstring); with ``run`` false, only what the cache already holds."""
    cache_file = work / f"baselines-{suite[:16]}.json"
    cache: dict[str, Any] = json.loads(cache_file.read_text("utf-8")) if cache_file.exists() else {}
    tree: Path | None = None
    setups: dict[str, LayerSetup] = {}
    coverage, why_not = (None, "") if whole else load_coverage(stats_path, generated)
    if not whole and any(layer not in PROOF_LAYERS for layer in layers):
        print(f"  pytest layers: tests per mutant from {stats_path}" if coverage else f"  pytest layers: {why_not}")
    for layer in layers:
        incremental = not whole and (layer not in PROOF_LAYERS or _available(layer))
        key = f"{layer}:{'incremental' if incremental else 'whole'}"
        entry = cache.get(key)
        if entry is not None and "file" in entry and not Path(entry["file"]).exists():
            entry = None
        if entry is None and run:
            tree = tree or make_tree(99)
            if not incremental:
                entry = _whole_baseline(layer, tree)
            elif layer in PROOF_LAYERS:
                entry = _proof_baseline(layer, tree, work / f"baseline-{layer}-{suite[:16]}.json")
            else:
                entry = _pytest_baseline(layer, tree, coverage)
            cache[key] = entry
            cache_file.write_text(json.dumps(cache), "utf-8")
        entry = entry or {"seconds": 0.0}
        timeout_s = max(TIMEOUT_FLOOR_S, TIMEOUT_FACTOR * float(entry["seconds"]))
        setup = LayerSetup(layer, incremental, timeout_s, "", kernel_sha256=generated.kernel_sha256)
        if not incremental:
            missing = "" if whole else f" ({proof_module(layer)} not available)"
            setup.method = f"layer run whole per mutant{missing}: {WHOLE[layer]}"
        elif layer in PROOF_LAYERS:
            setup.baseline, setup.kernel_flag = str(entry.get("file", "")), bool(entry.get("kernel_flag"))
            told = entry.get("told") or "no method stated by the module"
            setup.method = f"incremental: python -m {proof_module(layer)} run per mutant; {told}"
        else:
            setup.tests = list(entry.get("tests", []))
            if coverage is not None:
                setup.coverage = _with_traced(coverage, entry)
                setup.method = f"{WHOLE[layer]}, run per mutant on the tests that can observe it: {ASSUMPTIONS}"
            else:
                setup.method = f"{WHOLE[layer]}, every test per mutant ({why_not}: no per-mutant selection)"
        setups[layer] = setup
    if tree is not None:
        shutil.rmtree(tree, ignore_errors=True)
    return setups
