"""pumpkernel's dosing kernel: a pure, integer, provable insulin-pump core.

Public API::

    from kernel import DEFAULT_CONFIG, initial_state, step, events
    result = step(DEFAULT_CONFIG, initial_state(DEFAULT_CONFIG), events.Tick(tick=1))

The bolus calculator (``kernel.calculator``) is a pure function beside the
step: ``recommend(config, state, calculator_settings, CalcRequest(...))``.

The kernel imports nothing but the standard library and performs no I/O.
See ``kernel.step`` for the theory of operation and ``kernel.modes`` for the
mode tables.
"""

from __future__ import annotations

from kernel import events
from kernel.alarms import AlarmKind, AlarmStatus, Priority
from kernel.calculator import CalcRequest, CalcStatus, GlucoseSource, Recommendation, note_unconfirmed, recommend
from kernel.calculator_settings import CalculatorSettings, calculator_settings_checks, make_calculator_settings
from kernel.commands import Alarm, Command, Deliver, Notice, NoticeKind, Outcome, Purpose
from kernel.config import DEFAULT_CONFIG, ConfigRule, PumpConfig, config_problems, make_config
from kernel.modes import Mode
from kernel.reasons import Reason, StopCause
from kernel.settings import SettingsRule, TherapySettings, make_settings, settings_problems
from kernel.state import PumpState, initial_state
from kernel.step import StepResult, step

__all__ = [
    "DEFAULT_CONFIG",
    "Alarm",
    "AlarmKind",
    "AlarmStatus",
    "CalcRequest",
    "CalcStatus",
    "CalculatorSettings",
    "Command",
    "ConfigRule",
    "Deliver",
    "GlucoseSource",
    "Mode",
    "Notice",
    "NoticeKind",
    "Outcome",
    "Priority",
    "PumpConfig",
    "PumpState",
    "Purpose",
    "Reason",
    "Recommendation",
    "SettingsRule",
    "StepResult",
    "StopCause",
    "TherapySettings",
    "calculator_settings_checks",
    "config_problems",
    "events",
    "initial_state",
    "make_calculator_settings",
    "make_config",
    "make_settings",
    "note_unconfirmed",
    "recommend",
    "settings_problems",
    "step",
]
