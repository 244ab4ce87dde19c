"""Ambulatory Glucose Profiles of a simulation: the clinical picture of glucose by time of day, with the pump's acts.

Theory of operation
-------------------
The Ambulatory Glucose Profile (AGP; Mazze et al. 1987, standardised by
Bergenstal et al., Diabetes Technol Ther 2013, and the AGP report of the
International Diabetes Center, endorsed by the international consensus on
time in range, Battelino et al., Diabetes Care 2019) collapses days of
glucose onto one 24-hour day and draws, for each time of day, the median
(50th percentile), the 25th-75th percentile band and the 5th-95th percentile
band, over the target range 70-180 mg/dL.  Here the glucose is the patient
model's *true* glucose, every minute; the percentiles at each 5-minute slot
of the day pool every minute within 30 minutes of it on every day (a 1-hour
moving window, which smooths the curves as the AGP report does).

On top of the profile: each low-glucose suspension as a marker at its time
of day and the true glucose when it started (threshold: red triangle;
predictive: orange triangle), so suspensions far above the low range stand
out; below it, every alarm on a strip by priority (high, medium, low), and
the rate of suspension starts and of alarms needing a person per hour of the
day, per patient-day.

``agp_figure`` draws one profile (a patient, or the population pooled);
``agp_grid`` draws every patient's profile small, on one page.
matplotlib with the Agg backend; nothing is shown on a screen.
"""

from __future__ import annotations

import importlib
import os
import warnings
from pathlib import Path
from typing import Any

from adapters.sim_metrics import COLLAPSED_AT_MGDL, PERSON_PRIORITIES, Suspension
from adapters.sim_record import PatientRun
from adapters.sim_world import MINUTES_PER_DAY
from kernel.alarms import Priority

SLOT_MINUTES = 5
WINDOW_MINUTES = 30
PERCENTILES = (5, 25, 50, 75, 95)
COLOURS = {"threshold": "#c0392b", "predictive": "#e67e22"}
PRIORITY_COLOURS = {Priority.HIGH: "#c0392b", Priority.MEDIUM: "#e67e22", Priority.LOW: "#7f8c8d"}


def pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    matplotlib: Any = importlib.import_module("matplotlib")
    matplotlib.use("Agg")
    return importlib.import_module("matplotlib.pyplot")


def profile(runs: list[PatientRun]) -> tuple[list[float], list[list[float]]]:
    """Hours of the day of each slot, and the ``PERCENTILES`` of true glucose at each slot (see module docstring)."""
    numpy: Any = importlib.import_module("numpy")
    days = []
    for run in runs:
        whole = len(run.bg_mgdl) // MINUTES_PER_DAY * MINUTES_PER_DAY
        if whole:
            days.append(numpy.asarray(run.bg_mgdl[:whole]).reshape(-1, MINUTES_PER_DAY))
        else:  # less than a day: pad with nan, the percentiles skip it
            day = numpy.full(MINUTES_PER_DAY, numpy.nan)
            day[: len(run.bg_mgdl)] = run.bg_mgdl
            days.append(day.reshape(1, -1))
    table = numpy.vstack(days)
    wide = numpy.hstack([table[:, -WINDOW_MINUTES:], table, table[:, :WINDOW_MINUTES]])
    slots = range(0, MINUTES_PER_DAY, SLOT_MINUTES)
    percentile = numpy.nanpercentile if numpy.isnan(table).any() else numpy.percentile  # nan: less than a day
    bands: list[list[float]] = [[] for _ in PERCENTILES]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a slot with no data at all gives nan, drawn as a gap
        for minute in slots:
            values = percentile(wide[:, minute : minute + 2 * WINDOW_MINUTES + 1], PERCENTILES)
            for band, value in zip(bands, values, strict=True):
                band.append(float(value))
    for band in bands:
        band.append(band[0])  # 24:00 is 0:00 again
    return [m / 60 for m in (*slots, MINUTES_PER_DAY)], bands


def _draw_profile(ax: Any, hours: list[float], bands: list[list[float]], *, small: bool = False) -> None:
    p5, p25, p50, p75, p95 = bands
    ax.axhspan(70, 180, color="#27ae60", alpha=0.10, linewidth=0)
    for level, style in ((54, ":"), (70, "-"), (180, "-"), (250, ":")):
        ax.axhline(level, color="#27ae60" if level in (70, 180) else "grey", linestyle=style, linewidth=0.8)
    ax.fill_between(hours, p5, p95, color="#5d8aa8", alpha=0.25, linewidth=0, label="5-95 %")
    ax.fill_between(hours, p25, p75, color="#2c5d8a", alpha=0.45, linewidth=0, label="25-75 %")
    ax.plot(hours, p50, color="#0b2545", linewidth=1.2 if small else 2.0, label="median")
    ax.set_xlim(0, 24)
    ax.set_xticks(range(0, 25, 6 if small else 3))


def _bottom(bands: list[list[float]], runs: list[PatientRun]) -> float:
    """40 mg/dL, or 0 when the 5th percentile or a suspension start goes below 45 mg/dL."""
    lowest = min((v for v in bands[0] if v == v), default=100.0)
    return 0.0 if lowest < 45 or any(min(run.bg_mgdl, default=100.0) < 45 for run in runs) else 40.0


def _marks(episodes: list[Suspension], runs: list[PatientRun]) -> dict[str, tuple[list[float], list[float]]]:
    bg = {run.patient: run.bg_mgdl for run in runs}
    marks: dict[str, tuple[list[float], list[float]]] = {kind: ([], []) for kind in COLOURS}
    for e in episodes:
        glucose = bg[e.patient]
        if e.start_minute < len(glucose):
            marks[e.kind][0].append((e.start_minute % MINUTES_PER_DAY) / 60)
            marks[e.kind][1].append(glucose[e.start_minute])
    return marks


def agp_figure(runs: list[PatientRun], episodes: list[Suspension], title: str, path: Path) -> Path:
    """One AGP (of one patient, or of several pooled) with suspensions and alarms marked; written to ``path``."""
    plt = pyplot()
    hours, bands = profile(runs)
    patient_days = sum(run.days for run in runs) or 1.0
    fig = plt.figure(figsize=(12, 8.4), constrained_layout=True)
    grid = fig.add_gridspec(3, 1, height_ratios=[5, 1.1, 1.8])
    ax = fig.add_subplot(grid[0])
    _draw_profile(ax, hours, bands)
    many = len(episodes) > 300
    for kind, (x, y) in _marks(episodes, runs).items():
        ax.scatter(
            x,
            y,
            marker="v",
            s=10 if many else 28,
            color=COLOURS[kind],
            alpha=0.35 if many else 0.85,
            linewidth=0,
            label=f"{kind} suspension start ({len(x) / patient_days:.2f}/patient-day)",
            zorder=3,
        )
    top = max(350.0, max((v for v in bands[4] if v == v), default=350.0) + 20)
    ax.set_ylim(_bottom(bands, runs), top)
    ax.set_ylabel("true glucose (mg/dL)")
    ax.set_title(title, loc="left", fontsize=11)
    ax.legend(loc="upper left", fontsize=8, ncol=3, framealpha=0.9, markerscale=2.5 if many else 1.5)
    ax.text(
        0.995,
        0.985,
        "target range 70-180 mg/dL shaded; dotted: 54 and 250 mg/dL",
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize=8,
        color="grey",
    )
    ax.tick_params(labelbottom=False)

    strip = fig.add_subplot(grid[1], sharex=ax)
    levels = (Priority.HIGH, Priority.MEDIUM, Priority.LOW)
    for row, priority in enumerate(levels):
        x = [(tick % MINUTES_PER_DAY) / 60 for run in runs for tick, _, p in run.alarms if p == priority]
        strip.scatter(
            x,
            [row] * len(x),
            marker="|",
            s=120,
            color=PRIORITY_COLOURS[priority],
            alpha=0.25 if len(x) > 200 else 0.9,
        )
    strip.set_yticks(range(len(levels)))
    strip.set_yticklabels([f"{p.name.lower()} alarms" for p in levels], fontsize=8)
    strip.set_ylim(len(levels) - 0.5, -0.5)
    strip.tick_params(labelbottom=False)
    strip.grid(axis="x", color="#dddddd", linewidth=0.6)

    rates = fig.add_subplot(grid[2], sharex=ax)
    per_hour = {kind: [0.0] * 24 for kind in COLOURS}
    for e in episodes:
        per_hour[e.kind][(e.start_minute % MINUTES_PER_DAY) // 60] += 1 / patient_days
    person = [0.0] * 24
    for run in runs:
        for tick, _, level in run.alarms:
            if level in PERSON_PRIORITIES:
                person[(tick % MINUTES_PER_DAY) // 60] += 1 / patient_days
    centres = [h + 0.5 for h in range(24)]
    rates.bar(centres, per_hour["threshold"], width=0.8, color=COLOURS["threshold"], label="threshold suspensions")
    rates.bar(
        centres,
        per_hour["predictive"],
        width=0.8,
        bottom=per_hour["threshold"],
        color=COLOURS["predictive"],
        label="predictive suspensions",
    )
    rates.step(
        range(25), [*person, person[-1]], where="post", color="black", linewidth=1.2, label="alarms needing a person"
    )
    rates.set_ylim(0, 1.35 * max([*person, *(t + p for t, p in zip(*per_hour.values(), strict=True)), 0.1]))
    rates.set_ylabel("per hour,\nper patient-day", fontsize=9)
    rates.set_xlabel("time of day (h)")
    rates.legend(loc="upper left", fontsize=8, ncol=3)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def agp_grid(runs: list[PatientRun], episodes: list[Suspension], path: Path, columns: int = 5) -> Path:
    """Every patient's AGP, small, on one page (suspension starts as dots)."""
    plt = pyplot()
    rows = -(-len(runs) // columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(3.2 * columns, 2.3 * rows), sharex=True, sharey=True, squeeze=False
    )
    by_patient: dict[str, list[Suspension]] = {}
    for e in episodes:
        by_patient.setdefault(e.patient, []).append(e)
    for index, ax in enumerate(axes.flat):
        if index >= len(runs):
            ax.axis("off")
            continue
        run = runs[index]
        hours, bands = profile([run])
        _draw_profile(ax, hours, bands, small=True)
        mine = by_patient.get(run.patient, [])
        for kind, (x, y) in _marks(mine, [run]).items():
            ax.scatter(x, y, marker="v", s=9, color=COLOURS[kind], linewidth=0, alpha=0.8, zorder=3)
        below = 100 * sum(1 for g in run.bg_mgdl if g < 70) / max(1, len(run.bg_mgdl))
        collapsed = " (model collapsed)" if min(run.bg_mgdl, default=100.0) <= COLLAPSED_AT_MGDL else ""
        title = f"{run.patient}: {len(mine) / max(run.days, 1e-9):.1f} LGS/d, <70 {below:.1f} %{collapsed}"
        ax.set_title(title, fontsize=8, color="#c0392b" if collapsed else "black")
        ax.set_ylim(0, 350)
        ax.tick_params(labelsize=7)
    fig.suptitle(
        "AGP of each patient (true glucose: median, 25-75 %, 5-95 %; triangles: suspension starts, "
        "red threshold, orange predictive)",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path
