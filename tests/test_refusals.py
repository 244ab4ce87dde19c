"""Every refusal reason code, produced by a real situation (INP-1, INP-2, LOG-1).

One case per ``Reason`` (except ``ACCEPTED``): a pump brought into a state by
events, and the event that must be refused with exactly that reason.  Each
refusal must leave every field of the state except the log exactly as it
was (INP-1, INP-2), command nothing, and be recorded in the log with its
reason (LOG-1).  ``test_every_reason_has_a_case`` makes a new reason code
fail until it gets a case here.

Feature modules refuse the same codes in more situations; this table is the
one place that guarantees every code is reachable.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kernel import events as ev
from kernel.config import config_problems
from kernel.events import CancelTarget, Source, TempKind
from kernel.modes import Mode
from kernel.reasons import Reason
from kernel.recovery import replacement_state
from kernel.state import evolve
from kernel.units import MU_PER_UNIT
from tests.helpers import (
    CANNULA,
    PRIME,
    C,
    Pump,
    assert_refused,
    delivering_pump,
    flat_settings,
    next_request_id,
    pump_in_mode,
    quiet_settings,
)

Case = Callable[[], tuple[Pump, object]]


def _bolus_event(pump: Pump, immediate: int, extended: int = 0, ticks: int = 0, source: int = Source.USER) -> object:
    return ev.BolusRequest(pump.now, next_request_id(), source, immediate, extended, ticks)


def _uncertain_pump() -> Pump:
    """Delivering, with a ``Deliver`` left unanswered for one tick (DLV-2)."""
    pump = delivering_pump(flat_settings(0), auto_confirm=False)
    pump.bolus(10)
    pump.tick()
    assert pump.state.motor.pending_pulses == 10
    pump.tick()
    assert pump.state.motor.uncertain
    return pump


def _not_an_event() -> tuple[Pump, object]:
    pump = delivering_pump()
    return pump, "BolusRequest(tick=0, request_id=1, source=0, immediate_pulses=10)"


def _ill_typed() -> tuple[Pump, object]:
    pump = delivering_pump()
    return pump, ev.BolusRequest(pump.now, 1, Source.USER, "10")  # type: ignore[arg-type]


def _out_of_range() -> tuple[Pump, object]:
    pump = delivering_pump()
    return pump, ev.BolusRequest(pump.now, 0, Source.USER, 10)


def _stale() -> tuple[Pump, object]:
    pump = delivering_pump()
    pump.ticks(3)
    return pump, ev.Suspend(pump.now - 1)


def _future() -> tuple[Pump, object]:
    pump = delivering_pump()
    return pump, ev.Tick(pump.now + 2)


def _not_allowed_in_mode() -> tuple[Pump, object]:
    pump = pump_in_mode(Mode.SUSPENDED)
    return pump, _bolus_event(pump, 10)


def _alarm_unacknowledged() -> tuple[Pump, object]:
    pump = pump_in_mode(Mode.AUTO_OFF)
    return pump, ev.Resume(pump.now)


def _delivery_uncertain() -> tuple[Pump, object]:
    pump = _uncertain_pump()
    return pump, _bolus_event(pump, 10)


def _motor_busy() -> tuple[Pump, object]:
    pump = pump_in_mode(Mode.FILLED)
    pump.auto_confirm = False
    pump.accept(ev.PrimeTubing(pump.now, 10))
    return pump, ev.PrimeTubing(pump.now, 10)


def _above_max_bolus() -> tuple[Pump, object]:
    pump = delivering_pump()
    return pump, _bolus_event(pump, pump.state.settings.max_bolus_pulses + 1)


def _empty_request() -> tuple[Pump, object]:
    pump = delivering_pump()
    return pump, _bolus_event(pump, 0)


def _extended_duration() -> tuple[Pump, object]:
    pump = delivering_pump()
    return pump, _bolus_event(pump, 0, 20, C.extended_min_ticks - 1)


SLOW = evolve(C, bolus_pulses_per_tick=2)
"""A valid configuration with a slow motor (0.1 U/min), so an extended bolus can be too fast."""


def _extended_too_fast() -> tuple[Pump, object]:
    assert config_problems(SLOW) == ()
    pump = delivering_pump(quiet_settings(SLOW), config=SLOW)
    return pump, _bolus_event(pump, 0, 2 * 15 + 1, 15)


def _bolus_in_progress() -> tuple[Pump, object]:
    pump = delivering_pump()
    pump.accept(_bolus_event(pump, 100))
    return pump, ev.BolusRequest(pump.now, 8, Source.USER, 10)


def _extended_in_progress() -> tuple[Pump, object]:
    pump = delivering_pump()
    pump.accept(_bolus_event(pump, 0, 20, 60))
    return pump, ev.BolusRequest(pump.now, 8, Source.USER, 0, 20, 60)


def _hourly_limit() -> tuple[Pump, object]:
    pump = delivering_pump(flat_settings(0, max_hourly_mu=10 * MU_PER_UNIT))
    pump.accept(_bolus_event(pump, 150))
    pump.run_until(lambda p: p.state.bolus.remaining_pulses == 0, 10)
    return pump, ev.BolusRequest(pump.now, 8, Source.USER, 51)


def _daily_limit() -> tuple[Pump, object]:
    pump = delivering_pump(flat_settings(0, max_hourly_mu=15 * MU_PER_UNIT, max_daily_mu=16 * MU_PER_UNIT))
    pump.accept(_bolus_event(pump, 150))
    pump.run_until(lambda p: p.state.bolus.remaining_pulses == 0, 10)
    return pump, ev.BolusRequest(pump.now, 8, Source.USER, 0, 171, 60)


def _insufficient_reservoir() -> tuple[Pump, object]:
    pump = delivering_pump(flat_settings(0), reservoir=PRIME + CANNULA + 50)
    return pump, _bolus_event(pump, 51)


def _max_iob() -> tuple[Pump, object]:
    pump = delivering_pump(flat_settings(0, controller_enabled=True, max_iob_mu=1 * MU_PER_UNIT))
    pump.glucose(150)
    return pump, _bolus_event(pump, 21, source=Source.CONTROLLER)


def _sensor_unavailable() -> tuple[Pump, object]:
    pump = delivering_pump(flat_settings(0, controller_enabled=True))
    return pump, _bolus_event(pump, 5, source=Source.CONTROLLER)


def _remote_bolus_disabled() -> tuple[Pump, object]:
    pump = delivering_pump(quiet_settings(remote_bolus_enabled=False))
    return pump, _bolus_event(pump, 5, source=Source.REMOTE)


def _controller_disabled() -> tuple[Pump, object]:
    pump = delivering_pump(quiet_settings(controller_enabled=False))
    return pump, _bolus_event(pump, 5, source=Source.CONTROLLER)


def _temp_rate_above_max_basal() -> tuple[Pump, object]:
    pump = delivering_pump()
    return pump, ev.TempBasal(pump.now, 9, Source.USER, TempKind.ABSOLUTE, pump.state.settings.max_basal_pph + 1, 30)


def _temp_percent_out_of_range() -> tuple[Pump, object]:
    pump = delivering_pump()
    return pump, ev.TempBasal(pump.now, 9, Source.USER, TempKind.PERCENT, C.temp_percent_max + 1, 30)


def _temp_duration() -> tuple[Pump, object]:
    pump = delivering_pump()
    return pump, ev.TempBasal(pump.now, 9, Source.USER, TempKind.ABSOLUTE, 10, 20)


def _nothing_to_cancel() -> tuple[Pump, object]:
    pump = delivering_pump()
    return pump, ev.CancelBolus(pump.now, CancelTarget.ALL)


def _unexpected_motor_report() -> tuple[Pump, object]:
    pump = delivering_pump()
    return pump, ev.MotorReport(pump.now, pump.state.motor.seq + 1, 1)


def _prime_limit() -> tuple[Pump, object]:
    pump = pump_in_mode(Mode.FILLED)
    return pump, ev.PrimeTubing(pump.now, C.prime_max_pulses + 1)


def _cannula_fill_range() -> tuple[Pump, object]:
    pump = pump_in_mode(Mode.PRIMED)
    return pump, ev.FillCannula(pump.now, C.cannula_min_pulses - 1)


def _fill_above_capacity() -> tuple[Pump, object]:
    pump = pump_in_mode(Mode.REWOUND)
    return pump, ev.FillReservoir(pump.now, C.reservoir_capacity_pulses + 1)


def _settings_invalid() -> tuple[Pump, object]:
    pump = delivering_pump()
    bad = evolve(pump.state.settings, max_basal_pph=1)
    return pump, ev.SettingsChange(pump.now, bad)


def _settings_below_window_usage() -> tuple[Pump, object]:
    pump = delivering_pump(flat_settings(0))
    pump.accept(_bolus_event(pump, 100))
    pump.run_until(lambda p: p.state.bolus.remaining_pulses == 0, 10)
    lower = evolve(pump.state.settings, max_hourly_pulses=99, max_bolus_pulses=50, max_basal_pph=50)
    return pump, ev.SettingsChange(pump.now, lower)


def _alarm_not_active() -> tuple[Pump, object]:
    pump = delivering_pump()
    return pump, ev.AlarmAck(pump.now, 0)


def _time_offset_zero() -> tuple[Pump, object]:
    pump = delivering_pump()
    return pump, ev.TimeOffsetChange(pump.now, 0)


def _request_memory_full() -> tuple[Pump, object]:
    config = C._replace(requests_per_day_max=2)
    pump = delivering_pump(flat_settings(0, config), config=config)
    pump.do(_bolus_event(pump, 1))
    pump.do(_bolus_event(pump, 1))
    return pump, _bolus_event(pump, 1)


def _history_unknown() -> tuple[Pump, object]:
    settings = flat_settings(800, controller_enabled=True)
    state = replacement_state(C, settings)
    pump = Pump(config=C, state=state)
    for event in (ev.FillReservoir(0, 4000), ev.PrimeTubing(0, 20), ev.FillCannula(0, 10), ev.Resume(0)):
        pump.accept(event)
    pump.glucose(150)
    return pump, ev.BolusRequest(pump.now, next_request_id(), Source.CONTROLLER, 1)


CASES: dict[Reason, Case] = {
    Reason.NOT_AN_EVENT: _not_an_event,
    Reason.ILL_TYPED: _ill_typed,
    Reason.OUT_OF_RANGE: _out_of_range,
    Reason.STALE_EVENT: _stale,
    Reason.FUTURE_EVENT: _future,
    Reason.NOT_ALLOWED_IN_MODE: _not_allowed_in_mode,
    Reason.ALARM_UNACKNOWLEDGED: _alarm_unacknowledged,
    Reason.DELIVERY_UNCERTAIN: _delivery_uncertain,
    Reason.MOTOR_BUSY: _motor_busy,
    Reason.ABOVE_MAX_BOLUS: _above_max_bolus,
    Reason.EMPTY_REQUEST: _empty_request,
    Reason.EXTENDED_DURATION: _extended_duration,
    Reason.EXTENDED_TOO_FAST: _extended_too_fast,
    Reason.BOLUS_IN_PROGRESS: _bolus_in_progress,
    Reason.EXTENDED_IN_PROGRESS: _extended_in_progress,
    Reason.HOURLY_LIMIT: _hourly_limit,
    Reason.DAILY_LIMIT: _daily_limit,
    Reason.INSUFFICIENT_RESERVOIR: _insufficient_reservoir,
    Reason.MAX_IOB: _max_iob,
    Reason.SENSOR_UNAVAILABLE: _sensor_unavailable,
    Reason.REMOTE_BOLUS_DISABLED: _remote_bolus_disabled,
    Reason.CONTROLLER_DISABLED: _controller_disabled,
    Reason.TEMP_RATE_ABOVE_MAX_BASAL: _temp_rate_above_max_basal,
    Reason.TEMP_PERCENT_OUT_OF_RANGE: _temp_percent_out_of_range,
    Reason.TEMP_DURATION: _temp_duration,
    Reason.NOTHING_TO_CANCEL: _nothing_to_cancel,
    Reason.UNEXPECTED_MOTOR_REPORT: _unexpected_motor_report,
    Reason.PRIME_LIMIT: _prime_limit,
    Reason.CANNULA_FILL_RANGE: _cannula_fill_range,
    Reason.FILL_ABOVE_CAPACITY: _fill_above_capacity,
    Reason.SETTINGS_INVALID: _settings_invalid,
    Reason.SETTINGS_BELOW_WINDOW_USAGE: _settings_below_window_usage,
    Reason.ALARM_NOT_ACTIVE: _alarm_not_active,
    Reason.TIME_OFFSET_ZERO: _time_offset_zero,
    Reason.REQUEST_MEMORY_FULL: _request_memory_full,
    Reason.HISTORY_UNKNOWN: _history_unknown,
}


def test_every_reason_has_a_case() -> None:
    """INP-1: each refusal code in ``kernel.reasons`` is produced by a case below."""
    assert set(CASES) == set(Reason) - {Reason.ACCEPTED}


@pytest.mark.parametrize("reason", list(CASES), ids=lambda r: r.name)
def test_refusal_reason(reason: Reason) -> None:
    """INP-1, INP-2, LOG-1: refused with exactly this reason; nothing but the log changes; logged."""
    pump, event = CASES[reason]()
    assert_refused(pump, event, reason)


@pytest.mark.parametrize("reason", list(CASES), ids=lambda r: r.name)
def test_pump_keeps_working_after_a_refusal(reason: Reason) -> None:
    """INP-2: after a refusal the pump goes on: the next tick is accepted as usual."""
    pump, event = CASES[reason]()
    assert_refused(pump, event, reason)
    assert pump.tick().outcome.accepted
