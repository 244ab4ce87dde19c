"""Tests that close the gaps of a sample of the survivors of the per-function mutation run (issue 15).

The run ``python -m property_tests.mutation --digits 0`` (548 mutants) left
70 survivors; 15 drawn at random (seed 15) were classified: the equivalent
ones are in ``property_tests/survivors.toml`` with their reasons, the gaps
are closed here.  Each test was checked with ``python -m
property_tests.mutation_apply MUTANT TEST``: it passes on the shipped kernel
and fails with the mutant applied.  The mutant names are in the docstrings.
"""

from __future__ import annotations

import json

import pytest

from kernel import events as ev
from kernel.calculator_settings import CalcRule, calculator_settings_checks, make_calculator_settings
from kernel.config import ConfigRule, config_problems, make_config
from kernel.events import CancelTarget, Source
from kernel.modes import Mode
from kernel.record import Corrupt, decode
from kernel.settings import SettingsRule, make_settings, settings_problems
from kernel.state import evolve
from tests.helpers import C, Pump, delivering_pump, quiet_settings
from tests.test_mutation_gaps import _body, _sealed

AUTO_OFF_SETTINGS = quiet_settings(auto_off_hours=1, remote_bolus_enabled=True)
"""Auto-off after 60 ticks without the user (ALM-2); remote boluses allowed."""


def _one_tick_before_auto_off() -> Pump:
    pump = delivering_pump(AUTO_OFF_SETTINGS)
    pump.ticks(AUTO_OFF_SETTINGS.auto_off_ticks - 1)
    assert pump.mode == Mode.DELIVERING
    return pump


def test_a_bolus_at_the_pump_is_user_presence_a_remote_one_is_not() -> None:
    """ALM-2: a user bolus restarts the auto-off time; a remote bolus does not.

    Closes ``kernel.bolus.x_on_bolus__mutmut_240`` (presence taken from the wrong source).
    """
    pump = _one_tick_before_auto_off()
    assert pump.bolus(1).outcome.accepted
    pump.tick()
    assert pump.mode == Mode.DELIVERING
    pump = _one_tick_before_auto_off()
    assert pump.bolus(1, source=Source.REMOTE).outcome.accepted
    pump.tick()
    assert pump.mode == Mode.AUTO_OFF


def test_cancelling_a_bolus_is_user_presence() -> None:
    """ALM-2: cancelling a bolus at the pump restarts the auto-off time.

    Closes ``kernel.bolus.x_on_cancel_bolus__mutmut_70``.
    """
    pump = delivering_pump(AUTO_OFF_SETTINGS)
    pump.ticks(AUTO_OFF_SETTINGS.auto_off_ticks - 2)
    assert pump.bolus(0, 20, C.extended_min_ticks, source=Source.REMOTE).outcome.accepted
    pump.tick()
    assert pump.do(ev.CancelBolus(pump.now, CancelTarget.ALL)).outcome.accepted
    pump.tick()
    assert pump.mode == Mode.DELIVERING


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("cannula_min_pulses", -1, ConfigRule.CANNULA_RANGE_INVERTED),  # x_structural_checks__mutmut_10
        ("set_reminder_min_ticks", 0, ConfigRule.SET_AGE_RANGE_INVALID),
        ("temp_percent_max", -1, ConfigRule.TEMP_PERCENT_MAX_NEGATIVE),
    ],
)
def test_structural_rules_refuse_negative_lower_bounds(field: str, value: int, rule: ConfigRule) -> None:
    """CFG-1: a negative minimum cannula fill breaks its rule.

    Closes ``kernel.config.x_structural_checks__mutmut_10`` (the lower bound of the cannula range dropped).
    """
    assert rule in config_problems(evolve(C, **{field: value}), clinical=False)


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("set_reminder_min_ticks", 1, ConfigRule.SET_AGE_RANGE_INVALID),  # x_structural_checks__mutmut_160
        ("temp_percent_max", 0, ConfigRule.TEMP_PERCENT_MAX_NEGATIVE),  # x_structural_checks__mutmut_70
    ],
)
def test_structural_rules_accept_their_exact_lower_bound(field: str, value: int, rule: ConfigRule) -> None:
    """CFG-1: a set reminder of 1 tick and a maximum temp percentage of 0 are structurally valid.

    Closes ``kernel.config.x_structural_checks__mutmut_160`` (``>= 1`` made ``>= 2``) and ``__mutmut_70``
    (``>= 0`` made ``> 0``).
    """
    assert rule not in config_problems(evolve(C, **{field: value}), clinical=False)


def test_the_calculator_increment_of_a_quarter_pulse_pump() -> None:
    """CALC-1: on a 0.025 U pulse pump the calculator rounds to at most 4 pulses (0.1 U), not 1.

    Closes ``kernel.calculator_settings.x_max_increment_pulses__mutmut_10`` (25 µU pulses given 1).
    """
    quarter = make_config(pulse_mu=25)
    settings = make_calculator_settings(quarter, increment_mu=100)
    assert settings.increment_pulses == 4
    assert calculator_settings_checks(quarter, settings) == ()
    assert CalcRule.INCREMENT_OUTSIDE_RANGE in calculator_settings_checks(quarter, evolve(settings, increment_pulses=5))


def test_make_settings_refuses_an_amount_that_is_not_whole_pulses() -> None:
    """CFG-2: an amount that is not a whole number of pulses is refused, even with a valid basal profile.

    Closes ``kernel.settings.x_make_settings__mutmut_40`` (``problems or bad`` made ``and``).
    """
    with pytest.raises(ValueError, match="max_bolus_mu is not a whole number of pulses"):
        make_settings(C, max_bolus_mu=C.pulse_mu * 10 + 1)


def test_a_negative_daily_limit_breaks_its_own_rule() -> None:
    """CFG-2: a daily limit below 0 is named as outside its ceiling, whatever else it breaks.

    Closes ``kernel.settings.x_settings_checks__mutmut_30`` (the lower bound of the daily limit dropped).
    """
    settings = evolve(quiet_settings(), max_daily_pulses=-1)
    assert SettingsRule.MAX_DAILY_OUTSIDE_CEILING in settings_problems(C, settings)


def test_a_record_whose_log_is_not_an_event_log_says_so() -> None:
    """PER-3: a record whose event log is of the wrong shape is ``Corrupt`` with the place and the reason.

    Closes ``kernel.record.x__rebuild_log__mutmut_10`` (no text).
    """
    data = json.loads(json.dumps(_body(delivering_pump().state)))
    data["state"]["log"] = [1, 2]
    assert decode(_sealed(data)) == Corrupt("state.log: expected an event log")
