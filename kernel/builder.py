"""What a pump builder needs around ``step``: validated constructors and read-only queries.

Theory of operation
-------------------
The step trusts its configuration and refuses bad events with a ``Reason``.
Set-up code needs the same discipline before the first step, so this module
offers constructors that never raise: each returns ``(value, problems)``, the
value ``None`` whenever ``problems`` is not empty, and every problem a named
enum member:

* ``BuildProblem`` for what cannot even be turned into kernel units (a value
  of the wrong type, an amount that is not a whole number of pulses, a basal
  profile of the wrong shape, a time outside a day);
* ``ConfigRule`` (``kernel.config``) and ``SettingsRule`` (``kernel.settings``)
  for the kernel's own validity rules, exactly those the step and the proofs use.

``config_from_units`` builds a ``PumpConfig`` (``make_config`` and optional
field changes, then ``config_problems``); ``settings_from_units`` takes the
arguments of ``make_settings`` and checks them before and after conversion
(``settings_problems``); ``start_state`` is ``initial_state`` at any moment
and time of day, with problems returned instead of raised.

The queries read a state the kernel produced (``initial_state``, ``step``,
``decode``) under the configuration it was produced with, as ``step``
trusts them; they convert to milliunits and named enum members and compute
with the kernel's own functions (``iob_pulses``, ``hour_room``, ``day_room``,
``reading_fresh``), so they agree with what the step decides.
``notice_cause`` names the integer codes a ``Notice`` carries (``StopCause``,
``LgsEnd``, ``GlucoseUse``, ``Mode``); ``record_problem`` names why a record
was ``Corrupt``.

Everything here is pure, integer and standard library only; loops run over
fixed tables or over inputs whose length is checked first (at most 48 basal
segments).  Units: ``_mu`` milliunits, ``_ticks`` minutes, ``_mgdl`` mg/dL.

Requirements served: CFG-1, CFG-2, CFG-3, BAS-1, LIM-1, LIM-2, LIM-4, RES-1,
SEN-1, SEN-4, SUS-4, PER-1, PER-3, INP-1.
"""

from __future__ import annotations

import enum
import itertools

from kernel.calculator import Recommendation
from kernel.calculator_settings import (
    CalcRule,
    CalculatorSettings,
    IobRule,
    calculator_settings_checks,
    make_calculator_settings,
)
from kernel.commands import GlucoseUse, LgsEnd, Notice, NoticeKind
from kernel.config import ConfigRule, PumpConfig, config_problems, make_config
from kernel.iob import iob_pulses
from kernel.logic import PY
from kernel.modes import Mode
from kernel.reasons import StopCause
from kernel.record import Corrupt
from kernel.sensing import reading_fresh
from kernel.settings import SettingsRule, TherapySettings, make_settings, settings_problems
from kernel.state import PumpState, initial_state
from kernel.units import ALLOWED_PULSE_MU, MU_PER_UNIT, SLOT_TICKS, SLOTS_PER_DAY, TICKS_PER_DAY
from kernel.windows import day_room, hour_room


class BuildProblem(enum.IntEnum):
    """Why a builder's value cannot be turned into kernel units (before the kernel's own rules)."""

    NOT_AN_INTEGER = 1
    """An amount, time or count is not an ``int`` (``bool`` is not an amount)."""
    NOT_A_BOOLEAN = 2
    """A switch is not a ``bool``."""
    UNKNOWN_FIELD = 3
    """A configuration change names no ``PumpConfig`` field."""
    RESERVOIR_NOT_POSITIVE = 4
    RESERVOIR_NOT_WHOLE_PULSES = 5
    SCHEDULE_SEGMENT_COUNT = 6
    """A basal profile or calculator schedule has 1 to 48 segments, each a ``(start_minute, value)`` pair (BAS-1)."""
    SCHEDULE_NOT_FROM_MIDNIGHT = 7
    SCHEDULE_START_NOT_HALF_HOUR = 8
    SCHEDULE_STARTS_NOT_INCREASING = 9
    BASAL_RATE_NOT_WHOLE_PULSES = 10
    """A basal rate is negative or not a whole number of pulses per hour."""
    MAX_BASAL_NOT_WHOLE_PULSES = 11
    MAX_BOLUS_NOT_WHOLE_PULSES = 12
    MAX_HOURLY_NOT_WHOLE_PULSES = 13
    MAX_DAILY_NOT_WHOLE_PULSES = 14
    MAX_IOB_NOT_WHOLE_PULSES = 15
    RESERVOIR_LOW_NOT_WHOLE_PULSES = 16
    DIA_NOT_30_MINUTE_STEPS = 17
    TIME_NEGATIVE = 18
    """``now_ticks`` is negative."""
    TIME_OF_DAY_OUTSIDE_DAY = 19
    """A time of day is minutes after local midnight, 0..1439."""
    CONFIG_INVALID = 20
    """The configuration given to a constructor breaks a ``ConfigRule`` (``config_problems``)."""
    INCREMENT_NOT_WHOLE_PULSES = 21
    """The calculator's rounding increment is not a positive whole number of pulses."""
    NOT_AN_IOB_RULE = 22


Problem = BuildProblem | ConfigRule | SettingsRule | CalcRule
"""A named problem from one of the constructors."""


class RecordProblem(enum.IntEnum):
    """Why ``decode`` found a record ``Corrupt`` (PER-3), named from its reason."""

    NOT_BYTES = 1
    NOT_A_RECORD = 2
    UNKNOWN_VERSION = 3
    CHECKSUM_MISMATCH = 4
    MALFORMED = 5
    """Unreadable JSON, a missing or extra field, a wrong type or length."""
    CONFIG_INVALID = 6
    SETTINGS_ILL_TYPED = 7
    IMPLAUSIBLE = 8
    """Well-formed, but holds values no run of the kernel produces."""


_RECORD_PREFIXES: tuple[tuple[str, RecordProblem], ...] = (
    ("a record is bytes", RecordProblem.NOT_BYTES),
    ("not a pumpkernel record", RecordProblem.NOT_A_RECORD),
    ("unknown record version", RecordProblem.UNKNOWN_VERSION),
    ("checksum mismatch", RecordProblem.CHECKSUM_MISMATCH),
    ("the recorded configuration is not valid", RecordProblem.CONFIG_INVALID),
    ("the recorded settings are ill-typed", RecordProblem.SETTINGS_ILL_TYPED),
    ("implausible values", RecordProblem.IMPLAUSIBLE),
)


def record_problem(corrupt: Corrupt) -> RecordProblem:
    """The named problem of a ``Corrupt`` record (``Corrupt.reason`` keeps the details); ``MALFORMED`` otherwise."""
    reason = corrupt.reason if type(corrupt.reason) is str else ""
    for prefix, problem in _RECORD_PREFIXES:
        if reason.startswith(prefix):
            return problem
    return RecordProblem.MALFORMED


def _is_int(value: object) -> bool:
    return type(value) is int


def config_from_units(
    pulse_mu: object = 50, reservoir_units: object = 300, **changes: object
) -> tuple[PumpConfig | None, tuple[BuildProblem | ConfigRule, ...]]:
    """A validated configuration: ``make_config(pulse_mu, reservoir_units)`` with ``changes`` applied (CFG-1..3).

    ``pulse_mu`` is the pulse size in milliunits (10, 25, 50 or 100),
    ``reservoir_units`` the capacity in whole units; ``changes`` replace
    ``PumpConfig`` fields in kernel units (``max_bolus_ceiling_pulses=200``).
    Returns ``(config, ())`` or ``(None, problems)``; never raises.
    """
    if not _is_int(pulse_mu) or not _is_int(reservoir_units):
        return None, (BuildProblem.NOT_AN_INTEGER,)
    assert isinstance(pulse_mu, int) and isinstance(reservoir_units, int)
    if pulse_mu not in ALLOWED_PULSE_MU:
        return None, (ConfigRule.PULSE_SIZE_NOT_SUPPORTED,)
    if reservoir_units <= 0:
        return None, (BuildProblem.RESERVOIR_NOT_POSITIVE,)
    if reservoir_units * MU_PER_UNIT % pulse_mu != 0:
        return None, (BuildProblem.RESERVOIR_NOT_WHOLE_PULSES,)
    if any(name not in PumpConfig._fields for name in changes):
        return None, (BuildProblem.UNKNOWN_FIELD,)
    config = make_config(pulse_mu=pulse_mu, reservoir_units=reservoir_units)._replace(**changes)  # type: ignore[arg-type]
    problems = config_problems(config)
    return (None, problems) if problems else (config, ())


_AMOUNTS: tuple[tuple[str, BuildProblem], ...] = (
    ("max_basal_mu_per_hour", BuildProblem.MAX_BASAL_NOT_WHOLE_PULSES),
    ("max_bolus_mu", BuildProblem.MAX_BOLUS_NOT_WHOLE_PULSES),
    ("max_hourly_mu", BuildProblem.MAX_HOURLY_NOT_WHOLE_PULSES),
    ("max_daily_mu", BuildProblem.MAX_DAILY_NOT_WHOLE_PULSES),
    ("max_iob_mu", BuildProblem.MAX_IOB_NOT_WHOLE_PULSES),
    ("reservoir_low_mu", BuildProblem.RESERVOIR_LOW_NOT_WHOLE_PULSES),
)
_TIMES = ("dia_minutes", "set_reminder_hours", "set_max_age_hours", "auto_off_hours", "lgs_threshold_mgdl")
_SWITCHES = ("lgs_enabled", "predictive_suspend_enabled", "remote_bolus_enabled", "controller_enabled")
_DEFAULTS: dict[str, object] = dict(make_settings.__kwdefaults__ or {})
"""The keyword arguments of ``make_settings`` and their defaults (read from it, not copied)."""
_CALC_DEFAULTS: dict[str, object] = dict(make_calculator_settings.__kwdefaults__ or {})
_SCHEDULES = ("carb_ratio_dg_per_u", "sensitivity_mgdl", "target_low_mgdl", "target_high_mgdl")


def _schedule_problems(segments: object) -> tuple[BuildProblem, ...]:
    """Named problems of a ``(start_minute, value)`` schedule (BAS-1), in ``BuildProblem`` order."""
    if not isinstance(segments, (tuple, list)) or not 1 <= len(segments) <= SLOTS_PER_DAY:
        return (BuildProblem.SCHEDULE_SEGMENT_COUNT,)
    if not all(isinstance(pair, (tuple, list)) and len(pair) == 2 for pair in segments):
        return (BuildProblem.SCHEDULE_SEGMENT_COUNT,)
    if not all(_is_int(start) and _is_int(value) for start, value in segments):
        return (BuildProblem.NOT_AN_INTEGER,)
    starts = tuple(start for start, _ in segments)
    found = (
        (BuildProblem.SCHEDULE_NOT_FROM_MIDNIGHT, starts[0] != 0),
        (
            BuildProblem.SCHEDULE_START_NOT_HALF_HOUR,
            any(start % SLOT_TICKS != 0 or not 0 <= start < TICKS_PER_DAY for start in starts),
        ),
        (BuildProblem.SCHEDULE_STARTS_NOT_INCREASING, any(b <= a for a, b in itertools.pairwise(starts))),
    )
    return tuple(problem for problem, present in found if present)


def _profile_problems(segments: object, pulse_mu: int) -> tuple[BuildProblem, ...]:
    """Named problems of a basal profile; empty exactly when ``profile_slots`` accepts it (BAS-1)."""
    found = _schedule_problems(segments)
    unreadable = BuildProblem.SCHEDULE_SEGMENT_COUNT in found or BuildProblem.NOT_AN_INTEGER in found
    if unreadable or not isinstance(segments, (tuple, list)):
        return found
    if any(rate < 0 or rate % pulse_mu != 0 for _, rate in segments):
        return found + (BuildProblem.BASAL_RATE_NOT_WHOLE_PULSES,)
    return found


def _whole_numbers(args: dict[str, object]) -> dict[str, int] | None:
    """The integer arguments of ``settings_from_units``, or ``None`` when one is not an ``int``."""
    names = tuple(name for name, _ in _AMOUNTS) + _TIMES
    numbers = {name: args[name] for name in names}
    checked = {name: value for name, value in numbers.items() if type(value) is int}
    return checked if len(checked) == len(numbers) else None


def settings_from_units(config: PumpConfig, **given: object) -> tuple[TherapySettings | None, tuple[Problem, ...]]:
    """Validated therapy settings from user units; the arguments and defaults of ``make_settings`` (CFG-1, BAS-1).

    Every argument is checked before conversion (``BuildProblem``: types,
    whole pulses, the profile's shape), then the converted settings against
    ``config`` (``SettingsRule``, the rules a ``SettingsChange`` must pass).
    Returns ``(settings, ())`` or ``(None, problems)``; never raises.
    """
    if config_problems(config):
        return None, (BuildProblem.CONFIG_INVALID,)
    if any(name not in _DEFAULTS for name in given):
        return None, (BuildProblem.UNKNOWN_FIELD,)
    args = dict(_DEFAULTS)
    args.update(given)
    numbers = _whole_numbers(args)
    if numbers is None:
        return None, (BuildProblem.NOT_AN_INTEGER,)
    if not all(type(args[name]) is bool for name in _SWITCHES):
        return None, (BuildProblem.NOT_A_BOOLEAN,)
    p = config.pulse_mu
    found = _profile_problems(args["basal_segments_mu_per_hour"], p)
    found += tuple(problem for name, problem in _AMOUNTS if numbers[name] % p != 0)
    if numbers["dia_minutes"] % 30 != 0:
        found += (BuildProblem.DIA_NOT_30_MINUTE_STEPS,)
    if found:
        return None, tuple(sorted(found))
    # Every argument now passes what make_settings checks (profile_slots, whole pulses, DIA steps): it cannot raise.
    settings = make_settings(config, **args)  # type: ignore[arg-type]
    rules = settings_problems(config, settings)
    return (None, rules) if rules else (settings, ())


def calculator_settings_from_units(
    config: PumpConfig, **given: object
) -> tuple[CalculatorSettings | None, tuple[BuildProblem | CalcRule, ...]]:
    """Validated bolus-calculator settings; the arguments and defaults of ``make_calculator_settings``.

    Schedules are ``(start_minute, value)`` segments from minute 0 on half
    hours; ``increment_mu`` (default ``None``: one pulse) a whole number of
    pulses; ``iob_rule`` an ``IobRule``.  Returns ``(settings, ())`` or
    ``(None, problems)`` (``BuildProblem``, then ``CalcRule`` from
    ``calculator_settings_checks``); never raises.
    """
    if config_problems(config):
        return None, (BuildProblem.CONFIG_INVALID,)
    if any(name not in _CALC_DEFAULTS for name in given):
        return None, (BuildProblem.UNKNOWN_FIELD,)
    args = dict(_CALC_DEFAULTS)
    args.update(given)
    found: tuple[BuildProblem, ...] = ()
    for name in _SCHEDULES:
        found += _schedule_problems(args[name])
    if not _is_int(args["min_calc_glucose_mgdl"]) or not _is_int(args["max_carbs_g"]):
        found += (BuildProblem.NOT_AN_INTEGER,)
    increment = args["increment_mu"]
    increment = config.pulse_mu if increment is None else increment
    if type(increment) is not int or increment <= 0 or increment % config.pulse_mu != 0:
        found += (BuildProblem.INCREMENT_NOT_WHOLE_PULSES,)
    if type(args["iob_rule"]) is not IobRule:
        found += (BuildProblem.NOT_AN_IOB_RULE,)
    if found:
        return None, tuple(sorted(set(found)))
    # Every argument passes what make_calculator_settings checks: it cannot raise.
    settings = make_calculator_settings(config, **args)  # type: ignore[arg-type]
    rules = calculator_settings_checks(config, settings)
    return (None, rules) if rules else (settings, ())


def recommendation_problems(recommendation: Recommendation) -> tuple[CalcRule, ...]:
    """The calculator-settings rules a ``Recommendation`` found broken, as ``CalcRule`` members."""
    return tuple(rule for rule in CalcRule if int(rule) in recommendation.settings_problems)


def start_state(
    config: PumpConfig, now_ticks: object = 0, time_of_day_ticks: object = 0
) -> tuple[PumpState | None, tuple[BuildProblem, ...]]:
    """``initial_state`` at kernel time ``now_ticks`` and local time of day ``time_of_day_ticks`` (minutes, 0..1439).

    A new pump in ``REWOUND`` with zero settings (RES-3).  Returns
    ``(state, ())`` or ``(None, problems)``; never raises.
    """
    if config_problems(config):
        return None, (BuildProblem.CONFIG_INVALID,)
    if not _is_int(now_ticks) or not _is_int(time_of_day_ticks):
        return None, (BuildProblem.NOT_AN_INTEGER,)
    assert isinstance(now_ticks, int) and isinstance(time_of_day_ticks, int)
    found = (
        (BuildProblem.TIME_NEGATIVE, now_ticks < 0),
        (BuildProblem.TIME_OF_DAY_OUTSIDE_DAY, not 0 <= time_of_day_ticks < TICKS_PER_DAY),
    )
    problems = tuple(problem for problem, present in found if present)
    if problems:
        return None, problems
    return initial_state(config, now_ticks, time_of_day_ticks), ()


def pump_mode(state: PumpState) -> Mode:
    """The delivery mode as a ``Mode`` member."""
    return Mode(state.mode)


def insulin_on_board_mu(config: PumpConfig, state: PumpState) -> int:
    """Insulin on board in milliunits, the kernel's own estimate (LIM-4, LIM-5).

    Rounded up to a whole pulse; counts every therapy pulse commanded,
    basal included, confirmed or not: never below the true figure.
    """
    return iob_pulses(state.settings, state.windows, PY) * config.pulse_mu


def reservoir_mu(config: PumpConfig, state: PumpState) -> int:
    """Insulin left in the reservoir, in milliunits (RES-1): commanded pulses already taken off."""
    return state.reservoir.pulses * config.pulse_mu


def reservoir_room_mu(config: PumpConfig, state: PumpState) -> int:
    """Space left in the reservoir, in milliunits: capacity minus what it holds (RES-1)."""
    return (config.reservoir_capacity_pulses - state.reservoir.pulses) * config.pulse_mu


def limit_room_mu(config: PumpConfig, state: PumpState) -> int:
    """The most therapy insulin the pump may still command now, in milliunits (LIM-1, LIM-2, RES-1).

    The smallest of the room left in the rolling hourly window, in the rolling
    daily window and in the reservoir; never negative.  A single bolus is
    bounded by max bolus too, and automated commands by max IOB.
    """
    room_pulses = min(hour_room(state.settings, state.windows), day_room(state.settings, state.windows))
    return max(0, min(room_pulses, state.reservoir.pulses)) * config.pulse_mu


def glucose_use(state: PumpState) -> GlucoseUse | None:
    """How the latest sensor report was used: ``USED`` or why not (SEN-1..5); ``None`` before any report.

    A used report becomes the valid reading, so ``USED`` without a valid
    reading is the empty record of a pump that has had no report yet.
    """
    g = state.glucose
    if g.report_use == GlucoseUse.USED and not g.valid:
        return None
    return GlucoseUse(g.report_use)


def fresh_glucose_mgdl(config: PumpConfig, state: PumpState) -> int | None:
    """The last valid reading in mg/dL while it is fresh enough to act on, else ``None`` (SEN-1, SEN-4).

    A sensor LOW reads ``glucose_min_mgdl - 1`` and HIGH ``glucose_max_mgdl + 1``.
    """
    return state.glucose.mgdl if reading_fresh(config, state, PY) else None


_NOTICE_FIELDS: dict[NoticeKind, int] = {
    NoticeKind.BOLUS_ENDED: 2,
    NoticeKind.EXTENDED_ENDED: 2,
    NoticeKind.TEMP_BASAL_ENDED: 0,
    NoticeKind.BASAL_WITHHELD: 1,
    NoticeKind.LGS_ENDED: 0,
    NoticeKind.GLUCOSE_NOT_USED: 0,
    NoticeKind.MODE_CHANGED: 1,
}
"""Which field of a notice (0: a, 1: b, 2: c) holds a named code (``NoticeKind`` documents each)."""

_STOP_CAUSES = {int(member): member for member in StopCause}
_LGS_ENDS = {int(member): member for member in LgsEnd}
_GLUCOSE_USES = {int(member): member for member in GlucoseUse}
_MODES = {int(member): member for member in Mode}


def notice_cause(notice: Notice) -> StopCause | LgsEnd | GlucoseUse | Mode | None:
    """The named code a notice carries, or ``None`` for notices that carry none.

    ``StopCause`` for the end of a bolus, an extended bolus or a temp basal and
    for withheld basal (BOL-6, TMP-2, LIM-3); ``LgsEnd`` for the end of an
    automatic suspension (SUS-4); ``GlucoseUse`` for an unused sensor report
    (SEN-1..5); the new ``Mode`` for a mode change.
    """
    field = _NOTICE_FIELDS.get(notice.kind)
    if field is None:
        return None
    code = (notice.a, notice.b, notice.c)[field]
    if notice.kind == NoticeKind.LGS_ENDED:
        return _LGS_ENDS.get(code)
    if notice.kind == NoticeKind.GLUCOSE_NOT_USED:
        return _GLUCOSE_USES.get(code)
    if notice.kind == NoticeKind.MODE_CHANGED:
        return _MODES.get(code)
    return _STOP_CAUSES.get(code)
