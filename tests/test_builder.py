"""The builder API (kernel.builder): validated constructors, read-only queries, named codes.

Constructors never raise and return ``(value, ())`` or ``(None, problems)``
with every problem a named enum member (CFG-1); what they accept is exactly
what the kernel accepts (``config_problems``, ``settings_problems``,
``calculator_settings_checks``, a ``SettingsChange`` step).  The queries
agree with the kernel's own bookkeeping (LIM-4, RES-1, SEN-1, SEN-4, SUS-4);
``start_state`` starts at any time of day and the basal profile follows it
(BAS-3); ``record_problem`` names each kind of ``Corrupt`` record (PER-3).
"""

from __future__ import annotations

import enum
import hashlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kernel
from kernel import events as ev
from kernel.builder import (
    BuildProblem,
    RecordProblem,
    calculator_settings_from_units,
    config_from_units,
    fresh_glucose_mgdl,
    glucose_use,
    insulin_on_board_mu,
    limit_room_mu,
    notice_cause,
    pump_mode,
    recommendation_problems,
    record_problem,
    reservoir_mu,
    reservoir_room_mu,
    settings_from_units,
    start_state,
)
from kernel.calculator import CalcRequest, GlucoseSource, recommend
from kernel.calculator_settings import CalcRule, IobRule, calculator_settings_checks, make_calculator_settings
from kernel.commands import GlucoseUse, LgsEnd, Notice, NoticeKind
from kernel.config import ConfigRule, config_problems, make_config
from kernel.iob import iob_pulses
from kernel.logic import PY
from kernel.modes import Mode
from kernel.reasons import Reason, StopCause
from kernel.record import FORMAT, VERSION, Corrupt, decode, encode
from kernel.settings import SettingsRule, make_settings, settings_problems
from kernel.state import initial_state
from kernel.units import ALLOWED_PULSE_MU
from tests.helpers import LGS_SETTINGS, C, Pump, delivering_pump, quiet_settings

NAMED = (BuildProblem, ConfigRule, SettingsRule, CalcRule)


def _named(problems: tuple[object, ...]) -> bool:
    return all(isinstance(problem, NAMED) for problem in problems)


# --- exports -------------------------------------------------------------------------------------------------------


def test_every_exported_name_exists_and_builder_names_are_public() -> None:
    missing = [name for name in kernel.__all__ if not hasattr(kernel, name)]
    assert not missing
    for name in ("insulin_on_board_mu", "reservoir_room_mu", "glucose_use", "LgsEnd", "GlucoseUse", "encode"):
        assert name in kernel.__all__
    for name in ("decode", "Decoded", "Corrupt", "settings_from_units", "config_from_units", "start_state"):
        assert name in kernel.__all__


def test_outcome_problems_are_settings_rule_members() -> None:
    """A refused SettingsChange lists its failed rules as ``SettingsRule`` members, not integers (CFG-1)."""
    pump = delivering_pump()
    bad = make_settings(C, max_bolus_mu=20_000, max_hourly_mu=10_000)
    outcome = pump.do(ev.SettingsChange(pump.now, bad)).outcome
    assert outcome.reason is Reason.SETTINGS_INVALID
    assert outcome.problems == (SettingsRule.MAX_BOLUS_OUTSIDE_CEILING, SettingsRule.MAX_BOLUS_ABOVE_HOURLY_LIMIT)
    assert all(type(rule) is SettingsRule for rule in outcome.problems)


# --- configuration -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("pulse_mu", ALLOWED_PULSE_MU)
def test_config_from_units_is_make_config_when_valid(pulse_mu: int) -> None:
    config, problems = config_from_units(pulse_mu, 300)
    assert problems == () and config == make_config(pulse_mu, 300)


def test_config_from_units_defaults_are_make_configs() -> None:
    """No arguments: the catalogue's defaults, ``make_config()``'s 50 mU pulse and 300 U reservoir (CFG-1)."""
    assert config_from_units() == (make_config(), ())


@pytest.mark.parametrize(
    ("args", "changes", "expected"),
    [
        (("50", 300), {}, (BuildProblem.NOT_AN_INTEGER,)),
        ((True, 300), {}, (BuildProblem.NOT_AN_INTEGER,)),
        ((33, 300), {}, (ConfigRule.PULSE_SIZE_NOT_SUPPORTED,)),
        ((50, 0), {}, (BuildProblem.RESERVOIR_NOT_POSITIVE,)),
        ((50, 300), {"no_such_field": 1}, (BuildProblem.UNKNOWN_FIELD,)),
        ((50, 300), {"lgs_max_ticks": "120"}, (ConfigRule.FIELD_NOT_INTEGER,)),
        ((50, 300), {"lgs_max_ticks": 180}, (ConfigRule.LGS_LONGER_THAN_2_H,)),
        (
            (50, 300),
            {"max_bolus_ceiling_pulses": 1 << 16},
            (ConfigRule.BOLUS_CEILING_ABOVE_ARITHMETIC_BOUND, ConfigRule.MAX_BOLUS_CEILING_ABOVE_HARD_CEILING),
        ),
    ],
)
def test_config_from_units_names_problems(args: tuple[Any, Any], changes: dict[str, Any], expected: tuple[Any]) -> None:
    config, problems = config_from_units(*args, **changes)
    assert config is None and problems == expected and _named(problems)


def test_config_from_units_builds_the_reservoir_it_is_given() -> None:
    """A 200 U reservoir holds 4000 pulses of 50 mU, not the default 300 U (CFG-1, RES-1).

    Kills ``kernel.builder.x_config_from_units__mutmut_22`` (``reservoir_units`` dropped).
    """
    config, problems = config_from_units(50, 200)
    assert problems == () and config == make_config(50, 200)
    assert config is not None and config.reservoir_capacity_pulses == 4000


def test_config_from_units_a_one_unit_reservoir_is_positive() -> None:
    """1 U is a positive, whole-pulse reservoir: it is refused for the kernel's own rule, not as "not positive".

    The low-reservoir alarm range (CFG-2) does not fit in 20 pulses.  Kills
    ``kernel.builder.x_config_from_units__mutmut_11`` (``reservoir_units <= 1``).
    """
    assert config_from_units(50, 1) == (None, (ConfigRule.RESERVOIR_LOW_RANGE_INVALID,))


def test_config_problems_are_those_of_config_problems() -> None:
    config, problems = config_from_units(50, 300, hour_bucket_ticks=4, temp_percent_max=300)
    assert config is None
    assert problems == config_problems(make_config(50, 300)._replace(hour_bucket_ticks=4, temp_percent_max=300))


# --- therapy settings ----------------------------------------------------------------------------------------------


def test_settings_from_units_accepts_a_basal_segment_of_zero_rate() -> None:
    """0 mU/h is a whole number of pulses per hour: ``profile_slots`` accepts it, so the builder does too (BAS-1)."""
    segments = ((0, 0), (360, 800))
    expected = make_settings(C, basal_segments_mu_per_hour=segments)
    assert settings_from_units(C, basal_segments_mu_per_hour=segments) == (expected, ())


def test_settings_from_units_accepts_a_basal_profile_of_48_segments() -> None:
    """A basal profile may change at every half hour: 48 segments is the most BAS-1 allows, and it is accepted.

    Kills ``kernel.builder.x__schedule_problems__mutmut_6`` (``len(segments) < SLOTS_PER_DAY``).
    """
    segments = tuple((slot * 30, 500 + 50 * (slot % 2)) for slot in range(48))
    expected = make_settings(C, basal_segments_mu_per_hour=segments)
    assert settings_from_units(C, basal_segments_mu_per_hour=segments) == (expected, ())
    too_many = (*segments, (1440, 500))
    assert settings_from_units(C, basal_segments_mu_per_hour=too_many) == (None, (BuildProblem.SCHEDULE_SEGMENT_COUNT,))


def test_settings_from_units_defaults_are_make_settings() -> None:
    settings_, problems = settings_from_units(C)
    assert problems == () and settings_ == make_settings(C)
    settings_, problems = settings_from_units(C, auto_off_hours=0, basal_segments_mu_per_hour=[[0, 500], [60, 1000]])
    assert problems == () and settings_ == make_settings(
        C, auto_off_hours=0, basal_segments_mu_per_hour=((0, 500), (60, 1000))
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"max_bolus_mu": 10_010}, (BuildProblem.MAX_BOLUS_NOT_WHOLE_PULSES,)),
        (
            {"max_iob_mu": 1, "reservoir_low_mu": 7},
            (BuildProblem.MAX_IOB_NOT_WHOLE_PULSES, BuildProblem.RESERVOIR_LOW_NOT_WHOLE_PULSES),
        ),
        ({"dia_minutes": 200}, (BuildProblem.DIA_NOT_30_MINUTE_STEPS,)),
        ({"max_daily_mu": 80_000.0}, (BuildProblem.NOT_AN_INTEGER,)),
        ({"lgs_enabled": 1}, (BuildProblem.NOT_A_BOOLEAN,)),
        ({"max_bolus": 1000}, (BuildProblem.UNKNOWN_FIELD,)),
        ({"basal_segments_mu_per_hour": ()}, (BuildProblem.SCHEDULE_SEGMENT_COUNT,)),
        ({"basal_segments_mu_per_hour": "0,800"}, (BuildProblem.SCHEDULE_SEGMENT_COUNT,)),
        ({"basal_segments_mu_per_hour": ((0, 800, 1),)}, (BuildProblem.SCHEDULE_SEGMENT_COUNT,)),
        ({"basal_segments_mu_per_hour": ((0, 8e2),)}, (BuildProblem.NOT_AN_INTEGER,)),
        ({"basal_segments_mu_per_hour": ((30, 800),)}, (BuildProblem.SCHEDULE_NOT_FROM_MIDNIGHT,)),
        ({"basal_segments_mu_per_hour": ((0, 800), (45, 900))}, (BuildProblem.SCHEDULE_START_NOT_HALF_HOUR,)),
        ({"basal_segments_mu_per_hour": ((0, 800), (1440, 900))}, (BuildProblem.SCHEDULE_START_NOT_HALF_HOUR,)),
        (
            {"basal_segments_mu_per_hour": ((0, 800), (60, 900), (60, 1000))},
            (BuildProblem.SCHEDULE_STARTS_NOT_INCREASING,),
        ),
        ({"basal_segments_mu_per_hour": ((0, 810),)}, (BuildProblem.BASAL_RATE_NOT_WHOLE_PULSES,)),
        ({"basal_segments_mu_per_hour": ((0, -50),)}, (BuildProblem.BASAL_RATE_NOT_WHOLE_PULSES,)),
        (
            {"basal_segments_mu_per_hour": ((15, 810),), "dia_minutes": 301},
            (
                BuildProblem.SCHEDULE_NOT_FROM_MIDNIGHT,
                BuildProblem.SCHEDULE_START_NOT_HALF_HOUR,
                BuildProblem.BASAL_RATE_NOT_WHOLE_PULSES,
                BuildProblem.DIA_NOT_30_MINUTE_STEPS,
            ),
        ),
        ({"max_bolus_mu": 20_000}, (SettingsRule.MAX_BOLUS_OUTSIDE_CEILING, SettingsRule.MAX_BOLUS_ABOVE_HOURLY_LIMIT)),
        ({"lgs_threshold_mgdl": 50}, (SettingsRule.LGS_THRESHOLD_OUTSIDE_RANGE,)),
        ({"set_reminder_hours": -1}, (SettingsRule.SET_AGE_OUTSIDE_RANGE,)),
    ],
)
def test_settings_from_units_names_problems(given: dict[str, Any], expected: tuple[Any, ...]) -> None:
    settings_, problems = settings_from_units(C, **given)
    assert settings_ is None and problems == expected and _named(problems)


def test_settings_refused_by_rules_are_refused_by_the_step_with_the_same_rules() -> None:
    """What ``settings_from_units`` calls a rule failure is what a ``SettingsChange`` is refused for (CFG-1)."""
    given = {"max_bolus_mu": 20_000, "max_basal_mu_per_hour": 16_000}
    _, problems = settings_from_units(C, **given)
    outcome = delivering_pump().do(ev.SettingsChange(0, make_settings(C, **given))).outcome  # type: ignore[arg-type]
    assert outcome.reason is Reason.SETTINGS_INVALID and outcome.problems == problems


def test_settings_need_a_valid_config() -> None:
    assert settings_from_units(C._replace(pulse_mu=0)) == (None, (BuildProblem.CONFIG_INVALID,))
    assert settings_from_units("config") == (None, (BuildProblem.CONFIG_INVALID,))  # type: ignore[arg-type]


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=3),
    st.lists(st.tuples(st.integers(-100, 2000), st.integers(-100, 5000)), max_size=50),
    st.lists(st.lists(st.one_of(st.integers(-5, 100), st.text(max_size=1)), max_size=3), max_size=4),
)
SETTINGS_NAMES = sorted(make_settings.__kwdefaults__ or {})


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([*SETTINGS_NAMES, "bogus"]), JUNK, max_size=5))
def test_settings_from_units_never_raises_and_agrees_with_settings_problems(given_args: dict[str, Any]) -> None:
    """Any arguments: no exception; a result exactly when ``settings_problems`` accepts it (sample of 300)."""
    settings_, problems = settings_from_units(C, **given_args)
    assert (settings_ is None) == bool(problems) and _named(problems)
    if settings_ is not None:
        assert settings_problems(C, settings_) == ()


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["max_bolus_ceiling_pulses", "lgs_max_ticks", "cannula_max_pulses"]), JUNK))
def test_config_from_units_never_raises(changes: dict[str, Any]) -> None:
    config, problems = config_from_units(50, 300, **changes)
    assert (config is None) == bool(problems) and _named(problems)
    if config is not None:
        assert config_problems(config) == ()


# --- calculator settings -------------------------------------------------------------------------------------------


def test_calculator_settings_from_units_names_every_problem_at_once() -> None:
    """A schedule problem and a non-integer amount are both named: the later check does not hide the earlier one."""
    _, problems = calculator_settings_from_units(C, carb_ratio_dg_per_u=((30, 150),), max_carbs_g=1.5)
    assert problems == (BuildProblem.NOT_AN_INTEGER, BuildProblem.SCHEDULE_NOT_FROM_MIDNIGHT)


def test_calculator_settings_from_units() -> None:
    assert calculator_settings_from_units(C) == (make_calculator_settings(C), ())
    _, problems = calculator_settings_from_units(C, increment_mu=30, carb_ratio_dg_per_u=((30, 150),), iob_rule=1)
    assert problems == (
        BuildProblem.SCHEDULE_NOT_FROM_MIDNIGHT,
        BuildProblem.INCREMENT_NOT_WHOLE_PULSES,
        BuildProblem.NOT_AN_IOB_RULE,
    )
    _, problems = calculator_settings_from_units(C, sensitivity_mgdl=((0, 0),), iob_rule=IobRule.CORRECTION_ONLY)
    assert problems == calculator_settings_checks(C, make_calculator_settings(C, sensitivity_mgdl=((0, 0),)))
    assert problems and all(type(rule) is CalcRule for rule in problems)
    assert calculator_settings_from_units(C, min_calc_glucose_mgdl="70")[1] == (BuildProblem.NOT_AN_INTEGER,)
    assert calculator_settings_from_units(C, carbs=1)[1] == (BuildProblem.UNKNOWN_FIELD,)


@pytest.mark.parametrize("increment", [0, -50, 50.0, "50", 25])
def test_calculator_increment_must_be_a_positive_whole_number_of_pulses(increment: object) -> None:
    """The rounding increment is an ``int``, positive and a whole number of pulses; otherwise it is named, no raise.

    Kills ``kernel.builder.x_calculator_settings_from_units__mutmut_30`` (``and``: ``50.0`` accepted, ``"50"``
    raises) and ``__mutmut_33`` (``increment < 0``: an increment of 0 accepted).
    """
    assert calculator_settings_from_units(C, increment_mu=increment) == (
        None,
        (BuildProblem.INCREMENT_NOT_WHOLE_PULSES,),
    )


def test_calculator_increment_of_whole_pulses_is_accepted() -> None:
    expected = make_calculator_settings(C, increment_mu=100)
    assert calculator_settings_from_units(C, increment_mu=100) == (expected, ())


def test_recommendation_problems_are_calc_rules() -> None:
    bad = make_calculator_settings(C, sensitivity_mgdl=((0, 0),))
    pump = delivering_pump()
    rec = recommend(C, pump.state, bad, CalcRequest(30, GlucoseSource.MANUAL, 150))
    assert recommendation_problems(rec) == calculator_settings_checks(C, bad)


# --- start state ---------------------------------------------------------------------------------------------------


def test_start_state_is_initial_state_and_names_problems() -> None:
    assert start_state(C, 100, 450) == (initial_state(C, 100, 450), ())
    assert start_state(C, -1, 1440) == (None, (BuildProblem.TIME_NEGATIVE, BuildProblem.TIME_OF_DAY_OUTSIDE_DAY))
    assert start_state(C, 0, 12.5) == (None, (BuildProblem.NOT_AN_INTEGER,))
    assert start_state(C._replace(reservoir_capacity_pulses=0)) == (None, (BuildProblem.CONFIG_INVALID,))


def test_start_state_defaults_to_time_zero_at_midnight() -> None:
    """Without times, the new pump starts at kernel time 0 and local midnight, as ``initial_state`` (BAS-3).

    Kills ``kernel.builder.x_start_state__mutmut_1`` and ``__mutmut_2`` (a default of 1).
    """
    assert start_state(C) == (initial_state(C), ())
    assert start_state(C, 100) == (initial_state(C, 100, 0), ())


def _basal_pulses_in_first_hour(time_of_day_ticks: int) -> int:
    state, _ = start_state(C, 0, time_of_day_ticks)
    assert state is not None
    pump = Pump(state=state)
    for event in (
        ev.SettingsChange(0, quiet_settings(basal_segments_mu_per_hour=((0, 600), (420, 1200), (600, 600)))),
        ev.FillReservoir(0, 4000),
        ev.PrimeTubing(0, 20),
        ev.FillCannula(0, 10),
        ev.Resume(0),
    ):
        pump.accept(event)
    pump.ticks(60)
    return pump.state.totals.basal_pulses


def test_start_state_at_a_time_of_day_follows_the_profile() -> None:
    """Started at 07:30 the pump runs the 07:00-10:00 segment (1.2 U/h), started at midnight 0.6 U/h (BAS-3).

    An hour at 24 or 12 pulses an hour, less at most the pulse still in the accumulator (BAS-2).
    """
    assert _basal_pulses_in_first_hour(450) in (23, 24)
    assert _basal_pulses_in_first_hour(0) in (11, 12)


# --- queries -------------------------------------------------------------------------------------------------------


def test_insulin_reservoir_and_room_queries_agree_with_the_state() -> None:
    pump = delivering_pump(quiet_settings(basal_segments_mu_per_hour=((0, 1200),)))
    state0 = pump.state
    assert insulin_on_board_mu(C, state0) == 0
    assert reservoir_mu(C, state0) == state0.reservoir.pulses * 50 == 198_500
    assert reservoir_room_mu(C, state0) == (6000 - 3970) * 50
    assert limit_room_mu(C, state0) == 15_000  # max hourly 15 U, nothing delivered yet
    pump.accept(ev.BolusRequest(pump.now, 1, ev.Source.USER, 40))
    pump.ticks(10)
    therapy = pump.state.totals.basal_pulses + pump.state.totals.bolus_pulses
    assert therapy == 40 + 4  # 2 U bolus, 1.2 U/h (24 pulses an hour) for 10 minutes
    assert reservoir_mu(C, pump.state) == 198_500 - therapy * 50
    assert limit_room_mu(C, pump.state) == 15_000 - therapy * 50
    iob = insulin_on_board_mu(C, pump.state)
    assert iob == iob_pulses(pump.state.settings, pump.state.windows, PY) * 50
    assert 0 < iob <= therapy * 50
    assert pump_mode(pump.state) is Mode.DELIVERING


def test_limit_room_is_never_negative_and_bounded_by_the_reservoir() -> None:
    pump = delivering_pump(reservoir=100, prime=10, cannula=10)
    assert limit_room_mu(C, pump.state) == 80 * 50
    assert limit_room_mu(C, pump.state._replace(reservoir=pump.state.reservoir._replace(pulses=0))) == 0


def test_glucose_queries() -> None:
    pump = delivering_pump()
    assert glucose_use(pump.state) is None and fresh_glucose_mgdl(C, pump.state) is None
    pump.accept(ev.GlucoseReading(pump.now, pump.now, 130))
    assert glucose_use(pump.state) is GlucoseUse.USED and fresh_glucose_mgdl(C, pump.state) == 130
    pump.tick()
    pump.accept(ev.GlucoseReading(pump.now, pump.now, 300))
    assert glucose_use(pump.state) is GlucoseUse.IMPLAUSIBLE_JUMP and fresh_glucose_mgdl(C, pump.state) == 130
    pump.ticks(C.glucose_max_age_ticks)
    assert fresh_glucose_mgdl(C, pump.state) is None  # stale: lapses by itself (SEN-1)


def test_notice_cause_names_every_coded_notice() -> None:
    assert notice_cause(Notice(NoticeKind.BOLUS_ENDED, 40, 0, StopCause.COMPLETED)) is StopCause.COMPLETED
    assert notice_cause(Notice(NoticeKind.EXTENDED_ENDED, 1, 2, StopCause.CANCELLED)) is StopCause.CANCELLED
    assert notice_cause(Notice(NoticeKind.TEMP_BASAL_ENDED, StopCause.EXPIRED, 0, 0)) is StopCause.EXPIRED
    assert notice_cause(Notice(NoticeKind.BASAL_WITHHELD, 3, StopCause.HOURLY_LIMIT, 0)) is StopCause.HOURLY_LIMIT
    assert notice_cause(Notice(NoticeKind.LGS_ENDED, LgsEnd.MAX_DURATION, 0, 0)) is LgsEnd.MAX_DURATION
    assert notice_cause(Notice(NoticeKind.GLUCOSE_NOT_USED, GlucoseUse.TOO_OLD, 0, 0)) is GlucoseUse.TOO_OLD
    assert notice_cause(Notice(NoticeKind.MODE_CHANGED, Mode.DELIVERING, Mode.SUSPENDED, 0)) is Mode.SUSPENDED
    assert notice_cause(Notice(NoticeKind.BOLUS_STARTED, 40, 0, 1)) is None
    assert notice_cause(Notice(NoticeKind.LGS_ENDED, 99, 0, 0)) is None


def test_lgs_end_reason_from_a_real_suspension() -> None:
    """A low suspends delivery; after ``lgs_max_ticks`` it ends with ``LgsEnd.MAX_DURATION`` (SUS-4)."""
    pump = delivering_pump(LGS_SETTINGS)
    pump.accept(ev.GlucoseReading(pump.now, pump.now, 60))
    pump.tick()
    assert pump_mode(pump.state) is Mode.LGS_SUSPENDED
    causes = []
    for _ in range(C.lgs_max_ticks + 1):
        for command in pump.tick().commands:
            if isinstance(command, Notice) and command.kind == NoticeKind.LGS_ENDED:
                causes.append(notice_cause(command))
    assert causes == [LgsEnd.MAX_DURATION]


# --- records -------------------------------------------------------------------------------------------------------


def _reseal(body: bytes) -> bytes:
    return FORMAT + b" " + str(VERSION).encode() + b" " + hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def _edited(record: bytes, edit: Any) -> bytes:
    data = json.loads(record.partition(b"\n")[2])
    edit(data)
    return _reseal(json.dumps(data, sort_keys=True, separators=(",", ":")).encode())


def test_record_problem_names_each_kind_of_corruption() -> None:
    record = encode(C, delivering_pump().state)
    header, _, body = record.partition(b"\n")
    cases = {
        RecordProblem.NOT_BYTES: "record",
        RecordProblem.NOT_A_RECORD: b"hello\nworld",
        RecordProblem.UNKNOWN_VERSION: record.replace(b" 2 ", b" 3 ", 1),
        RecordProblem.CHECKSUM_MISMATCH: record[:-2] + b"0}",
        RecordProblem.MALFORMED: _reseal(b"{not json"),
        RecordProblem.CONFIG_INVALID: _edited(record, lambda d: d["config"].update(reservoir_capacity_pulses=0)),
        RecordProblem.IMPLAUSIBLE: _edited(record, lambda d: d["state"].update(mode=99)),
    }
    for expected, data in cases.items():
        result = decode(data)
        assert isinstance(result, Corrupt), expected
        assert record_problem(result) is expected, (expected, result.reason)
    assert header.startswith(FORMAT) and body
    assert {problem for problem in RecordProblem} - set(cases) == {RecordProblem.SETTINGS_ILL_TYPED}


def test_record_problem_of_a_reason_that_is_not_text_is_malformed() -> None:
    """A ``Corrupt`` built by hand with a reason that is not text is ``MALFORMED``; ``record_problem`` does not raise.

    Kills ``kernel.builder.x_record_problem__mutmut_3`` (the reason used whatever its type).
    """
    assert record_problem(Corrupt(None)) is RecordProblem.MALFORMED  # type: ignore[arg-type]
    assert record_problem(Corrupt(b"checksum mismatch")) is RecordProblem.MALFORMED  # type: ignore[arg-type]


def test_every_problem_enum_is_an_int_enum() -> None:
    for codes in (*NAMED, RecordProblem, Reason, StopCause, LgsEnd, GlucoseUse, Mode):
        assert issubclass(codes, enum.IntEnum)
