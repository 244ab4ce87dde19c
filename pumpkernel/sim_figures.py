"""The summary figure (the report's table against the anchors, on one page) and the overview of a run.

Theory of operation
-------------------
``summary_figure`` draws the figures of issue 18.1 for the population, each
beside its target and the published rates (``pumpkernel.sim_report.ANCHORS``):
suspensions per patient-day (threshold and predictive; justified and false),
alarms needing a person per patient-day by kind, time below 54 and 70 mg/dL,
time in range, with one dot per patient so the spread shows, and the anchor
table itself with a yes / NO per target.

``overview_figure`` is the older picture of ``pumpkernel simulate``: the
true glucose of every patient over the run, one patient in detail (true
glucose, CGM, meals, suspensions, alarms), that patient's insulin, and the
time in ranges per patient.

matplotlib with the Agg backend; nothing is shown on a screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adapters.sim_metrics import Summary
from adapters.sim_record import PatientRun
from kernel.alarms import PRIORITY, AlarmKind, Priority
from kernel.modes import Mode
from pumpkernel.sim_agp import COLOURS, PRIORITY_COLOURS, pyplot
from pumpkernel.sim_report import Report, alarm_kind_rows, anchor_rows

GROUP_COLOURS = {"adolescent": "tab:blue", "adult": "tab:green", "child": "tab:purple"}


def _dots(ax: Any, x: float, values: list[float], names: list[str], ceiling: float | None = None) -> float:
    """One dot per patient around ``x``, coloured by age group; values above ``ceiling`` as arrows at it, listed.

    Returns how high the axis must reach (the highest dot, or room above the arrows for their list).
    """
    n = max(1, len(values) - 1)
    above = []
    for i, (value, name) in enumerate(zip(values, names, strict=True)):
        where = x - 0.25 + 0.5 * i / n
        colour = GROUP_COLOURS[name.split("#")[0]]
        if ceiling is not None and value > ceiling:
            ax.scatter(where, ceiling, s=30, marker="^", color=colour, zorder=3)
            above.append(f"{name} {value:.1f}")
        else:
            ax.scatter(where, value, s=12, color=colour, zorder=3)
    if above and ceiling is not None:
        pairs = [", ".join(above[k : k + 2]) for k in range(0, len(above), 2)]
        ax.text(
            0.99,
            0.97,
            "above the scale (^):\n" + "\n".join(pairs),
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=7.5,
            bbox={"facecolor": "white", "edgecolor": "#cccccc"},
        )
        return ceiling * (1.25 + 0.12 * len(pairs))
    return max(values, default=0.0)


def _reference(ax: Any, level: float, text: str, colour: str, style: str = "--") -> None:
    ax.axhline(level, color=colour, linestyle=style, linewidth=1.3, label=text)


def _finish(ax: Any, top: float) -> None:
    """Head room above the highest bar, dot or reference line; the legend under the axes."""
    ax.set_ylim(0, top * 1.15 if top > 0 else 1)
    ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, frameon=False)


def summary_figure(report: Report, path: Path) -> Path:
    """The one-page summary of the module docstring, written to ``path``."""
    plt = pyplot()
    p = report.population
    s = report.summaries
    names = [x.patient for x in s]
    per_day = [max(x.days, 1e-9) for x in s]
    fig = plt.figure(figsize=(13, 16))
    grid = fig.add_gridspec(3, 2, height_ratios=[1, 1, 1], hspace=0.55, wspace=0.25)
    r = report.run
    fig.suptitle(
        f"pumpkernel closed loop against the anchors of issue 18\n{len(s)} patients x {r['days']:g} days "
        f"({p['patient_days']:g} patient-days), meals {r['scenario']}, seed {r['seed']}, user {r.get('user', 'pump')}, "
        "CGM with noise; "
        "true glucose; dots: one per patient",
        fontsize=12,
        y=0.96,
    )
    per_patient_suspensions = [x.suspensions / d for x, d in zip(s, per_day, strict=True)]
    per_patient_alarms = [x.person_alarms / d for x, d in zip(s, per_day, strict=True)]

    ax = fig.add_subplot(grid[0, 0])
    thr, pred = p["threshold_suspensions_per_day"], p["predictive_suspensions_per_day"]
    ax.bar(0, thr, color=COLOURS["threshold"], width=0.6, label=f"threshold {thr:.2f}")
    ax.bar(0, pred, bottom=thr, color=COLOURS["predictive"], width=0.6, label=f"predictive {pred:.2f}")
    just, false = p["justified_suspensions_per_day"], p["false_suspensions_per_day"]
    ax.bar(1, just, color="#2c5d8a", width=0.6, label=f"justified {just:.2f}")
    ax.bar(1, false, bottom=just, color="#bdc3c7", width=0.6, label=f"false {false:.2f}")
    _dots(ax, 2, per_patient_suspensions, names)
    _reference(ax, 4.9, "Basal-IQ real-world 4.9", "#8e44ad")
    _reference(ax, 3.2, "SmartGuard (children) 3.2", "#16a085")
    _reference(ax, 3.0, "target <= 3", "black", "-")
    ax.set_xticks([0, 1, 2], ["by kind", "by outcome", "per patient"])
    ax.set_ylabel("per patient-day")
    ax.set_title(f"low-glucose suspensions: {p['suspensions_per_day']:.2f} per patient-day", loc="left", fontsize=10)
    _finish(ax, max([p["suspensions_per_day"], 4.9, *per_patient_suspensions]))

    ax = fig.add_subplot(grid[0, 1])
    bottom = 0.0
    for kind, rate in alarm_kind_rows(p):
        if rate > 0 and PRIORITY[kind] != Priority.LOW:
            ax.bar(0, rate, bottom=bottom, width=0.6, label=f"{kind.name.lower()} {rate:.2f}", alpha=0.9)
            bottom += rate
    low = sum(rate for kind, rate in alarm_kind_rows(p) if PRIORITY[kind] == Priority.LOW)
    ax.bar(1, low, width=0.6, color=PRIORITY_COLOURS[Priority.LOW], label=f"low priority (all kinds) {low:.2f}")
    _dots(ax, 2, per_patient_alarms, names)
    ax.axhspan(0.6, 0.9, color="#16a085", alpha=0.3, label='Dexcom "urgent low soon" 0.6-0.9')
    _reference(ax, 1.0, "target <= 1", "black", "-")
    ax.set_xticks([0, 1, 2], ["needs a person", "low priority", "per patient"])
    ax.set_ylabel("per patient-day")
    ax.set_title(
        f"alarms needing a person (high + medium priority): {p['person_alarms_per_day']:.2f} per patient-day",
        loc="left",
        fontsize=10,
    )
    _finish(ax, max([p["person_alarms_per_day"], low, 1.0, *per_patient_alarms]))

    for col, (key, target, consensus, label) in enumerate(
        (("below_54_pct", 0.3, 1.0, "time below 54 mg/dL"), ("below_70_pct", 1.5, 4.0, "time below 70 mg/dL"))
    ):
        ax = fig.add_subplot(grid[1, col])
        values = [getattr(x, key) for x in s]
        ceiling = max(3 * consensus, 1.5 * p[key])
        ax.bar(0, p[key], width=0.6, color="#c0392b", label=f"population {p[key]:.2f} %")
        highest = _dots(ax, 1, values, names, ceiling)
        _reference(ax, target, f"target <= {target:g}", "black", "-")
        _reference(ax, consensus, f"consensus < {consensus:g}", "#16a085")
        ax.set_xticks([0, 1], ["population", "per patient"])
        ax.set_ylabel("% of time")
        ax.set_title(f"{label}: {p[key]:.2f} %", loc="left", fontsize=10)
        _finish(ax, max(p[key], consensus, highest) * 1.1)

    ax = fig.add_subplot(grid[2, 0])
    ax.bar(0, p["tir_pct"], width=0.6, color="#27ae60", label=f"population {p['tir_pct']:.1f} %")
    _dots(ax, 1, [x.tir_pct for x in s], names)
    _reference(ax, 85, "target >= 85", "black", "-")
    _reference(ax, 70, "consensus > 70", "#16a085")
    ax.set_xticks([0, 1], ["population", "per patient"])
    ax.set_ylabel("% of time")
    ax.set_title(f"time in range 70-180 mg/dL: {p['tir_pct']:.1f} %", loc="left", fontsize=10)
    for group, colour in GROUP_COLOURS.items():
        ax.scatter([], [], color=colour, s=12, label=f"patient: {group}")
    _finish(ax, 100 / 1.15)
    ax.set_ylim(min(60, min((x.tir_pct for x in s), default=60) - 5), 101)

    ax = fig.add_subplot(grid[2, 1])
    ax.axis("off")
    rows = [
        [
            a["figure"].replace("low-glucose ", "").replace(" per patient-day", " / patient-day").replace(" mg/dL", ""),
            f"{a['value']:.2f}",
            a["target"].replace(" (issue 18)", "").replace(" (consensus)", " (cons.)"),
            "yes" if a["meets_target"] else "NO",
        ]
        for a in anchor_rows(p)
    ]
    table = ax.table(
        cellText=rows,
        colLabels=["figure (population)", "run", "target", "meets"],
        colWidths=[0.55, 0.13, 0.2, 0.12],
        cellLoc="left",
        bbox=[0.0, 0.05, 1.0, 0.9],
    )
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    for (row, col), cell in table.get_celld().items():
        if row > 0 and col == 3:
            cell.set_text_props(color="#1e8449" if rows[row - 1][3] == "yes" else "#c0392b", weight="bold")
    ax.set_title("the population against the targets (issue 18; consensus: Battelino 2019)", loc="left", fontsize=10)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _spans(flags: list[bool]) -> list[tuple[int, int]]:
    spans, start = [], None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            spans.append((start, i))
            start = None
    return spans


def overview_figure(runs: list[PatientRun], focus: PatientRun, summaries: list[Summary], path: Path) -> Path:
    """The overview of the module docstring, written to ``path``."""
    plt = pyplot()
    fig = plt.figure(figsize=(15, 15), constrained_layout=True)
    grid = fig.add_gridspec(4, 1, height_ratios=[2.2, 2.4, 1.3, 2.2])
    hours = [m / 60 for m in range(len(focus.bg_mgdl))]

    ax = fig.add_subplot(grid[0])
    ax.axhspan(70, 180, color="tab:green", alpha=0.08)
    for level, style in ((70, "--"), (54, ":"), (180, "--")):
        ax.axhline(level, color="grey", linestyle=style, linewidth=0.8)
    for r in runs:
        colour = GROUP_COLOURS[r.patient.split("#")[0]]
        ax.plot([m / 60 for m in range(len(r.bg_mgdl))], r.bg_mgdl, color=colour, linewidth=0.6, alpha=0.5)
    for group, colour in GROUP_COLOURS.items():
        ax.plot([], [], color=colour, label=group)
    ax.set_title(f"True glucose of {len(runs)} virtual patients in closed loop with pumpkernel")
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
    ax.plot(hours, focus.bg_mgdl, color="black", linewidth=1.2, label="true glucose (model)")
    ax.scatter([m / 60 for m, _ in focus.cgm], [v for _, v in focus.cgm], s=4, color="tab:red", label="CGM")
    top = max(focus.bg_mgdl) + 30
    for meal in focus.meals:
        label = f"{meal.carbs_g:.0f} g" + ("" if meal.counted_g else " (no bolus)")
        ax.annotate(label, (meal.minute / 60, top), ha="center", fontsize=7, color="tab:brown")
    for i, (tick, kind, priority) in enumerate(focus.alarms):
        colour = PRIORITY_COLOURS[Priority(priority)]
        ax.scatter([tick / 60], [35], marker="^", color=colour, s=30, label="alarm" if i == 0 else None)
        if len(focus.alarms) <= 40:
            ax.annotate(AlarmKind(kind).name.lower(), (tick / 60, 38), rotation=60, fontsize=6, color=colour)
    summary = next(s for s in summaries if s.patient == focus.patient)
    ax.set_title(
        f"{focus.patient}: time in range {summary.tir_pct:.1f} %, below 70 {summary.below_70_pct:.1f} %, "
        f"{summary.suspensions} low-glucose suspensions ({summary.suspension_minutes} min), {summary.alarms} alarms"
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
        f"{focus.patient}: insulin delivered ({summary.basal_units:.1f} U basal, {summary.bolus_units:.1f} U bolus)"
    )
    ax.legend(loc="upper right", fontsize=8)

    ax = fig.add_subplot(grid[3])
    positions = range(len(summaries))
    below = [s.below_70_pct for s in summaries]
    inside = [s.tir_pct for s in summaries]
    above = [s.above_180_pct for s in summaries]
    ax.bar(positions, below, color="tab:red", label="< 70 mg/dL")
    ax.bar(positions, inside, bottom=below, color="tab:green", label="70-180 mg/dL")
    ax.bar(
        positions, above, bottom=[a + b for a, b in zip(below, inside, strict=True)], color="tab:orange", label="> 180"
    )
    ax.set_xticks(list(positions))
    ax.set_xticklabels([s.patient for s in summaries], rotation=60, fontsize=8)
    ax.set_ylabel("% of time")
    ax.set_ylim(0, 100)
    ax.set_title("Time in ranges per patient (true glucose)")
    ax.legend(loc="lower right", fontsize=8)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
