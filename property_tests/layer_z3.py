"""The Z3 layer of the kill-rate-per-layer scoring, run incrementally: only the obligations a mutant can change.

Theory of operation
-------------------
The whole layer (``mutation_layer_run.run_z3``) builds every obligation of
``proofs.suite.collect()`` on one ``proofs.context.Context`` and solves each
with ``proofs.framework.run_query``; a mutant is killed iff some obligation
fails, is unknown, is vacuous or raises.  This module decides the same thing
with less work, in two steps:

1. *Dependencies* (``baseline``, on the unmutated kernel).  A profiler
   (``sys.setprofile``; ``KernelTracer``) records every kernel function
   called, named as mutmut names its mutants (``kernel.m.x_f``,
   ``kernel.m.xǁClassǁmethod``; a nested function, lambda or comprehension
   counts as its enclosing top-level function or method; code recompiled from
   a kernel function's source by ``proofs.families.planting`` counts as that
   function).  Functions run while importing kernel, specs and proofs, while
   making the ``Context`` and collecting the obligations, and by any import
   that happens later, form the *import set*: they count for every obligation.
   Each obligation is then built on a FRESH ``Context``, so its set includes
   what the caches (the context's steps and hypotheses, the per-context step
   cache of ``requests_memory``) would otherwise have built once for all.
2. *Same query, same verdict* (``run``, in the mutant's tree).  A mutant
   whose function is in no obligation's set (nor the import set) cannot change
   any query: it survives at once, nothing imported.  Otherwise each affected
   obligation is rebuilt (one shared ``Context``, in ``collect()`` order) and
   its ``fingerprint`` compared with the baseline's: identical queries keep the
   baseline's verdict (proved); the others are solved with their own budget
   (``run_query``, as ``pumpkernel prove``), likeliest killers first
   (``--order``), stopping at the first that does not pass.

``fingerprint``: SHA-256 of a canonical text of everything ``run_query``'s
verdict reads: the obligation's budget, witness flag, tracked labels and goal
names, and the SMT-LIB text (``Solver.sexpr``) of its hypotheses, goals and
premise, with every declared constant renamed by its first occurrence (the
pick/snapshot/abstraction names carry process-wide counters, so they depend
on which obligations were built before).  ``baseline`` checks that the
fingerprints of fresh-context builds equal those of the shared-context builds
``run`` makes, and solves the shared-context queries: it exits 0 only if all
are proved.

Assumptions (also in ``METHOD``): building a query is deterministic and reads
the kernel only by calling its functions and through module-level values
computed at import; Z3's verdict on a query (within its resource budget) is a
function of its canonical text.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from inspect import CO_OPTIMIZED
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FORMAT = "pumpkernel-layer-z3/1"
METHOD = (
    "incremental Z3 layer: only obligations whose query build (fresh context, imports included) calls the mutated "
    "function are rebuilt; a rebuilt query whose canonical SMT-LIB text (constants renamed by first occurrence) "
    "equals the unmutated kernel's keeps its verdict (proved), the others are solved with their own budget. "
    "Assumes building is deterministic and reads the kernel only through calls of its functions and module-level "
    "values computed at import, and that Z3's verdict within budget is a function of the canonical query text"
)
SUPPORT = ("specs", "proofs")
"""Directories (besides kernel/) whose code builds the queries: their bytes must match the baseline's."""


def mutated_function(mutant: str) -> str:
    """``kernel.m.x_f__mutmut_3`` -> ``kernel.m.x_f`` (the function a mutant changes)."""
    return mutant.rpartition("__mutmut_")[0] or mutant


def _mutmut_name(module: str, qualname: str) -> str | None:
    """mutmut's name of the top-level function or method a code object belongs to (None: module-level code)."""
    top = qualname.split(".<locals>.")[0]
    if top.startswith("<"):
        return None
    parts = top.split(".", 1)
    return f"{module}.x_{top}" if len(parts) == 1 else f"{module}.xǁ{parts[0]}ǁ{parts[1]}"


class KernelTracer:
    """Records the kernel functions called (see module docstring), per section and during imports."""

    def __init__(self, kernel_dir: Path) -> None:
        self.prefix = str(kernel_dir.resolve()) + "/"
        self.names: dict[CodeType, str | None] = {}
        self.called: set[str] = set()
        self.imported: set[str] = set()
        self.import_depth = 0

    def _name(self, code: CodeType) -> str | None:
        if not code.co_flags & CO_OPTIMIZED:  # a module or class body, not a function
            return None
        filename = code.co_filename
        if filename.startswith(self.prefix):
            module = "kernel." + filename[len(self.prefix) : -3].replace("/", ".")
            return _mutmut_name(module.removesuffix(".__init__"), code.co_qualname)
        if filename.startswith("<planted kernel."):  # proofs.families.planting recompiles a kernel function
            module, _, function = filename[len("<planted ") : -1].rpartition(".")
            return f"{module}.x_{function}" if code.co_qualname != "<module>" else None
        return None

    def _profile(self, frame: FrameType, event: str, _arg: Any) -> None:
        if event not in ("call", "return"):
            return
        code = frame.f_code
        if code.co_name == "<module>":
            self.import_depth += 1 if event == "call" else -1
            return
        if event == "return":
            return
        name = self.names.get(code, "?")
        if name == "?":
            name = self.names[code] = self._name(code)
        if name is not None:
            self.called.add(name)
            if self.import_depth > 0:
                self.imported.add(name)

    @contextmanager
    def section(self) -> Iterator[set[str]]:
        """Trace the block; the yielded set holds, afterwards, the kernel functions it called."""
        found: set[str] = set()
        self.called = found
        sys.setprofile(self._profile)
        try:
            yield found
        finally:
            sys.setprofile(None)


_DECLARED = re.compile(r"\(declare-fun (\|[^|]*\||[^\s()|]+) ")
_TOKEN = re.compile(r"\|[^|]*\||[^\s()|]+")


def canonical(text: str) -> str:
    """SMT-LIB text with every declared symbol renamed ``v<n>`` by first occurrence; declarations sorted."""
    lines = text.splitlines()
    declarations = [line for line in lines if line.startswith("(declare-fun ")]
    body = "\n".join(line for line in lines if not line.startswith("(declare-fun "))
    declared = {m.group(1) for line in declarations if (m := _DECLARED.match(line))}
    names: dict[str, str] = {}

    def rename(match: re.Match[str]) -> str:
        token = match.group(0)
        if token not in declared:
            return token
        return names.setdefault(token, f"v{len(names)}")

    renamed_body = _TOKEN.sub(rename, body)
    renamed_declarations = sorted(_TOKEN.sub(rename, line) for line in declarations)
    return "\n".join(renamed_declarations) + "\n" + renamed_body


def fingerprint(obligation: Any, query: Any) -> str:
    """SHA-256 of the canonical text of everything ``run_query``'s verdict reads (see module docstring)."""
    import z3

    def boolean(value: Any) -> Any:
        return z3.BoolVal(value) if isinstance(value, bool) else value

    goals = list(query.goal) if isinstance(query.goal, list) else [("goal", query.goal)]
    solver = z3.Solver()
    for _, formula in query.tracked:
        solver.add(boolean(formula))
    for formula in query.plain:
        solver.add(boolean(formula))
    for _, goal in goals:
        solver.add(boolean(goal))
    if query.premise is not None:
        solver.add(boolean(query.premise))
    header = json.dumps(
        [
            obligation.budget_s,
            bool(query.witness),
            [label for label, _ in query.tracked],
            len(query.plain),
            [name for name, _ in goals],
            query.premise is not None,
        ]
    )
    return hashlib.sha256((header + "\n" + canonical(solver.sexpr())).encode()).hexdigest()


def file_hashes(root: Path) -> dict[str, str]:
    """SHA-256 of every ``.py`` file of kernel/ and the support directories, by relative path."""
    found: dict[str, str] = {}
    for directory in ("kernel", *SUPPORT):
        for path in sorted((root / directory).rglob("*.py")):
            found[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _solve(obligation: Any, query: Any) -> tuple[str, float]:
    from proofs.context import describe
    from proofs.framework import run_query

    result = run_query(obligation, query, describe)
    return result.status, result.seconds


def baseline(out: Path, root: Path = ROOT, solve: bool = True) -> int:
    """Dependencies, fingerprints and verdicts on the unmutated kernel (see module docstring); 0 iff all pass."""
    if any(name == "kernel" or name.startswith(("kernel.", "specs.", "proofs.")) for name in sys.modules):
        raise RuntimeError("baseline must run in a fresh process: kernel/specs/proofs already imported")
    started = time.perf_counter()
    tracer = KernelTracer(root / "kernel")
    with tracer.section() as imported:
        from proofs.context import Context
        from proofs.suite import collect

        Context()
        obligations, _, _ = collect()
    deps: dict[str, list[str]] = {}
    fresh: dict[str, str] = {}
    for obligation in obligations:
        with tracer.section() as called:
            query = obligation.build(Context())
        deps[obligation.id] = sorted(called)
        fresh[obligation.id] = fingerprint(obligation, query)
    traced_s = time.perf_counter() - started
    ctx = Context()
    units: dict[str, dict[str, Any]] = {}
    passed = True
    for obligation in obligations:
        begun = time.perf_counter()
        query = obligation.build(ctx)
        build_s = time.perf_counter() - begun
        shared = fingerprint(obligation, query)
        if shared != fresh[obligation.id]:
            print(f"FINGERPRINT-UNSTABLE {obligation.id}: fresh and shared-context builds differ", flush=True)
            passed = False
        status, solve_s = _solve(obligation, query) if solve else ("proved", 0.0)
        if status != "proved":
            print(f"FAILS-ON-UNMUTATED {obligation.id}: {status}", flush=True)
            passed = False
        units[obligation.id] = {
            "deps": deps[obligation.id],
            "fingerprint": shared,
            "status": status,
            "build_seconds": round(build_s, 4),
            "seconds": round(solve_s, 4),
        }
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
        "seconds": round(time.perf_counter() - started, 2),
        "solved": solve,
        "passed": passed,
    }
    out.write_text(json.dumps(data, indent=1) + "\n", "utf-8")
    print(
        f"baseline: {len(units)} obligations, {len(imported_all)} import-time functions, traced in {traced_s:.1f} s, "
        f"total {data['seconds']:.1f} s; {'all pass' if passed else 'NOT all pass'}",
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
        if obligation.id in new or fingerprint(obligation, query) != units[obligation.id]["fingerprint"]:
            changed.append((obligation, query))
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The incremental Z3 layer (see module docstring).")
    commands = parser.add_subparsers(dest="command", required=True)
    first = commands.add_parser("baseline", help="dependencies, fingerprints, verdicts on the unmutated kernel")
    first.add_argument("--out", type=Path, required=True)
    first.add_argument("--no-solve", action="store_true", help="skip solving (for tests; exit 1)")
    second = commands.add_parser("run", help="the layer on this tree's mutated kernel")
    second.add_argument("--baseline", type=Path, required=True)
    second.add_argument("--mutant", required=True)
    second.add_argument("--order", type=Path, default=None, help="unit IDs, likeliest killers first")
    second.add_argument("--kernel-sha", default=None, help="SHA-256 of the unmutated kernel the baseline must match")
    args = parser.parse_args(argv)
    if args.command == "baseline":
        return baseline(args.out, solve=not args.no_solve)
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
