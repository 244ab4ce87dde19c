"""What one simulated patient produced: the record a run leaves, and the display that writes it.

Theory of operation
-------------------
``PatientRun`` is plain data (lists of numbers and tuples), so it pickles
cheaply from a worker process or a Dask worker and compares exactly between
two runs.  It holds, minute by minute, the true glucose of the patient model
(``bg_mgdl``: simglucose's subcutaneous glucose ``Gsub``, which simglucose
calls BG), the insulin delivered and the pump mode after the minute's tick;
and, event by event, what the kernel saw and said:

* ``readings``: every CGM reading passed to the kernel, with the kernel's
  verdict (``GlucoseUse``: 0 = used, else why not, from the
  ``GLUCOSE_NOT_USED`` notice);
* ``mode_changes``: every ``MODE_CHANGED`` notice, with how many readings the
  kernel had received when it happened (so a suspension can be classified
  by the reading that started it, ``adapters.sim_metrics``);
* ``lgs_ends``: every ``LGS_ENDED`` notice (why an automatic suspension ended);
* ``alarms``: every ``Alarm`` command (kind and priority, as the kernel sent them).

``SimDisplay`` is the pump's display in the simulation: the shell calls it
inside the step, and it appends to the run.  The run's ``timing_s`` says
where the wall time of the run went (see ``adapters.simulation``).

Units: ``_mgdl``, ``_pulses``, ``_minutes`` (= ticks), ``_s``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from adapters.manager import PumpManagerResult, ResultKind
from adapters.recovery import ShellNotice
from adapters.shell import ShellAlarm, ShellCounters
from adapters.sim_world import MINUTES_PER_DAY, Meal
from kernel.commands import Alarm, Notice, NoticeKind

PENDING = -1
"""``readings`` verdict while the kernel is still stepping on the reading."""

TIMING_PARTS = ("kernel", "patient_model", "cgm_model", "controller", "user", "adapters", "recording", "setup")
"""Where a run's wall time goes (``PatientRun.timing_s``); each part excludes the kernel's own time."""


@dataclass
class PatientRun:
    """Everything one simulated patient produced (see module docstring)."""

    patient: str
    scenario: str
    seed: int
    minutes: int
    pulse_mu: int = 50
    lgs_threshold_mgdl: int = 70
    glucose_min_mgdl: int = 40
    """The kernel's lowest valid reading; a ``"LOW"`` arrives as one below it (``CgmInput``)."""
    glucose_max_age_ticks: int = 12
    bg_mgdl: list[float] = field(default_factory=list)
    cgm: list[tuple[int, float]] = field(default_factory=list)
    basal_pulses: list[int] = field(default_factory=list)
    bolus_pulses: list[int] = field(default_factory=list)
    displaced_pulses: list[int] = field(default_factory=list)
    modes: list[int] = field(default_factory=list)
    readings: list[tuple[int, int, int]] = field(default_factory=list)
    """(tick, mg/dL sent to the kernel, ``GlucoseUse`` verdict)."""
    mode_changes: list[tuple[int, int, int, int]] = field(default_factory=list)
    """(tick, old mode, new mode, number of ``readings`` the kernel had received)."""
    lgs_ends: list[tuple[int, int]] = field(default_factory=list)
    """(tick, ``LgsEnd``)."""
    alarms: list[tuple[int, int, int]] = field(default_factory=list)
    """(tick, ``AlarmKind``, ``Priority``) of every newly raised alarm."""
    alarm_repeats: int = 0
    """Repetitions of alarms left unacknowledged (``Alarm.repeat`` > 0, ALM-5): signals, not new alarms."""
    meals: list[Meal] = field(default_factory=list)
    refusals: dict[str, int] = field(default_factory=dict)
    notices: dict[str, int] = field(default_factory=dict)
    shell_alarms: list[str] = field(default_factory=list)
    withheld_pulses: int = 0
    set_changes: int = 0
    user_resumes: int = 0
    user_habits: str = "pump"
    """The simulated user's habits (``adapters.sim_clients.USER_HABITS``)."""
    rescue_carbs: list[tuple[int, float]] = field(default_factory=list)
    """(minute, g): fast carbohydrate the user ate to treat a low (habit ``treat_lows``)."""
    deferred_boluses: int = 0
    """Meals the calculator had no recommendation for at the meal (glucose below 70 mg/dL)."""
    missed_boluses: int = 0
    """Deferred meal boluses the user gave up on (an hour after the meal, or at the next meal)."""
    user_boluses: list[tuple[int, int, float, float, float, float, bool]] = field(default_factory=list)
    """Every meal bolus the user asked for: (minute, meal minute, U delivered (0: refused), CGM mg/dL the user saw
    (-1: none), insulin on board U (the kernel's), correction part U less the insulin on board taken from it
    (signed: a calculator's reverse correction is negative), resumed a low-glucose suspension to give it)."""
    calculator_refusals: dict[str, int] = field(default_factory=dict)
    """Other reasons the calculator gave no recommendation (``CalcStatus``), by name."""
    steps: int = 0
    timing_s: dict[str, float] = field(default_factory=lambda: dict.fromkeys(TIMING_PARTS, 0.0))
    total_s: float = 0.0
    """Wall time of the run in its worker; ``timing_s`` splits it."""
    cpu_s: float = 0.0
    """Processor time of the worker during the run (less than ``total_s`` when the machine is shared)."""

    @property
    def days(self) -> float:
        return self.minutes / MINUTES_PER_DAY

    def count(self, result: PumpManagerResult | None) -> None:
        """Count a refusal by its reason."""
        if result is not None and result.kind is ResultKind.REFUSED:
            self.refusals[result.reason.name] = self.refusals.get(result.reason.name, 0) + 1

    def outcome(self) -> dict[str, object]:
        """Everything but the timings: what must be identical between two runs with the same seed."""
        data = dict(vars(self))
        for name in ("timing_s", "total_s", "cpu_s"):
            data.pop(name)
        return data


class SimDisplay:
    """The pump's display: records alarms and the notices the measurements need (see module docstring)."""

    def __init__(self, run: PatientRun) -> None:
        self.run = run
        self.heard: set[int] = set()
        """Alarm kinds announced that the user has not yet seen acknowledged (``SimUser``)."""

    def alarm(self, tick: int, alarm: Alarm, repeated: bool) -> None:
        self.heard.add(int(alarm.kind))
        if alarm.repeat > 0:
            self.run.alarm_repeats += 1
            return
        self.run.alarms.append((tick, int(alarm.kind), int(alarm.priority)))

    def notice(self, tick: int, notice: Notice) -> None:
        run = self.run
        run.notices[notice.kind.name] = run.notices.get(notice.kind.name, 0) + 1
        if notice.kind == NoticeKind.MODE_CHANGED:
            run.mode_changes.append((tick, notice.a, notice.b, len(run.readings)))
        elif notice.kind == NoticeKind.LGS_ENDED:
            run.lgs_ends.append((tick, notice.a))
        elif notice.kind == NoticeKind.GLUCOSE_NOT_USED and run.readings and run.readings[-1][2] == PENDING:
            last_tick, mgdl, _ = run.readings[-1]
            run.readings[-1] = (last_tick, mgdl, notice.a)

    def shell_alarm(self, alarm: ShellAlarm, detail: str) -> None:
        self.run.shell_alarms.append(f"{alarm.name}: {detail}")

    def shell_notice(self, notice: ShellNotice, detail: str) -> None:
        self.run.shell_alarms.append(f"{notice.name}: {detail}")


class Laps:
    """A stopwatch that books the time since the last lap to a part, less the kernel's time in it."""

    def __init__(self, run: PatientRun) -> None:
        self.parts = run.timing_s
        self.counters = ShellCounters()
        """The shell's counters, once there is a shell (``kernel_s``: time in ``kernel.step``)."""
        self.started = self.last = time.perf_counter()
        self.started_cpu = time.process_time()
        self.kernel_s = 0.0

    def lap(self, part: str) -> None:
        now = time.perf_counter()
        kernel_s = self.counters.kernel_s
        self.parts[part] += (now - self.last) - (kernel_s - self.kernel_s)
        self.last, self.kernel_s = now, kernel_s

    def close(self, run: PatientRun) -> None:
        run.timing_s["kernel"] = self.counters.kernel_s
        run.steps = self.counters.steps
        run.total_s = time.perf_counter() - self.started
        run.cpu_s = time.process_time() - self.started_cpu
