"""The CrossHair layer, incremental: per mutant, only the contracts whose exploration reaches the mutated function.

Theory of operation
-------------------
The whole layer is ``proofs.crosshair_gate.run_gate()``: ``crosshair check``
on ``proofs/crosshair_steps.py`` and ``proofs/crosshair_targets.py``, every
condition (``post:`` line) must say "Confirmed over all paths."  CrossHair's
smallest target is a function (``FILE:LINE`` targets the contract function
holding that line; the gate checks its ``post:`` lines as one conjunction,
then one at a time if that is not confirmed), so the *unit* here is a contract
function, named as the gate's ``KILLED-BY`` names it (its bare name).

``baseline`` (unmutated kernel, once per kernel):

1. every unit is run alone, exactly as the gate runs it (the gate's own
   ``check_function``: its conditions as one conjunction, then one at a time
   if that is not confirmed; same ``--report_all --analysis_kind PEP316
   --per_condition_timeout`` as ``run_gate``'s default, and as wall-clock
   limit the gate's limit for the unit's whole file), and must confirm every
   one of its conditions: its seconds are recorded;
2. every unit is run again under a profile hook (``sys.setprofile``, in the
   same process as CrossHair, hook set before anything is imported, the same
   flags, the auditwall engaged as ``crosshair check`` does): every code
   object of ``kernel/`` that is *called*, during imports, condition parsing
   and every explored path, is recorded and named as mutmut names functions
   (``kernel.mod.x_f``, ``kernel.mod.xǁClassǁm``; nested functions and
   comprehensions count as their enclosing top-level function).  The traced
   run must confirm too, or its set would cover only the paths it got to;
3. the functions called while importing the two contract modules (kernel
   import-time code such as ``kernel.modes._event_rows``, and the
   templates built at the contract modules' top level) are recorded as
   ``import_time``; they are in every unit's set anyway (each traced run
   imports the modules afresh).

``run --mutant NAME``: the mutated function is the name without
``__mutmut_N``; the affected units are those whose set holds it (all of them
if it runs at import time); each is run alone as in step 1, likeliest
killers first (``--order``: unit IDs, the most frequent first, then the
cheapest), and the first whose run does not confirm all its conditions
(not confirmed, counterexample, error, exit code, wall-clock limit) kills.
The other units keep their baseline verdict: confirmed.

Why skipping is sound: CrossHair confirms a condition only after exhausting
every path of its exploration.  A function never called on any of those
paths (nor while importing or parsing) takes no part in any of them;
replacing its body changes no executed instruction, so the same exploration
runs and confirms again.  Assumptions (also in ``METHOD``): CrossHair's
exploration is deterministic given the code (its verdict depends on the
code, not on timing, for these contracts, which confirm well within their
timeouts), and a unit's verdict alone equals its verdict within the gate's
file run (checked on the unmutated kernel by step 1; the gate's file
wall-clock limit is reached only by a run that never ends, as each condition
is bounded by its own timeout).  Since the gate itself runs each contract
function alone (``proofs.crosshair_gate``), this last assumption is the
gate's own way of running; ``METHOD`` keeps its wording, which describes the
sampled runs on record, made when the gate ran whole files and each
condition was its own CrossHair condition.  The traced run of step 2 checks
each condition as written (one at a time); on the unmutated kernel, where
every part holds, the conjunction evaluates every part on every explored
path, so the union of those runs' calls is what it calls (an argument, not a
measurement).
"""

from __future__ import annotations

import argparse
import inspect
import json
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from proofs.crosshair_gate import (
    ALL_TARGETS,
    CONFIRMED,
    check_function,
    contract_targets,
    postconditions,
    run_gate,
    verdicts_of,
)
from property_tests import mutmut_names
from property_tests.mutation import kernel_sha256
from property_tests.mutmut_names import kernel_module, mutated_function, mutmut_name

ROOT = Path(__file__).resolve().parent.parent
KERNEL = ROOT / "kernel"
FORMAT = "pumpkernel-layer-crosshair/1"
HASHED = ("kernel", "proofs", "specs")
"""Every ``.py`` file under these must match the baseline's (but the mutated one)."""
TIMEOUT_PER_CONDITION_S = float(inspect.signature(run_gate).parameters["timeout_per_condition"].default)
TRACE_MARK = "LAYERCH-TRACE "
METHOD = (
    "incremental CrossHair gate: per mutant only the contract functions whose exploration on the unmutated kernel "
    "called the mutated function (recorded with a sys.setprofile hook in CrossHair's own process during a run that "
    "confirmed every condition; functions called while importing count for every contract) are re-run, each alone "
    "with the gate's flags (--report_all --analysis_kind PEP316, the same per-condition timeout, the gate's "
    "wall-clock limit for its file), likeliest killers first, stopping at the first not 'Confirmed over all paths.'; "
    "the others keep their baseline verdict (confirmed). Assumes CrossHair's exploration is deterministic given the "
    "code (a function called on no explored path cannot change any path) and that a contract alone gets the verdict "
    "it gets in the gate's whole-file run (checked on the unmutated kernel by the baseline)"
)


def mutmut_function(filename: str, qualname: str, root: Path = ROOT) -> str | None:
    """mutmut's name (no ``__mutmut_N``) of the kernel function a code object belongs to; None outside ``kernel/``."""
    try:
        relative = Path(filename).resolve().relative_to(root.resolve())
    except ValueError:
        return None
    if relative.parts[0] != "kernel" or relative.suffix != ".py":
        return None
    return mutmut_name(kernel_module(relative), qualname)


def mutated_file(function: str, root: Path = ROOT) -> str:
    """The file (relative) of a mutmut function name: ``kernel.windows.x_shift`` -> ``kernel/windows.py``."""
    module = function.rsplit(".", 1)[0]
    path = Path(*module.split(".")).with_suffix(".py")
    return path.as_posix() if (root / path).exists() else (Path(*module.split(".")) / "__init__.py").as_posix()


def file_hashes(root: Path = ROOT) -> dict[str, str]:
    """SHA-256 of every ``.py`` file under ``HASHED`` (relative path -> hex)."""
    return mutmut_names.file_hashes(root, HASHED)


def units(paths: tuple[Path, ...] = ALL_TARGETS) -> dict[str, dict[str, Any]]:
    """Every contract function of the gate's files: its file, its ``FILE:LINE`` target, its conditions' lines."""
    found: dict[str, dict[str, Any]] = {}
    for path in paths:
        conditions = postconditions(path)
        targets = contract_targets(path, conditions)
        for condition in conditions:
            if condition.function in found and found[condition.function]["file"] != path.name:
                raise ValueError(f"contract {condition.function} is in two files")
            unit = found.setdefault(
                condition.function,
                {"file": path.name, "target": targets[condition.function], "conditions": []},
            )
            unit["conditions"].append(condition.line)
    return found


def wall_limit_s(file_name: str, paths: tuple[Path, ...] = ALL_TARGETS) -> float:
    """The gate's wall-clock limit for the whole file (``run_gate``'s default): never less for one of its units."""
    path = next(p for p in paths if p.name == file_name)
    return 2 * TIMEOUT_PER_CONDITION_S * max(1, len(postconditions(path))) + 60


def judge(unit: dict[str, Any], output: str, returncode: int, timed_out: bool) -> str:
    """'' when every condition of ``unit`` is reported confirmed (and exit 0, in time), else why not."""
    return judge_verdicts(unit, verdicts_of(output, unit["file"]), returncode, timed_out)


def judge_verdicts(unit: dict[str, Any], verdicts: dict[int, str], returncode: int, timed_out: bool) -> str:
    """``judge`` on the verdicts already read (line -> CrossHair's message)."""
    if timed_out:
        return "wall-clock limit"
    for line in unit["conditions"]:
        if verdicts.get(line) != CONFIRMED:
            return f"line {line}: {verdicts.get(line, 'missing')}"
    unexpected = {line: v for line, v in verdicts.items() if v != CONFIRMED}
    if unexpected:
        return f"line {min(unexpected)}: {unexpected[min(unexpected)]}"
    return "" if returncode == 0 else f"exit {returncode}"


def check_unit(unit: dict[str, Any]) -> tuple[str, float]:
    """Run one unit alone as the gate runs it (``check_function``: its conditions as one conjunction, then one at
    a time if that is not confirmed): (why it failed or '', seconds)."""
    path = next(p for p in ALL_TARGETS if p.name == unit["file"])
    checked = check_function(path, unit["target"], TIMEOUT_PER_CONDITION_S, wall_limit_s(unit["file"]))
    returncode = max(abs(run.returncode) for run in checked.runs)
    timed_out = any(run.timed_out for run in checked.runs)
    return judge_verdicts(unit, checked.verdicts, returncode, timed_out), sum(run.seconds for run in checked.runs)


def trace_unit(unit: dict[str, Any]) -> tuple[str, float, list[str]]:
    """Run one unit under the profile hook (``_trace``): (why it failed or '', seconds, kernel functions called)."""
    command = [sys.executable, "-m", "property_tests.layer_crosshair", "_trace", unit["target"]]
    started = time.perf_counter()
    limit = wall_limit_s(unit["file"])
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=limit)
    except subprocess.TimeoutExpired:
        return "wall-clock limit (traced)", time.perf_counter() - started, []
    seconds = time.perf_counter() - started
    called = [line[len(TRACE_MARK) :] for line in done.stderr.splitlines() if line.startswith(TRACE_MARK)]
    if len(called) != 1:
        return f"no trace (exit {done.returncode}): {done.stderr[-300:]}", seconds, []
    why = judge(unit, done.stdout, done.returncode, False)
    return why, seconds, sorted(json.loads(called[0]))


def _trace(target: str | None) -> int:
    """In this process: the profile hook, then ``crosshair check`` as the gate runs it (or only the imports)."""
    import threading
    from types import CodeType

    called: set[CodeType] = set()

    def hook(frame: Any, event: str, _arg: Any) -> None:
        if event == "call":
            called.add(frame.f_code)

    sys.setprofile(hook)
    threading.setprofile(hook)
    code = 0
    try:
        if target is None:
            import importlib

            for module in ("proofs.crosshair_steps", "proofs.crosshair_targets"):
                importlib.import_module(module)
        else:
            from crosshair.auditwall import engage_auditwall
            from crosshair.main import command_line_parser, unwalled_main

            flags = ["--report_all", "--analysis_kind", "PEP316", "--per_condition_timeout"]
            parsed = command_line_parser().parse_args(["check", *flags, str(TIMEOUT_PER_CONDITION_S), target])
            engage_auditwall(parsed.unblock or ())
            code = unwalled_main(parsed)
    finally:
        sys.setprofile(None)
        names = {mutmut_function(c.co_filename, c.co_qualname) for c in called}
        sys.stdout.flush()
        print(TRACE_MARK + json.dumps(sorted(n for n in names if n)), file=sys.stderr, flush=True)
    return code


def baseline(out: Path, jobs: int) -> int:
    """Run and trace every unit on the unmutated kernel; write ``out``; 0 only if every unit confirms both ways."""
    started = time.perf_counter()
    imports = subprocess.run(
        [sys.executable, "-m", "property_tests.layer_crosshair", "_trace"], capture_output=True, text=True, check=False
    )
    marked = [line[len(TRACE_MARK) :] for line in imports.stderr.splitlines() if line.startswith(TRACE_MARK)]
    import_time: list[str] = json.loads(marked[0]) if imports.returncode == 0 and marked else []
    found = units()

    def both(name: str) -> tuple[str, tuple[str, float], tuple[str, float, list[str]]]:
        return name, check_unit(found[name]), trace_unit(found[name])

    failures = [] if import_time else ["importing the contract modules under the hook failed"]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for name, (why, seconds), (traced_why, traced_s, called) in pool.map(both, sorted(found)):
            found[name].update(seconds=round(seconds, 2), traced_seconds=round(traced_s, 2), dependencies=called)
            for problem in (why, traced_why):
                if problem:
                    failures.append(f"{name}: {problem}")
            print(
                f"  {name}: {why or 'confirmed'} in {seconds:.1f} s; traced {traced_s:.1f} s, {len(called)} functions"
            )
    data = {
        "format": FORMAT,
        "kernel_sha256": kernel_sha256(KERNEL),
        "file_sha256": file_hashes(),
        "timeout_per_condition_s": TIMEOUT_PER_CONDITION_S,
        "import_time": import_time,
        "units": found,
        "conditions": sum(len(u["conditions"]) for u in found.values()),
        "failures": failures,
        "seconds": round(time.perf_counter() - started, 1),
        "method": METHOD,
    }
    out.write_text(json.dumps(data, indent=1) + "\n", "utf-8")
    for failure in failures:
        print(f"FAILS on the unmutated kernel: {failure}")
    return 1 if failures else 0


def refusal(data: dict[str, Any], mutant: str, kernel_sha: str | None) -> str:
    """Why the baseline does not belong to this tree ('' if it does): every hashed file but the mutated one matches."""
    if data.get("format") != FORMAT:
        return "not a baseline of this layer"
    if data.get("failures"):
        return "the layer fails on the unmutated kernel (see the baseline's failures): it cannot kill"
    if kernel_sha is not None and kernel_sha != data["kernel_sha256"]:
        return "the baseline is of another kernel"
    mutated = mutated_file(mutated_function(mutant))
    now = file_hashes()
    if mutated not in now:
        return f"no file {mutated}"
    differ = sorted(
        f for f in set(now) | set(data["file_sha256"]) if f != mutated and now.get(f) != data["file_sha256"].get(f)
    )
    return f"files differ from the baseline: {differ[:5]}" if differ else ""


def affected(data: dict[str, Any], mutant: str, order: list[str]) -> list[str]:
    """The units whose exploration calls the mutated function (all of them if it runs at import time), in run order."""
    function = mutated_function(mutant)
    everything = function in data["import_time"]
    names = [n for n, u in data["units"].items() if everything or function in u["dependencies"]]
    count, first = Counter(order), {name: i for i, name in reversed(list(enumerate(order)))}
    return sorted(names, key=lambda n: (-count[n], first.get(n, len(order)), data["units"][n]["seconds"], n))


def run(baseline_file: Path, mutant: str, order_file: Path | None, kernel_sha: str | None) -> int:
    """Score one mutant: 0 survived, 1 killed (prints ``KILLED-BY``), 2 refused; always prints ``LAYER-STATS``."""
    started, cpu = time.perf_counter(), _children_cpu_s()
    data = json.loads(baseline_file.read_text("utf-8"))
    problem = refusal(data, mutant, kernel_sha)
    order = [] if order_file is None or not order_file.exists() else order_file.read_text("utf-8").split()
    lookup_s = time.perf_counter() - started
    todo = [] if problem else affected(data, mutant, order)
    stats: dict[str, Any] = {
        "units": len(data["units"]),
        "affected": len(todo),
        "run": 0,
        "skipped": len(data["units"]) - len(todo),
        "conditions": data["conditions"],
        "conditions_affected": sum(len(data["units"][n]["conditions"]) for n in todo),
        "lookup_seconds": round(lookup_s, 3),
    }
    verdict = 2 if problem else 0
    if problem:
        print(f"REFUSED: {problem}")
    here = units() if todo else {}  # targets in this tree (the contract files match the baseline's: hashed)
    for name in todo:
        stats["run"] += 1
        why, _ = check_unit(here[name])
        if why:
            print(f"KILLED-BY {name} ({why[:150]})")
            verdict = 1
            break
    stats["seconds"] = round(time.perf_counter() - started, 2)
    stats["cpu_seconds"] = round(_children_cpu_s() - cpu, 2)
    print("LAYER-STATS " + json.dumps(stats))
    return verdict


def _children_cpu_s() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The incremental CrossHair layer (see module docstring).")
    sub = parser.add_subparsers(dest="command", required=True)
    base = sub.add_parser("baseline", help="run and trace every contract on the unmutated kernel")
    base.add_argument("--out", type=Path, required=True)
    base.add_argument("--jobs", type=int, default=2, help="contracts at a time (default 2, as the gate)")
    one = sub.add_parser("run", help="score one mutant applied in this tree")
    one.add_argument("--baseline", type=Path, required=True)
    one.add_argument("--mutant", required=True)
    one.add_argument("--order", type=Path, default=None, help="unit IDs, likeliest killers first")
    one.add_argument("--kernel-sha", default=None, help="SHA-256 of the shipped (unmutated) kernel")
    trace = sub.add_parser("_trace", help="internal: one contract (or the imports only) under the profile hook")
    trace.add_argument("target", nargs="?", default=None)
    args = parser.parse_args(argv)
    if args.command == "baseline":
        return baseline(args.out, args.jobs)
    if args.command == "run":
        return run(args.baseline, args.mutant, args.order, args.kernel_sha)
    return _trace(args.target)


if __name__ == "__main__":
    sys.exit(main())
