"""``pumpkernel simulate``: closed loop against simglucose's virtual patients, with a plot and a summary table.

Runs ``adapters.simulation.simulate_patient`` for each chosen patient (in
parallel worker processes), shows a progress bar, prints a summary table
(time in range, time below 70 and 54 mg/dL, insulin totals, low-glucose
suspensions, alarms, limit hits), and writes to ``--out``:

* ``simulate.png``: glucose of every patient; one patient in detail (glucose,
  CGM, meals, suspensions, alarms); that patient's insulin; time in ranges per
  patient;
* ``summary.csv`` and ``summary.json``: the table, and the speed figures
  (simulated patient-days per second; the kernel's share of the time).

Needs the ``sim`` extra (``make simulate`` installs it).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import importlib
import json
import os
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from adapters.simulation import (
    MEAL_SCENARIOS,
    PATIENTS,
    PatientRun,
    Summary,
    sim_available,
    simulate_patient,
    summarise,
)
from kernel.alarms import AlarmKind
from kernel.modes import Mode

HELP = "run the kernel in closed loop with simglucose's virtual patients; write a plot and a summary"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--patients",
        default="all",
        help="'all' (the 30 patients), a number N (the first N of each group in turn), or names separated by commas",
    )
    parser.add_argument("--days", type=int, default=1, help="days per patient (default 1)")
    parser.add_argument("--scenario", choices=MEAL_SCENARIOS, default="random", help="meal scenario (default random)")
    parser.add_argument("--seed", type=int, default=1, help="seed for meals, sensor noise and dropouts")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--out", type=Path, default=Path("out/simulate"), help="output directory")
    parser.add_argument("--focus", default=None, help="the patient shown in detail (default: the first)")
    parser.add_argument("--no-plot", action="store_true", help="skip the plot")


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


def _quiet() -> None:
    os.environ.setdefault("MPLBACKEND", "Agg")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=UserWarning)


def _one(name: str, days: int, scenario: str, seed: int) -> PatientRun:
    _quiet()
    return simulate_patient(name, days=days, scenario=scenario, seed=seed)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(width=None if sys.stdout.isatty() else 160)
    if not sim_available():
        console.print("simglucose is not installed: run `make simulate` (it installs the sim extra)")
        return 2
    names = choose_patients(args.patients)
    _quiet()
    started = time.perf_counter()
    runs: dict[str, PatientRun] = {}
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(f"simulating {len(names)} patients x {args.days} day(s)", total=len(names))
        with ProcessPoolExecutor(max_workers=max(1, args.jobs), initializer=_quiet) as pool:
            futures = {pool.submit(_one, name, args.days, args.scenario, args.seed): name for name in names}
            for future in as_completed(futures):
                runs[futures[future]] = future.result()
                progress.advance(task)
    wall_s = time.perf_counter() - started
    ordered = [runs[name] for name in names]
    summaries = [summarise(r) for r in ordered]
    figures = speed(ordered, wall_s)
    args.out.mkdir(parents=True, exist_ok=True)
    table(console, summaries, figures, args)
    write_files(args.out, summaries, figures)
    if not args.no_plot:
        focus = args.focus or names[0]
        path = plot(ordered, runs.get(focus, ordered[0]), summaries, args.out / "simulate.png")
        console.print(f"plot: {path}")
    console.print(f"summary: {args.out / 'summary.csv'}, {args.out / 'summary.json'}")
    return 0


def speed(runs: list[PatientRun], wall_s: float) -> dict[str, float]:
    """Patient-days per second, and where the time went (summed over the workers)."""
    patient_days = sum(r.days for r in runs)
    busy = sum(r.total_s for r in runs)
    kernel = sum(r.kernel_s for r in runs)
    ode = sum(r.patient_s for r in runs)
    return {
        "patient_days": patient_days,
        "wall_s": wall_s,
        "patient_days_per_s": patient_days / wall_s if wall_s else 0.0,
        "patient_days_per_s_per_worker": patient_days / busy if busy else 0.0,
        "kernel_steps": sum(r.steps for r in runs),
        "kernel_share": kernel / busy if busy else 0.0,
        "patient_model_share": ode / busy if busy else 0.0,
        "kernel_us_per_step": 1e6 * kernel / max(1, sum(r.steps for r in runs)),
    }


def overall(summaries: list[Summary]) -> dict[str, float]:
    n = max(1, len(summaries))
    days = sum(s.days for s in summaries) or 1
    return {
        "patients": len(summaries),
        "time_in_range_pct": sum(s.time_in_range_pct for s in summaries) / n,
        "time_below_70_pct": sum(s.time_below_70_pct for s in summaries) / n,
        "time_below_54_pct": sum(s.time_below_54_pct for s in summaries) / n,
        "time_above_180_pct": sum(s.time_above_180_pct for s in summaries) / n,
        "basal_units_per_day": sum(s.basal_units for s in summaries) / days,
        "bolus_units_per_day": sum(s.bolus_units for s in summaries) / days,
        "basal_units_total": sum(s.basal_units for s in summaries),
        "bolus_units_total": sum(s.bolus_units for s in summaries),
        "lgs_suspensions": sum(s.lgs_suspensions for s in summaries),
        "lgs_minutes": sum(s.lgs_minutes for s in summaries),
        "alarms": sum(s.alarms for s in summaries),
        "limit_hits": sum(s.limit_hits for s in summaries),
        "patients_with_time_below_54": sum(1 for s in summaries if s.time_below_54_pct > 0),
    }


def table(console: Any, summaries: list[Summary], figures: dict[str, float], args: argparse.Namespace) -> None:
    from rich.table import Table

    title = f"pumpkernel closed loop: {len(summaries)} patients x {args.days} day(s), scenario {args.scenario}"
    t = Table(title=title)
    for name in ("patient", "TIR 70-180 %", "<70 %", "<54 %", ">180 %", "mean", "min", "basal U", "bolus U"):
        t.add_column(name, justify="right")
    for name in ("LGS n/min", "alarms", "limit hits"):
        t.add_column(name, justify="right")
    for s in summaries:
        t.add_row(
            s.patient,
            f"{s.time_in_range_pct:.1f}",
            f"{s.time_below_70_pct:.1f}",
            f"{s.time_below_54_pct:.1f}",
            f"{s.time_above_180_pct:.1f}",
            f"{s.mean_mgdl:.0f}",
            f"{s.min_mgdl:.0f}",
            f"{s.basal_units:.1f}",
            f"{s.bolus_units:.1f}",
            f"{s.lgs_suspensions}/{s.lgs_minutes}",
            str(s.alarms),
            f"{s.limit_hits}" + (f" ({s.limit_detail})" if s.limit_detail else ""),
        )
    o = overall(summaries)
    t.add_row(
        "all (mean / total)",
        f"{o['time_in_range_pct']:.1f}",
        f"{o['time_below_70_pct']:.1f}",
        f"{o['time_below_54_pct']:.1f}",
        f"{o['time_above_180_pct']:.1f}",
        "",
        "",
        f"{o['basal_units_total']:.1f}",
        f"{o['bolus_units_total']:.1f}",
        f"{o['lgs_suspensions']:.0f}/{o['lgs_minutes']:.0f}",
        f"{o['alarms']:.0f}",
        f"{o['limit_hits']:.0f}",
    )
    console.print(t)
    console.print(
        f"speed: {figures['patient_days']:.0f} patient-days in {figures['wall_s']:.1f} s wall = "
        f"{figures['patient_days_per_s']:.2f} patient-days/s "
        f"({figures['patient_days_per_s_per_worker']:.2f} per worker); "
        f"kernel {100 * figures['kernel_share']:.0f}% of the time ({figures['kernel_us_per_step']:.0f} us/step), "
        f"patient model {100 * figures['patient_model_share']:.0f}%"
    )


def write_files(out: Path, summaries: list[Summary], figures: dict[str, float]) -> None:
    with open(out / "summary.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[f.name for f in dataclasses.fields(Summary)])
        writer.writeheader()
        for s in summaries:
            writer.writerow(dataclasses.asdict(s))
    data = {"overall": overall(summaries), "speed": figures, "patients": [dataclasses.asdict(s) for s in summaries]}
    (out / "summary.json").write_text(json.dumps(data, indent=2))


def _spans(flags: list[bool]) -> list[tuple[int, int]]:
    spans, start = [], None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            spans.append((start, i))
            start = None
    return spans


def plot(runs: list[PatientRun], focus: PatientRun, summaries: list[Summary], path: Path) -> Path:
    """The PNG described in the module docstring."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    matplotlib: Any = importlib.import_module("matplotlib")
    matplotlib.use("Agg")
    plt: Any = importlib.import_module("matplotlib.pyplot")
    colours = {"adolescent": "tab:blue", "adult": "tab:green", "child": "tab:purple"}
    fig = plt.figure(figsize=(15, 15), constrained_layout=True)
    grid = fig.add_gridspec(4, 1, height_ratios=[2.2, 2.4, 1.3, 2.2])
    hours = [m / 60 for m in range(len(focus.bg_mgdl))]

    ax = fig.add_subplot(grid[0])
    ax.axhspan(70, 180, color="tab:green", alpha=0.08)
    for level, style in ((70, "--"), (54, ":"), (180, "--")):
        ax.axhline(level, color="grey", linestyle=style, linewidth=0.8)
    for r in runs:
        group = r.patient.split("#")[0]
        ax.plot([m / 60 for m in range(len(r.bg_mgdl))], r.bg_mgdl, color=colours[group], linewidth=0.7, alpha=0.6)
    for group, colour in colours.items():
        ax.plot([], [], color=colour, label=group)
    o = overall(summaries)
    ax.set_title(
        f"Blood glucose of {len(runs)} virtual patients in closed loop with pumpkernel "
        f"(mean time in range {o['time_in_range_pct']:.1f} %, below 70: {o['time_below_70_pct']:.2f} %)"
    )
    ax.set_ylabel("glucose (mg/dL)")
    ax.set_xlabel("time (h)")
    ax.legend(loc="upper right")
    ax.set_ylim(30, max(300, max(max(r.bg_mgdl) for r in runs) + 10))

    ax = fig.add_subplot(grid[1])
    ax.axhspan(70, 180, color="tab:green", alpha=0.08)
    ax.axhline(70, color="grey", linestyle="--", linewidth=0.8)
    lgs = _spans([m == Mode.LGS_SUSPENDED for m in focus.modes])
    other = _spans([m not in (Mode.DELIVERING, Mode.LGS_SUSPENDED) for m in focus.modes])
    for i, (a, b) in enumerate(lgs):
        ax.axvspan(a / 60, b / 60, color="tab:orange", alpha=0.25, label="low-glucose suspend" if i == 0 else None)
    for i, (a, b) in enumerate(other):
        ax.axvspan(a / 60, b / 60, color="grey", alpha=0.25, label="not delivering (other)" if i == 0 else None)
    ax.plot(hours, focus.bg_mgdl, color="black", linewidth=1.2, label="blood glucose (model)")
    ax.scatter([m / 60 for m, _ in focus.cgm], [v for _, v in focus.cgm], s=6, color="tab:red", label="CGM")
    top = max(focus.bg_mgdl) + 30
    for meal in focus.meals:
        label = f"{meal.carbs_g:.0f} g" + ("" if meal.counted_g else " (no bolus)")
        ax.annotate(label, (meal.minute / 60, top), ha="center", fontsize=8, color="tab:brown")
    for i, (tick, kind) in enumerate(focus.alarms):
        ax.scatter([tick / 60], [35], marker="^", color="crimson", s=40, label="alarm" if i == 0 else None)
        ax.annotate(AlarmKind(kind).name.lower(), (tick / 60, 38), rotation=60, fontsize=6, color="crimson")
    summary = summarise(focus)
    ax.set_title(
        f"{focus.patient}: time in range {summary.time_in_range_pct:.1f} %, "
        f"below 70 {summary.time_below_70_pct:.1f} %, "
        f"{summary.lgs_suspensions} low-glucose suspensions ({summary.lgs_minutes} min), {summary.alarms} alarms"
    )
    ax.set_ylabel("glucose (mg/dL)")
    ax.set_ylim(30, top + 25)
    ax.legend(loc="upper right", fontsize=8)

    ax = fig.add_subplot(grid[2], sharex=ax)
    unit = focus.pulse_mu / 1000
    bins = range(0, len(focus.basal_pulses), 30)
    basal_rate = [sum(focus.basal_pulses[i : i + 30]) * unit * 2 for i in bins]
    bolus = [sum(focus.bolus_pulses[i : i + 30]) * unit for i in bins]
    x = [i / 60 for i in bins]
    ax.step(x, basal_rate, where="post", color="tab:blue", label="basal delivered (U/h, 30-min mean)")
    ax.bar(x, bolus, width=0.5, align="edge", color="tab:red", alpha=0.6, label="bolus delivered (U per 30 min)")
    ax.set_ylabel("insulin")
    ax.set_xlabel("time (h)")
    ax.set_title(
        f"{focus.patient}: insulin delivered by the kernel ({summary.basal_units:.1f} U basal, "
        f"{summary.bolus_units:.1f} U bolus)"
    )
    ax.legend(loc="upper right", fontsize=8)

    ax = fig.add_subplot(grid[3])
    names = [s.patient for s in summaries]
    below = [s.time_below_70_pct for s in summaries]
    inside = [s.time_in_range_pct for s in summaries]
    above = [s.time_above_180_pct for s in summaries]
    positions = range(len(names))
    ax.bar(positions, below, color="tab:red", label="< 70 mg/dL")
    ax.bar(positions, inside, bottom=below, color="tab:green", label="70-180 mg/dL")
    ax.bar(
        positions,
        above,
        bottom=[a + b for a, b in zip(below, inside, strict=True)],
        color="tab:orange",
        label="> 180 mg/dL",
    )
    ax.set_xticks(list(positions))
    ax.set_xticklabels(names, rotation=60, fontsize=8)
    ax.set_ylabel("% of time")
    ax.set_ylim(0, 100)
    ax.set_title("Time in ranges per patient")
    ax.legend(loc="lower right", fontsize=8)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
