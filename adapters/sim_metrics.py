"""Measuring a simulated patient: glucose outcomes, low-glucose suspensions, alarm burden (issue 18.1, ALM-5).

Theory of operation
-------------------
Everything here is a pure function of a ``PatientRun``.  Glucose figures come
from the *true* glucose of the patient model (``PatientRun.bg_mgdl``), never
from the CGM: time in range 70-180 mg/dL (both ends in range), below 70,
below 54, above 180, above 250, mean, and the coefficient of variation
(population standard deviation / mean x 100), over every simulated minute.

Low-glucose suspensions (SUS-2, SUS-3) are the kernel's ``MODE_CHANGED``
notices into and out of ``LGS_SUSPENDED``, so a suspension that the user ends
within the same minute still counts.  Each one is:

* **threshold** or **predictive**, from what the kernel saw when it started:
  *threshold* when the last valid CGM reading the kernel had taken (verdict
  ``USED``) was at or below the patient's LGS threshold, or when the last
  report was a fresh ``"LOW"`` below the sensor's range (which the kernel takes
  as evidence of a low, SEN-4); *predictive* otherwise (the kernel acted on
  the predicted trend, SUS-3);
* **justified** when the true glucose went below 70 mg/dL within 30 minutes
  of its start (minutes start .. start + 30), **false** otherwise;
* its duration, the lowest true glucose during it, and why it ended (the
  ``LGS_ENDED`` cause: recovered, maximum duration, sensor lost; or the mode
  it ended in: resumed by the user, a manual suspend for a set change, ...).

The patient model can collapse: simglucose sets the derivative of a state
to zero once the state is negative, so a patient whose glucose is driven
through zero stays there for the rest of the run.  ``collapsed_minute`` is the
first minute with true glucose at or below 1 mg/dL (-1 if none); the minutes
after it still count (as below 54), and the report names the patient.

Alarms are counted by kind and by the priority the kernel sent with each
``Alarm`` command (``kernel.alarms.PRIORITY``).  An alarm **needs a person to
act** when its priority is high or medium: in IEC 60601-1-8 a high-priority
alarm requires immediate and a medium-priority one prompt operator response,
while a low-priority one asks for awareness; in this kernel every high alarm
also stops delivery until a person acknowledges it (ALM-1), which is counted
apart (``stop_delivery_alarms``).  Alarms the shell raises itself
(``ShellAlarm``, all high) are added to both.  An alarm left unacknowledged is
repeated by the kernel (``Alarm.repeat`` > 0, ALM-5); a repetition is counted
apart (``alarm_repeats``), never as a new alarm.

Units: ``_mgdl``, ``_pct``, ``_minutes``, ``_units``.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

from adapters.sim_record import PatientRun
from kernel.alarms import AlarmKind, Priority
from kernel.commands import LgsEnd, NoticeKind
from kernel.modes import Mode
from kernel.reasons import Reason

JUSTIFIED_WITHIN_MINUTES = 30
JUSTIFIED_BELOW_MGDL = 70.0
COLLAPSED_AT_MGDL = 1.0
USED = 0

PERSON_PRIORITIES = (Priority.HIGH, Priority.MEDIUM)
"""Priorities whose alarms need a person to act (see module docstring)."""

LIMIT_REASONS = (
    Reason.MAX_IOB,
    Reason.ABOVE_MAX_BOLUS,
    Reason.HOURLY_LIMIT,
    Reason.DAILY_LIMIT,
    Reason.TEMP_RATE_ABOVE_MAX_BASAL,
)
"""Refusals that are a limit acting."""

_ENDED_BY_MODE = {
    Mode.DELIVERING: "resumed by the user",
    Mode.SUSPENDED: "manual suspend",
}


@dataclass(frozen=True)
class Suspension:
    """One low-glucose suspension (see module docstring)."""

    patient: str
    start_minute: int
    end_minute: int
    kind: str
    """``"threshold"`` or ``"predictive"``."""
    kernel_mgdl: int
    """The reading the kernel had taken at the start (the last valid one; below 40 for a ``"LOW"``); 0 if none."""
    lowest_mgdl: float
    """Lowest true glucose during the suspension."""
    lowest_30_mgdl: float
    """Lowest true glucose within 30 minutes of the start."""
    justified: bool
    ended_by: str

    @property
    def minutes(self) -> int:
        return self.end_minute - self.start_minute


def _kind_at_start(run: PatientRun, readings_seen: int, start_tick: int) -> tuple[str, int]:
    """Threshold or predictive, from the readings the kernel had received (see module docstring)."""
    seen = run.readings[:readings_seen]
    if seen:
        tick, mgdl, _ = seen[-1]
        if mgdl < run.glucose_min_mgdl and tick >= start_tick - run.glucose_max_age_ticks:
            return "threshold", mgdl
    for _, mgdl, verdict in reversed(seen):
        if verdict == USED:
            return ("threshold" if mgdl <= run.lgs_threshold_mgdl else "predictive"), mgdl
    return "predictive", 0


def suspensions(run: PatientRun) -> list[Suspension]:
    """Every low-glucose suspension of ``run``, in order."""
    lgs = int(Mode.LGS_SUSPENDED)
    causes = dict(run.lgs_ends)
    bg = run.bg_mgdl
    found: list[Suspension] = []
    start: tuple[int, int] | None = None
    for tick, old, new, readings_seen in [*run.mode_changes, (run.minutes, lgs, -1, len(run.readings))]:
        if new == lgs and old != lgs:
            start = (tick, readings_seen)
        elif old == lgs and start is not None:
            begin, seen = start
            kind, kernel_mgdl = _kind_at_start(run, seen, begin)
            if new == -1:
                ended_by = "run ended"
            elif tick in causes:
                ended_by = LgsEnd(causes[tick]).name.lower().replace("_", " ")
            else:
                ended_by = _ENDED_BY_MODE.get(Mode(new), Mode(new).name.lower())
            during = bg[begin : max(tick, begin + 1)] or [float("nan")]
            window = bg[begin : begin + JUSTIFIED_WITHIN_MINUTES + 1] or [float("nan")]
            lowest_30 = min(window)
            found.append(
                Suspension(
                    run.patient,
                    begin,
                    tick,
                    kind,
                    kernel_mgdl,
                    min(during),
                    lowest_30,
                    lowest_30 < JUSTIFIED_BELOW_MGDL,
                    ended_by,
                )
            )
            start = None
    return found


@dataclass(frozen=True)
class Summary:
    """One patient's figures (counts; per patient-day rates are counts / ``days``)."""

    patient: str
    days: float
    mean_mgdl: float
    cv_pct: float
    min_mgdl: float
    max_mgdl: float
    collapsed_minute: int
    """First minute with true glucose <= 1 mg/dL, where the model stops (see module docstring); -1 if none."""
    tir_pct: float
    below_70_pct: float
    below_54_pct: float
    above_180_pct: float
    above_250_pct: float
    basal_units: float
    bolus_units: float
    suspensions: int
    threshold_suspensions: int
    predictive_suspensions: int
    justified_suspensions: int
    false_suspensions: int
    suspension_minutes: int
    longest_suspension_minutes: int
    lowest_in_suspension_mgdl: float
    """Lowest true glucose during any suspension (nan if none)."""
    alarms: int
    person_alarms: int
    stop_delivery_alarms: int
    alarm_repeats: int
    """Repetitions of unacknowledged alarms (signals of an alarm already counted, ALM-5)."""
    limit_hits: int
    limit_detail: str
    refusals: int
    user_resumes: int
    set_changes: int
    rescue_treatments: int
    """Times the user ate fast carbohydrate for a low (habit ``treat_lows``)."""
    rescue_carbs_g: float
    deferred_boluses: int
    """Meal boluses the calculator deferred (glucose below 70 mg/dL at the meal)."""
    missed_boluses: int
    alarms_by_kind: dict[str, int] = field(default_factory=dict)
    alarms_by_priority: dict[str, int] = field(default_factory=dict)
    suspensions_ended_by: dict[str, int] = field(default_factory=dict)
    refusals_by_reason: dict[str, int] = field(default_factory=dict)


def _pct(values: list[float], keep: Callable[[float], bool]) -> float:
    return 100 * sum(1 for g in values if keep(g)) / max(1, len(values))


def summarise(run: PatientRun, episodes: list[Suspension] | None = None) -> Summary:
    """``run``'s figures (see module docstring); ``episodes`` defaults to ``suspensions(run)``."""
    episodes = suspensions(run) if episodes is None else episodes
    bg = run.bg_mgdl
    mean = statistics.fmean(bg) if bg else 0.0
    cv = 100 * statistics.pstdev(bg) / mean if len(bg) > 1 and mean else 0.0
    unit = run.pulse_mu / 1000
    by_kind: dict[str, int] = {}
    by_priority: dict[str, int] = {}
    for _, kind, priority in run.alarms:
        by_kind[AlarmKind(kind).name] = by_kind.get(AlarmKind(kind).name, 0) + 1
        by_priority[Priority(priority).name] = by_priority.get(Priority(priority).name, 0) + 1
    shell_alarms = len(run.shell_alarms)
    person = sum(by_priority.get(p.name, 0) for p in PERSON_PRIORITIES) + shell_alarms
    stop = by_priority.get(Priority.HIGH.name, 0) + shell_alarms
    limit = {name: count for name, count in run.refusals.items() if Reason[name] in LIMIT_REASONS}
    withheld = run.notices.get(NoticeKind.BASAL_WITHHELD.name, 0)
    if withheld:
        limit["BASAL_WITHHELD"] = withheld
    ended: dict[str, int] = {}
    for episode in episodes:
        ended[episode.ended_by] = ended.get(episode.ended_by, 0) + 1
    return Summary(
        patient=run.patient,
        days=run.days,
        mean_mgdl=mean,
        cv_pct=cv,
        min_mgdl=min(bg, default=0.0),
        max_mgdl=max(bg, default=0.0),
        collapsed_minute=next((minute for minute, g in enumerate(bg) if g <= COLLAPSED_AT_MGDL), -1),
        tir_pct=_pct(bg, lambda g: 70 <= g <= 180),
        below_70_pct=_pct(bg, lambda g: g < 70),
        below_54_pct=_pct(bg, lambda g: g < 54),
        above_180_pct=_pct(bg, lambda g: g > 180),
        above_250_pct=_pct(bg, lambda g: g > 250),
        basal_units=sum(run.basal_pulses) * unit,
        bolus_units=sum(run.bolus_pulses) * unit,
        suspensions=len(episodes),
        threshold_suspensions=sum(1 for e in episodes if e.kind == "threshold"),
        predictive_suspensions=sum(1 for e in episodes if e.kind == "predictive"),
        justified_suspensions=sum(1 for e in episodes if e.justified),
        false_suspensions=sum(1 for e in episodes if not e.justified),
        suspension_minutes=sum(e.minutes for e in episodes),
        longest_suspension_minutes=max((e.minutes for e in episodes), default=0),
        lowest_in_suspension_mgdl=min((e.lowest_mgdl for e in episodes), default=float("nan")),
        alarms=len(run.alarms) + shell_alarms,
        person_alarms=person,
        stop_delivery_alarms=stop,
        alarm_repeats=run.alarm_repeats,
        limit_hits=sum(limit.values()) + by_kind.get(AlarmKind.LIMIT_REACHED.name, 0),
        limit_detail=", ".join(f"{name} {count}" for name, count in sorted(limit.items())),
        refusals=sum(run.refusals.values()),
        user_resumes=run.user_resumes,
        set_changes=run.set_changes,
        rescue_treatments=len(run.rescue_carbs),
        rescue_carbs_g=sum(g for _, g in run.rescue_carbs),
        deferred_boluses=run.deferred_boluses,
        missed_boluses=run.missed_boluses,
        alarms_by_kind=by_kind,
        alarms_by_priority=by_priority,
        suspensions_ended_by=ended,
        refusals_by_reason=dict(sorted(run.refusals.items())),
    )


def population(summaries: list[Summary], episodes: list[Suspension]) -> dict[str, object]:
    """The population's figures: glucose as the day-weighted mean over patients, events per patient-day."""
    days = sum(s.days for s in summaries) or 1.0

    def mean(name: str) -> float:
        return float(sum(getattr(s, name) * s.days for s in summaries)) / days

    def per_day(name: str) -> float:
        return float(sum(getattr(s, name) for s in summaries)) / days

    def merged(name: str) -> dict[str, float]:
        total: dict[str, int] = {}
        for s in summaries:
            for key, count in getattr(s, name).items():
                total[key] = total.get(key, 0) + count
        return {key: count / days for key, count in sorted(total.items())}

    durations = [e.minutes for e in episodes]
    lows = [e.lowest_mgdl for e in episodes]
    figures: dict[str, object] = {
        "patients": len(summaries),
        "patient_days": days,
    }
    for name in ("tir_pct", "below_70_pct", "below_54_pct", "above_180_pct", "above_250_pct", "cv_pct", "mean_mgdl"):
        figures[name] = mean(name)
    for name in (
        "suspensions",
        "threshold_suspensions",
        "predictive_suspensions",
        "justified_suspensions",
        "false_suspensions",
        "suspension_minutes",
        "alarms",
        "person_alarms",
        "stop_delivery_alarms",
        "alarm_repeats",
        "user_resumes",
        "rescue_treatments",
        "rescue_carbs_g",
        "deferred_boluses",
        "missed_boluses",
        "basal_units",
        "bolus_units",
    ):
        figures[f"{name}_per_day"] = per_day(name)
    figures.update(
        false_suspension_pct=100 * sum(1 for e in episodes if not e.justified) / max(1, len(episodes)),
        mean_suspension_minutes=statistics.fmean(durations) if durations else 0.0,
        median_suspension_minutes=statistics.median(durations) if durations else 0.0,
        longest_suspension_minutes=max(durations, default=0),
        lowest_in_suspension_mgdl=min(lows, default=float("nan")),
        median_lowest_in_suspension_mgdl=statistics.median(lows) if lows else float("nan"),
        limit_hits=sum(s.limit_hits for s in summaries),
        refusals=sum(s.refusals for s in summaries),
        patients_with_time_below_54=sum(1 for s in summaries if s.below_54_pct > 0),
        collapsed_patients=[s.patient for s in summaries if s.collapsed_minute >= 0],
        alarms_per_day_by_kind=merged("alarms_by_kind"),
        alarms_per_day_by_priority=merged("alarms_by_priority"),
        suspensions_per_day_ended_by=merged("suspensions_ended_by"),
        refusals_per_day_by_reason=merged("refusals_by_reason"),
    )
    return figures
