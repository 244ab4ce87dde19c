"""``pumpkernel simulate``: the kernel in closed loop with simglucose's virtual patients, measured and pictured.

Runs ``adapters.simulation.simulate_patient`` for each chosen patient, fanned
out by ``pumpkernel.fanout`` to local worker processes (``--jobs``) or to a
Dask scheduler (``--dask tcp://host:8786``, the ``dist`` extra), measures
each run (``adapters.sim_metrics``), prints the report (``pumpkernel.sim_report``:
per patient and population figures per patient-day, the anchors of issue 18,
the alarm kinds, where the time went) and writes to ``--out``:

* ``summary.json`` (everything, with the seed and scenario), ``summary.csv``,
  ``suspensions.csv``, ``alarms.csv``;
* ``summary.png``: the report's figures against the anchors, one page;
* ``agp_population.png``, ``agp_patients.png`` (every patient small) and
  ``agp/<patient>.png``: Ambulatory Glucose Profiles (``pumpkernel.sim_agp``);
* ``simulate.png``: every patient's glucose over the run and one in detail.

A run is determined by its patients, length, scenario and seed: the same
figures come out serially, in parallel or on Dask (the timings aside).
Needs the ``sim`` extra (``make simulate`` installs it).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from adapters.simulation import (
    MEAL_SCENARIOS,
    MINUTES_PER_DAY,
    PATIENTS,
    TIMING_PARTS,
    USER_HABITS,
    PatientRun,
    PatientTask,
    run_task,
    sim_available,
)
from pumpkernel.fanout import fan_out

HELP = "run the kernel in closed loop with simglucose's virtual patients; report, AGP and summary figures"
SENSOR = "Dexcom"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--patients",
        default="all",
        help="'all' (the 30 patients), a number N (the first N of each group in turn), or names separated by commas",
    )
    parser.add_argument("--days", type=int, default=1, help="days per patient (default 1)")
    parser.add_argument("--hours", type=int, default=None, help="hours per patient instead of --days (short runs)")
    parser.add_argument("--scenario", choices=MEAL_SCENARIOS, default="random", help="meal scenario (default random)")
    parser.add_argument("--seed", type=int, default=1, help="seed for meals, sensor noise and dropouts (default 1)")
    parser.add_argument(
        "--user",
        choices=tuple(USER_HABITS),
        default="pump",
        help="the simulated user's habits: pump (bolus calculator, treats lows; default), classic (neither), "
        "calculator, treat-lows (docs/simulation.md)",
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="local worker processes (1: serial)")
    parser.add_argument("--dask", default=None, metavar="ADDRESS", help="a Dask scheduler (tcp://host:8786) to run on")
    parser.add_argument("--out", type=Path, default=Path("out/simulate"), help="output directory")
    parser.add_argument(
        "--focus", default=None, help="the patient shown in detail in simulate.png (default: the first)"
    )
    parser.add_argument("--no-plot", action="store_true", help="write no figures")


def arguments(argv: list[str]) -> argparse.Namespace:
    """``pumpkernel simulate``'s arguments from a command line (tests, scripts)."""
    parser = argparse.ArgumentParser(prog="pumpkernel simulate")
    add_arguments(parser)
    return parser.parse_args(argv)


def choose_patients(spec: str) -> list[str]:
    if spec == "all":
        return list(PATIENTS)
    if spec.isdigit():
        count = int(spec)
        interleaved = [PATIENTS[group * 10 + i] for i in range(10) for group in range(3)]
        return interleaved[:count]
    names = [name.strip() for name in spec.split(",") if name.strip()]
    unknown = [name for name in names if name not in PATIENTS]
    if unknown:
        raise SystemExit(f"unknown patients: {', '.join(unknown)}")
    return names


def simulate_all(args: argparse.Namespace, on_done: Any = None) -> list[PatientRun]:
    """Every chosen patient's run, in the order chosen (see module docstring)."""
    minutes = args.hours * 60 if args.hours is not None else args.days * MINUTES_PER_DAY
    tasks = [PatientTask(name, minutes, args.scenario, args.seed, args.user) for name in choose_patients(args.patients)]
    return fan_out(run_task, tasks, processes=args.jobs, dask_address=args.dask, on_done=on_done)


def measure(args: argparse.Namespace, runs: list[PatientRun]) -> Any:
    """The ``Report`` of ``runs`` (timings not yet filled in)."""
    from adapters.sim_metrics import population, summarise, suspensions
    from pumpkernel.sim_report import Report

    episodes_by_run = [suspensions(run) for run in runs]
    summaries = [summarise(run, episodes) for run, episodes in zip(runs, episodes_by_run, strict=True)]
    episodes = [e for found in episodes_by_run for e in found]
    minutes = runs[0].minutes if runs else 0
    unit, length = ("hours", args.hours) if args.hours is not None else ("days", args.days)
    info = {
        "patients": [run.patient for run in runs],
        "days": minutes / MINUTES_PER_DAY,
        "minutes": minutes,
        "scenario": args.scenario,
        "seed": args.seed,
        "user": args.user,
        "sensor": f"{SENSOR} (simglucose, noise seeded per patient)",
        "command": f"pumpkernel simulate --patients {args.patients} --{unit} {length} "
        f"--scenario {args.scenario} --seed {args.seed} --user {args.user}",
        "processes": args.jobs,
        "dask": args.dask,
    }
    return Report(info, summaries, episodes, population(summaries, episodes))


def timing(args: argparse.Namespace, runs: list[PatientRun], wall_s: float) -> dict[str, Any]:
    """Where the time went, summed over the workers (``PatientRun.timing_s``)."""
    parts = {part: sum(run.timing_s[part] for run in runs) for part in TIMING_PARTS}
    busy = sum(run.total_s for run in runs)
    loop = busy - parts["setup"]
    steps = sum(run.steps for run in runs)
    patient_days = sum(run.days for run in runs)
    workers = min(len(runs), max(1, args.jobs))
    return {
        "parts_s": parts,
        "busy_s": busy,
        "cpu_s": sum(run.cpu_s for run in runs),
        "kernel_share": parts["kernel"] / loop if loop > 0 else 0.0,
        "kernel_share_of_all": parts["kernel"] / busy if busy > 0 else 0.0,
        "kernel_steps": steps,
        "kernel_us_per_step": 1e6 * parts["kernel"] / max(1, steps),
        "simulation_wall_s": wall_s,
        "patient_days": patient_days,
        "patient_days_per_s": patient_days / wall_s if wall_s else 0.0,
        "workers": f"Dask workers of {args.dask}" if args.dask else f"{workers} process(es)",
        "where": "a Dask cluster" if args.dask else f"this machine ({os.cpu_count()} cores)",
        "report_wall_s": 0.0,
    }


def _agp_job(job: tuple[list[PatientRun], list[Any], str, Path]) -> Path:
    from pumpkernel.sim_agp import agp_figure

    return agp_figure(*job)


def figures(out: Path, runs: list[PatientRun], report: Any, focus: str | None, processes: int = 1) -> list[Path]:
    """Every figure of the module docstring (the patients' AGPs in ``processes`` processes); returns their paths."""
    from pumpkernel.sim_agp import agp_figure, agp_grid
    from pumpkernel.sim_figures import overview_figure, summary_figure

    p = report.population
    days = report.run["days"]
    paths = [summary_figure(report, out / "summary.png")]
    title = (
        f"AGP, all {len(runs)} patients pooled ({p['patient_days']:g} patient-days, seed {report.run['seed']}, "
        f"user {report.run.get('user', 'pump')}):\n"
        f"TIR {p['tir_pct']:.1f} %, < 70 {p['below_70_pct']:.2f} %, < 54 {p['below_54_pct']:.2f} %, "
        f"{p['suspensions_per_day']:.2f} suspensions and {p['person_alarms_per_day']:.2f} alarms needing a person "
        "per patient-day"
    )
    paths.append(agp_figure(runs, report.episodes, title, out / "agp_population.png"))
    paths.append(agp_grid(runs, report.episodes, out / "agp_patients.png"))
    (out / "agp").mkdir(exist_ok=True)
    jobs: list[tuple[list[PatientRun], list[Any], str, Path]] = []
    for run, summary in zip(runs, report.summaries, strict=True):
        mine = [e for e in report.episodes if e.patient == run.patient]
        title = (
            f"AGP, {run.patient} ({days:g} days, seed {report.run['seed']})"
            + (": the patient model collapsed (true glucose <= 1 mg/dL)" if summary.collapsed_minute >= 0 else "")
            + f":\nTIR {summary.tir_pct:.1f} %, "
            f"< 70 {summary.below_70_pct:.2f} %, < 54 {summary.below_54_pct:.2f} %, CV {summary.cv_pct:.0f} %, "
            f"{summary.suspensions} suspensions, {summary.person_alarms} alarms needing a person"
        )
        jobs.append(([run], mine, title, out / "agp" / f"{run.patient.replace('#', '_')}.png"))
    paths += fan_out(_agp_job, jobs, processes=processes)
    chosen = next((run for run in runs if run.patient == focus), runs[0])
    paths.append(overview_figure(runs, chosen, report.summaries, out / "simulate.png"))
    return paths


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from pumpkernel.sim_report import print_report, write_report

    console = Console(width=None if sys.stdout.isatty() else 180)
    warnings.filterwarnings("ignore", category=DeprecationWarning)  # simglucose's gym 0.9.4, on import
    warnings.filterwarnings("ignore", category=UserWarning)
    if not sim_available():
        console.print("simglucose is not installed: run `make simulate` (it installs the sim extra)")
        return 2
    os.environ.setdefault("MPLBACKEND", "Agg")
    count = len(choose_patients(args.patients))
    length = f"{args.hours} hour(s)" if args.hours is not None else f"{args.days} day(s)"
    started = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=not console.is_terminal) as progress:
        task = progress.add_task(f"simulating {count} patients x {length}", total=count)
        runs = simulate_all(args, on_done=lambda index: progress.advance(task))
    wall_s = time.perf_counter() - started
    started = time.perf_counter()
    report = measure(args, runs)
    report.timing = timing(args, runs, wall_s)
    written = write_report(args.out, report)
    if not args.no_plot:
        written += figures(args.out, runs, report, args.focus, args.jobs)
    report.timing["report_wall_s"] = time.perf_counter() - started
    write_report(args.out, report)
    print_report(console, report)
    shown = [p for p in written if p.parent == args.out]
    console.print(
        f"written to {args.out}: " + ", ".join(p.name for p in shown) + (", agp/" if len(written) > len(shown) else "")
    )
    return 0 if all(math.isfinite(report.population[k]) for k in ("tir_pct", "below_70_pct")) else 1
