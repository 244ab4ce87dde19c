"""Tests that close the gaps surviving mutants showed (``property_tests/survivors.toml``).

Each test pins one behaviour that a surviving mutant of the last mutation run
changed without any test noticing: a rule at its exact boundary, a default
number of the catalogue, a diagnostic text.  Every test here was checked by
applying its mutant by hand: the mutated kernel fails it, the shipped kernel
passes it.  The mutant names are in the docstrings.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from kernel import events as ev
from kernel.commands import GlucoseUse, NoticeKind
from kernel.config import ConfigRule, config_problems, make_config
from kernel.events import GlucoseStatus, Source, TempKind
from kernel.log import EventLog
from kernel.modes import Mode
from kernel.reasons import Reason
from kernel.record import FORMAT, VERSION, Corrupt, _Invalid, decode, encode, implausible
from kernel.state import PumpState, evolve
from kernel.units import ALLOWED_PULSE_MU
from tests.helpers import C, Pump, assert_refused, delivering_pump, flat_settings, notices, quiet_settings

R = ConfigRule

# --- kernel.config: structural rules at their exact boundaries (CFG-1) --------------------------------

# (field, value, rule, whether the rule is broken): each value sits exactly on the rule's boundary.
BOUNDARIES: list[tuple[str, int, ConfigRule, bool]] = [
    ("reservoir_capacity_pulses", 1, R.RESERVOIR_CAPACITY_NOT_POSITIVE, False),  # mutmut_3
    ("cannula_min_pulses", 0, R.CANNULA_RANGE_INVERTED, False),  # mutmut_13
    ("occlusion_pressure_kpa", 1, R.OCCLUSION_THRESHOLDS_NOT_POSITIVE, False),  # mutmut_23
    ("reservoir_very_low_pulses", 0, R.VERY_LOW_ABOVE_LOW_RANGE, False),  # mutmut_43
    ("lgs_max_ticks", 1, R.LGS_TIMING_INVALID, False),  # mutmut_53
    ("temp_min_ticks", 1, R.TEMP_DURATION_RANGE_INVALID, False),  # mutmut_63
    ("temp_percent_max", 511, R.TEMP_PERCENT_MAX_NEGATIVE, False),
    ("temp_percent_max", 512, R.TEMP_PERCENT_MAX_NEGATIVE, True),  # mutmut_73
    ("glucose_min_mgdl", C.glucose_max_mgdl, R.GLUCOSE_RANGE_INVALID, False),
    ("glucose_min_mgdl", C.glucose_max_mgdl + 1, R.GLUCOSE_RANGE_INVALID, True),  # mutmut_93
    ("max_bolus_ceiling_pulses", -1, R.CEILINGS_NEGATIVE, True),  # mutmut_113
    ("max_hourly_ceiling_pulses", 0, R.CEILINGS_NEGATIVE, False),  # mutmut_123
    ("lgs_predict_margin_mgdl", C.glucose_max_mgdl - C.lgs_threshold_max_mgdl, R.LGS_THRESHOLD_RANGE_INVALID, False),
    (
        "lgs_predict_margin_mgdl",
        C.glucose_max_mgdl - C.lgs_threshold_max_mgdl + 1,
        R.LGS_THRESHOLD_RANGE_INVALID,
        True,
    ),  # mutmut_143
    ("auto_off_min_ticks", 1, R.AUTO_OFF_RANGE_INVALID, False),  # mutmut_153
]


@pytest.mark.parametrize(("field", "value", "rule", "broken"), BOUNDARIES)
def test_structural_rule_at_its_boundary(field: str, value: int, rule: ConfigRule, broken: bool) -> None:
    """CFG-1, CFG-2: a field exactly on a structural rule's boundary is on the right side of it.

    Closes ``kernel.config.x_structural_checks__mutmut_3, 13, 23, 43, 53, 63, 73, 93, 113, 123, 143, 153``
    (a bound moved by one, or one condition of a rule dropped).
    """
    config = evolve(C, **{field: value})
    assert (rule in config_problems(config, clinical=False)) is broken


@pytest.mark.parametrize("pulse_mu", ALLOWED_PULSE_MU)
def test_catalogue_defaults_of_make_config(pulse_mu: int) -> None:
    """OCC-1, TMP-1: an occlusion takes three consecutive high-pressure samples; temps last 15 min at least.

    Closes ``kernel.config.x_make_config__mutmut_113`` (4 samples) and ``__mutmut_133`` (16 minutes).
    """
    config = make_config(pulse_mu)
    assert config.occlusion_consecutive_samples == 3
    assert config.temp_min_ticks == 15


def test_a_user_temp_of_exactly_15_minutes_is_accepted() -> None:
    """TMP-1: the shortest temp basal of the catalogue (15 minutes) is accepted (``make_config__mutmut_133``)."""
    pump = delivering_pump(flat_settings(1000))
    pump.accept(ev.TempBasal(pump.now, 7001, Source.USER, TempKind.ABSOLUTE, 10, 15))
    assert pump.state.basal.temp_remaining_ticks == 15


# --- kernel.bolus: shape checks of a bolus request (BOL-2, BOL-3, BOL-5) ---------------------------------


def test_extended_bolus_whose_peak_is_exactly_the_bolus_speed_is_accepted() -> None:
    """BOL-2, BOL-3: 16 pulses over 15 ticks peak at 2 pulses a tick; at a speed of 2 that is allowed.

    Closes ``kernel.bolus.x_on_bolus__mutmut_33`` (the remainder adds 2 to the peak instead of 1).
    """
    config = evolve(C, bolus_pulses_per_tick=2)
    assert config_problems(config) == ()
    pump = delivering_pump(quiet_settings(config), config=config)
    pump.accept(ev.BolusRequest(pump.now, 7002, Source.USER, 0, 16, 15))
    assert pump.state.bolus.ext_remaining_pulses == 16
    # One pulse more and the peak (3) is above the speed.
    assert_refused(pump, ev.BolusRequest(pump.now, 7003, Source.USER, 0, 31, 15), Reason.EXTENDED_TOO_FAST)


def test_extended_bolus_without_a_duration_is_refused() -> None:
    """BOL-2: an extended part needs a duration of 15 min..8 h; a duration of 0 is refused.

    Closes ``kernel.bolus.x_on_bolus__mutmut_73`` (a zero duration accepted whatever the extended part).
    """
    pump = delivering_pump()
    assert_refused(pump, ev.BolusRequest(pump.now, 7004, Source.USER, 0, 5, 0), Reason.EXTENDED_DURATION)
    assert_refused(pump, ev.BolusRequest(pump.now, 7005, Source.USER, 2, 5, 0), Reason.EXTENDED_DURATION)


def test_a_one_pulse_bolus_carries_its_request_id() -> None:
    """BOL-5: the running bolus is the request's, even for a single pulse.

    Closes ``kernel.bolus.x_on_bolus__mutmut_163`` (the ID kept only for more than one pulse).
    """
    pump = delivering_pump()
    pump.accept(ev.BolusRequest(pump.now, 7006, Source.USER, 1))
    assert (pump.state.bolus.request_id, pump.state.bolus.remaining_pulses) == (7006, 1)


# --- kernel.temp: the controller temp's max-IOB projection (LIM-4) ---------------------------------------


def _controller_pump(segments: tuple[tuple[int, int], ...], **overrides: Any) -> Pump:
    settings = quiet_settings(C, basal_segments_mu_per_hour=segments, controller_enabled=True, **overrides)
    return delivering_pump(settings)


def _controller_temp(pump: Pump, kind: int, value: int, request_id: int) -> ev.TempBasal:
    return ev.TempBasal(pump.now, request_id, Source.CONTROLLER, kind, value, 30)


def test_controller_temp_raising_only_at_its_start_needs_a_reading() -> None:
    """LIM-4, SEN-1: a controller temp above the schedule now (though not at its last tick) raises delivery.

    Schedule 10 pulses/h until 00:30, then 50; a 30 pulses/h temp from 00:01 is above the schedule at
    its start only.  Without a reading it is refused.  Closes ``kernel.temp.x_on_temp_basal__mutmut_73``
    (only the last tick compared).
    """
    pump = _controller_pump(((0, 500), (30, 2500)))
    pump.tick()
    assert_refused(pump, _controller_temp(pump, TempKind.ABSOLUTE, 30, 7007), Reason.SENSOR_UNAVAILABLE)


def test_controller_temp_at_the_scheduled_rate_does_not_raise() -> None:
    """LIM-4: a controller temp equal to the schedule is not a raise: no reading needed.

    Closes ``kernel.temp.x_on_temp_basal__mutmut_83`` (``>=`` at the last tick).
    """
    pump = _controller_pump(((0, 1000),))
    pump.accept(_controller_temp(pump, TempKind.ABSOLUTE, 20, 7008))


def test_controller_temp_projection_rounds_up() -> None:
    """LIM-4: the projection of 2.01 pulses/h over 30 min (1.005 pulses) counts as 2 pulses.

    Schedule 1 pulse/h, temp 201 %, max IOB 1 pulse: refused for max IOB.  Closes
    ``kernel.temp.x_on_temp_basal__mutmut_103`` (rounding that gives 1).
    """
    pump = _controller_pump(((0, 50),), max_iob_mu=50)
    pump.accept(ev.GlucoseReading(pump.now, pump.now, 150))
    assert_refused(pump, _controller_temp(pump, TempKind.PERCENT, 201, 7009), Reason.MAX_IOB)
    pump.accept(_controller_temp(pump, TempKind.PERCENT, 200, 7010))


def test_controller_temp_below_the_schedule_ignores_max_iob() -> None:
    """LIM-4: max IOB limits only a controller temp that raises delivery; a lower rate is always allowed.

    Schedule 20 pulses/h, temp 10 pulses/h (projection 5 pulses), max IOB 4 pulses: accepted.  Closes
    ``kernel.temp.x_on_temp_basal__mutmut_163`` (max IOB checked for every controller temp).
    """
    pump = _controller_pump(((0, 1000),), max_iob_mu=200)
    pump.accept(_controller_temp(pump, TempKind.ABSOLUTE, 10, 7011))


# --- kernel.control: a time change is the user's act (ALM-2) ---------------------------------------------


def test_time_change_restarts_the_auto_off_timer() -> None:
    """ALM-2: changing the time is a user interaction: the auto-off idle timer starts again.

    Closes ``kernel.control.x_on_time_offset__mutmut_63``.
    """
    pump = delivering_pump(quiet_settings(auto_off_hours=1))
    pump.ticks(50)
    pump.accept(ev.TimeOffsetChange(pump.now, 60))
    assert pump.state.timers.idle_ticks == 0
    pump.ticks(50)
    assert pump.mode == Mode.DELIVERING


# --- kernel.glucose: pairing and the allowed future (SUS-3, SEN-1) ---------------------------------------


def test_readings_exactly_15_ticks_apart_are_paired() -> None:
    """SEN-1, SUS-3: readings 15 ticks apart are a pair, so a jump above 8 mg/dL a tick is implausible.

    Closes ``kernel.glucose.x_classify__mutmut_13`` (pairs only below 15 ticks).
    """
    pump = delivering_pump()
    pump.accept(ev.GlucoseReading(pump.now, pump.now, 100))
    pump.ticks(15)
    result = pump.accept(ev.GlucoseReading(pump.now, pump.now, 100 + 8 * 15 + 1))
    assert [n.a for n in notices(result, NoticeKind.GLUCOSE_NOT_USED)] == [GlucoseUse.IMPLAUSIBLE_JUMP]
    assert pump.state.glucose.mgdl == 100


def test_low_reading_from_beyond_the_allowed_future_is_not_used() -> None:
    """SEN-1, SEN-5: the sensor's LOW measured after the allowed future is not used: no reading, no suspension."""
    pump = delivering_pump()
    pump.ticks(2)
    future = pump.now + C.glucose_max_future_ticks + 1
    result = pump.accept(ev.GlucoseReading(pump.now, future, 0, GlucoseStatus.LOW))
    assert [n.a for n in notices(result, NoticeKind.GLUCOSE_NOT_USED)] == [GlucoseUse.FROM_FUTURE]
    assert not pump.state.glucose.valid


# --- kernel.record: the diagnostic texts of a corrupt record (PER-3) -------------------------------------


def _sealed(data: dict[str, Any]) -> bytes:
    """A record of ``data`` with a correct header and checksum (a writer bug, not damage)."""
    body = json.dumps(data, sort_keys=True, separators=(",", ":")).encode("ascii")
    digest = hashlib.sha256(body).hexdigest().encode("ascii")
    return FORMAT + b" " + str(VERSION).encode("ascii") + b" " + digest + b"\n" + body


def _body(state: PumpState) -> dict[str, Any]:
    record = encode(C, state)
    data: dict[str, Any] = json.loads(record.partition(b"\n")[2])
    return data


def test_encode_names_a_value_it_cannot_record() -> None:
    """PER-1: a state holding a value the record has no form for is refused, naming the value's type.

    Closes ``kernel.record.x__plain__mutmut_3`` (any non-type value taken for a dataclass) and
    ``__mutmut_13`` (the wrong type named).
    """
    not_an_int: dict[str, Any] = {"now_ticks": 1.5}
    state = evolve(delivering_pump().state, **not_an_int)
    with pytest.raises(_Invalid, match="cannot record a float"):
        encode(C, state)


def test_corrupt_reasons_name_what_is_wrong() -> None:
    """PER-3: ``Corrupt`` says what is wrong and where.

    Closes ``kernel.record.x__decode__mutmut_3`` (no text for a non-bytes record), ``__mutmut_83`` and
    ``__mutmut_103`` (the field path of the configuration / state), ``x__rebuild_log__mutmut_23`` (no
    text for a malformed event log).
    """
    assert decode("not bytes") == Corrupt("a record is bytes")
    good = _body(delivering_pump().state)
    data = json.loads(json.dumps(good))
    data["config"]["pulse_mu"] = "50"
    assert decode(_sealed(data)) == Corrupt("config.pulse_mu: expected an integer")
    data = json.loads(json.dumps(good))
    data["state"]["now_ticks"] = True
    assert decode(_sealed(data)) == Corrupt("state.now_ticks: expected an integer")
    data = json.loads(json.dumps(good))
    data["state"]["log"]["entries"] = {}
    assert decode(_sealed(data)) == Corrupt("state.log: malformed event log")


def test_implausible_names_the_values() -> None:
    """PER-3: ``implausible`` names each value no run produces.

    Closes ``kernel.record.x_implausible__mutmut_33`` ("temp source") and ``__mutmut_53`` ("hour window
    above limit").
    """
    state = delivering_pump().state
    assert implausible(C, state) == ()
    odd_source = evolve(state, basal=evolve(state.basal, temp_source=99))
    assert implausible(C, odd_source) == ("temp source",)
    over_limit = state.settings.max_hourly_pulses + 1
    over = evolve(state, windows=evolve(state.windows, hour_now_pulses=over_limit, hour_total_pulses=over_limit))
    assert "hour window above limit" in implausible(C, over)
    assert isinstance(over.log, EventLog)
