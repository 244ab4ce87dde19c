"""The simulated user's habits: the pump's bolus calculator and the rule of 15; and the attribution of lows."""

from __future__ import annotations

import warnings

import pytest

from adapters.sim_clients import LOW_ALERT_MGDL, RECHECK_MINUTES, TREAT_DELAY_MINUTES, USER_HABITS, SimUser
from adapters.sim_lows import LGS_SUSPENDED, attribute, clock, episodes
from adapters.sim_record import PatientRun
from adapters.sim_world import PATIENTS, Meal, calculator_settings, load_profile, rescue_carbs_g, sim_available
from kernel.calculator_settings import calculator_settings_checks
from kernel.config import DEFAULT_CONFIG
from kernel.modes import Mode

needs_sim = pytest.mark.skipif(not sim_available(), reason="the sim extra (simglucose) is not installed")


@pytest.fixture(autouse=True)
def _quiet() -> None:
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=UserWarning)


def _treating_user(history: list[tuple[int, float]]) -> SimUser:
    """A ``SimUser`` with only what ``treat_low`` reads (the controller's CGM history, the run, the dose)."""
    from adapters.sim_clients import LoopController

    user = SimUser.__new__(SimUser)
    user.controller = LoopController.__new__(LoopController)
    user.controller.history = history
    user.run = PatientRun("adult#001", "standard", 1, 60)
    user.rescue_g, user.low_since, user.next_treat = 15.0, None, 0
    return user


def test_habits_and_the_rule_of_15() -> None:
    assert USER_HABITS["pump"].calculator and USER_HABITS["pump"].treat_lows
    assert not USER_HABITS["classic"].calculator and not USER_HABITS["classic"].treat_lows
    user = _treating_user([(0, 65.0)])
    eaten = {}
    for minute in range(0, 40):
        user.controller.history = [(minute - minute % 3, 65.0 if minute < 22 else 90.0)]
        eaten[minute] = user.treat_low(minute)
    # 5 minutes after the first low reading, 15 g; again 15 minutes later while still low; not once it is 90.
    assert [m for m, g in eaten.items() if g] == [TREAT_DELAY_MINUTES, TREAT_DELAY_MINUTES + RECHECK_MINUTES]
    assert user.run.rescue_carbs == [(5, 15.0), (20, 15.0)] and LOW_ALERT_MGDL == 70.0
    stale = _treating_user([(0, 50.0)])
    assert all(stale.treat_low(minute) == 0.0 for minute in range(6, 30))  # no current reading: no low seen


@needs_sim
def test_calculator_settings_and_rescue_doses_for_every_patient() -> None:
    for name in PATIENTS:
        profile, _ = load_profile(name)
        settings = calculator_settings(DEFAULT_CONFIG, profile)
        assert calculator_settings_checks(DEFAULT_CONFIG, settings) == (), name
        assert settings.carb_ratio_slots_dg_per_u[0] == round(profile.carb_ratio_g * 10)
        assert settings.sensitivity_slots_mgdl[0] == round(profile.correction_mgdl_per_unit)
        dose = rescue_carbs_g(profile)
        assert dose == 15.0 if not name.startswith("child") else 7.0 <= dose <= 14.0, name
    child, _ = load_profile("child#008")
    assert rescue_carbs_g(child) == round(0.3 * child.body_weight_kg) == 7


@needs_sim
def test_the_pump_user_never_boluses_on_a_low_and_treats_it() -> None:
    from adapters.simulation import simulate_patient

    pump = simulate_patient("child#004", days=1, seed=1, habits="pump")
    classic = simulate_patient("child#004", days=1, seed=1, habits="classic")
    assert pump.user_habits == "pump" and classic.user_habits == "classic"
    assert pump.user_boluses and all(cgm >= 70 or cgm < 0 for _, _, _, cgm, _, _, _ in pump.user_boluses)
    assert pump.rescue_carbs and not classic.rescue_carbs and classic.deferred_boluses == 0
    cgm = dict(pump.cgm)
    for minute, grams in pump.rescue_carbs:
        seen = [value for m, value in cgm.items() if minute - 5 <= m <= minute]
        assert seen and min(max(seen[-1], 39.0), 401.0) < 70 and grams == 11.0
    assert min(pump.bg_mgdl) > min(classic.bg_mgdl)


def test_low_episodes_and_their_driver() -> None:
    assert episodes([80, 60, 65, 80] + [80] * 10 + [60, 90] + [80] * 30 + [50]) == [(1, 14), (46, 46)]
    assert clock(1440 + 14 * 60 + 5) == "d2 14:05" and int(Mode.LGS_SUSPENDED) == LGS_SUSPENDED
    run = PatientRun("child#001", "random", 1, 400)
    run.bg_mgdl = [120.0] * 200 + [65.0] * 30 + [120.0] * 170
    run.basal_pulses, run.modes = [0] * 400, [0] * 400
    run.meals = [Meal(100, 40.0, 40.0)]
    run.user_boluses = [(100, 100, 2.0, 68.0, 0.5, 0.0, True)]
    (episode,) = attribute(run, 0.35)
    assert (episode.start_minute, episode.minutes, episode.nadir_mgdl) == (200, 30, 65.0)
    assert episode.driver == "resumed a suspension to bolus (CGM 68)" and episode.extra_basal_units < 0
    run.user_boluses = [(100, 100, 2.0, 150.0, 0.5, 1.0, False)]
    assert attribute(run, 0.35)[0].driver.startswith("correction in the bolus")
    run.user_boluses = [(100, 100, 2.0, 150.0, 0.5, 0.0, False)]
    assert attribute(run, 0.35)[0].driver == "meal bolus counted within 15 %"
