"""Closed-loop simulation: the kernel, behind the adapters, as the pump of a UVA/Padova virtual patient.

Theory of operation
-------------------
The patients are simglucose's 30 virtual patients (``adapters.sim_world``),
integrated by ``adapters.sim_patient`` (simglucose's model, bit-identical,
about five times faster).  simglucose and its dependencies are an optional
extra (``pip install -e '.[sim]'``), imported lazily, so ``import adapters``
works without it.

One simulated minute is one kernel tick:

1. the CGM (simglucose's sensor model with its noise, seeded per patient,
   shown the way a receiver shows it: whole mg/dL, ``"LOW"`` below 40 and
   ``"HIGH"`` above 400) gives a sample every 3 minutes; dropouts of 15, 25
   or 40 minutes start with probability ``dropout_chance`` per sample; the
   samples go through ``CgmInput`` into the kernel, and the controller
   observes them;
2. the simulated user acts (``adapters.sim_clients.SimUser``: alarms, meals
   and boluses, rescue carbohydrate for lows, set changes; its ``habits``
   are ``pump`` by default: doses with the pump's bolus calculator and
   treats lows by the rule of 15);
3. every 5 minutes the controller acts (``LoopController``: temp basals);
4. ``PumpShell.tick`` advances the kernel; its therapy ``Deliver`` goes to a
   ``SimulatedMotor``; the pulses the motor *displaced* in that minute are the
   insulin the patient gets (U/min for one minute); priming pulses fill the
   tubing and reach no one;
5. the patient's ODE advances one minute with the carbohydrate eaten and the
   insulin delivered.

Everything the kernel saw and said goes into a ``PatientRun``
(``adapters.sim_record``); ``adapters.sim_metrics`` measures it.  A run is a
pure function of (patient, minutes, scenario, seed, configuration, sensor,
dropout chance): every random draw comes from generators seeded with the seed
and the patient's name, so runs are bit-identical whichever process or
machine runs them (``tests/adapters/test_sim_parallel.py``).

Where the time goes (``PatientRun.timing_s``): ``kernel`` is the time inside
``kernel.step`` (``ShellCounters.kernel_s``); every other part excludes it:
``patient_model`` (the ODE), ``cgm_model`` (simglucose's noise),
``controller``, ``user``, ``adapters`` (shell, facade, motor, CGM input),
``recording`` (this loop's bookkeeping) and ``setup`` (loading parameters,
programming the pump).

Units: ``_mgdl``, ``_units`` (U), ``_pulses``, ``_minutes`` (= ticks), ``_g``, ``_s``.
No dosing decision of the pump lives here: the controller and the user are
the pump's *clients*, outside it.
"""

from __future__ import annotations

import importlib
import os
import random
import warnings
from dataclasses import dataclass
from typing import Any

from adapters.manager import PumpManager
from adapters.motor import SimulatedMotor
from adapters.sensor import CgmInput, CgmSample
from adapters.shell import PumpShell
from adapters.sim_clients import USER_HABITS, LoopController, SimUser, net_iob_units
from adapters.sim_patient import cgm_seed, make_cgm, make_patient
from adapters.sim_record import PENDING, TIMING_PARTS, Laps, PatientRun, SimDisplay
from adapters.sim_world import (
    LGS_THRESHOLD_MGDL,
    MEAL_SCENARIOS,
    MINUTES_PER_DAY,
    PATIENTS,
    Meal,
    MealScenario,
    PatientProfile,
    load_profile,
    sim_available,
    therapy_settings,
)
from kernel.commands import Deliver, Purpose
from kernel.config import DEFAULT_CONFIG, PumpConfig
from kernel.events import GlucoseReading
from kernel.units import MU_PER_UNIT

__all__ = [
    "MEAL_SCENARIOS",
    "MINUTES_PER_DAY",
    "PATIENTS",
    "TIMING_PARTS",
    "USER_HABITS",
    "LoopController",
    "Meal",
    "MealScenario",
    "PatientProfile",
    "PatientRun",
    "PatientTask",
    "load_profile",
    "net_iob_units",
    "run_task",
    "sim_available",
    "simulate_patient",
    "therapy_settings",
]

USED = 0
"""``GlucoseUse.USED``: the kernel took the reading."""


def simulate_patient(
    name: str,
    *,
    days: int = 1,
    minutes: int | None = None,
    scenario: str = "random",
    seed: int = 1,
    config: PumpConfig = DEFAULT_CONFIG,
    dropout_chance: float = 0.005,
    sensor: str = "Dexcom",
    habits: str = "pump",
) -> PatientRun:
    """Run one patient in closed loop for ``days`` (or ``minutes``, if given); see module docstring.

    ``habits`` names the simulated user's habits (``USER_HABITS``: ``pump``, ``classic``, ...).
    """
    total_minutes = days * MINUTES_PER_DAY if minutes is None else minutes
    run = PatientRun(
        name,
        scenario,
        seed,
        total_minutes,
        pulse_mu=config.pulse_mu,
        lgs_threshold_mgdl=LGS_THRESHOLD_MGDL,
        glucose_min_mgdl=config.glucose_min_mgdl,
        glucose_max_age_ticks=config.glucose_max_age_ticks,
        user_habits=habits,
    )
    laps = Laps(run)
    patient_module: Any = importlib.import_module("simglucose.patient.t1dpatient")
    action = patient_module.Action
    profile, row = load_profile(name)
    patient = make_patient(row)
    cgm_sensor = make_cgm(sensor, cgm_seed(seed, name))
    period = int(cgm_sensor.sample_time)
    rng = random.Random(f"dropouts:{seed}:{name}")

    full_days = -(-total_minutes // MINUTES_PER_DAY)
    run.meals = [m for m in MealScenario(scenario, seed).meals(full_days, name) if m.minute < total_minutes]
    motor = SimulatedMotor()
    display = SimDisplay(run)
    shell = PumpShell.start(config, motor=motor, display=display)
    laps.counters = shell.counters
    manager = PumpManager(shell)
    settings = therapy_settings(config, profile)
    cgm_input = CgmInput(config, sample_period_s=period * 60)
    controller = LoopController(profile, settings.max_basal_pph * config.pulse_mu / MU_PER_UNIT)
    user = SimUser(run, manager, settings, profile, controller, run.meals, display, USER_HABITS[habits])
    user.change_set(first=True)
    pulse_mu = config.pulse_mu
    executions = motor.executions
    bg, readings = run.bg_mgdl, run.readings
    dropout_until = -1
    laps.lap("setup")
    for minute in range(total_minutes):
        # 1. the sensor
        if minute % period == 0:
            value = float(cgm_sensor.measure(patient))
            laps.lap("cgm_model")
            if minute >= dropout_until and rng.random() < dropout_chance:
                dropout_until = minute + rng.choice((15, 25, 40))
            if minute >= dropout_until:
                shown: float | str = "LOW" if value < 40 else "HIGH" if value > 400 else float(round(value))
                for event in cgm_input.events([CgmSample(minute * 60, shown)], shell.now):
                    assert isinstance(event, GlucoseReading)
                    readings.append((shell.now, event.mgdl, PENDING))
                    shell.submit(event)
                    if readings[-1][2] == PENDING:
                        readings[-1] = (readings[-1][0], event.mgdl, USED)
                run.cgm.append((minute, value))
                controller.observe(minute, min(max(value, 39.0), 401.0))
            laps.lap("adapters")
        # 2. the user
        carbs = user.act(minute)
        laps.lap("user")
        # 3. the controller
        if minute % 5 == 0:
            run.count(controller.decide(minute, manager))
            laps.lap("controller")
        # 4. the pump
        before = shell.state.totals
        results = shell.tick()
        laps.lap("adapters")
        after = shell.state.totals
        displaced = 0
        for result in results:
            for command in result.commands:
                if isinstance(command, Deliver) and command.purpose == Purpose.THERAPY:
                    execution = executions.get(command.seq)
                    displaced += 0 if execution is None else execution.answer.displaced_pulses
        run.basal_pulses.append(after.basal_pulses - before.basal_pulses)
        run.bolus_pulses.append(after.bolus_pulses - before.bolus_pulses)
        run.displaced_pulses.append(displaced)
        run.modes.append(shell.state.mode)
        bg.append(float(patient.observation.Gsub))
        laps.lap("recording")
        # 5. the patient
        patient.step(action(CHO=carbs, insulin=displaced * pulse_mu / MU_PER_UNIT))  # U/min for one minute
        laps.lap("patient_model")
    run.withheld_pulses = shell.state.totals.withheld_pulses
    laps.lap("recording")
    laps.close(run)
    return run


@dataclass(frozen=True)
class PatientTask:
    """One patient's run, as plain data for ``pumpkernel.fanout`` (worker processes, Dask)."""

    patient: str
    minutes: int
    scenario: str = "random"
    seed: int = 1
    user: str = "pump"


def run_task(task: PatientTask) -> PatientRun:
    """``simulate_patient`` for ``task``, quietly (simglucose's import warnings off, matplotlib without a screen)."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=UserWarning)
    return simulate_patient(
        task.patient, minutes=task.minutes, scenario=task.scenario, seed=task.seed, habits=task.user
    )
