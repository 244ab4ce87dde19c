"""Closed-loop simulation: the kernel, behind the adapters, as the pump of a UVA/Padova virtual patient.

Theory of operation
-------------------
The patients are the 30 type-1 virtual patients of simglucose (the UVA/Padova
2008 model: 10 adolescents, 10 adults, 10 children), an optional extra
(``pip install -e '.[sim]'``).  simglucose and its dependencies are imported
lazily, inside the functions that need them, so ``import adapters`` works
without the extra.

One simulated minute is one kernel tick:

1. the CGM (simglucose's sensor model, with its noise, formatted the way a
   receiver shows it: whole mg/dL, ``"LOW"`` below 40 and ``"HIGH"`` above
   400) gives a sample every few minutes; dropouts are injected on top; the
   samples go through ``CgmInput`` into the kernel;
2. the simulated user eats (``MealScenario``) and boluses through the
   ``PumpManager`` facade (counted carbs / carb ratio, plus a correction above
   150 mg/dL, less net insulin on board, capped at max bolus like an app's recommendation; if the pump is
   in a low-glucose suspension the user resumes first), acknowledges alarms
   after five minutes, and changes the set and reservoir when due;
3. the controller (``LoopController``), every 5 minutes, commands 30-minute
   temp basals through the facade: zero when glucose is low or predicted low,
   a high temp when predicted above 160 mg/dL (the correction, less net
   insulin on board, spread over two hours), the schedule otherwise.  It knows max
   basal (apps sync delivery limits) but nothing else: max IOB, the rolling
   limits, the sensor rules and low-glucose suspend are the kernel's;
4. ``PumpShell.tick`` advances the kernel; its therapy ``Deliver`` goes to a
   ``SimulatedMotor``; the pulses the motor *displaced* in that minute are the
   insulin the patient gets (U/min for one minute); priming pulses fill the
   tubing and reach no one;
5. the patient's ODE advances one minute with the carbohydrate eaten and the
   insulin delivered.

Speed: simglucose reads patient parameters from a pandas row inside the ODE's
right-hand side; giving it a ``SimpleNamespace`` of the same values makes it
about 10 times faster with identical results (see the toolchain notes).

``simulate_patient`` returns a ``PatientRun``: the minute-by-minute glucose,
CGM, insulin and pump mode, the alarms, the refusals by reason, and the time
spent in ``kernel.step`` (``ShellCounters.kernel_s``).  ``summarise`` turns it
into the figures of the summary table.

Units: ``_mgdl``, ``_units`` (U), ``_pulses``, ``_minutes`` (= ticks), ``_g``.
No dosing decision of the pump lives here: the controller and the user are
the pump's *clients*, outside it.
"""

from __future__ import annotations

import importlib
import math
import random
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from adapters.manager import PumpManager, PumpManagerResult, ResultKind
from adapters.motor import SimulatedMotor
from adapters.sensor import CgmInput, CgmSample
from adapters.shell import PumpShell, ShellAlarm
from kernel.alarms import AlarmKind
from kernel.commands import Alarm, Deliver, Notice, NoticeKind, Purpose
from kernel.config import DEFAULT_CONFIG, PumpConfig
from kernel.events import GlucoseReading
from kernel.modes import Mode
from kernel.reasons import Reason
from kernel.settings import TherapySettings, make_settings
from kernel.units import MU_PER_UNIT

PATIENTS: tuple[str, ...] = tuple(
    f"{group}#{index:03d}" for group in ("adolescent", "adult", "child") for index in range(1, 11)
)
"""The 30 virtual patients of simglucose."""

MINUTES_PER_DAY = 1440


def sim_available() -> bool:
    """Whether the ``sim`` extra (simglucose) is installed."""
    try:
        importlib.import_module("simglucose")
    except ImportError:
        return False
    return True


# -------------------------------------------------------------------- meals


@dataclass(frozen=True)
class Meal:
    minute: int
    carbs_g: float
    counted_g: float
    """What the user counts and boluses for (0: a forgotten bolus)."""


@dataclass(frozen=True)
class MealScenario:
    """Meals for a run of days; ``random`` adds jitter, counting errors and the odd forgotten bolus."""

    name: str
    seed: int = 0

    def meals(self, days: int, patient: str) -> list[Meal]:
        scale = 0.6 if patient.startswith("child") else 1.0
        plan = ((7 * 60, 45.0), (12 * 60, 70.0), (18 * 60 + 30, 80.0), (22 * 60, 15.0))
        rng = random.Random(f"{self.seed}:{patient}")
        meals = []
        for day in range(days):
            for minute, carbs in plan:
                grams = carbs * scale
                if self.name == "standard":
                    meals.append(Meal(day * MINUTES_PER_DAY + minute, grams, grams))
                    continue
                at = day * MINUTES_PER_DAY + minute + rng.randint(-30, 30)
                eaten = grams * rng.uniform(0.7, 1.3)
                counted = 0.0 if rng.random() < 0.08 else eaten * rng.uniform(0.75, 1.3)
                meals.append(Meal(at, eaten, counted))
        return meals


MEAL_SCENARIOS = ("standard", "random")


# ------------------------------------------------------------------ patients


@dataclass(frozen=True)
class PatientProfile:
    """What the simulated user and the controller know about their patient (simglucose's Quest table)."""

    name: str
    body_weight_kg: float
    basal_units_per_hour: float
    carb_ratio_g: float
    correction_mgdl_per_unit: float
    total_daily_units: float


def _params_dir() -> Any:
    resources = importlib.import_module("importlib.resources")
    return resources.files("simglucose") / "params"


def load_profile(name: str) -> tuple[PatientProfile, Any]:
    """The profile and the simglucose parameter row of patient ``name``."""
    pandas: Any = importlib.import_module("pandas")
    params = pandas.read_csv(str(_params_dir() / "vpatient_params.csv"))
    quest = pandas.read_csv(str(_params_dir() / "Quest.csv"))
    row = params.loc[params.Name == name].squeeze()
    q = quest.loc[quest.Name == name].squeeze()
    basal = float(row.u2ss) * float(row.BW) / 6000 * 60
    profile = PatientProfile(name, float(row.BW), basal, float(q.CR), float(q.CF), float(q.TDI))
    return profile, row


def therapy_settings(config: PumpConfig, profile: PatientProfile) -> TherapySettings:
    """The pump settings a clinician would program for this patient (within the configuration's ceilings)."""
    p = config.pulse_mu

    def pulses(units: float) -> int:
        return max(1, int(units * MU_PER_UNIT) // p)

    basal = pulses(profile.basal_units_per_hour)
    max_basal = min(config.max_basal_ceiling_pph, 4 * basal)
    max_bolus = min(config.max_bolus_ceiling_pulses, pulses(max(5.0, math.ceil(0.3 * profile.total_daily_units))))
    max_hourly = min(config.max_hourly_ceiling_pulses, max_bolus + max_basal)
    max_daily = min(config.max_daily_ceiling_pulses, pulses(3 * profile.total_daily_units))
    max_iob = min(config.max_iob_ceiling_pulses, max_bolus)
    return make_settings(
        config,
        basal_segments_mu_per_hour=((0, basal * p),),
        max_basal_mu_per_hour=max_basal * p,
        max_bolus_mu=max_bolus * p,
        max_hourly_mu=max_hourly * p,
        max_daily_mu=max_daily * p,
        max_iob_mu=max_iob * p,
        dia_minutes=300,
        auto_off_hours=0,
        lgs_threshold_mgdl=70,
        lgs_enabled=True,
        predictive_suspend_enabled=True,
        remote_bolus_enabled=True,
        controller_enabled=True,
    )


# ---------------------------------------------------------------- controller


@dataclass
class LoopController:
    """A simple temp-basal controller, a client of the pump (see module docstring)."""

    profile: PatientProfile
    max_basal_units_per_hour: float
    target_mgdl: float = 120.0
    low_mgdl: float = 80.0
    horizon_minutes: int = 30
    history: list[tuple[int, float]] = field(default_factory=list)

    def observe(self, minute: int, mgdl: float) -> None:
        self.history = [*self.history[-5:], (minute, mgdl)]

    def predicted_mgdl(self, minute: int) -> float | None:
        if not self.history or minute - self.history[-1][0] > 12:
            return None
        last_minute, last = self.history[-1]
        earlier = [(m, g) for m, g in self.history[:-1] if 5 <= last_minute - m <= 15]
        if not earlier:
            return last
        m0, g0 = earlier[-1]
        slope = (last - g0) / (last_minute - m0)
        return last + slope * self.horizon_minutes

    def decide(self, minute: int, manager: PumpManager) -> PumpManagerResult | None:
        predicted = self.predicted_mgdl(minute)
        if predicted is None:
            return None  # no data: say nothing; the pump falls back to its schedule (TMP-3, SEN-2)
        current = self.history[-1][1]
        basal = self.profile.basal_units_per_hour
        if current < self.low_mgdl or predicted < self.low_mgdl + 10:
            return manager.enact_temp_basal(0.0, 30)
        status = manager.status()
        if predicted > 160:
            needed = (predicted - self.target_mgdl) / self.profile.correction_mgdl_per_unit
            needed -= net_iob_units(status.insulin_on_board_units, self.profile)
            if needed > 0:
                rate = min(self.max_basal_units_per_hour, basal + needed)  # the correction over two hours
                return manager.enact_temp_basal(rate, 30)
        if status.temp_basal_remaining_minutes > 0:
            return manager.cancel_temp_basal()
        return None


def net_iob_units(iob_units: float, profile: PatientProfile) -> float:
    """Insulin on board above what steady scheduled basal keeps on board (the kernel's IOB counts basal too).

    Steady basal at ``b`` U/h keeps about ``b x 2.3`` U on board with the
    kernel's 5-hour insulin-action table; the clients subtract it, as bolus
    calculators do with "net IOB".
    """
    return max(0.0, iob_units - 2.3 * profile.basal_units_per_hour)


# ---------------------------------------------------------------------- runs


@dataclass
class PatientRun:
    """Everything one simulated patient produced."""

    patient: str
    scenario: str
    days: int
    bg_mgdl: list[float] = field(default_factory=list)
    cgm: list[tuple[int, float]] = field(default_factory=list)
    basal_pulses: list[int] = field(default_factory=list)
    bolus_pulses: list[int] = field(default_factory=list)
    displaced_pulses: list[int] = field(default_factory=list)
    modes: list[int] = field(default_factory=list)
    alarms: list[tuple[int, int]] = field(default_factory=list)
    meals: list[Meal] = field(default_factory=list)
    refusals: dict[str, int] = field(default_factory=dict)
    notices: dict[str, int] = field(default_factory=dict)
    withheld_pulses: int = 0
    set_changes: int = 0
    user_resumes: int = 0
    pulse_mu: int = 50
    kernel_s: float = 0.0
    patient_s: float = 0.0
    total_s: float = 0.0
    steps: int = 0
    shell_alarms: list[str] = field(default_factory=list)


class _SimDisplay:
    def __init__(self, run: PatientRun) -> None:
        self.run = run
        self.active: dict[int, int] = {}

    def alarm(self, tick: int, alarm: Alarm, repeated: bool) -> None:
        self.run.alarms.append((tick, int(alarm.kind)))

    def notice(self, tick: int, notice: Notice) -> None:
        self.run.notices[notice.kind.name] = self.run.notices.get(notice.kind.name, 0) + 1

    def shell_alarm(self, alarm: ShellAlarm, detail: str) -> None:
        self.run.shell_alarms.append(f"{alarm.name}: {detail}")


LIMIT_REASONS = (
    Reason.MAX_IOB,
    Reason.ABOVE_MAX_BOLUS,
    Reason.HOURLY_LIMIT,
    Reason.DAILY_LIMIT,
    Reason.TEMP_RATE_ABOVE_MAX_BASAL,
)
"""Refusals that are a limit acting."""


def _count(run: PatientRun, result: PumpManagerResult | None) -> None:
    if result is not None and result.kind is ResultKind.REFUSED:
        run.refusals[result.reason.name] = run.refusals.get(result.reason.name, 0) + 1


def simulate_patient(
    name: str,
    *,
    days: int = 1,
    scenario: str = "random",
    seed: int = 1,
    config: PumpConfig = DEFAULT_CONFIG,
    dropout_chance: float = 0.005,
    sensor: str = "Dexcom",
) -> PatientRun:
    """Run one patient in closed loop for ``days`` (see module docstring)."""
    started = time.perf_counter()
    numpy: Any = importlib.import_module("numpy")
    patient_module: Any = importlib.import_module("simglucose.patient.t1dpatient")
    cgm_module: Any = importlib.import_module("simglucose.sensor.cgm")
    profile, row = load_profile(name)
    values = row.to_dict()
    patient = patient_module.T1DPatient(
        SimpleNamespace(**values), init_state=numpy.asarray(row.iloc[2:15].values, dtype=float)
    )
    cgm_sensor = cgm_module.CGMSensor.withName(sensor, seed=seed)
    period = int(cgm_sensor.sample_time)
    rng = random.Random(f"dropouts:{seed}:{name}")

    run = PatientRun(name, scenario, days, pulse_mu=config.pulse_mu)
    run.meals = MealScenario(scenario, seed).meals(days, name)
    meals_at = {meal.minute: meal for meal in run.meals}
    motor = SimulatedMotor()
    display = _SimDisplay(run)
    shell = PumpShell.start(config, motor=motor, display=display)
    manager = PumpManager(shell)
    settings = therapy_settings(config, profile)
    cgm_input = CgmInput(config, sample_period_s=period * 60)
    controller = LoopController(profile, settings.max_basal_pph * config.pulse_mu / MU_PER_UNIT)
    max_bolus_units = settings.max_bolus_pulses * config.pulse_mu / MU_PER_UNIT

    def change_set(first: bool) -> None:
        from kernel import events as ev

        steps: list[object] = [] if first else [ev.Suspend(shell.now), ev.Rewind(shell.now)]
        if first:
            steps.append(ev.SettingsChange(shell.now, settings))
        steps += [
            ev.FillReservoir(shell.now, config.reservoir_capacity_pulses),
            ev.PrimeTubing(shell.now, 2600 // config.pulse_mu),
            ev.FillCannula(shell.now, 500 // config.pulse_mu),
            ev.Resume(shell.now),
        ]
        for event in steps:
            result = shell.submit(event)
            if result is not None and not result.outcome.accepted:
                _count(run, PumpManagerResult(ResultKind.REFUSED, result.outcome.reason))
        run.set_changes += 0 if first else 1

    change_set(first=True)
    dropout_until = -1
    alarm_seen: dict[AlarmKind, int] = {}
    for minute in range(days * MINUTES_PER_DAY):
        # 1. the sensor
        if minute % period == 0:
            value = float(cgm_sensor.measure(patient))
            if minute >= dropout_until and rng.random() < dropout_chance:
                dropout_until = minute + rng.choice((15, 25, 40))
            if minute >= dropout_until:
                shown: float | str = "LOW" if value < 40 else "HIGH" if value > 400 else float(round(value))
                for event in cgm_input.events([CgmSample(minute * 60, shown)], shell.now):
                    shell.submit(event)
                    assert isinstance(event, GlucoseReading)
                run.cgm.append((minute, value))
                controller.observe(minute, min(max(value, 39.0), 401.0))
        # 2. the user
        status = manager.status()
        for kind in status.active_alarms:
            seen = alarm_seen.setdefault(kind, minute)
            if minute - seen >= 5:
                manager.acknowledge_alarm(kind)
                alarm_seen.pop(kind, None)
        meal = meals_at.get(minute)
        carbs = 0.0
        if meal is not None:
            carbs = meal.carbs_g
            if meal.counted_g > 0:
                correction = 0.0
                if controller.history and controller.history[-1][1] > 150:
                    correction = (controller.history[-1][1] - 120) / profile.correction_mgdl_per_unit
                wanted = meal.counted_g / profile.carb_ratio_g + correction
                wanted -= net_iob_units(status.insulin_on_board_units, profile)
                units = min(max(wanted, 0.0), max_bolus_units)
                asked = manager.enact_bolus(units)
                if asked.reason == Reason.NOT_ALLOWED_IN_MODE and status.mode == Mode.LGS_SUSPENDED:
                    # The user sees a suspension before a meal, resumes (LGS locks out for 30 min, SUS-4), boluses.
                    run.user_resumes += 1
                    manager.resume_delivery()
                    asked = manager.enact_bolus(units)
                _count(run, asked)
        if minute % MINUTES_PER_DAY == 9 * 60 and minute > 0:
            set_age_hours = shell.state.reservoir.set_age_ticks / 60
            if set_age_hours >= 48 or status.reservoir_units < 60:
                change_set(first=False)
        # 3. the controller
        if minute % 5 == 0:
            _count(run, controller.decide(minute, manager))
        # 4. the pump
        before = shell.state.totals
        results = shell.tick()
        after = shell.state.totals
        displaced = 0
        for result in results:
            for command in result.commands:
                if isinstance(command, Deliver) and command.purpose == Purpose.THERAPY:
                    execution = motor.executions.get(command.seq)
                    displaced += 0 if execution is None else execution.answer.displaced_pulses
        run.basal_pulses.append(after.basal_pulses - before.basal_pulses)
        run.bolus_pulses.append(after.bolus_pulses - before.bolus_pulses)
        run.displaced_pulses.append(displaced)
        run.modes.append(shell.state.mode)
        # 5. the patient
        run.bg_mgdl.append(float(patient.observation.Gsub))
        insulin_units_per_minute = displaced * config.pulse_mu / MU_PER_UNIT
        ode_started = time.perf_counter()
        patient.step(patient_module.Action(CHO=carbs, insulin=insulin_units_per_minute))
        run.patient_s += time.perf_counter() - ode_started
    run.withheld_pulses = shell.state.totals.withheld_pulses
    run.kernel_s = shell.counters.kernel_s
    run.steps = shell.counters.steps
    run.total_s = time.perf_counter() - started
    return run


# ------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Summary:
    patient: str
    days: int
    mean_mgdl: float
    time_in_range_pct: float
    time_below_70_pct: float
    time_below_54_pct: float
    time_above_180_pct: float
    min_mgdl: float
    max_mgdl: float
    basal_units: float
    bolus_units: float
    lgs_suspensions: int
    lgs_minutes: int
    alarms: int
    limit_hits: int
    limit_detail: str
    refusals: int


def summarise(run: PatientRun) -> Summary:
    bg = run.bg_mgdl
    n = max(1, len(bg))
    unit = run.pulse_mu / MU_PER_UNIT
    lgs = [mode == Mode.LGS_SUSPENDED for mode in run.modes]
    starts = sum(1 for i, now in enumerate(lgs) if now and (i == 0 or not lgs[i - 1]))
    limit = {name: count for name, count in run.refusals.items() if Reason[name] in LIMIT_REASONS}
    withheld = run.notices.get(NoticeKind.BASAL_WITHHELD.name, 0)
    if withheld:
        limit["BASAL_WITHHELD"] = withheld
    limit_alarms = sum(1 for _, kind in run.alarms if kind == AlarmKind.LIMIT_REACHED)
    return Summary(
        patient=run.patient,
        days=run.days,
        mean_mgdl=sum(bg) / n,
        time_in_range_pct=100 * sum(1 for g in bg if 70 <= g <= 180) / n,
        time_below_70_pct=100 * sum(1 for g in bg if g < 70) / n,
        time_below_54_pct=100 * sum(1 for g in bg if g < 54) / n,
        time_above_180_pct=100 * sum(1 for g in bg if g > 180) / n,
        min_mgdl=min(bg, default=0.0),
        max_mgdl=max(bg, default=0.0),
        basal_units=sum(run.basal_pulses) * unit,
        bolus_units=sum(run.bolus_pulses) * unit,
        lgs_suspensions=starts,
        lgs_minutes=sum(lgs),
        alarms=len(run.alarms),
        limit_hits=sum(limit.values()) + limit_alarms,
        limit_detail=", ".join(f"{name} {count}" for name, count in sorted(limit.items())),
        refusals=sum(run.refusals.values()),
    )
