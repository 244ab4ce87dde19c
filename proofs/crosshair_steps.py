"""CrossHair contracts on the whole decision: every handler through ``transition``, and ``kernel.step.step``.

Theory of operation
-------------------
Each contract below runs the shipped ``transition`` (the Python logic) on a
*symbolic configuration* ``c`` (every field a CrossHair symbol, constrained
only by the structural rules: ``pre: config_ok(c)``), a state that is a
concrete template with the requirement's variables symbolic, and an event
whose fields are symbolic.  The dispatch in ``transition`` reaches the
handler of the event's class, so one contract per event class reaches every
handler of ``kernel.core.HANDLERS``, together with the shared checks (ranges,
tick, request memory, mode table), conditions, alarms and command emission
(``command_slots``, ``commands_of``).

``_facts`` reduces a step to what the requirements speak of (``Facts``), and
the postconditions state requirements, not the code's arithmetic:

* a refused event changes nothing but the request memory and commands
  nothing (INP-1, INP-2, BOL-5);
* a ``Deliver`` never exceeds the reservoir, and the reservoir goes down by
  exactly what is commanded (RES-1, RES-3, DLV-1);
* at most one ``Deliver``, present exactly when pulses are commanded (DLV-1);
* per event class, what that event may do (nothing is delivered while
  suspended, priming never exceeds its budget, ...).

``pumpkernel crosshair`` (``proofs.crosshair_gate``) checks this module with
``proofs.crosshair_targets`` and passes only on "Confirmed over all paths"
for every condition.  What CrossHair cannot exhaust is listed in
``proofs.crosshair_targets.NOT_EXHAUSTED`` with the Z3 obligation family
that covers it.

Units: ``_pulses``, ``_ticks``.  Requirements served: INP-1, INP-2, RES-1,
RES-3, DLV-1, SUS-1, BOL-1, BOL-5, TMP-1, OCC-4, CLK-2, ALM-1.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from kernel import events as ev
from kernel.commands import Deliver, command_slots, commands_of
from kernel.config import DEFAULT_CONFIG, PumpConfig
from kernel.core import transition
from kernel.logic import PY
from kernel.modes import Mode
from kernel.settings import make_settings
from kernel.state import PumpState, initial_state
from kernel.step import step
from specs.invariants import config_ok  # noqa: F401 - used by the contracts' preconditions

SETTINGS = make_settings(DEFAULT_CONFIG)
_NEW = initial_state(DEFAULT_CONFIG)
BASE = _NEW._replace(
    mode=Mode.DELIVERING,
    now_ticks=100,
    settings=SETTINGS,
    reservoir=_NEW.reservoir._replace(pulses=1000, set_age_ticks=60),
    motor=_NEW.motor._replace(seq=3),
)
"""A pump delivering on the default settings, 1000 pulses in the reservoir, the motor idle."""

NOW = BASE.now_ticks


class Facts(NamedTuple):
    """What the requirements say about one step."""

    accepted: bool
    kept: bool
    """Every field of the state but the request memory is as before."""
    pulses: int
    purpose: int
    delivers: int
    """How many ``Deliver`` commands went out."""
    commands: int
    reservoir_before: int
    reservoir_after: int
    mode_before: int
    mode_after: int
    after: PumpState


def _facts(c: PumpConfig, s: PumpState, e: Any) -> Facts:
    after, fx = transition(c, s, e, PY)
    commands = commands_of(command_slots(fx, PY))
    delivers = [command for command in commands if isinstance(command, Deliver)]
    return Facts(
        accepted=fx.reason == 0,
        kept=after._replace(requests=s.requests) == s,
        pulses=delivers[0].pulses if delivers else 0,
        purpose=int(delivers[0].purpose) if delivers else -1,
        delivers=len(delivers),
        commands=len(commands),
        reservoir_before=s.reservoir.pulses,
        reservoir_after=after.reservoir.pulses,
        mode_before=s.mode,
        mode_after=after.mode,
        after=after,
    )


def _config(**fields: Any) -> PumpConfig:
    """The default configuration with ``fields`` (the contract's symbolic ones) replaced."""
    return DEFAULT_CONFIG._replace(**fields)


def _with(mode: int = Mode.DELIVERING, reservoir: int = 1000, **changes: Any) -> PumpState:
    return BASE._replace(mode=mode, reservoir=BASE.reservoir._replace(pulses=reservoir), **changes)


def tick_delivers_only_when_delivering(
    capacity: int, speed: int, mode: int, reservoir: int, bolus_pulses: int
) -> Facts:
    """RES-1, SUS-1, DLV-1, BOL-3: a minute delivers therapy only while delivering, never beyond the reservoir.

    pre: config_ok(_config(reservoir_capacity_pulses=capacity, bolus_pulses_per_tick=speed))
    pre: 0 <= mode <= 11
    pre: 0 <= reservoir <= capacity
    pre: 0 <= bolus_pulses <= 40
    post: __return__.accepted or __return__.kept
    post: __return__.accepted or __return__.commands == 0
    post: 0 <= __return__.pulses <= __return__.reservoir_before
    post: __return__.delivers == (1 if __return__.pulses > 0 else 0)
    post: __return__.accepted
    post: mode == 4 or __return__.pulses == 0
    post: __return__.reservoir_after == __return__.reservoir_before - __return__.pulses
    post: __return__.delivers == 0 or __return__.purpose == 0
    """
    c = _config(reservoir_capacity_pulses=capacity, bolus_pulses_per_tick=speed)
    s = _with(mode, reservoir, bolus=BASE.bolus._replace(request_id=1, remaining_pulses=bolus_pulses))
    return _facts(c, s, ev.Tick(NOW + 1))


def normal_bolus_is_checked_whole(ceiling: int, reservoir: int, immediate: int, source: int) -> Facts:
    """BOL-1, RES-1, SEC-2: a normal bolus is accepted only whole within max bolus and the reservoir, and delivers nothing yet.

    pre: config_ok(_config(max_bolus_ceiling_pulses=ceiling))
    pre: 0 <= reservoir <= 6000
    post: __return__.accepted or __return__.kept
    post: __return__.accepted or __return__.commands == 0
    post: 0 <= __return__.pulses <= __return__.reservoir_before
    post: __return__.delivers == (1 if __return__.pulses > 0 else 0)
    post: __return__.pulses == 0
    post: not __return__.accepted or 1 <= immediate <= min(SETTINGS.max_bolus_pulses, reservoir)
    post: not __return__.accepted or __return__.after.bolus.remaining_pulses == immediate
    """
    c = _config(max_bolus_ceiling_pulses=ceiling)
    return _facts(c, _with(reservoir=reservoir), ev.BolusRequest(NOW, 7, source, immediate, 0, 0))


def extended_bolus_is_spread_within_speed(speed: int, reservoir: int, extended: int) -> Facts:
    """BOL-2, BOL-3, RES-1: an extended bolus over 30 minutes is accepted only within max bolus, the reservoir and the speed.

    pre: config_ok(_config(bolus_pulses_per_tick=speed))
    pre: 0 <= reservoir <= 6000
    post: __return__.accepted or __return__.kept
    post: __return__.accepted or __return__.commands == 0
    post: 0 <= __return__.pulses <= __return__.reservoir_before
    post: __return__.delivers == (1 if __return__.pulses > 0 else 0)
    post: __return__.pulses == 0
    post: not __return__.accepted or 1 <= extended <= min(SETTINGS.max_bolus_pulses, reservoir, 30 * speed)
    """
    c = _config(bolus_pulses_per_tick=speed)
    return _facts(c, _with(reservoir=reservoir), ev.BolusRequest(NOW, 7, 0, 0, extended, 30))


def cancel_bolus_stops_it(speed: int, remaining: int, target: int) -> Facts:
    """BOL-6: a cancelled bolus stops within the step, and nothing is commanded.

    pre: config_ok(_config(bolus_pulses_per_tick=speed))
    pre: 0 <= remaining <= 100
    post: __return__.accepted or __return__.kept
    post: __return__.accepted or __return__.commands == 0
    post: 0 <= __return__.pulses <= __return__.reservoir_before
    post: __return__.delivers == (1 if __return__.pulses > 0 else 0)
    post: __return__.pulses == 0
    post: not __return__.accepted or target == 2 or __return__.after.bolus.remaining_pulses == 0
    """
    c = _config(bolus_pulses_per_tick=speed)
    s = _with(bolus=BASE.bolus._replace(request_id=1, remaining_pulses=remaining, delivered_pulses=3))
    return _facts(c, s, ev.CancelBolus(NOW, target))


def temp_basal_stays_within_max_basal(percent_max: int, kind: int, value: int, duration: int, source: int) -> Facts:
    """TMP-1, TMP-3: an accepted temp basal is within max basal (absolute) or the percent ceiling; nothing is commanded.

    pre: config_ok(_config(temp_percent_max=percent_max))
    post: __return__.accepted or __return__.kept
    post: __return__.accepted or __return__.commands == 0
    post: 0 <= __return__.pulses <= __return__.reservoir_before
    post: __return__.delivers == (1 if __return__.pulses > 0 else 0)
    post: __return__.pulses == 0
    post: not __return__.accepted or (value <= SETTINGS.max_basal_pph if kind == 1 else value <= percent_max)
    """
    c = _config(temp_percent_max=percent_max)
    return _facts(c, BASE, ev.TempBasal(NOW, 9, source, kind, value, duration))


def cancel_temp_basal_ends_it(remote_person: bool, remaining: int, source: int) -> Facts:
    """TMP-2: a cancelled temp basal ends at once; nothing is commanded.

    pre: config_ok(_config(remote_is_person_held=remote_person))
    pre: 0 <= remaining <= 1440
    post: __return__.accepted or __return__.kept
    post: __return__.accepted or __return__.commands == 0
    post: 0 <= __return__.pulses <= __return__.reservoir_before
    post: __return__.delivers == (1 if __return__.pulses > 0 else 0)
    post: __return__.pulses == 0
    post: not __return__.accepted or __return__.after.basal.temp_remaining_ticks == 0
    """
    c = _config(remote_is_person_held=remote_person)
    s = BASE._replace(basal=BASE.basal._replace(temp_kind=1, temp_value=10, temp_remaining_ticks=remaining))
    return _facts(c, s, ev.CancelTempBasal(NOW, source))


def suspend_stops_delivery(reminder: int, mode: int, source: int) -> Facts:
    """SUS-1: an accepted suspension leaves the pump suspended; nothing is commanded.

    pre: config_ok(_config(suspend_reminder_ticks=reminder))
    pre: 0 <= mode <= 11
    post: __return__.accepted or __return__.kept
    post: __return__.accepted or __return__.commands == 0
    post: 0 <= __return__.pulses <= __return__.reservoir_before
    post: __return__.delivers == (1 if __return__.pulses > 0 else 0)
    post: __return__.pulses == 0
    post: not __return__.accepted or __return__.mode_after == 5
    """
    c = _config(suspend_reminder_ticks=reminder)
    return _facts(c, _with(mode), ev.Suspend(NOW, source))


def resume_only_from_a_stop(reminder: int, mode: int) -> Facts:
    """SUS-1, RES-3, ALM-2: resume moves to delivering only from READY, SUSPENDED, LGS_SUSPENDED or AUTO_OFF.

    pre: config_ok(_config(suspend_reminder_ticks=reminder))
    pre: 0 <= mode <= 11
    post: __return__.accepted or __return__.kept
    post: __return__.accepted or __return__.commands == 0
    post: 0 <= __return__.pulses <= __return__.reservoir_before
    post: __return__.delivers == (1 if __return__.pulses > 0 else 0)
    post: __return__.pulses == 0
    post: not __return__.accepted or mode in (3, 5, 6, 11)
    """
    c = _config(suspend_reminder_ticks=reminder)
    return _facts(c, _with(mode), ev.Resume(NOW))


def settings_change_is_validated(ceiling: int, max_bolus: int) -> Facts:
    """CFG-1, CFG-3: settings are taken only if valid for the configuration; nothing is commanded.

    pre: config_ok(_config(max_bolus_ceiling_pulses=ceiling))
    post: __return__.accepted or __return__.kept
    post: __return__.accepted or __return__.commands == 0
    post: 0 <= __return__.pulses <= __return__.reservoir_before
    post: __return__.delivers == (1 if __return__.pulses > 0 else 0)
    post: __return__.pulses == 0
    post: not __return__.accepted or __return__.after.settings.max_bolus_pulses == max_bolus <= ceiling
    """
    c = _config(max_bolus_ceiling_pulses=ceiling)
    return _facts(c, BASE, ev.SettingsChange(NOW, SETTINGS._replace(max_bolus_pulses=max_bolus)))


def time_offset_moves_the_clock_only(delta: int) -> Facts:
    """BAS-3: a time-zone change moves the time of day, never kernel time; nothing is commanded.

    post: __return__.accepted or __return__.kept
    post: __return__.accepted or __return__.commands == 0
    post: 0 <= __return__.pulses <= __return__.reservoir_before
    post: __return__.delivers == (1 if __return__.pulses > 0 else 0)
    post: __return__.pulses == 0
    post: __return__.after.now_ticks == NOW
    post: 0 <= __return__.after.time_of_day_ticks < 1440
    """
    c = DEFAULT_CONFIG
    return _facts(c, BASE, ev.TimeOffsetChange(NOW, delta))


def rewind_empties_the_reservoir(capacity: int, mode: int, reservoir: int) -> Facts:
    """RES-3: an accepted rewind leaves no reservoir in place and commands nothing.

    pre: config_ok(_config(reservoir_capacity_pulses=capacity))
    pre: 0 <= mode <= 11
    pre: 0 <= reservoir <= capacity
    post: __return__.accepted or __return__.kept
    post: __return__.accepted or __return__.commands == 0
    post: 0 <= __return__.pulses <= __return__.reservoir_before
    post: __return__.delivers == (1 if __return__.pulses > 0 else 0)
    post: __return__.pulses == 0
    post: not __return__.accepted or (__return__.reservoir_after == 0 and __return__.mode_after == 0)
    """
    c = _config(reservoir_capacity_pulses=capacity)
    return _facts(c, _with(mode, reservoir), ev.Rewind(NOW))


def fill_never_above_capacity(capacity: int, pulses: int) -> Facts:
    """RES-1, RES-3: a filled reservoir never holds more than the capacity; nothing is commanded.

    pre: config_ok(_config(reservoir_capacity_pulses=capacity))
    post: __return__.accepted or __return__.kept
    post: __return__.accepted or __return__.commands == 0
    post: 0 <= __return__.pulses <= __return__.reservoir_before
    post: __return__.delivers == (1 if __return__.pulses > 0 else 0)
    post: __return__.pulses == 0
    post: not __return__.accepted or __return__.reservoir_after == pulses <= capacity
    """
    c = _config(reservoir_capacity_pulses=capacity)
    return _facts(c, _with(Mode.REWOUND, 0), ev.FillReservoir(NOW, pulses))


def clear_line_restarts_priming(undisplaced: int, mode: int) -> Facts:
    """OCC-4: after an occlusion only a cleared line (then priming) or a rewind leads back; nothing is commanded.

    pre: config_ok(_config(occlusion_undisplaced_pulses=undisplaced))
    pre: 0 <= mode <= 11
    post: __return__.accepted or __return__.kept
    post: __return__.accepted or __return__.commands == 0
    post: 0 <= __return__.pulses <= __return__.reservoir_before
    post: __return__.delivers == (1 if __return__.pulses > 0 else 0)
    post: __return__.pulses == 0
    post: not __return__.accepted or (mode == 7 and __return__.mode_after == 1)
    """
    c = _config(occlusion_undisplaced_pulses=undisplaced)
    return _facts(c, _with(mode), ev.ClearLine(NOW))


def priming_stays_within_reservoir_and_budget(
    capacity: int, prime_max: int, reservoir: int, used: int, pulses: int
) -> Facts:
    """RES-3, RES-1: priming commands never exceed the reservoir nor the per-change budget, and are never therapy.

    pre: config_ok(_config(reservoir_capacity_pulses=capacity, prime_max_pulses=prime_max))
    pre: 0 <= reservoir <= capacity
    pre: 0 <= used <= prime_max
    post: __return__.accepted or __return__.kept
    post: __return__.accepted or __return__.commands == 0
    post: 0 <= __return__.pulses <= __return__.reservoir_before
    post: __return__.delivers == (1 if __return__.pulses > 0 else 0)
    post: __return__.reservoir_after == __return__.reservoir_before - __return__.pulses
    post: used + __return__.pulses <= prime_max
    post: __return__.delivers == 0 or __return__.purpose == 1
    """
    c = _config(reservoir_capacity_pulses=capacity, prime_max_pulses=prime_max)
    s = _with(Mode.FILLED, reservoir)
    s = s._replace(reservoir=s.reservoir._replace(prime_used_pulses=used))
    return _facts(c, s, ev.PrimeTubing(NOW, pulses))


def cannula_fill_within_its_range(low: int, high: int, reservoir: int, pulses: int) -> Facts:
    """RES-3, RES-4: a cannula fill commands its range only, from the reservoir.

    pre: config_ok(_config(cannula_min_pulses=low, cannula_max_pulses=high))
    pre: 0 <= reservoir <= 6000
    post: __return__.accepted or __return__.kept
    post: __return__.accepted or __return__.commands == 0
    post: 0 <= __return__.pulses <= __return__.reservoir_before
    post: __return__.delivers == (1 if __return__.pulses > 0 else 0)
    post: __return__.reservoir_after == __return__.reservoir_before - __return__.pulses
    post: not __return__.accepted or low <= pulses <= high
    post: __return__.delivers == 0 or __return__.purpose == 2
    """
    c = _config(cannula_min_pulses=low, cannula_max_pulses=high)
    return _facts(c, _with(Mode.PRIMED, reservoir), ev.FillCannula(NOW, pulses))


def motor_report_settles_the_pending_command(
    samples: int, pending: int, displaced: int, pressure: int, fault: int
) -> Facts:
    """DLV-1, DLV-3, OCC-1: a report of the pending command settles it and commands nothing.

    pre: config_ok(_config(occlusion_consecutive_samples=samples))
    pre: 1 <= pending <= 60
    post: __return__.accepted or __return__.kept
    post: __return__.accepted or __return__.commands == 0
    post: 0 <= __return__.pulses <= __return__.reservoir_before
    post: __return__.delivers == (1 if __return__.pulses > 0 else 0)
    post: __return__.pulses == 0
    post: not __return__.accepted or __return__.after.motor.pending_pulses == 0
    """
    c = _config(occlusion_consecutive_samples=samples)
    s = BASE._replace(motor=BASE.motor._replace(pending_pulses=pending))
    return _facts(c, s, ev.MotorReport(NOW, BASE.motor.seq, displaced, pressure, fault))


def glucose_reading_commands_no_insulin(low: int, high: int, measured: int, mgdl: int, status: int) -> Facts:
    """SEN-1, SEN-5, SUS-2: a sensor report never commands insulin; a kept reading is in the range (edges one beyond).

    pre: config_ok(_config(glucose_min_mgdl=low, glucose_max_mgdl=high))
    post: __return__.accepted or __return__.kept
    post: __return__.accepted or __return__.commands == 0
    post: 0 <= __return__.pulses <= __return__.reservoir_before
    post: __return__.delivers == (1 if __return__.pulses > 0 else 0)
    post: __return__.pulses == 0
    post: not __return__.after.glucose.valid or low - 1 <= __return__.after.glucose.mgdl <= high + 1
    """
    c = _config(glucose_min_mgdl=low, glucose_max_mgdl=high)
    return _facts(c, BASE, ev.GlucoseReading(NOW, measured, mgdl, status))


def alarm_ack_touches_alarms_only(very_low: int, kind: int, status: int) -> Facts:
    """ALM-1: an acknowledgement changes the alarms (and the presence timer) only; nothing is commanded.

    pre: config_ok(_config(reservoir_very_low_pulses=very_low))
    pre: 0 <= status <= 3
    post: __return__.accepted or __return__.kept
    post: __return__.accepted or __return__.commands == 0
    post: 0 <= __return__.pulses <= __return__.reservoir_before
    post: __return__.delivers == (1 if __return__.pulses > 0 else 0)
    post: __return__.pulses == 0
    post: __return__.after._replace(alarms=BASE.alarms, timers=BASE.timers) == BASE
    """
    c = _config(reservoir_very_low_pulses=very_low)
    alarms = (*BASE.alarms[:2], status, *BASE.alarms[3:])
    return _facts(c, BASE._replace(alarms=alarms), ev.AlarmAck(NOW, kind))


def user_present_restarts_auto_off(auto_off_max: int, idle: int) -> Facts:
    """ALM-2, ALM-4: a person at the pump restarts the auto-off timer; nothing is commanded.

    pre: config_ok(_config(auto_off_max_ticks=auto_off_max))
    pre: 0 <= idle <= auto_off_max
    post: __return__.accepted or __return__.kept
    post: __return__.accepted or __return__.commands == 0
    post: 0 <= __return__.pulses <= __return__.reservoir_before
    post: __return__.delivers == (1 if __return__.pulses > 0 else 0)
    post: __return__.pulses == 0
    post: __return__.after.timers.idle_ticks == 0
    """
    c = _config(auto_off_max_ticks=auto_off_max)
    s = BASE._replace(timers=BASE.timers._replace(idle_ticks=idle))
    return _facts(c, s, ev.UserPresent(NOW))


def step_type_layer_never_raises(
    tick: int | bool | str | float | None, missed: int | bool | str | None
) -> tuple[int, bool, int]:
    """INP-1, LOG-1, CLK-2: ``kernel.step.step`` refuses ill-typed fields with a reason, never raises, and a refusal changes only the log.

    post: (__return__[0] == 2) == (type(tick) is not int or type(missed) is not bool)
    post: __return__[0] != 0 or (tick == NOW + 1 and __return__[2] == NOW + 1)
    post: __return__[0] == 0 or __return__[1]
    """
    result = step(DEFAULT_CONFIG, BASE, ev.Tick(tick, missed))  # type: ignore[arg-type]
    kept = result.state._replace(log=BASE.log) == BASE
    return int(result.outcome.reason), kept and result.commands == (), result.state.now_ticks
