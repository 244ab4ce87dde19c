"""The simulation report: the figures of issue 18.1 beside their anchors, as rich tables, JSON and CSV.

Theory of operation
-------------------
``Report`` gathers what ``pumpkernel simulate`` measured: the run's
parameters (patients, days, scenario, seed, sensor), each patient's
``Summary`` and suspensions (``adapters.sim_metrics``), the population's
figures, and where the time went.  ``print_report`` prints it as rich tables
(per patient, per patient-day; the anchors; the alarm kinds; the time
breakdown) and ``write_report`` writes ``summary.json`` (everything),
``summary.csv`` (one row per patient), ``suspensions.csv`` (one row per
suspension) and ``alarms.csv`` (one row per alarm kind).

``ANCHORS`` are the comparisons of issue 18: the targets (at most 3
suspensions and 1 alarm needing a person per patient-day, time below 54 mg/dL
at most 0.3 % and below 70 at most 1.5 %, time in range at least 85 %), the
published rates they are set against (Tandem Basal-IQ in real-world use,
8,132 users: 4.9 suspensions a day; Medtronic 640G SmartGuard, children: 3.2
a day; Dexcom's "urgent low soon" alert: 0.6-0.9 a day), and, for context,
the international consensus on time in range (Battelino et al., Diabetes Care
2019): in range > 70 %, below 70 < 4 %, below 54 < 1 %, above 180 < 25 %,
above 250 < 5 %, CV <= 36 %.

Units: ``_pct``, ``_mgdl``, per patient-day (``_per_day``), ``_s``.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.sim_metrics import PERSON_PRIORITIES, Summary, Suspension
from adapters.sim_record import TIMING_PARTS
from kernel.alarms import PRIORITY, AlarmKind, Priority


@dataclass(frozen=True)
class Anchor:
    """One figure of the population against its target and the published rates it is compared with."""

    label: str
    key: str
    target: str
    meets: Callable[[float], bool]
    references: str


ANCHORS: tuple[Anchor, ...] = (
    Anchor(
        "low-glucose suspensions per patient-day",
        "suspensions_per_day",
        "<= 3 (issue 18)",
        lambda v: v <= 3,
        "Tandem Basal-IQ real-world 4.9; Medtronic 640G SmartGuard (children) 3.2",
    ),
    Anchor(
        "alarms needing a person per patient-day",
        "person_alarms_per_day",
        "<= 1 (issue 18)",
        lambda v: v <= 1,
        'Dexcom "urgent low soon" 0.6-0.9',
    ),
    Anchor("time below 54 mg/dL, %", "below_54_pct", "<= 0.3 (issue 18)", lambda v: v <= 0.3, "consensus 2019: < 1"),
    Anchor("time below 70 mg/dL, %", "below_70_pct", "<= 1.5 (issue 18)", lambda v: v <= 1.5, "consensus 2019: < 4"),
    Anchor("time in range 70-180 mg/dL, %", "tir_pct", ">= 85 (issue 18)", lambda v: v >= 85, "consensus 2019: > 70"),
    Anchor("time above 180 mg/dL, %", "above_180_pct", "< 25 (consensus)", lambda v: v < 25, "consensus 2019: < 25"),
    Anchor("time above 250 mg/dL, %", "above_250_pct", "< 5 (consensus)", lambda v: v < 5, "consensus 2019: < 5"),
    Anchor("coefficient of variation, %", "cv_pct", "<= 36 (consensus)", lambda v: v <= 36, "consensus 2019: <= 36"),
)


@dataclass
class Report:
    """What one ``pumpkernel simulate`` measured (see module docstring)."""

    run: dict[str, Any]
    summaries: list[Summary]
    episodes: list[Suspension]
    population: dict[str, Any]
    timing: dict[str, Any] = field(default_factory=dict)

    def outcome(self) -> Any:
        """The report without the timings (NaN as ``None``): identical for the same seed, wherever it ran."""
        return _no_nan(
            {
                "run": {k: v for k, v in self.run.items() if k not in ("processes", "dask")},
                "population": self.population,
                "anchors": anchor_rows(self.population),
                "patients": [dataclasses.asdict(s) for s in self.summaries],
                "suspensions": [dataclasses.asdict(e) for e in self.episodes],
            }
        )


def anchor_rows(population: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "figure": a.label,
            "value": population[a.key],
            "target": a.target,
            "meets_target": bool(a.meets(population[a.key])),
            "references": a.references,
        }
        for a in ANCHORS
    ]


def _fmt(value: float, digits: int = 1) -> str:
    """``value`` rounded to ``digits``; "-" for NaN; no "-0" for a value that rounds to zero."""
    if isinstance(value, float) and math.isnan(value):
        return "-"
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def print_report(console: Any, report: Report) -> None:
    """The tables of the module docstring, on a rich console."""
    from rich.table import Table

    r = report.run
    title = (
        f"pumpkernel closed loop: {len(report.summaries)} patients x {r['days']:g} day(s), "
        f"scenario {r['scenario']}, seed {r['seed']}, user {r.get('user', 'pump')}, CGM {r['sensor']} with noise "
        "(per patient-day unless a %)"
    )
    t = Table(title=title, title_justify="left")
    heads = ("patient", "TIR %", "<70 %", "<54 %", ">180 %", ">250 %", "CV %", "LGS/d", "thr/pred", "false")
    for name in (*heads, "min/LGS", "lowest", "alarms/d", "person/d", "stop/d"):
        t.add_column(name, justify="right")

    def row(name: str, s: dict[str, Any], days: float, lowest: float) -> list[str]:
        d = max(days, 1e-9)
        return [
            name,
            _fmt(s["tir_pct"]),
            _fmt(s["below_70_pct"], 2),
            _fmt(s["below_54_pct"], 2),
            _fmt(s["above_180_pct"]),
            _fmt(s["above_250_pct"]),
            _fmt(s["cv_pct"]),
            _fmt(s["suspensions"] / d),
            f"{_fmt(s['threshold_suspensions'] / d)}/{_fmt(s['predictive_suspensions'] / d)}",
            _fmt(s["false_suspensions"] / d),
            _fmt(s["suspension_minutes"] / max(1, s["suspensions"]), 0),
            _fmt(lowest, 0),
            _fmt(s["alarms"] / d),
            _fmt(s["person_alarms"] / d),
            _fmt(s["stop_delivery_alarms"] / d),
        ]

    for s in report.summaries:
        name = s.patient + (" (collapsed)" if s.collapsed_minute >= 0 else "")
        t.add_row(*row(name, dataclasses.asdict(s), s.days, s.lowest_in_suspension_mgdl))
    p = report.population
    days = p["patient_days"]
    totals = {k.removesuffix("_per_day"): v * days for k, v in p.items() if k.endswith("_per_day")}
    t.add_row(*row("population", {**p, **totals}, days, p["lowest_in_suspension_mgdl"]), style="bold")
    console.print(t)
    for s in report.summaries:
        if s.collapsed_minute >= 0:
            day, minute = divmod(s.collapsed_minute, 1440)
            console.print(
                f"[bold red]{s.patient}: the patient model collapsed[/] (true glucose <= 1 mg/dL from day {day + 1} "
                f"{minute // 60:02d}:{minute % 60:02d}; simglucose does not recover from it; later minutes count "
                f"as below 54)"
            )
    console.print(
        "LGS: low-glucose suspensions; thr/pred: threshold / predictive (by the kernel's reading at the start); "
        "false: no true glucose < 70 mg/dL within 30 min of the start; min/LGS: mean duration; lowest: lowest "
        "true glucose during a suspension; person: high- or medium-priority alarms; stop: high (delivery stops)."
    )

    a = Table(title="against the anchors of issue 18 (population)", title_justify="left")
    for name in ("figure", "this run", "target", "meets", "published / consensus"):
        a.add_column(name)
    for item in anchor_rows(p):
        a.add_row(
            item["figure"],
            _fmt(item["value"], 2),
            item["target"],
            "yes" if item["meets_target"] else "NO",
            item["references"],
        )
    console.print(a)
    console.print(
        f"suspensions: {_fmt(100 - p['false_suspension_pct'])} % justified, mean {_fmt(p['mean_suspension_minutes'])} "
        f"min (median {_fmt(p['median_suspension_minutes'], 0)}, longest {p['longest_suspension_minutes']}); "
        f"lowest true glucose during one: median {_fmt(p['median_lowest_in_suspension_mgdl'], 0)}, "
        f"min {_fmt(p['lowest_in_suspension_mgdl'], 0)} mg/dL; ended by: "
        + ", ".join(f"{k} {_fmt(v, 2)}/d" for k, v in p["suspensions_per_day_ended_by"].items())
    )
    k = Table(title="alarms by kind (kernel.alarms.PRIORITY)", title_justify="left")
    for name in ("kind", "priority", "needs a person", "stops delivery", "per patient-day", "total"):
        k.add_column(name, justify="right")
    for kind, per_day in alarm_kind_rows(p):
        priority = PRIORITY[kind]
        k.add_row(
            kind.name,
            priority.name.lower(),
            "yes" if priority in PERSON_PRIORITIES else "no",
            "yes" if priority == Priority.HIGH else "no",
            _fmt(per_day, 2),
            f"{per_day * days:.0f}",
        )
    console.print(k)
    console.print(
        f"the simulated user ({report.run.get('user', 'pump')}): rescue carbohydrate for lows "
        f"{_fmt(p.get('rescue_treatments_per_day', 0.0), 2)} times and {_fmt(p.get('rescue_carbs_g_per_day', 0.0))} g "
        f"per patient-day; meal boluses deferred (glucose below 70) {_fmt(p.get('deferred_boluses_per_day', 0.0), 2)}, "
        f"given up {_fmt(p.get('missed_boluses_per_day', 0.0), 2)}; suspensions resumed to bolus "
        f"{_fmt(p.get('user_resumes_per_day', 0.0), 2)} per patient-day"
    )
    if report.timing:
        print_timing(console, report.timing)


def alarm_kind_rows(population: dict[str, Any]) -> list[tuple[AlarmKind, float]]:
    """Every alarm kind with its rate per patient-day (0 for the kinds that never fired)."""
    rates = population["alarms_per_day_by_kind"]
    return [(kind, float(rates.get(kind.name, 0.0))) for kind in sorted(AlarmKind, key=lambda k: -PRIORITY[k])]


def print_timing(console: Any, timing: dict[str, Any]) -> None:
    from rich.table import Table

    t = Table(title="where the time went (wall time in the workers, summed)", title_justify="left")
    for name in ("part", "s", "share %", "s per patient-day"):
        t.add_column(name, justify="right")
    busy = timing["busy_s"] or 1.0
    for part in TIMING_PARTS:
        seconds = timing["parts_s"][part]
        t.add_row(part, f"{seconds:.1f}", f"{100 * seconds / busy:.1f}", f"{seconds / timing['patient_days']:.3f}")
    t.add_row("all", f"{timing['busy_s']:.1f}", "100.0", f"{timing['busy_s'] / timing['patient_days']:.3f}")
    console.print(t)
    console.print(
        f"speed: {timing['patient_days']:g} patient-days in {timing['simulation_wall_s']:.1f} s wall "
        f"({timing['workers']} on {timing['where']}), {timing['patient_days_per_s']:.2f} patient-days/s; "
        f"the workers had the processor {100 * timing['cpu_s'] / max(timing['busy_s'], 1e-9):.0f} % of their time; "
        f"kernel {100 * timing['kernel_share']:.1f} % of the loop time, {timing['kernel_us_per_step']:.0f} us per "
        f"kernel.step ({timing['kernel_steps']} steps); report and figures {timing['report_wall_s']:.1f} s"
    )


def _flat(summary: Summary) -> dict[str, Any]:
    row = dataclasses.asdict(summary)
    days = max(summary.days, 1e-9)
    prefixes = {
        "alarms_by_kind": "alarms",
        "alarms_by_priority": "alarms",
        "suspensions_ended_by": "suspensions_ended_by",
        "refusals_by_reason": "refused",
    }
    for name, prefix in prefixes.items():
        for key, count in row.pop(name).items():
            row[f"{prefix}_{key}"] = count
    for name in ("suspensions", "threshold_suspensions", "predictive_suspensions", "false_suspensions"):
        row[f"{name}_per_day"] = getattr(summary, name) / days
    for name in ("alarms", "person_alarms", "stop_delivery_alarms"):
        row[f"{name}_per_day"] = getattr(summary, name) / days
    return row


def _no_nan(value: Any) -> Any:
    """``value`` with every NaN float replaced by ``None`` (JSON has no NaN)."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _no_nan(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_no_nan(item) for item in value]
    return value


def write_report(out: Path, report: Report) -> list[Path]:
    """``summary.json``, ``summary.csv``, ``suspensions.csv``, ``alarms.csv`` in ``out``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    data = {**report.outcome(), "run": report.run, "timing": report.timing}
    paths = [out / "summary.json", out / "summary.csv", out / "suspensions.csv", out / "alarms.csv"]
    paths[0].write_text(json.dumps(_no_nan(data), indent=1, default=str))
    rows = [_flat(s) for s in report.summaries]
    names: list[str] = []
    for row in rows:
        names += [name for name in row if name not in names]
    with open(paths[1], "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=names, restval=0)
        writer.writeheader()
        writer.writerows(rows)
    with open(paths[2], "w", newline="") as handle:
        fields = [f.name for f in dataclasses.fields(Suspension)]
        writer = csv.DictWriter(handle, fieldnames=[*fields, "minutes"])
        writer.writeheader()
        writer.writerows({**dataclasses.asdict(e), "minutes": e.minutes} for e in report.episodes)
    with open(paths[3], "w", newline="") as handle:
        table = csv.writer(handle)
        table.writerow(["kind", "priority", "needs_a_person", "stops_delivery", "per_patient_day"])
        for kind, per_day in alarm_kind_rows(report.population):
            priority = PRIORITY[kind]
            table.writerow(
                [kind.name, priority.name, priority in PERSON_PRIORITIES, priority == Priority.HIGH, per_day]
            )
    return paths
