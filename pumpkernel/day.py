"""A scripted day of delivery on the default configuration, as a table.

The day starts at local midnight with a new pump: settings, reservoir fill,
prime, cannula fill, resume.  Then breakfast (normal bolus), an exercise temp
basal at 70 %, lunch (dual wave), an afternoon correction, dinner (extended
bolus), a bedtime snack, and the run continues across midnight into the next
day.  The table shows, per hour, basal and bolus delivered, the reservoir,
and what happened.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from adapters.runner import Runner
from kernel import events as ev
from kernel.commands import Deliver, Notice, NoticeKind, Purpose
from kernel.config import DEFAULT_CONFIG, PumpConfig
from kernel.events import Source, TempKind
from kernel.modes import Mode
from kernel.settings import make_settings
from kernel.units import MU_PER_UNIT

HELP = "run a scripted day of delivery on the default configuration and print it as a table"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--hours", type=int, default=26, help="hours to run (default 26: across midnight)")


def run(args: argparse.Namespace) -> int:
    rows, _ = scripted_day(hours=args.hours)
    render(rows)
    return 0


@dataclass
class HourRow:
    hour: int
    basal_pulses: int = 0
    bolus_pulses: int = 0
    reservoir_pulses: int = 0
    mode: str = ""
    notes: list[str] = field(default_factory=list)


def scripted_day(config: PumpConfig = DEFAULT_CONFIG, hours: int = 26) -> tuple[list[HourRow], Runner]:
    """Run the scripted day; return one row per hour and the runner."""
    settings = make_settings(config, auto_off_hours=0, lgs_enabled=False, predictive_suspend_enabled=False)
    run = Runner.new(config)
    p = config.pulse_mu
    run.set_up(settings, 200 * MU_PER_UNIT // p, 2600 // p, 500 // p)
    plan: dict[int, list[object]] = {}

    def at(hour: int, minute: int, make: object) -> None:
        plan.setdefault(hour * 60 + minute, []).append(make)

    at(7, 30, lambda t: ev.BolusRequest(t, 1, Source.USER, 5000 // p))
    at(10, 0, lambda t: ev.TempBasal(t, 2, Source.USER, TempKind.PERCENT, 70, 90))
    at(12, 30, lambda t: ev.BolusRequest(t, 3, Source.USER, 3000 // p, 3000 // p, 120))
    at(15, 0, lambda t: ev.BolusRequest(t, 4, Source.USER, 1500 // p))
    at(19, 0, lambda t: ev.BolusRequest(t, 5, Source.USER, 0, 6000 // p, 180))
    at(22, 30, lambda t: ev.BolusRequest(t, 6, Source.USER, 1000 // p))

    rows = [HourRow(hour) for hour in range(hours)]
    for minute in range(hours * 60):
        row = rows[minute // 60]
        for make in plan.get(minute, []):
            event = make(run.now)  # type: ignore[operator]
            result = run.do(event)
            label = type(event).__name__
            row.notes.append(label if result.outcome.accepted else f"{label} refused: {result.outcome.reason.name}")
        before = run.state.totals
        result = run.tick()
        after = run.state.totals
        row.basal_pulses += after.basal_pulses - before.basal_pulses
        row.bolus_pulses += after.bolus_pulses - before.bolus_pulses
        for command in result.commands:
            if isinstance(command, Notice) and command.kind in (
                NoticeKind.BOLUS_ENDED,
                NoticeKind.EXTENDED_ENDED,
                NoticeKind.TEMP_BASAL_ENDED,
                NoticeKind.BASAL_WITHHELD,
            ):
                row.notes.append(command.kind.name.lower())
            elif isinstance(command, Deliver) and command.purpose != Purpose.THERAPY:
                row.notes.append("prime")
        row.reservoir_pulses = run.state.reservoir.pulses
        row.mode = Mode(run.state.mode).name
    return rows, run


def render(rows: list[HourRow], config: PumpConfig = DEFAULT_CONFIG) -> None:
    """Print the day as a table (rich)."""
    from rich.console import Console
    from rich.table import Table

    def units(pulses: int) -> str:
        return f"{pulses * config.pulse_mu / MU_PER_UNIT:.2f}"

    table = Table(title="pumpkernel: a scripted day on the default configuration (0.05 U pulses)")
    for name in ("day", "hour", "basal U", "bolus U", "reservoir U", "mode", "events"):
        table.add_column(name)
    for row in rows:
        table.add_row(
            str(1 + row.hour // 24),
            f"{row.hour % 24:02d}:00",
            units(row.basal_pulses),
            units(row.bolus_pulses),
            units(row.reservoir_pulses),
            row.mode,
            ", ".join(row.notes),
        )
    total_basal = sum(r.basal_pulses for r in rows)
    total_bolus = sum(r.bolus_pulses for r in rows)
    table.add_row("", "total", units(total_basal), units(total_bolus), "", "", "")
    Console().print(table)
