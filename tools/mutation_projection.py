"""Project the wall time of a full mutmut run over ``kernel/`` from a pilot run's figures.

Theory of operation
-------------------
A mutant's process costs its tests until the first failure: a killed mutant
costs about what the pilot's killed mutants cost (``mutants/mutation-cpu.txt``,
CPU seconds per mutant process, median), a survivor costs every test that
covers its function.  mutmut's stats pass (``mutants/mutmut-stats.json``)
gives the covering tests of each mangled function and each test's duration
under the trampolines; mutant processes run natively
(``property_tests.mutation_trampoline``), so each test's native duration is
read from a pytest ``--durations=0 -vv`` report of the selection run natively
(``--native-report``: setup, call and teardown summed per test); a test it
does not list is scaled by the native/trampolined ratio of the listed ones.  The number of mutants
per function comes from ``mutants/**/*.py.meta`` (every generated mutant,
run or not).  For each survivor rate ``p`` the projection is

    sum over functions f of  n_f * ((1 - p) * killed_cpu + p * (killed_cpu + native_f))

CPU seconds, divided by the cores (mutmut runs one child per core), plus the
fixed part of the run (``--fixed-s``: generation, stats pass, clean runs; a
pilot's wall time minus its mutants' CPU seconds over the cores bounds it).  It is a projection, not a measurement: the
survivors of a real run are not spread uniformly over functions.

Usage: ``python -m tools.mutation_projection --native-report durations.txt [--mutants mutants] [--cores 2]``
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

SURVIVOR_RATES = (0.03, 0.07)


def mutants_per_function(mutants: Path) -> Counter[str]:
    """Generated mutants per mangled function (``kernel.windows.x_shift``), from every ``*.py.meta``."""
    counts: Counter[str] = Counter()
    for meta in mutants.rglob("*.py.meta"):
        for name in json.loads(meta.read_text("utf-8")).get("exit_code_by_key", {}):
            counts[name.rsplit("__mutmut_", 1)[0]] += 1
    return counts


def killed_cpu_s(mutants: Path) -> tuple[float, int]:
    """Median CPU seconds of a killed mutant's process in the pilot (exit code 1), and how many were killed."""
    exits: dict[str, int | None] = {}
    for meta in mutants.rglob("*.py.meta"):
        exits.update(json.loads(meta.read_text("utf-8")).get("exit_code_by_key", {}))
    cpu_path = mutants / "mutation-cpu.txt"
    lines = cpu_path.read_text("utf-8").splitlines() if cpu_path.exists() else []
    killed = [float(cpu) for name, cpu, _ in (line.split("\t") for line in lines) if exits.get(name) == 1]
    return (statistics.median(killed) if killed else 0.2), len(killed)


def native_durations(report: Path) -> dict[str, float]:
    """Seconds per test (setup + call + teardown) from a pytest ``--durations=0 -vv`` report."""
    seconds: dict[str, float] = {}
    for line in report.read_text("utf-8").splitlines():
        match = re.match(r"([0-9.]+)s (?:setup|call|teardown)\s+(\S+)", line)
        if match:
            seconds[match.group(2)] = seconds.get(match.group(2), 0.0) + float(match.group(1))
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--mutants", type=Path, default=Path("mutants"))
    parser.add_argument("--native-report", type=Path, required=True, help="pytest --durations=0 -vv output")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--fixed-s", type=float, required=True, help="generation, stats pass and clean runs")
    args = parser.parse_args(argv)
    stats = json.loads((args.mutants / "mutmut-stats.json").read_text("utf-8"))
    durations: dict[str, float] = stats["duration_by_test"]
    covering: dict[str, list[str]] = stats["tests_by_mangled_function_name"]
    native = native_durations(args.native_report)
    listed = [test for test in durations if test in native]
    ratio = sum(native[t] for t in listed) / max(sum(durations[t] for t in listed), 1e-9)
    native.update({test: ratio * seconds for test, seconds in durations.items() if test not in native})
    counts = mutants_per_function(args.mutants)
    killed_s, killed_n = killed_cpu_s(args.mutants)
    native_by_function = {f: sum(native.get(t, 0.0) for t in covering.get(f, ())) for f in counts}
    console = Console()
    console.print(
        f"{sum(counts.values())} mutants in {len(counts)} functions; {len(listed)} tests timed natively "
        f"(native/trampolined {ratio:.3f}); "
        f"killed mutant {killed_s:.2f} CPU s (median of {killed_n}); fixed part {args.fixed_s:.0f} s; "
        f"{args.cores} cores"
    )
    heavy = sorted(counts, key=lambda f: -counts[f] * native_by_function[f])[:5]
    console.print("costliest survivors: " + ", ".join(f"{f} ({native_by_function[f]:.1f} s)" for f in heavy))
    table = Table("survivor rate", "survivors", "CPU s", "wall min (projected)")
    for rate in SURVIVOR_RATES:
        cpu = sum(n * (killed_s + rate * native_by_function[f]) for f, n in counts.items())
        wall_min = (cpu / args.cores + args.fixed_s) / 60
        table.add_row(f"{rate:.0%}", f"{rate * sum(counts.values()):.0f}", f"{cpu:.0f}", f"{wall_min:.1f}")
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
