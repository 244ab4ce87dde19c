"""The Z3 layer of the kill-rate-per-layer scoring, run incrementally: only the obligations a mutant can change.

Theory of operation
-------------------
The whole layer (``mutation_layer_run.run_z3``) builds every obligation of
``proofs.suite.collect()`` on one ``proofs.context.Context`` and solves each
with ``proofs.framework.run_query``; a mutant is killed iff some obligation
fails, is unknown, is vacuous or raises.  This module decides the same thing
with less work, in two steps:

1. *Dependencies* (``baseline``, on the unmutated kernel, in a fresh
   process).  ``layer_z3_trace.KernelTracer`` records the kernel functions
   (mutmut names) called while each obligation's query is built, one shared
   ``Context`` in ``collect()`` order, with the caches attributed
   (``layer_z3_trace.attribute_caches``: a step, hypothesis or abstract step
   another obligation built first counts for every obligation that uses it);
   ``--fresh`` traces each on a fresh ``Context`` instead (slow, a
   cross-check).  Functions run while importing kernel, specs and proofs,
   making the ``Context`` and collecting the obligations, or in any later
   import, form the *import set*: they count for every obligation.
2. *Same query, same verdict* (``run``, in the mutant's tree).  A mutant
   whose function is in no obligation's set (nor the import set) cannot change
   any query: it survives at once, nothing imported.  Otherwise each affected
   obligation is rebuilt (one shared ``Context``, in ``collect()`` order) and
   its ``layer_z3_trace.fingerprint`` compared with the baseline's: identical
   queries keep the baseline's verdict (proved); the others are solved with
   their own budget (``run_query``, as ``pumpkernel prove``), likeliest
   killers first (``--order``), stopping at the first that does not pass.
   New obligation IDs are solved; a build that raises kills.

``baseline`` also builds every obligation a second time, on a new context in
reverse order, and requires the same fingerprints (the canonical text must
not depend on what was built before, as it does not in ``run``'s subset
builds); it solves every query and exits 0 only if all are proved.  ``run``
refuses (exit 2) unless the tree's kernel/, specs/ and proofs/ files equal the
baseline's except the mutated module's file.

Assumptions (``METHOD``): building a query is deterministic and reads the
kernel only by calling its functions and through module-level values
computed at import; the caches are those in ``layer_z3_trace.CACHES``; Z3's
verdict on a query within its resource budget is a function of its canonical
text (the whole layer's own verdicts already depend on this: its build order
follows the killers file).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from property_tests import mutmut_names
from property_tests.layer_z3_trace import KernelTracer, attribute_caches, fingerprint
from property_tests.mutmut_names import mutated_function

ROOT = Path(__file__).resolve().parent.parent
FORMAT = "pumpkernel-layer-z3/1"
METHOD = (
    "incremental Z3 layer: an obligation is rebuilt only if building its query (caches and imports included, traced "
    "on the unmutated kernel) calls the mutated function; a rebuilt query whose canonical SMT-LIB text (constants "
    "renamed by first occurrence) equals the unmutated kernel's keeps its verdict (proved), the others are solved "
    "with their own budget, likeliest killers first. Assumes building is deterministic and reads the kernel only by "
    "calling its functions and through module-level values computed at import, and that Z3's verdict within budget "
    "is a function of the canonical query text"
)
SUPPORT = ("specs", "proofs")
"""Directories (besides kernel/) whose code builds the queries: their bytes must match the baseline's."""


def file_hashes(root: Path) -> dict[str, str]:
    """SHA-256 of every ``.py`` file of kernel/ and the support directories, by relative path."""
    return mutmut_names.file_hashes(root, ("kernel", *SUPPORT))


def _solve(obligation: Any, query: Any) -> tuple[str, float]:
    from proofs.context import describe
    from proofs.framework import run_query

    result = run_query(obligation, query, describe)
    return result.status, result.seconds


def baseline(out: Path, root: Path = ROOT, solve: bool = True, fresh: bool = False) -> int:
    """Dependencies, fingerprints and verdicts on the unmutated kernel (see module docstring); 0 iff all pass.

    Dependencies are traced on one shared context with the caches attributed (``attribute_caches``), or with
    ``fresh`` on a fresh context per obligation (slow; a cross-check).  A second build of every obligation, on a
    new context in reverse order, must give the same fingerprints (the canonical text does not depend on what
    was built before).
    """
    if any(name == "kernel" or name.startswith(("kernel.", "specs.", "proofs.")) for name in sys.modules):
        raise RuntimeError("baseline must run in a fresh process: kernel/specs/proofs already imported")
    started = time.perf_counter()
    tracer = KernelTracer(root / "kernel")
    with tracer.section() as imported:
        from proofs.context import Context
        from proofs.suite import collect

        Context()
        obligations, _, _ = collect()
    if not fresh:
        attribute_caches(tracer)
    ctx = Context()
    units: dict[str, dict[str, Any]] = {}
    queries: list[Any] = []
    for obligation in obligations:
        begun = time.perf_counter()
        with tracer.section() as called:
            query = obligation.build(Context() if fresh else ctx)
        units[obligation.id] = {
            "deps": sorted(called),
            "fingerprint": fingerprint(obligation, query),
            "build_seconds": round(time.perf_counter() - begun, 4),
        }
        queries.append(query)
    traced_s = time.perf_counter() - started
    passed = True
    reverse = Context()
    for obligation in reversed(obligations):
        if fingerprint(obligation, obligation.build(reverse)) != units[obligation.id]["fingerprint"]:
            print(f"FINGERPRINT-UNSTABLE {obligation.id}: two builds in different orders differ", flush=True)
            passed = False
    check_s = time.perf_counter() - started - traced_s
    for obligation, query in zip(obligations, queries, strict=True):
        status, solve_s = _solve(obligation, query) if solve else ("proved", 0.0)
        if status != "proved":
            print(f"FAILS-ON-UNMUTATED {obligation.id}: {status}", flush=True)
            passed = False
        units[obligation.id].update(status=status, seconds=round(solve_s, 4))
    imported_all = sorted(set(imported) | tracer.imported)
    from property_tests.mutation import kernel_sha256  # after tracing: it must not hide imports from the tracer

    data = {
        "format": FORMAT,
        "kernel_sha256": kernel_sha256(root / "kernel"),
        "files": file_hashes(root),
        "import_functions": imported_all,
        "order": [o.id for o in obligations],
        "units": units,
        "traced_seconds": round(traced_s, 2),
        "order_check_seconds": round(check_s, 2),
        "seconds": round(time.perf_counter() - started, 2),
        "solved": solve,
        "passed": passed,
    }
    out.write_text(json.dumps(data, indent=1) + "\n", "utf-8")
    print(
        f"baseline: {len(units)} obligations, {len(imported_all)} import-time functions, traced in {traced_s:.1f} s, "
        f"order check {check_s:.1f} s, total {data['seconds']:.1f} s; {'all pass' if passed else 'NOT all pass'}",
        flush=True,
    )
    return 0 if passed and solve else 1


def affected_units(data: dict[str, Any], function: str) -> list[str]:
    """The obligations whose query build calls ``function`` (all of them if it runs at import), in build order."""
    if function in set(data["import_functions"]):
        return list(data["order"])
    return [uid for uid in data["order"] if function in set(data["units"][uid]["deps"])]


def check_tree(data: dict[str, Any], root: Path, mutant: str, kernel_sha: str | None) -> str | None:
    """Why this tree is not the baseline's kernel with (at most) the mutant's file changed, or None."""
    if kernel_sha is not None and kernel_sha != data["kernel_sha256"]:
        return f"baseline kernel {data['kernel_sha256'][:12]} is not {kernel_sha[:12]}"
    module = mutant.split(".")[1] if mutant.count(".") >= 2 else ""
    mutated_file = f"kernel/{module}.py"
    current = file_hashes(root)
    if set(current) != set(data["files"]):
        return "the tree's kernel/specs/proofs files are not the baseline's"
    changed = [path for path, digest in current.items() if digest != data["files"][path] and path != mutated_file]
    return f"files differ from the baseline: {changed}" if changed else None


def _rank(order_file: Path | None) -> dict[str, int]:
    if order_file is None or not order_file.exists():
        return {}
    rank: dict[str, int] = {}
    for line in order_file.read_text("utf-8").splitlines():
        if line.strip():
            rank[line.strip()] = rank.get(line.strip(), 0) + 1
    return rank


def run(data: dict[str, Any], mutant: str, order_file: Path | None, emit: Callable[[str], None] = print) -> int:
    """The layer on this tree's (mutated) kernel, incrementally: 0 survived, 1 killed (see module docstring)."""
    started, cpu = time.perf_counter(), time.process_time()
    stats: dict[str, Any] = {"units": len(data["order"]), "affected": 0, "run": 0, "skipped": 0, "rebuilt": 0}
    timings = {"lookup_s": 0.0, "import_s": 0.0, "rebuild_s": 0.0, "solve_s": 0.0}
    killer = ""
    affected = affected_units(data, mutated_function(mutant))
    timings["lookup_s"] = time.perf_counter() - started
    stats["affected"] = len(affected)
    if affected:
        killer = _rebuild_and_solve(data, set(affected), order_file, stats, timings)
    stats["skipped"] = stats["units"] - stats["run"]
    stats.update({k: round(v, 3) for k, v in timings.items()})
    stats["seconds"] = round(time.perf_counter() - started, 3)
    stats["cpu_seconds"] = round(time.process_time() - cpu, 3)
    if killer:
        emit(f"KILLED-BY {killer}")
    emit("LAYER-STATS " + json.dumps(stats))
    return 1 if killer else 0


def _rebuild_and_solve(
    data: dict[str, Any], affected: set[str], order_file: Path | None, stats: dict[str, Any], timings: dict[str, float]
) -> str:
    """Rebuild the affected obligations, solve those whose fingerprint changed; the killer's ID or ''."""
    begun = time.perf_counter()
    try:
        from proofs.context import Context
        from proofs.suite import collect

        ctx = Context()
        obligations, _, _ = collect()
    except Exception as problem:  # the mutated kernel cannot even be encoded: no proof holds
        return f"building the obligations ({type(problem).__name__})"
    timings["import_s"] = time.perf_counter() - begun
    units = data["units"]
    new = [o.id for o in obligations if o.id not in units]
    stats["units"] = len(obligations)
    changed: list[tuple[Any, Any]] = []
    begun = time.perf_counter()
    for obligation in obligations:
        if obligation.id not in affected and obligation.id in units:
            continue
        stats["rebuilt"] += 1
        try:
            query = obligation.build(ctx)
        except Exception as problem:
            timings["rebuild_s"] = time.perf_counter() - begun
            stats["run"] += 1
            return f"{obligation.id} ({type(problem).__name__})"
        if obligation.id in new or _fingerprint_or_none(obligation, query) != units[obligation.id]["fingerprint"]:
            changed.append((obligation, query))  # a query that cannot even be printed is solved: run_query decides
    timings["rebuild_s"] = time.perf_counter() - begun
    stats["changed"] = len(changed)
    rank = _rank(order_file)
    changed.sort(key=lambda pair: -rank.get(pair[0].id, 0))
    begun = time.perf_counter()
    try:
        for obligation, query in changed:
            stats["run"] += 1
            try:
                status, _ = _solve(obligation, query)
            except Exception as problem:
                return f"{obligation.id} ({type(problem).__name__})"
            if status != "proved":
                return str(obligation.id)
    finally:
        timings["solve_s"] = time.perf_counter() - begun
    return ""


def _fingerprint_or_none(obligation: Any, query: Any) -> str | None:
    try:
        return fingerprint(obligation, query)
    except Exception:  # e.g. a mutant's non-Boolean goal: not the baseline's query
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The incremental Z3 layer (see module docstring).")
    commands = parser.add_subparsers(dest="command", required=True)
    first = commands.add_parser("baseline", help="dependencies, fingerprints, verdicts on the unmutated kernel")
    first.add_argument("--out", type=Path, required=True)
    first.add_argument("--no-solve", action="store_true", help="skip solving (for measuring; exit 1)")
    first.add_argument("--fresh", action="store_true", help="trace each obligation on a fresh context (slow)")
    second = commands.add_parser("run", help="the layer on this tree's mutated kernel")
    second.add_argument("--baseline", type=Path, required=True)
    second.add_argument("--mutant", required=True)
    second.add_argument("--order", type=Path, default=None, help="unit IDs, likeliest killers first")
    second.add_argument("--kernel-sha", default=None, help="SHA-256 of the unmutated kernel the baseline must match")
    args = parser.parse_args(argv)
    if args.command == "baseline":
        return baseline(args.out, solve=not args.no_solve, fresh=args.fresh)
    data = json.loads(args.baseline.read_text("utf-8"))
    problem = check_tree(data, ROOT, args.mutant, args.kernel_sha)
    if problem is None and not (data.get("passed") and data.get("solved")):
        problem = "the baseline did not pass (or was not solved) on the unmutated kernel"
    if problem is not None:
        print(f"REFUSED: {problem}", file=sys.stderr)
        return 2
    return run(data, args.mutant, args.order)


if __name__ == "__main__":
    sys.exit(main())
