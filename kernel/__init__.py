"""pumpkernel's dosing kernel: a pure, integer, provable insulin-pump core.

Public API::

    from kernel import DEFAULT_CONFIG, initial_state, step, events
    result = step(DEFAULT_CONFIG, initial_state(DEFAULT_CONFIG), events.Tick(tick=1))

The bolus calculator (``kernel.calculator``) is a pure function beside the
step: ``recommend(config, state, calculator_settings, CalcRequest(...))``.

For a pump builder (``kernel.builder``, ``docs/embedding.md``): constructors
that validate and return ``(value or None, named problems)`` instead of
raising (``config_from_units``, ``settings_from_units``,
``calculator_settings_from_units``, ``start_state`` at any time of day), and
read-only queries in milliunits and named codes (``insulin_on_board_mu``,
``reservoir_mu``, ``reservoir_room_mu``, ``limit_room_mu``, ``glucose_use``,
``fresh_glucose_mgdl``, ``pump_mode``, ``notice_cause``).  Records:
``encode(config, state)`` and ``decode(record)`` (``Decoded`` or ``Corrupt``,
named by ``record_problem``).  Every refusal is a ``Reason``; every problem a
member of ``BuildProblem``, ``ConfigRule``, ``SettingsRule``, ``CalcRule`` or
``RecordProblem``.

The kernel imports nothing but the standard library and performs no I/O.
See ``kernel.step`` for the theory of operation and ``kernel.modes`` for the
mode tables.
"""

from __future__ import annotations

from kernel import events
from kernel.alarms import AlarmKind, AlarmStatus, Priority
from kernel.builder import (
    BuildProblem,
    Problem,
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
from kernel.calculator import CalcRequest, CalcStatus, GlucoseSource, Recommendation, note_unconfirmed, recommend
from kernel.calculator_settings import (
    CalcRule,
    CalculatorSettings,
    IobRule,
    calculator_settings_checks,
    make_calculator_settings,
)
from kernel.commands import Alarm, Command, Deliver, GlucoseUse, LgsEnd, Notice, NoticeKind, Outcome, Purpose
from kernel.config import DEFAULT_CONFIG, ConfigRule, PumpConfig, config_problems, make_config
from kernel.modes import Mode
from kernel.reasons import Reason, StopCause
from kernel.record import Corrupt, Decoded, decode, encode
from kernel.settings import SettingsRule, TherapySettings, make_settings, settings_problems
from kernel.state import PumpState, initial_state
from kernel.step import StepResult, step

__all__ = [
    "DEFAULT_CONFIG",
    "Alarm",
    "AlarmKind",
    "AlarmStatus",
    "BuildProblem",
    "CalcRequest",
    "CalcRule",
    "CalcStatus",
    "CalculatorSettings",
    "Command",
    "ConfigRule",
    "Corrupt",
    "Decoded",
    "Deliver",
    "GlucoseSource",
    "GlucoseUse",
    "IobRule",
    "LgsEnd",
    "Mode",
    "Notice",
    "NoticeKind",
    "Outcome",
    "Priority",
    "Problem",
    "PumpConfig",
    "PumpState",
    "Purpose",
    "Reason",
    "Recommendation",
    "RecordProblem",
    "SettingsRule",
    "StepResult",
    "StopCause",
    "TherapySettings",
    "calculator_settings_checks",
    "calculator_settings_from_units",
    "config_from_units",
    "config_problems",
    "decode",
    "encode",
    "events",
    "fresh_glucose_mgdl",
    "glucose_use",
    "initial_state",
    "insulin_on_board_mu",
    "limit_room_mu",
    "make_calculator_settings",
    "make_config",
    "make_settings",
    "note_unconfirmed",
    "notice_cause",
    "pump_mode",
    "recommend",
    "recommendation_problems",
    "record_problem",
    "reservoir_mu",
    "reservoir_room_mu",
    "settings_from_units",
    "settings_problems",
    "start_state",
    "step",
]
