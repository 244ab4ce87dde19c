"""The simulated world around the pump: who the virtual patients are, what their pump is set to, what they eat.

Theory of operation
-------------------
The patients are the 30 type-1 virtual patients of simglucose (the UVA/Padova
2008 model: 10 adolescents, 10 adults, 10 children).  For each, the
``PatientProfile`` is what the user and the controller know (simglucose's
``Quest.csv``: carb ratio, correction factor, total daily insulin, and the
steady-state basal of the model), and ``therapy_settings`` is what a
clinician would program into the pump for that patient, within the device
configuration's ceilings.

``MealScenario`` gives the meals of a run: ``standard`` is four fixed meals
a day, counted exactly; ``random`` (the default) moves each meal by up to
30 minutes, scales it by 0.7-1.3, has the user count it with an error of
-25 % to +30 %, and forgets the bolus of about one meal in twelve.  Every
random draw comes from a generator seeded with the run's seed and the
patient's name, so a patient's meals do not depend on which other patients
run, nor in which process.

``calculator_settings`` is what the clinician sets in the pump's bolus
calculator for that patient (the same ``Quest.csv`` carb ratio and
correction factor, the calculator's default target range 100-120 mg/dL and
IOB rule), and ``rescue_carbs_g`` how much fast carbohydrate the person eats
to treat a low (the "rule of 15": 15 g; children 0.3 g/kg, ISPAD 2022).

Units: ``_g`` (carbohydrate), ``_minutes``, ``_units`` (U), ``_mgdl``.
"""

from __future__ import annotations

import importlib
import math
import random
from dataclasses import dataclass
from typing import Any

from adapters.sim_patient import load_rows
from kernel.calculator_settings import CalculatorSettings, IobRule, make_calculator_settings
from kernel.config import PumpConfig
from kernel.settings import TherapySettings, make_settings
from kernel.units import MU_PER_UNIT

PATIENTS: tuple[str, ...] = tuple(
    f"{group}#{index:03d}" for group in ("adolescent", "adult", "child") for index in range(1, 11)
)
"""The 30 virtual patients of simglucose."""

MINUTES_PER_DAY = 1440

LGS_THRESHOLD_MGDL = 70
"""The low-glucose suspend threshold programmed for every simulated patient (SUS-2; default 70)."""


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


def load_profile(name: str) -> tuple[PatientProfile, dict[str, Any]]:
    """The profile and the simglucose parameter row (a plain dict) of patient ``name``."""
    row, quest = load_rows(name)
    body_weight = float(row["BW"])
    basal = float(row["u2ss"]) * body_weight / 6000 * 60
    profile = PatientProfile(
        name,
        body_weight,
        basal,
        float(quest["CR"]),
        float(quest["CF"]),
        float(quest["TDI"]),
    )
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
        lgs_threshold_mgdl=LGS_THRESHOLD_MGDL,
        lgs_enabled=True,
        predictive_suspend_enabled=True,
        remote_bolus_enabled=True,
        controller_enabled=True,
    )


CALC_TARGET_LOW_MGDL = 100
CALC_TARGET_HIGH_MGDL = 120
"""The calculator's target range for every simulated patient (``make_calculator_settings``'s defaults)."""


def calculator_settings(config: PumpConfig, profile: PatientProfile) -> CalculatorSettings:
    """The bolus-calculator settings a clinician would program for this patient (CALC-1..4).

    Carb ratio and correction factor are the patient's ``Quest.csv`` values
    (the ones the user's own arithmetic used), in the calculator's units
    (tenths of a gram per unit, whole mg/dL per unit, clamped to the
    calculator's ranges); target 100-120 mg/dL; below 70 mg/dL no
    recommendation; one pulse increment; IOB reduces the correction only
    (``CORRECTION_ONLY``, the Medtronic Bolus Wizard rule and the default).
    """
    ratio_dg_per_u = min(1500, max(10, round(profile.carb_ratio_g * 10)))
    isf_mgdl = min(400, max(1, round(profile.correction_mgdl_per_unit)))
    return make_calculator_settings(
        config,
        carb_ratio_dg_per_u=((0, ratio_dg_per_u),),
        sensitivity_mgdl=((0, isf_mgdl),),
        target_low_mgdl=((0, CALC_TARGET_LOW_MGDL),),
        target_high_mgdl=((0, CALC_TARGET_HIGH_MGDL),),
        min_calc_glucose_mgdl=70,
        iob_rule=IobRule.CORRECTION_ONLY,
    )


RESCUE_CARBS_ADULT_G = 15.0
"""The "rule of 15" (American Diabetes Association): 15 g of fast carbohydrate for glucose below 70 mg/dL,
recheck after 15 minutes, repeat while still below 70."""
RESCUE_CARBS_CHILD_G_PER_KG = 0.3
"""ISPAD Clinical Practice Consensus Guidelines 2022 (hypoglycemia, Abraham et al., doi:10.1111/pedi.13443), as
quoted by Zucchini et al., Front Endocrinol 2024: oral glucose 0.3 g/kg (docs/simulation.md)."""


def rescue_carbs_g(profile: PatientProfile) -> float:
    """Fast carbohydrate eaten to treat one low: 15 g; a child 0.3 g/kg, whole grams, at most 15 g."""
    if profile.name.startswith("child"):
        return float(min(RESCUE_CARBS_ADULT_G, round(RESCUE_CARBS_CHILD_G_PER_KG * profile.body_weight_kg)))
    return RESCUE_CARBS_ADULT_G
