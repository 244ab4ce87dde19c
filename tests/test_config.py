"""Configuration and therapy-settings validation (CFG-1, CFG-2, CFG-3, U-2).

CFG-1: ``config_problems`` and ``settings_problems`` list *every* failed rule
(each rule is broken on its own below, and several at once), never raise,
and clamp nothing.  A ``SettingsChange`` with invalid settings is refused
with ``SETTINGS_INVALID`` and every failed rule in ``outcome.problems``; the
previous settings stay in force.  CFG-2: the cross-field rules (slots under
max basal, max bolus under the hourly limit, hourly under daily, scheduled
basal under daily, ...).  CFG-3: the builder's hard ceilings
(``HARD_CEILINGS_MU``).  U-2: ``make_settings`` refuses amounts that are not
whole pulses rather than rounding them.
"""

from __future__ import annotations

from typing import Any

import pytest

from kernel import events as ev
from kernel.commands import NoticeKind
from kernel.config import DEFAULT_CONFIG, HARD_CEILINGS_MU, ConfigRule, config_problems, make_config
from kernel.events import Source, TempKind
from kernel.reasons import Reason, StopCause
from kernel.settings import (
    SettingsRule,
    make_settings,
    profile_slots,
    settings_problems,
    zero_settings,
)
from kernel.state import evolve
from kernel.units import ALLOWED_PULSE_MU, MU_PER_UNIT, SLOTS_PER_DAY
from tests.helpers import (
    C,
    Pump,
    assert_refused,
    delivering_pump,
    flat_settings,
    notices,
    per_tick,
    quiet_settings,
)

R = ConfigRule


@pytest.mark.parametrize("pulse_mu", ALLOWED_PULSE_MU)
def test_default_configurations_are_valid(pulse_mu: int) -> None:
    """CFG-1: the catalogue defaults are valid for every supported pulse size."""
    assert config_problems(make_config(pulse_mu)) == ()
    assert config_problems(DEFAULT_CONFIG) == ()


STRUCTURAL: dict[ConfigRule, tuple[dict[str, Any], tuple[ConfigRule, ...]]] = {
    R.RESERVOIR_CAPACITY_NOT_POSITIVE: (
        {"reservoir_capacity_pulses": 0},
        (R.RESERVOIR_CAPACITY_NOT_POSITIVE, R.CANNULA_ABOVE_CAPACITY, R.RESERVOIR_LOW_RANGE_INVALID),
    ),
    R.BOLUS_SPEED_NOT_POSITIVE: ({"bolus_pulses_per_tick": 0}, (R.BOLUS_SPEED_NOT_POSITIVE,)),
    R.PRIME_MAX_NEGATIVE: ({"prime_max_pulses": -1}, (R.PRIME_MAX_NEGATIVE,)),
    R.CANNULA_RANGE_INVERTED: ({"cannula_min_pulses": 21}, (R.CANNULA_RANGE_INVERTED,)),
    R.CANNULA_ABOVE_CAPACITY: ({"cannula_max_pulses": 6001}, (R.CANNULA_ABOVE_CAPACITY,)),
    R.OCCLUSION_THRESHOLDS_NOT_POSITIVE: (
        {"occlusion_consecutive_samples": 0},
        (R.OCCLUSION_THRESHOLDS_NOT_POSITIVE,),
    ),
    R.MOTOR_ACK_TIMEOUT_NOT_POSITIVE: ({"motor_ack_timeout_ticks": 0}, (R.MOTOR_ACK_TIMEOUT_NOT_POSITIVE,)),
    R.BUCKET_TICKS_NOT_POSITIVE: (
        {"day_bucket_ticks": 0},
        (R.BUCKET_TICKS_NOT_POSITIVE, R.DAY_WINDOW_SHORTER_THAN_24_H),
    ),
    # LIM-1, LIM-2: the ring coverage the window proofs need is a structural rule.
    R.HOUR_WINDOW_SHORTER_THAN_60_MIN: ({"hour_bucket_ticks": 4}, (R.HOUR_WINDOW_SHORTER_THAN_60_MIN,)),
    R.DAY_WINDOW_SHORTER_THAN_24_H: ({"day_bucket_ticks": 59}, (R.DAY_WINDOW_SHORTER_THAN_24_H,)),
    R.REQUEST_MEMORY_OUT_OF_RANGE: ({"requests_per_day_max": 0}, (R.REQUEST_MEMORY_OUT_OF_RANGE,)),
    R.VERY_LOW_ABOVE_LOW_RANGE: ({"reservoir_very_low_pulses": 101}, (R.VERY_LOW_ABOVE_LOW_RANGE,)),
    R.SUSPEND_REMINDER_NOT_POSITIVE: ({"suspend_reminder_ticks": 0}, (R.SUSPEND_REMINDER_NOT_POSITIVE,)),
    R.LGS_TIMING_INVALID: ({"lgs_predict_margin_mgdl": -1}, (R.LGS_TIMING_INVALID,)),
    R.LGS_TREND_INVALID: ({"lgs_min_ticks": 121}, (R.LGS_TREND_INVALID,)),
    R.ALARM_REPEAT_NOT_POSITIVE: ({"alarm_repeat_ticks": 0}, (R.ALARM_REPEAT_NOT_POSITIVE,)),
    R.TEMP_DURATION_RANGE_INVALID: ({"temp_min_ticks": 1441}, (R.TEMP_DURATION_RANGE_INVALID,)),
    R.TEMP_PERCENT_MAX_NEGATIVE: ({"temp_percent_max": -1}, (R.TEMP_PERCENT_MAX_NEGATIVE,)),
    R.CONTROLLER_TEMP_RANGE_INVALID: ({"controller_temp_max_ticks": 0}, (R.CONTROLLER_TEMP_RANGE_INVALID,)),
    R.EXTENDED_RANGE_INVALID: ({"extended_min_ticks": 481}, (R.EXTENDED_RANGE_INVALID,)),
    R.GLUCOSE_RANGE_INVALID: ({"glucose_max_change_mgdl_per_tick": 0}, (R.GLUCOSE_RANGE_INVALID,)),
    R.GLUCOSE_TIMING_INVALID: ({"glucose_max_future_ticks": -1}, (R.GLUCOSE_TIMING_INVALID,)),
    R.CEILINGS_NEGATIVE: ({"max_iob_ceiling_pulses": -1}, (R.CEILINGS_NEGATIVE,)),
    R.HOURLY_CEILING_ABOVE_DAILY: ({"max_daily_ceiling_pulses": 539}, (R.HOURLY_CEILING_ABOVE_DAILY,)),
    R.BOLUS_CEILING_ABOVE_ARITHMETIC_BOUND: (
        {"max_bolus_ceiling_pulses": 1 << 16},
        (R.BOLUS_CEILING_ABOVE_ARITHMETIC_BOUND,),
    ),
    R.RESERVOIR_LOW_RANGE_INVALID: ({"reservoir_low_max_pulses": 6000}, (R.RESERVOIR_LOW_RANGE_INVALID,)),
    R.LGS_THRESHOLD_RANGE_INVALID: ({"lgs_threshold_min_mgdl": 91}, (R.LGS_THRESHOLD_RANGE_INVALID,)),
    R.AUTO_OFF_RANGE_INVALID: ({"auto_off_min_ticks": 1441}, (R.AUTO_OFF_RANGE_INVALID,)),
    R.SET_AGE_RANGE_INVALID: ({"set_reminder_min_ticks": 10080}, (R.SET_AGE_RANGE_INVALID,)),
}
"""Structural rules (what proofs assume), each broken by a change; the exact problems expected."""

LGS_TREND_BREAKS: tuple[dict[str, int], ...] = (
    {"lgs_predict_band_mgdl": -1},
    {"lgs_resume_margin_mgdl": -1},
    {"lgs_trend_span_min_ticks": 2},
    {"lgs_trend_span_min_ticks": 32},
    {"lgs_min_ticks": -1},
    {"lgs_min_ticks": 121},
)
"""Every clause of ``LGS_TREND_INVALID`` (SUS-3, SUS-4), broken one at a time."""

CLINICAL: dict[ConfigRule, tuple[dict[str, Any], tuple[ConfigRule, ...]]] = {
    R.PULSE_SIZE_NOT_SUPPORTED: (
        {"pulse_mu": 20, "reservoir_very_low_pulses": 250, "reservoir_low_min_pulses": 250},
        (R.PULSE_SIZE_NOT_SUPPORTED,),
    ),
    R.MAX_BOLUS_CEILING_ABOVE_HARD_CEILING: (
        {"max_bolus_ceiling_pulses": 601},
        (R.MAX_BOLUS_CEILING_ABOVE_HARD_CEILING,),
    ),
    R.MAX_BASAL_CEILING_ABOVE_HARD_CEILING: (
        {"max_basal_ceiling_pph": 701},
        (R.MAX_BASAL_CEILING_ABOVE_HARD_CEILING,),
    ),
    R.MAX_DAILY_CEILING_ABOVE_HARD_CEILING: (
        {"max_daily_ceiling_pulses": 5001},
        (R.MAX_DAILY_CEILING_ABOVE_HARD_CEILING,),
    ),
    R.MAX_HOURLY_CEILING_ABOVE_HARD_CEILING: (
        {"max_hourly_ceiling_pulses": 1301},
        (R.MAX_HOURLY_CEILING_ABOVE_HARD_CEILING,),
    ),
    R.MAX_IOB_CEILING_ABOVE_HARD_CEILING: (
        {"max_iob_ceiling_pulses": 1401},
        (R.MAX_IOB_CEILING_ABOVE_HARD_CEILING,),
    ),
    R.VERY_LOW_RESERVOIR_NOT_5_U: ({"reservoir_very_low_pulses": 99}, (R.VERY_LOW_RESERVOIR_NOT_5_U,)),
    R.LGS_LONGER_THAN_2_H: ({"lgs_max_ticks": 121}, (R.LGS_LONGER_THAN_2_H,)),
    R.LGS_LOCKOUT_SHORTER_THAN_30_MIN: ({"lgs_lockout_ticks": 29}, (R.LGS_LOCKOUT_SHORTER_THAN_30_MIN,)),
    R.TEMP_PERCENT_ABOVE_250: ({"temp_percent_max": 251}, (R.TEMP_PERCENT_ABOVE_250,)),
    R.GLUCOSE_AGE_LIMITS_LOOSER_THAN_CATALOGUE: (
        {"glucose_max_age_ticks": 13},
        (R.GLUCOSE_AGE_LIMITS_LOOSER_THAN_CATALOGUE,),
    ),
    R.GLUCOSE_RANGE_WIDER_THAN_CATALOGUE: ({"glucose_max_mgdl": 401}, (R.GLUCOSE_RANGE_WIDER_THAN_CATALOGUE,)),
    R.TEMP_DURATION_OUTSIDE_CATALOGUE: ({"temp_min_ticks": 14}, (R.TEMP_DURATION_OUTSIDE_CATALOGUE,)),
    R.EXTENDED_DURATION_OUTSIDE_CATALOGUE: (
        {"extended_max_ticks": 481},
        (R.EXTENDED_DURATION_OUTSIDE_CATALOGUE,),
    ),
    R.BOLUS_SPEED_ABOVE_HARD_CEILING: ({"bolus_pulses_per_tick": 121}, (R.BOLUS_SPEED_ABOVE_HARD_CEILING,)),
    R.SET_AGE_CEILING_ABOVE_HARD_CEILING: (
        {"set_max_age_ceiling_ticks": 10081},
        (R.SET_AGE_CEILING_ABOVE_HARD_CEILING,),
    ),
}
"""Clinical rules (catalogue ranges and CFG-3 hard ceilings), each broken by a change."""


def test_every_config_rule_is_exercised() -> None:
    """CFG-1: every rule but the type rule has a case below."""
    assert set(STRUCTURAL) | set(CLINICAL) | {R.FIELD_NOT_INTEGER} == set(ConfigRule)


@pytest.mark.parametrize("rule", list(STRUCTURAL), ids=lambda r: r.name)
def test_structural_rule(rule: ConfigRule) -> None:
    """CFG-1, CFG-2: breaking a structural rule is reported, with exactly the rules it breaks."""
    changes, expected = STRUCTURAL[rule]
    assert config_problems(evolve(C, **changes), clinical=False) == expected


@pytest.mark.parametrize("rule", list(CLINICAL), ids=lambda r: r.name)
def test_clinical_rule(rule: ConfigRule) -> None:
    """CFG-1, CFG-3: breaking a catalogue range or hard ceiling is reported, with exactly that rule."""
    changes, expected = CLINICAL[rule]
    broken = evolve(C, **changes)
    assert config_problems(broken) == expected
    assert config_problems(broken, clinical=False) == ()


@pytest.mark.parametrize("change", LGS_TREND_BREAKS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_every_trend_and_resume_clause_is_checked(change: dict[str, int]) -> None:
    """SUS-3, SUS-4: each new suspension parameter out of its range is refused by name."""
    assert config_problems(evolve(DEFAULT_CONFIG, **change)) == (R.LGS_TREND_INVALID,)


def test_controller_temp_longer_than_30_minutes_is_a_structural_error() -> None:
    """CFG-1, TMP-3, LIM-4: the max-IOB projection covers 30 minutes, so a longer controller temp is invalid."""
    broken = evolve(C, controller_temp_max_ticks=31)
    assert config_problems(broken, clinical=False) == (R.CONTROLLER_TEMP_RANGE_INVALID,)
    assert config_problems(evolve(C, controller_temp_max_ticks=30)) == ()


def test_every_failed_config_rule_is_listed_in_rule_order() -> None:
    """CFG-1: a configuration breaking many rules gets all of them, in rule order, none clamped."""
    changes: dict[str, Any] = {}
    expected: set[ConfigRule] = set()
    for table in (STRUCTURAL, CLINICAL):
        for rule in (
            R.PRIME_MAX_NEGATIVE,
            R.MOTOR_ACK_TIMEOUT_NOT_POSITIVE,
            R.LGS_LONGER_THAN_2_H,
            R.TEMP_PERCENT_ABOVE_250,
        ):
            if rule in table:
                changes.update(table[rule][0])
                expected.update(table[rule][1])
    broken = evolve(C, **changes)
    problems = config_problems(broken)
    assert set(problems) == expected
    assert list(problems) == sorted(problems, key=lambda r: list(ConfigRule).index(r))
    assert broken.prime_max_pulses == -1, "nothing is clamped"


def test_hard_ceilings_at_the_limit_are_valid() -> None:
    """CFG-3: a configuration exactly at every hard ceiling passes; one pulse more does not."""
    p = C.pulse_mu
    at_limit = evolve(
        C,
        max_bolus_ceiling_pulses=HARD_CEILINGS_MU["max_bolus_mu"] // p,
        max_basal_ceiling_pph=HARD_CEILINGS_MU["max_basal_mu_per_hour"] // p,
        max_hourly_ceiling_pulses=HARD_CEILINGS_MU["max_hourly_mu"] // p,
        max_daily_ceiling_pulses=HARD_CEILINGS_MU["max_daily_mu"] // p,
        max_iob_ceiling_pulses=HARD_CEILINGS_MU["max_iob_mu"] // p,
        bolus_pulses_per_tick=HARD_CEILINGS_MU["bolus_speed_mu_per_minute"] // p,
    )
    assert config_problems(at_limit) == ()
    assert HARD_CEILINGS_MU["max_bolus_mu"] == 30 * MU_PER_UNIT
    assert HARD_CEILINGS_MU["max_basal_mu_per_hour"] == 35 * MU_PER_UNIT
    assert HARD_CEILINGS_MU["max_daily_mu"] == 250 * MU_PER_UNIT


@pytest.mark.parametrize(
    "thing",
    [
        None,
        "config",
        {"pulse_mu": 50},
        evolve(C, pulse_mu=50.0),
        evolve(C, pulse_mu=True),
        evolve(C, max_bolus_ceiling_pulses="340"),
        evolve(C, lgs_max_ticks=None),
    ],
    ids=["none", "string", "dict", "float-field", "bool-field", "string-field", "none-field"],
)
def test_config_with_non_integer_fields_is_reported_not_raised(thing: object) -> None:
    """CFG-1: a non-configuration, or a field that is not an ``int``, is ``FIELD_NOT_INTEGER``; never raises."""
    assert config_problems(thing) == (R.FIELD_NOT_INTEGER,)


# Therapy settings.

S = SettingsRule
BASE = quiet_settings()


def _slots(**at: int) -> tuple[int, ...]:
    slots = list(BASE.basal_slots_pph)
    for index, rate in at.items():
        slots[int(index[1:])] = rate
    return tuple(slots)


SETTINGS_CASES: dict[SettingsRule, dict[str, Any]] = {
    S.BASAL_SLOT_NEGATIVE: {"basal_slots_pph": _slots(s0=-1)},
    S.BASAL_SLOT_ABOVE_MAX_BASAL: {"basal_slots_pph": _slots(s47=BASE.max_basal_pph + 1)},
    S.MAX_BASAL_OUTSIDE_CEILING: {"max_basal_pph": C.max_basal_ceiling_pph + 1},
    S.MAX_BOLUS_OUTSIDE_CEILING: {"max_bolus_pulses": C.max_bolus_ceiling_pulses + 1, "max_hourly_pulses": 400},
    S.MAX_BOLUS_ABOVE_HOURLY_LIMIT: {"max_bolus_pulses": 250, "max_hourly_pulses": 240},
    S.MAX_HOURLY_OUTSIDE_CEILING: {"max_hourly_pulses": C.max_hourly_ceiling_pulses + 1},
    S.MAX_DAILY_OUTSIDE_CEILING: {"max_daily_pulses": C.max_daily_ceiling_pulses + 1},
    S.HOURLY_LIMIT_ABOVE_DAILY_LIMIT: {
        "basal_slots_pph": (0,) * SLOTS_PER_DAY,
        "max_hourly_pulses": 300,
        "max_daily_pulses": 299,
    },
    S.MAX_BASAL_ABOVE_HOURLY_LIMIT: {"max_basal_pph": 60, "max_hourly_pulses": 50, "max_bolus_pulses": 50},
    S.SCHEDULED_BASAL_ABOVE_DAILY_LIMIT: {"max_daily_pulses": 400},
    S.MAX_IOB_OUTSIDE_CEILING: {"max_iob_pulses": C.max_iob_ceiling_pulses + 1},
    S.DIA_OUTSIDE_RANGE: {"dia_index": 13},
    S.RESERVOIR_LOW_OUTSIDE_RANGE: {"reservoir_low_pulses": C.reservoir_low_min_pulses - 1},
    S.SET_AGE_OUTSIDE_RANGE: {"set_reminder_ticks": C.set_reminder_min_ticks - 1},
    S.AUTO_OFF_OUTSIDE_RANGE: {"auto_off_ticks": C.auto_off_min_ticks - 1},
    S.LGS_THRESHOLD_OUTSIDE_RANGE: {"lgs_threshold_mgdl": C.lgs_threshold_max_mgdl + 1},
}
"""Each settings rule broken on its own."""


def test_every_settings_rule_is_exercised() -> None:
    """CFG-1: every settings rule but the type rule has a case below."""
    assert set(SETTINGS_CASES) | {S.FIELD_ILL_TYPED} == set(SettingsRule)


def test_default_and_zero_settings_are_valid() -> None:
    """CFG-1: ``make_settings`` defaults and a new pump's zero settings are valid."""
    assert settings_problems(C, make_settings(C)) == ()
    assert settings_problems(C, zero_settings(C)) == ()
    for pulse_mu in ALLOWED_PULSE_MU:
        config = make_config(pulse_mu)
        assert settings_problems(config, make_settings(config)) == ()


@pytest.mark.parametrize("rule", list(SETTINGS_CASES), ids=lambda r: r.name)
def test_settings_rule(rule: SettingsRule) -> None:
    """CFG-1, CFG-2, CFG-3: each settings rule broken alone is reported alone."""
    assert settings_problems(C, evolve(BASE, **SETTINGS_CASES[rule])) == (rule,)


@pytest.mark.parametrize("rule", list(SETTINGS_CASES), ids=lambda r: r.name)
def test_invalid_settings_change_is_refused_with_its_rule(rule: SettingsRule) -> None:
    """CFG-1: the step refuses the change with ``SETTINGS_INVALID`` naming the rule; old settings stay."""
    pump = delivering_pump(BASE)
    bad = evolve(BASE, **SETTINGS_CASES[rule])
    result = assert_refused(pump, ev.SettingsChange(pump.now, bad), Reason.SETTINGS_INVALID)
    assert result.outcome.problems == (int(rule),)
    assert pump.state.settings == BASE
    assert result.state.log.entries[-1].b == 1 << int(rule), "the log holds the rule mask"


def test_every_failed_settings_rule_is_listed() -> None:
    """CFG-1: a change breaking several rules is refused with all of them, in rule order."""
    changes: dict[str, Any] = {}
    for rule in (S.DIA_OUTSIDE_RANGE, S.AUTO_OFF_OUTSIDE_RANGE, S.BASAL_SLOT_NEGATIVE, S.MAX_IOB_OUTSIDE_CEILING):
        changes.update(SETTINGS_CASES[rule])
    bad = evolve(BASE, **changes)
    expected = (S.BASAL_SLOT_NEGATIVE, S.MAX_IOB_OUTSIDE_CEILING, S.DIA_OUTSIDE_RANGE, S.AUTO_OFF_OUTSIDE_RANGE)
    assert settings_problems(C, bad) == expected
    pump = delivering_pump(BASE)
    result = assert_refused(pump, ev.SettingsChange(pump.now, bad), Reason.SETTINGS_INVALID)
    assert result.outcome.problems == tuple(int(r) for r in expected)


def test_settings_problems_never_raises() -> None:
    """CFG-1: settings of the wrong shape are ``FIELD_ILL_TYPED``."""
    for thing in (None, 3, "settings", evolve(BASE, dia_index=1.5)):
        assert settings_problems(C, thing) == (S.FIELD_ILL_TYPED,)


def test_valid_settings_change_takes_effect_whole() -> None:
    """CFG-1: a valid change replaces the settings as given (nothing clamped) and is announced."""
    pump = delivering_pump(BASE)
    new = flat_settings(1500, max_bolus_mu=5 * MU_PER_UNIT, dia_minutes=240)
    result = pump.accept(ev.SettingsChange(pump.now, new))
    assert pump.state.settings == new
    assert len(notices(result, NoticeKind.SETTINGS_CHANGED)) == 1


def test_settings_change_refused_while_a_bolus_runs() -> None:
    """CFG-1: settings do not change under a running bolus (normal or extended)."""
    for immediate, extended, ticks in ((100, 0, 0), (0, 60, 60)):
        pump = delivering_pump(BASE)
        pump.bolus(immediate, extended, ticks)
        pump.tick()
        assert_refused(pump, ev.SettingsChange(pump.now, flat_settings(1000)), Reason.BOLUS_IN_PROGRESS)


def test_settings_below_window_usage_are_refused() -> None:
    """CFG-1, LIM-1, LIM-2: new limits below what the rolling windows already hold are refused."""
    pump = delivering_pump(flat_settings(0))
    pump.bolus(100)
    pump.run_until(lambda p: p.state.bolus.remaining_pulses == 0, 10)
    lower_daily = evolve(pump.state.settings, max_daily_pulses=99, max_hourly_pulses=99)
    lower_daily = evolve(lower_daily, max_bolus_pulses=50, max_basal_pph=50)
    assert settings_problems(C, lower_daily) == ()
    assert_refused(pump, ev.SettingsChange(pump.now, lower_daily), Reason.SETTINGS_BELOW_WINDOW_USAGE)
    exactly = evolve(lower_daily, max_hourly_pulses=100, max_daily_pulses=100)
    pump.accept(ev.SettingsChange(pump.now, exactly))


def test_switching_the_controller_off_ends_its_temp() -> None:
    """TMP-3, CFG-1: settings that switch closed loop off end a running controller temp at once."""
    pump = delivering_pump(flat_settings(1000, controller_enabled=True))
    pump.glucose(150)
    pump.accept(ev.TempBasal(pump.now, 1, Source.CONTROLLER, TempKind.PERCENT, 50, 30))
    result = pump.accept(ev.SettingsChange(pump.now, flat_settings(1000, controller_enabled=False)))
    [ended] = notices(result, NoticeKind.TEMP_BASAL_ENDED)
    assert ended.a == StopCause.CANCELLED
    assert pump.state.basal.temp_kind == TempKind.NONE


def test_a_user_temp_survives_switching_the_controller_off() -> None:
    """TMP-3: only the controller's temp ends with closed loop; a user's temp stays."""
    pump = delivering_pump(flat_settings(1000, controller_enabled=True))
    pump.temp(TempKind.PERCENT, 50, 30)
    pump.accept(ev.SettingsChange(pump.now, flat_settings(1000, controller_enabled=False)))
    assert pump.state.basal.temp_kind == TempKind.PERCENT


# Edge conversion (U-2, BAS-1).


def test_make_settings_refuses_amounts_that_are_not_whole_pulses() -> None:
    """U-2, CFG-1: amounts are not rounded; every amount that is not a whole pulse is listed."""
    with pytest.raises(ValueError) as raised:
        make_settings(C, max_bolus_mu=10_025, max_iob_mu=1_001, basal_segments_mu_per_hour=((0, 810),))
    message = str(raised.value)
    for name in ("max_bolus_mu", "max_iob_mu", "810"):
        assert name in message


def test_profile_slots_maps_segments_to_half_hours() -> None:
    """BAS-1: segments on half hours map onto the 48 slots; each slot takes the segment it starts in."""
    slots, problems = profile_slots(((0, 500), (30, 1000), (1410, 1500)), C.pulse_mu)
    assert problems == ()
    assert slots == (10,) + (20,) * 46 + (30,)


@pytest.mark.parametrize(
    "segments",
    [
        (),
        ((30, 500),),
        ((0, 500), (45, 500)),
        ((0, 500), (60, 500), (60, 500)),
        ((0, 500), (1440, 500)),
        ((0, 510),),
        ((0, -50),),
        tuple((i * 30, 500) for i in range(49)),
    ],
    ids=[
        "none",
        "not-midnight",
        "not-half-hour",
        "not-increasing",
        "past-midnight",
        "not-whole-pulses",
        "negative",
        "49-segments",
    ],
)
def test_profile_slots_refuses_bad_profiles(segments: tuple[tuple[int, int], ...]) -> None:
    """BAS-1: 1 to 48 segments from midnight on half hours, whole pulses per hour; anything else is a problem."""
    slots, problems = profile_slots(segments, C.pulse_mu)
    assert slots == ()
    assert problems


def test_forty_eight_segments_are_allowed() -> None:
    """BAS-1: the finest profile, 48 half-hour segments, is accepted."""
    slots, problems = profile_slots(tuple((i * 30, 50 * i) for i in range(48)), C.pulse_mu)
    assert problems == ()
    assert slots == tuple(range(48))


def test_new_pump_has_zero_settings_and_delivers_nothing() -> None:
    """CFG-1: before settings are given the pump delivers nothing, even after the reservoir sequence."""
    pump = Pump()
    assert pump.state.settings == zero_settings(C)
    for event in (ev.FillReservoir(0, 4000), ev.PrimeTubing(0, 20), ev.FillCannula(0, 10), ev.Resume(0)):
        pump.accept(event)
    assert per_tick(pump.ticks(120)) == [0] * 120
    assert_refused(pump, ev.BolusRequest(pump.now, 1, Source.USER, 1), Reason.ABOVE_MAX_BOLUS)
