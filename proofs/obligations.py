"""Every proof obligation: initiation, consecution, safety, bounded response, non-vacuity.

Theory of operation
-------------------
An obligation is a Z3 query over a symbolic, arbitrary configuration that
satisfies the kernel's structural rules.  For a *proof*, the goal's negation
together with the hypotheses must be unsatisfiable; for a *witness* (the
non-vacuity checks) the hypotheses with the goal must be satisfiable.  Any
other answer, including ``unknown`` and a timeout, is a failure.

Hypotheses are *tracked*: each configuration rule and each invariant is
asserted under its own label, and the unsat core of a proof names the rules
and invariants it actually used.  That is the traceability from requirements
(through invariants) to proofs, and it exposes an invariant that no proof
needs.

* Initiation (``INIT/<inv>``): the initial state satisfies each invariant.
* Consecution (``CONS/<event>``): for each event class, every invariant holds
  after any step from any state that satisfies all of them.  Together with
  initiation this proves every invariant for every reachable state of every
  structurally valid configuration, for every event sequence.
* Safety (``SAFE/...``): the invariants (and the shipped transition) imply
  each requirement stated as a property of a state or of a step.
* Bounded response (``RESP/...``): counters that force an alarm or an end
  within a stated number of ticks.
* Non-vacuity (``NV/...``): the configuration rules are satisfiable, every
  event class is accepted in some state satisfying the invariants, and the
  premise of each conditional safety property can happen.

The transitions are the shipped code run on Z3 terms (``specs.z3_model``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import z3

from kernel import events as ev
from kernel.alarms import DEFERRABLE, HIGH_ALARMS, AlarmKind, AlarmStatus, high_alarm_active
from kernel.basal import effective_cpph, scheduled_pph
from kernel.commands import Purpose
from kernel.events import BolusRequest, CancelTarget, MotorFault, Source, TempKind
from kernel.iob import iob_pulses
from kernel.logic import total
from kernel.modes import Mode, is_one_of
from kernel.reasons import Reason
from kernel.sensing import reading_fresh
from kernel.settings import settings_checks
from kernel.state import initial_state
from kernel.units import ACC_UNITS_PER_PULSE, CPPH_PER_PPH, TICKS_PER_DAY, TICKS_PER_HOUR
from kernel.windows import day_room, hour_room
from proofs.model import Context, as_bool
from specs.invariants import INVARIANTS
from specs.symbolic import equal
from specs.z3_logic import Z3
from specs.z3_model import Step, config_constraints, event_constraints, symbolic_state

L = Z3
EVENT_CLASSES: tuple[type, ...] = ev.EVENT_CLASSES


@dataclass
class Query:
    """What an obligation asks Z3."""

    tracked: list[tuple[str, Any]]
    plain: list[Any]
    goal: Any
    witness: bool = False
    """True: the goal must be satisfiable (non-vacuity); False: it must be valid."""
    step: Step | None = None


@dataclass(frozen=True)
class Obligation:
    """One proof obligation."""

    id: str
    kind: str
    requirements: tuple[str, ...]
    statement: str
    build: Callable[[Context], Query] = field(repr=False)


def _config_tracked(ctx: Context) -> list[tuple[str, Any]]:
    return [(label, as_bool(holds)) for label, holds in config_constraints(ctx.config)]


def _invariants_tracked(ctx: Context, state: Any) -> list[tuple[str, Any]]:
    return [(inv.id, as_bool(inv.holds(ctx.config, state, L))) for inv in INVARIANTS]


def _step_query(ctx: Context, event_class: type, goal: Callable[[Step], Any], witness: bool = False) -> Query:
    st = ctx.step(event_class)
    return Query(
        tracked=_config_tracked(ctx) + _invariants_tracked(ctx, st.before),
        plain=[as_bool(x) for x in event_constraints(st.event)],
        goal=as_bool(goal(st)),
        witness=witness,
        step=st,
    )


def _state_query(ctx: Context, goal: Callable[[Context, Any], Any], witness: bool = False) -> Query:
    s = symbolic_state("q")
    return Query(
        tracked=_config_tracked(ctx) + _invariants_tracked(ctx, s),
        plain=[],
        goal=as_bool(goal(ctx, s)),
        witness=witness,
    )


def accepted(st: Step) -> Any:
    """The step was accepted and not a replay."""
    return z3.And(as_bool(st.effects.reason == Reason.ACCEPTED), z3.Not(as_bool(st.effects.replayed)))


def refused(st: Step) -> Any:
    return as_bool(st.effects.reason != Reason.ACCEPTED)


def _implies(a: Any, b: Any) -> Any:
    return z3.Implies(as_bool(a), as_bool(b))


def _therapy_pulses(st: Step) -> Any:
    fx = st.effects
    return z3.If(as_bool(fx.deliver_purpose == Purpose.THERAPY), fx.deliver_pulses, 0)


def _expected_tick(st: Step) -> Any:
    return st.before.now_ticks + (1 if type(st.event) is ev.Tick else 0)


# ---------------------------------------------------------------------------------------------------------------
# Obligations
# ---------------------------------------------------------------------------------------------------------------


def _initiation(inv_index: int) -> Callable[[Context], Query]:
    def build(ctx: Context) -> Query:
        inv = INVARIANTS[inv_index]
        s0 = initial_state(ctx.config)
        return Query(tracked=_config_tracked(ctx), plain=[], goal=as_bool(inv.holds(ctx.config, s0, L)))

    return build


def _consecution(event_class: type) -> Callable[[Context], Query]:
    def build(ctx: Context) -> Query:
        def goal(st: Step) -> Any:
            return z3.And(*(as_bool(inv.holds(st.config, st.after, L)) for inv in INVARIANTS))

        return _step_query(ctx, event_class, goal)

    return build


def _every_event(goal: Callable[[Step], Any]) -> Callable[[type], Callable[[Context], Query]]:
    def per_class(event_class: type) -> Callable[[Context], Query]:
        def build(ctx: Context) -> Query:
            return _step_query(ctx, event_class, goal)

        return build

    return per_class


def _on(event_class: type, goal: Callable[[Step], Any], witness: bool = False) -> Callable[[Context], Query]:
    def build(ctx: Context) -> Query:
        return _step_query(ctx, event_class, goal, witness)

    return build


# Step properties that must hold for every event class ------------------------------------------------------------

STEP_PROPERTIES: tuple[tuple[str, tuple[str, ...], str, Callable[[Step], Any]], ...] = (
    (
        "SAFE/refusal-changes-nothing",
        ("INP-1", "INP-2"),
        "A refused event leaves the state exactly as it was and commands nothing.",
        lambda st: _implies(refused(st), z3.And(equal(st.after, st.before), st.effects.deliver_pulses == 0)),
    ),
    (
        "SAFE/event-tick",
        ("CLK-2",),
        "An event whose tick is not the current one (the next one for a Tick) is refused as stale or future.",
        lambda st: _implies(
            st.event.tick != _expected_tick(st),
            z3.Or(st.effects.reason == Reason.STALE_EVENT, st.effects.reason == Reason.FUTURE_EVENT),
        ),
    ),
    (
        "SAFE/hour-window",
        ("LIM-1", "LIM-3", "LIM-5"),
        "After any step the hour ring, which covers at least the last 60 minutes, totals at most the hourly limit.",
        lambda st: total(st.after.windows.hour_pulses) <= st.after.settings.max_hourly_pulses,
    ),
    (
        "SAFE/day-window",
        ("LIM-2", "LIM-3", "LIM-5"),
        "After any step the day ring, which covers at least the last 24 hours, totals at most the daily limit.",
        lambda st: total(st.after.windows.day_pulses) <= st.after.settings.max_daily_pulses,
    ),
    (
        "SAFE/reservoir",
        ("RES-1",),
        "No step commands more pulses than the reservoir holds.",
        lambda st: st.effects.deliver_pulses <= st.before.reservoir.pulses,
    ),
    (
        "SAFE/stopped-delivers-nothing",
        ("SUS-1", "OCC-2", "DLV-3", "RES-1", "ALM-1", "ALM-2", "RES-4"),
        "A step that starts suspended, occluded, faulted, empty, expired, auto-off or rewound commands nothing.",
        lambda st: _implies(
            is_one_of(
                st.before.mode,
                (Mode.SUSPENDED, Mode.OCCLUDED, Mode.MOTOR_FAULT, Mode.EMPTY, Mode.SET_EXPIRED, Mode.AUTO_OFF),
                L,
            ),
            st.effects.deliver_pulses == 0,
        ),
    ),
    (
        "SAFE/high-alarm-stops-therapy",
        ("ALM-1",),
        "No therapy pulse is commanded while a high-priority alarm waits for acknowledgement.",
        lambda st: _implies(high_alarm_active(st.before.alarms, L), _therapy_pulses(st) == 0),
    ),
    (
        "SAFE/uncertain-delivers-nothing",
        ("DLV-2", "LIM-5"),
        "While delivery is uncertain no step commands the motor.",
        lambda st: _implies(st.before.motor.uncertain, st.effects.deliver_pulses == 0),
    ),
    (
        "SAFE/write-ahead",
        ("DLV-1",),
        "Every motor command has the next sequence number and is recorded as pending in the new state.",
        lambda st: _implies(
            st.effects.deliver_pulses > 0,
            z3.And(
                st.effects.deliver_seq == st.before.motor.seq + 1,
                st.after.motor.seq == st.effects.deliver_seq,
                st.after.motor.pending_pulses == st.effects.deliver_pulses,
            ),
        ),
    ),
    (
        "SAFE/occluded-no-catch-up",
        ("OCC-3", "OCC-2"),
        "Nothing missed during an occlusion is queued again: no bolus or temp basal survives a step from OCCLUDED.",
        lambda st: _implies(
            st.before.mode == Mode.OCCLUDED,
            z3.And(
                st.after.bolus.remaining_pulses == 0,
                st.after.bolus.ext_remaining_pulses == 0,
                st.after.basal.temp_kind == TempKind.NONE,
            ),
        ),
    ),
    (
        "SAFE/fault-sticks",
        ("DLV-3", "DLV-4"),
        "From a motor fault only a rewind leads anywhere; until then nothing is commanded.",
        lambda st: (
            z3.BoolVal(True)
            if type(st.event) is ev.Rewind
            else _implies(
                st.before.mode == Mode.MOTOR_FAULT,
                z3.And(st.after.mode == Mode.MOTOR_FAULT, st.effects.deliver_pulses == 0),
            )
        ),
    ),
    (
        "SAFE/occlusion-left-by-user",
        ("OCC-4",),
        "The occluded mode is left only by the user's ClearLine or Rewind, into the priming sequence.",
        lambda st: (
            z3.BoolVal(True)
            if type(st.event) in (ev.ClearLine, ev.Rewind)
            else _implies(
                st.before.mode == Mode.OCCLUDED,
                z3.Or(st.after.mode == Mode.OCCLUDED, st.after.mode == Mode.MOTOR_FAULT),
            )
        ),
    ),
    (
        "SAFE/alarm-kept",
        ("ALM-3", "RES-2"),
        "An active alarm stays active until acknowledged; a deferred alert is never dropped.",
        lambda st: z3.And(
            *(
                z3.And(
                    _implies(
                        z3.And(
                            st.before.alarms[k] == AlarmStatus.ACTIVE,
                            z3.BoolVal(True) if type(st.event) is not ev.AlarmAck else st.event.alarm != k,
                        ),
                        st.after.alarms[k] == AlarmStatus.ACTIVE,
                    ),
                    _implies(
                        st.before.alarms[k] == AlarmStatus.DEFERRED,
                        z3.Or(st.after.alarms[k] == AlarmStatus.DEFERRED, st.after.alarms[k] == AlarmStatus.ACTIVE),
                    ),
                )
                for k in AlarmKind
            )
        ),
    ),
    (
        "SAFE/lgs-lockout",
        ("SUS-4",),
        "Automatic suspension starts only when no lockout runs (30 minutes after a manual resume).",
        lambda st: _implies(
            z3.And(st.before.mode != Mode.LGS_SUSPENDED, st.after.mode == Mode.LGS_SUSPENDED),
            st.after.timers.lgs_lockout_ticks == 0,
        ),
    ),
)


# Properties of particular event classes -------------------------------------------------------------------------


def _bolus_goal(st: Step) -> Any:
    e = st.event
    return _implies(accepted(st), e.immediate_pulses + e.extended_pulses <= st.before.settings.max_bolus_pulses)


def _bolus_refused_above_max(st: Step) -> Any:
    e = st.event
    above = e.immediate_pulses + e.extended_pulses > st.before.settings.max_bolus_pulses
    fresh = z3.Not(z3.Or(*(known == e.request_id for known in st.before.recent_request_ids)))
    return _implies(z3.And(above, fresh), z3.And(refused(st), equal(st.after.bolus, st.before.bolus)))


def _bolus_concurrency(st: Step) -> Any:
    e = st.event
    b = st.before.bolus
    return _implies(
        accepted(st),
        z3.And(
            z3.Or(e.immediate_pulses == 0, b.remaining_pulses == 0),
            z3.Or(e.extended_pulses == 0, b.ext_remaining_pulses == 0),
        ),
    )


def _controller_bolus(st: Step) -> Any:
    e = st.event
    ok = z3.And(
        as_bool(reading_fresh(st.config, st.before, L)),
        iob_pulses(st.before.settings, st.before.windows, L) + e.immediate_pulses + e.extended_pulses
        <= st.before.settings.max_iob_pulses,
        st.before.settings.controller_enabled,
    )
    return _implies(z3.And(accepted(st), e.source == Source.CONTROLLER), ok)


def _remote_bolus(st: Step) -> Any:
    e = st.event
    return _implies(z3.And(accepted(st), e.source == Source.REMOTE), st.before.settings.remote_bolus_enabled)


def _bolus_announced(st: Step) -> Any:
    from kernel.commands import NoticeKind

    shown, a, b, c = st.effects.notices[NoticeKind.BOLUS_STARTED]
    e = st.event
    return _implies(
        accepted(st), z3.And(as_bool(shown), a == e.immediate_pulses, b == e.extended_pulses, c == e.request_id)
    )


def _bolus_replay(st: Step) -> Any:
    e = st.event
    seen = z3.Or(*(known == e.request_id for known in st.before.recent_request_ids))
    on_time = e.tick == st.before.now_ticks
    return _implies(
        z3.And(seen, on_time),
        z3.And(st.effects.reason == Reason.ACCEPTED, as_bool(st.effects.replayed), equal(st.after, st.before)),
    )


def _bolus_uncertain(st: Step) -> Any:
    return _implies(st.before.motor.uncertain, z3.Not(accepted(st)))


def _cancel_all(st: Step) -> Any:
    return _implies(
        z3.And(accepted(st), st.event.target == CancelTarget.ALL),
        z3.And(
            st.after.bolus.remaining_pulses == 0,
            st.after.bolus.ext_remaining_pulses == 0,
            st.effects.deliver_pulses == 0,
        ),
    )


def _tick_basal_bound(st: Step) -> Any:
    delta = st.after.totals.basal_pulses - st.before.totals.basal_pulses
    return delta * TICKS_PER_HOUR <= st.before.settings.max_basal_pph + TICKS_PER_HOUR - 1


def _tick_bolus_speed(st: Step) -> Any:
    delta = st.after.totals.bolus_pulses - st.before.totals.bolus_pulses
    normal = st.before.bolus.remaining_pulses - st.after.bolus.remaining_pulses
    return z3.And(delta >= 0, normal >= 0, delta <= st.config.bolus_pulses_per_tick)


def _tick_missed(st: Step) -> Any:
    return _implies(st.event.missed, st.effects.deliver_pulses == 0)


def _tick_temp_countdown(st: Step) -> Any:
    b0 = st.before.basal
    b1 = st.after.basal
    return _implies(
        accepted(st),
        z3.And(
            _implies(b0.temp_remaining_ticks == 1, b1.temp_kind == TempKind.NONE),
            z3.Or(b1.temp_remaining_ticks == 0, b1.temp_remaining_ticks == b0.temp_remaining_ticks - 1),
        ),
    )


def _tick_lgs_clock(st: Step) -> Any:
    return _implies(
        z3.And(accepted(st), st.before.mode == Mode.LGS_SUSPENDED, st.after.mode == Mode.LGS_SUSPENDED),
        st.after.timers.suspended_ticks == st.before.timers.suspended_ticks + 1,
    )


def _tick_ack_timeout(st: Step) -> Any:
    m0 = st.before.motor
    m1 = st.after.motor
    return _implies(
        z3.And(accepted(st), m0.pending_pulses > 0, m0.pending_ticks == st.config.motor_ack_timeout_ticks),
        z3.And(m1.pending_pulses == 0, st.after.mode == Mode.MOTOR_FAULT),
    )


def _report_occlusion(st: Step) -> Any:
    e = st.event
    m = st.before.motor
    pressure = z3.And(
        e.pressure_kpa >= st.config.occlusion_pressure_kpa,
        m.high_pressure_samples + 1 >= st.config.occlusion_consecutive_samples,
    )
    shortfall = z3.If(e.displaced_pulses < m.pending_pulses, m.pending_pulses - e.displaced_pulses, 0)
    missing = z3.And(shortfall > 0, m.undisplaced_pulses + shortfall >= st.config.occlusion_undisplaced_pulses)
    raised = z3.Or(
        st.after.alarms[AlarmKind.OCCLUSION] == AlarmStatus.ACTIVE,
        st.after.alarms[AlarmKind.MOTOR_FAULT] == AlarmStatus.ACTIVE,
        st.after.alarms[AlarmKind.OCCLUSION] == AlarmStatus.ACKED,
        st.after.alarms[AlarmKind.MOTOR_FAULT] == AlarmStatus.ACKED,
    )
    return _implies(
        z3.And(accepted(st), z3.Or(pressure, missing)),
        z3.And(z3.Or(st.after.mode == Mode.OCCLUDED, st.after.mode == Mode.MOTOR_FAULT), raised),
    )


def _report_fault(st: Step) -> Any:
    e = st.event
    faulty = z3.Or(e.fault != MotorFault.NONE, e.displaced_pulses > st.before.motor.pending_pulses)
    return _implies(z3.And(accepted(st), faulty), st.after.mode == Mode.MOTOR_FAULT)


def _report_excess_counted(st: Step) -> Any:
    """Over-delivered pulses enter IOB in full, and the dose windows up to their room (DLV-3, LIM-4, LIM-5)."""
    e = st.event
    excess = e.displaced_pulses - st.before.motor.pending_pulses
    w0, w1 = st.before.windows, st.after.windows
    room_h = hour_room(st.before.settings, w0)
    room_d = day_room(st.before.settings, w0)
    return _implies(
        z3.And(accepted(st), excess > 0),
        z3.And(
            total(w1.iob_pulses) == total(w0.iob_pulses) + excess,
            total(w1.hour_pulses) == total(w0.hour_pulses) + z3.If(excess < room_h, excess, room_h),
            total(w1.day_pulses) == total(w0.day_pulses) + z3.If(excess < room_d, excess, room_d),
        ),
    )


def _report_resolves(st: Step) -> Any:
    return _implies(accepted(st), z3.And(z3.Not(st.after.motor.uncertain), st.after.motor.pending_pulses == 0))


def _prime_not_therapy(st: Step) -> Any:
    return z3.And(
        equal(st.after.windows, st.before.windows),
        st.after.totals.basal_pulses == st.before.totals.basal_pulses,
        st.after.totals.bolus_pulses == st.before.totals.bolus_pulses,
        _implies(st.effects.deliver_pulses > 0, st.effects.deliver_purpose != Purpose.THERAPY),
    )


def _time_change(st: Step) -> Any:
    return z3.And(
        st.effects.deliver_pulses == 0,
        st.after.basal.acc == st.before.basal.acc,
        equal(st.after.windows, st.before.windows),
        equal(st.after.totals, st.before.totals),
    )


def _settings_whole(st: Step) -> Any:
    valid = z3.And(*(as_bool(h) for _, h in settings_checks(st.config, st.event.settings, L)))
    return _implies(z3.Not(valid), z3.And(refused(st), equal(st.after.settings, st.before.settings)))


def _newly_used(st: Step) -> Any:
    """The reading of this step became the latest valid reading (it was not already held)."""
    e = st.event
    g0 = st.before.glucose
    g1 = st.after.glucose
    return z3.And(
        accepted(st),
        as_bool(g1.valid),
        g1.measured_tick == e.measured_tick,
        g1.mgdl == e.mgdl,
        z3.Not(z3.And(as_bool(g0.valid), g0.measured_tick >= e.measured_tick)),
    )


def _glucose_used(st: Step) -> Any:
    e = st.event
    c = st.config
    return _implies(
        _newly_used(st),
        z3.And(
            e.status == ev.GlucoseStatus.OK,
            e.mgdl >= c.glucose_min_mgdl,
            e.mgdl <= c.glucose_max_mgdl,
            st.before.now_ticks - e.measured_tick <= c.glucose_max_age_ticks,
            e.measured_tick - st.before.now_ticks <= c.glucose_max_future_ticks,
        ),
    )


def _glucose_jump(st: Step) -> Any:
    e = st.event
    g = st.before.glucose
    dt = e.measured_tick - g.measured_tick
    paired = z3.And(as_bool(g.valid), dt >= 1, dt <= 15)
    limit = Z3.mul_small(st.config.glucose_max_change_mgdl_per_tick, z3.If(paired, dt, 0), 4)
    jump = z3.And(paired, z3.Or(e.mgdl - g.mgdl > limit, g.mgdl - e.mgdl > limit))
    return _implies(
        jump, z3.Not(z3.And(as_bool(st.after.glucose.valid), st.after.glucose.measured_tick == e.measured_tick))
    )


def _glucose_low_suspends(st: Step) -> Any:
    e = st.event
    c = st.config
    st0 = st.before.settings
    low = z3.And(
        _newly_used(st),
        e.mgdl <= st0.lgs_threshold_mgdl,
        as_bool(st0.lgs_enabled),
        st.before.timers.lgs_lockout_ticks == 0,
        st.before.mode == Mode.DELIVERING,
    )
    _ = c
    return _implies(low, st.after.mode != Mode.DELIVERING)


def _predicted_low_suspends(st: Step) -> Any:
    """SUS-3, stated without the kernel's helpers: g + (g - g_prev) * 30 / dt <= threshold + margin."""
    e = st.event
    g0 = st.before.glucose
    st0 = st.before.settings
    dt = e.measured_tick - g0.measured_tick
    crossing = z3.Or(
        *(
            z3.And(
                dt == k,
                (e.mgdl - st0.lgs_threshold_mgdl - st.config.lgs_predict_margin_mgdl) * k + (e.mgdl - g0.mgdl) * 30
                <= 0,
            )
            for k in range(1, 16)
        )
    )
    premise = z3.And(
        _newly_used(st),
        as_bool(g0.valid),
        crossing,
        as_bool(st0.lgs_enabled),
        as_bool(st0.predictive_suspend_enabled),
        st.before.timers.lgs_lockout_ticks == 0,
        st.before.mode == Mode.DELIVERING,
    )
    return _implies(premise, st.after.mode != Mode.DELIVERING)


def _below_range_suspends(st: Step) -> Any:
    e = st.event
    c = st.config
    st0 = st.before.settings
    low_reading = z3.And(
        accepted(st),
        e.status == ev.GlucoseStatus.OK,
        e.mgdl < c.glucose_min_mgdl,
        st.before.now_ticks - e.measured_tick <= c.glucose_max_age_ticks,
        e.measured_tick - st.before.now_ticks <= c.glucose_max_future_ticks,
        as_bool(st0.lgs_enabled),
        st.before.timers.lgs_lockout_ticks == 0,
        st.before.mode == Mode.DELIVERING,
    )
    return _implies(low_reading, st.after.mode != Mode.DELIVERING)


def _resume_lockout(st: Step) -> Any:
    from_suspension = z3.Or(st.before.mode == Mode.SUSPENDED, st.before.mode == Mode.LGS_SUSPENDED)
    return _implies(
        z3.And(accepted(st), from_suspension), st.after.timers.lgs_lockout_ticks == st.config.lgs_lockout_ticks
    )


def _resume_needs_ack(st: Step) -> Any:
    return _implies(high_alarm_active(st.before.alarms, L), z3.Not(accepted(st)))


def _suspend_stops(st: Step) -> Any:
    return _implies(
        accepted(st),
        z3.And(
            st.after.mode == Mode.SUSPENDED,
            st.effects.deliver_pulses == 0,
            st.after.bolus.remaining_pulses == 0,
            st.after.bolus.ext_remaining_pulses == 0,
        ),
    )


def _temp_controller_iob(at_last_tick: bool) -> Callable[[Step], Any]:
    """An accepted controller temp that raises basal fits max IOB at every minute it may run (LIM-4).

    A controller temp lasts 1 to 30 ticks, so it spans at most two profile slots: the slot now and the
    slot of its last tick (one obligation each).  Where its rate is above the schedule, IOB plus the
    rate's 30-minute delivery, rounded up, is within max IOB: ``iob + ceil(rate x 30 / 6000) <= max``.
    """

    def goal(st: Step) -> Any:
        e = st.event
        s0 = st.before
        st1 = s0.settings
        tod = s0.time_of_day_ticks
        later = tod + e.duration_ticks - 1
        t = z3.If(later >= TICKS_PER_DAY, later - TICKS_PER_DAY, later) if at_last_tick else tod
        rate = effective_cpph(st1, st.after.basal, t, L)
        raises = rate > scheduled_pph(st1, t, L) * CPPH_PER_PPH
        fits = iob_pulses(st1, s0.windows, L) + (rate + 199) / 200 <= st1.max_iob_pulses
        return _implies(z3.And(accepted(st), e.source == Source.CONTROLLER, raises), fits)

    return goal


def _temp_limits(st: Step) -> Any:
    e = st.event
    c = st.config
    ok = z3.And(
        z3.Or(e.kind != TempKind.ABSOLUTE, e.value <= st.before.settings.max_basal_pph),
        z3.Or(e.kind != TempKind.PERCENT, e.value <= c.temp_percent_max),
        z3.Or(e.source != Source.CONTROLLER, e.duration_ticks <= c.controller_temp_max_ticks),
    )
    return _implies(accepted(st), ok)


def _temp_controller(st: Step) -> Any:
    e = st.event
    return _implies(z3.And(e.source == Source.CONTROLLER, as_bool(st.before.motor.uncertain)), z3.Not(accepted(st)))


def _bolus_fits(st: Step) -> Any:
    e = st.event
    s0 = st.before
    whole = e.immediate_pulses + e.extended_pulses
    return _implies(
        accepted(st),
        z3.And(
            e.immediate_pulses <= hour_room(s0.settings, s0.windows),
            whole <= day_room(s0.settings, s0.windows),
            whole <= s0.reservoir.pulses,
        ),
    )


def _ack_silences(st: Step) -> Any:
    e = st.event
    return _implies(
        accepted(st),
        z3.Or(
            st.after.mode != st.before.mode,
            z3.And(*(_implies(e.alarm == k, st.after.alarms[k] != AlarmStatus.ACTIVE) for k in AlarmKind)),
        ),
    )


def _ack_only_active(st: Step) -> Any:
    return _implies(accepted(st), z3.Or(*(st.before.alarms[k] == AlarmStatus.ACTIVE for k in AlarmKind)))


def _effective_rate(ctx: Context, s: Any) -> Any:
    rate = effective_cpph(s.settings, s.basal, s.time_of_day_ticks, L)
    return z3.And(rate >= 0, rate <= s.settings.max_basal_pph * CPPH_PER_PPH)


def _empty_state(ctx: Context, s: Any) -> Any:
    return _implies(s.reservoir.pulses == 0, z3.Not(z3.Or(s.mode == Mode.DELIVERING, s.mode == Mode.LGS_SUSPENDED)))


def _controller_temp_state(ctx: Context, s: Any) -> Any:
    b = s.basal
    return _implies(
        z3.And(b.temp_source == Source.CONTROLLER, b.temp_kind != TempKind.NONE),
        b.temp_remaining_ticks <= ctx.config.controller_temp_max_ticks,
    )


def _acc_bound(ctx: Context, s: Any) -> Any:
    t = s.totals
    programmed = t.basal_programmed_units
    delivered = (t.basal_pulses + t.withheld_pulses) * ACC_UNITS_PER_PULSE
    return z3.And(delivered <= programmed, programmed - delivered < ACC_UNITS_PER_PULSE)


def _no_deferred_high(ctx: Context, s: Any) -> Any:
    return z3.And(*(s.alarms[k] != AlarmStatus.DEFERRED for k in AlarmKind if k not in DEFERRABLE))


def _lgs_bounded(ctx: Context, s: Any) -> Any:
    return _implies(s.mode == Mode.LGS_SUSPENDED, s.timers.suspended_ticks < ctx.config.lgs_max_ticks)


def _occlusion_counter(ctx: Context, s: Any) -> Any:
    return s.motor.high_pressure_samples < ctx.config.occlusion_consecutive_samples


# Non-vacuity witnesses ------------------------------------------------------------------------------------------


def _witness_config(ctx: Context) -> Query:
    return Query(tracked=_config_tracked(ctx), plain=[], goal=z3.BoolVal(True), witness=True)


def _witness_rich_state(ctx: Context, s: Any) -> Any:
    return z3.And(
        s.mode == Mode.DELIVERING,
        s.bolus.remaining_pulses > 0,
        s.bolus.ext_remaining_pulses > 0,
        s.basal.temp_kind == TempKind.PERCENT,
        total(s.windows.hour_pulses) > 0,
        ctx.config.hour_bucket_ticks >= 5,
    )


WITNESS_GOALS: dict[type, Callable[[Step], Any]] = {
    ev.Tick: lambda st: z3.And(accepted(st), st.effects.deliver_pulses > 0, st.before.bolus.remaining_pulses > 0),
    ev.BolusRequest: lambda st: z3.And(accepted(st), st.event.immediate_pulses > 0, st.event.extended_pulses > 0),
    ev.MotorReport: lambda st: z3.And(accepted(st), st.after.mode == Mode.OCCLUDED),
    ev.GlucoseReading: lambda st: z3.And(accepted(st), st.after.mode == Mode.LGS_SUSPENDED),
    ev.TempBasal: lambda st: z3.And(accepted(st), st.event.kind == TempKind.PERCENT),
}


def _witness(event_class: type) -> Callable[[Context], Query]:
    goal = WITNESS_GOALS.get(event_class, accepted)
    return _on(event_class, goal, witness=True)


def _premise(event_class: type, premise: Callable[[Step], Any]) -> Callable[[Context], Query]:
    return _on(event_class, lambda st: z3.And(accepted(st), as_bool(premise(st))), witness=True)


def _state_witness(goal: Callable[[Context, Any], Any]) -> Callable[[Context], Query]:
    def build(ctx: Context) -> Query:
        return _state_query(ctx, goal, witness=True)

    return build


def _state_proof(goal: Callable[[Context, Any], Any]) -> Callable[[Context], Query]:
    def build(ctx: Context) -> Query:
        return _state_query(ctx, goal)

    return build


def all_obligations() -> list[Obligation]:
    """Every obligation, in report order."""
    obligations: list[Obligation] = []
    add = obligations.append
    add(
        Obligation(
            "NV/config",
            "non-vacuity",
            ("CFG-1",),
            "The structural configuration rules are satisfiable together.",
            _witness_config,
        )
    )
    for index, inv in enumerate(INVARIANTS):
        add(
            Obligation(
                f"INIT/{inv.id}",
                "initiation",
                inv.requirements,
                f"The initial state satisfies {inv.id}: {inv.statement}",
                _initiation(index),
            )
        )
    for event_class in EVENT_CLASSES:
        add(
            Obligation(
                f"CONS/{event_class.__name__}",
                "consecution",
                tuple(sorted({r for inv in INVARIANTS for r in inv.requirements})),
                f"Every {event_class.__name__} from a state satisfying all invariants leads to one satisfying them.",
                _consecution(event_class),
            )
        )
    for name, reqs, statement, goal in STEP_PROPERTIES:
        for event_class in EVENT_CLASSES:
            add(
                Obligation(f"{name}/{event_class.__name__}", "safety", reqs, statement, _every_event(goal)(event_class))
            )
    specific: list[tuple[str, str, tuple[str, ...], str, type, Callable[[Step], Any]]] = [
        (
            "SAFE/bolus-within-max",
            "safety",
            ("BOL-1",),
            "An accepted bolus is at most max bolus.",
            BolusRequest,
            _bolus_goal,
        ),
        (
            "SAFE/bolus-above-max-refused",
            "safety",
            ("BOL-1",),
            "A new request above max bolus is refused and no bolus starts (never truncated).",
            BolusRequest,
            _bolus_refused_above_max,
        ),
        (
            "SAFE/bolus-fits",
            "safety",
            ("LIM-1", "LIM-2", "LIM-3", "RES-1", "BOL-1"),
            "A bolus is accepted only if it fits the hourly and daily room and the reservoir: never cut short by them.",
            BolusRequest,
            _bolus_fits,
        ),
        (
            "SAFE/bolus-concurrency",
            "safety",
            ("BOL-4",),
            "A bolus is accepted only if its parts do not overlap a running bolus of the same kind.",
            BolusRequest,
            _bolus_concurrency,
        ),
        (
            "SAFE/controller-bolus",
            "safety",
            ("LIM-4", "SEN-2", "SEC-3"),
            "A controller bolus is accepted only with fresh sensor data and IOB plus the bolus within max IOB.",
            BolusRequest,
            _controller_bolus,
        ),
        (
            "SAFE/remote-bolus-switch",
            "safety",
            ("SEC-2",),
            "A remote bolus is accepted only when remote bolus is switched on.",
            BolusRequest,
            _remote_bolus,
        ),
        (
            "SAFE/bolus-announced",
            "safety",
            ("SEC-2",),
            "Every accepted bolus is announced with its amounts and request ID.",
            BolusRequest,
            _bolus_announced,
        ),
        (
            "SAFE/bolus-replay",
            "safety",
            ("BOL-5",),
            "A remembered request ID is answered as accepted, marked replayed, and changes nothing.",
            BolusRequest,
            _bolus_replay,
        ),
        (
            "SAFE/bolus-uncertain",
            "safety",
            ("DLV-2",),
            "No new bolus is accepted while delivery is uncertain.",
            BolusRequest,
            _bolus_uncertain,
        ),
        (
            "SAFE/cancel-stops-now",
            "safety",
            ("BOL-6",),
            "Cancelling all boluses stops both at once and commands nothing.",
            ev.CancelBolus,
            _cancel_all,
        ),
        (
            "SAFE/basal-per-tick",
            "safety",
            ("BAS-4", "BAS-2", "OCC-3", "CLK-1", "U-2"),
            "A tick delivers at most max basal / 60 + (under) one pulse of basal: no catch-up, never above max basal.",
            ev.Tick,
            _tick_basal_bound,
        ),
        (
            "SAFE/bolus-speed",
            "safety",
            ("BOL-3", "BOL-2"),
            "A tick delivers at most the bolus speed, normal and extended bolus together.",
            ev.Tick,
            _tick_bolus_speed,
        ),
        (
            "SAFE/missed-tick",
            "safety",
            ("CLK-1",),
            "A replayed missed tick commands nothing.",
            ev.Tick,
            _tick_missed,
        ),
        (
            "SAFE/motor-fault",
            "safety",
            ("DLV-3",),
            "A report of a fault or of more pulses than commanded stops delivery in the motor-fault mode.",
            ev.MotorReport,
            _report_fault,
        ),
        (
            "SAFE/report-excess-counted",
            "safety",
            ("DLV-3", "LIM-4", "LIM-5"),
            "Over-delivered pulses are counted in IOB in full and in the hour and day windows up to their room.",
            ev.MotorReport,
            _report_excess_counted,
        ),
        (
            "SAFE/report-resolves",
            "safety",
            ("DLV-2",),
            "An accepted motor report resolves the pending command and any uncertainty.",
            ev.MotorReport,
            _report_resolves,
        ),
        (
            "SAFE/prime-not-therapy",
            "safety",
            ("RES-3",),
            "Priming never enters the windows, IOB or therapy totals.",
            ev.PrimeTubing,
            _prime_not_therapy,
        ),
        (
            "SAFE/cannula-not-therapy",
            "safety",
            ("RES-3",),
            "Filling the cannula never enters the windows, IOB or therapy totals.",
            ev.FillCannula,
            _prime_not_therapy,
        ),
        (
            "SAFE/time-change-no-catch-up",
            "safety",
            ("BAS-3",),
            "A change of local time commands nothing and leaves the accumulator, windows and totals.",
            ev.TimeOffsetChange,
            _time_change,
        ),
        (
            "SAFE/settings-whole",
            "safety",
            ("CFG-1", "CFG-2", "CFG-3"),
            "Settings that break any rule are refused and the settings in force stay.",
            ev.SettingsChange,
            _settings_whole,
        ),
        (
            "SAFE/glucose-used-only-valid",
            "safety",
            ("SEN-1",),
            "A reading becomes the latest valid one only if OK, in range, not too old and not from the future.",
            ev.GlucoseReading,
            _glucose_used,
        ),
        (
            "SAFE/glucose-jump",
            "safety",
            ("SEN-3",),
            "A reading that moved faster than the plausible rate never becomes valid data.",
            ev.GlucoseReading,
            _glucose_jump,
        ),
        (
            "SAFE/low-glucose-suspends",
            "safety",
            ("SUS-2",),
            "A valid reading at or below the threshold stops delivery at once (LGS on, no lockout).",
            ev.GlucoseReading,
            _glucose_low_suspends,
        ),
        (
            "SAFE/predicted-low-suspends",
            "safety",
            ("SUS-3",),
            "A valid reading whose 30-minute linear prediction reaches threshold + 20 mg/dL stops delivery at once.",
            ev.GlucoseReading,
            _predicted_low_suspends,
        ),
        (
            "SAFE/below-range-suspends",
            "safety",
            ("SEN-4", "SUS-2"),
            "A LOW reading below the sensor range stops delivery at once (LGS on, no lockout).",
            ev.GlucoseReading,
            _below_range_suspends,
        ),
        (
            "SAFE/resume-lockout",
            "safety",
            ("SUS-4",),
            "A resume from a suspension locks automatic suspension out for the lockout time.",
            ev.Resume,
            _resume_lockout,
        ),
        (
            "SAFE/resume-needs-ack",
            "safety",
            ("ALM-1", "SUS-1"),
            "Resume is refused while a high-priority alarm waits for acknowledgement.",
            ev.Resume,
            _resume_needs_ack,
        ),
        (
            "SAFE/suspend-stops-now",
            "safety",
            ("SUS-1", "BOL-6"),
            "An accepted suspend stops every bolus and commands nothing in the same step.",
            ev.Suspend,
            _suspend_stops,
        ),
        (
            "SAFE/temp-within-limits",
            "safety",
            ("TMP-1", "TMP-3", "BAS-4"),
            "An accepted temp basal is within max basal or 250 %, and a controller's lasts at most 30 minutes.",
            ev.TempBasal,
            _temp_limits,
        ),
        (
            "SAFE/controller-temp-iob/now",
            "safety",
            ("LIM-4", "TMP-3", "SEC-3"),
            "A controller temp raising basal now is accepted only if 30 minutes of it fit under max IOB.",
            ev.TempBasal,
            _temp_controller_iob(False),
        ),
        (
            "SAFE/controller-temp-iob/last-tick",
            "safety",
            ("LIM-4", "TMP-3", "SEC-3"),
            "A controller temp raising basal at its last minute (maybe the next profile slot) fits max IOB there too.",
            ev.TempBasal,
            _temp_controller_iob(True),
        ),
        (
            "SAFE/temp-uncertain",
            "safety",
            ("DLV-2",),
            "No controller temp basal is accepted while delivery is uncertain.",
            ev.TempBasal,
            _temp_controller,
        ),
        (
            "SAFE/ack-silences",
            "safety",
            ("ALM-1", "ALM-3"),
            "An accepted acknowledgement silences its alarm, unless its cause arose anew in the same step.",
            ev.AlarmAck,
            _ack_silences,
        ),
        (
            "SAFE/ack-only-active",
            "safety",
            ("ALM-1",),
            "Only an active alarm can be acknowledged.",
            ev.AlarmAck,
            _ack_only_active,
        ),
        (
            "RESP/occlusion-alarm-at-once",
            "bounded-response",
            ("OCC-1", "OCC-2"),
            "The motor report that completes the occlusion evidence raises the alarm and stops delivery: 0 ticks.",
            ev.MotorReport,
            _report_occlusion,
        ),
        (
            "RESP/temp-ends-on-time",
            "bounded-response",
            ("TMP-2",),
            "Each tick takes exactly one tick off a running temp basal, and the last tick ends it.",
            ev.Tick,
            _tick_temp_countdown,
        ),
        (
            "RESP/lgs-clock",
            "bounded-response",
            ("SUS-4",),
            "Each tick in automatic suspension adds exactly one tick to its length.",
            ev.Tick,
            _tick_lgs_clock,
        ),
        (
            "RESP/ack-timeout",
            "bounded-response",
            ("DLV-2", "DLV-4"),
            "A command unanswered for the ack timeout is assumed delivered and stops in the motor-fault mode.",
            ev.Tick,
            _tick_ack_timeout,
        ),
    ]
    for oid, kind, reqs, statement, event_class, goal in specific:
        add(Obligation(oid, kind, reqs, statement, _on(event_class, goal)))
    state_props: list[tuple[str, str, tuple[str, ...], str, Callable[[Context, Any], Any]]] = [
        (
            "SAFE/basal-rate-clamped",
            "safety",
            ("BAS-4", "TMP-1"),
            "In every reachable state the effective basal rate is between 0 and max basal.",
            _effective_rate,
        ),
        (
            "SAFE/empty-stops",
            "safety",
            ("RES-1",),
            "An empty reservoir is never in a delivering or automatically suspended state.",
            _empty_state,
        ),
        (
            "SAFE/controller-temp-30-min",
            "safety",
            ("TMP-3",),
            "A controller temp basal never has more than the controller maximum (30 minutes) left.",
            _controller_temp_state,
        ),
        (
            "SAFE/basal-no-drift",
            "safety",
            ("BAS-2", "U-2"),
            "Delivered plus withheld basal is within one pulse below the integral of the programmed rate.",
            _acc_bound,
        ),
        (
            "SAFE/high-alarms-not-deferred",
            "safety",
            ("ALM-1", "RES-2"),
            "Only the reservoir alerts are ever deferred; every other alarm is announced at once.",
            _no_deferred_high,
        ),
        (
            "RESP/lgs-at-most-2-h",
            "bounded-response",
            ("SUS-4",),
            "An automatic suspension never reaches its maximum length (2 hours).",
            _lgs_bounded,
        ),
        (
            "RESP/occlusion-counter-bounded",
            "bounded-response",
            ("OCC-1",),
            "Consecutive high-pressure samples never reach the threshold without an occlusion being raised.",
            _occlusion_counter,
        ),
    ]
    for oid, kind, reqs, statement, state_goal in state_props:
        add(Obligation(oid, kind, reqs, statement, _state_proof(state_goal)))
    add(
        Obligation(
            "NV/rich-state",
            "non-vacuity",
            ("BOL-2", "BOL-4", "TMP-1", "LIM-1"),
            "The invariants admit a delivering state with a normal and an extended bolus and a percent temp.",
            _state_witness(_witness_rich_state),
        )
    )
    for event_class in EVENT_CLASSES:
        add(
            Obligation(
                f"NV/accepted/{event_class.__name__}",
                "non-vacuity",
                (),
                f"Some {event_class.__name__} is accepted from some state satisfying the invariants.",
                _witness(event_class),
            )
        )
    premises: list[tuple[str, type, Callable[[Step], Any]]] = [
        ("occlusion-evidence", ev.MotorReport, lambda st: st.after.mode == Mode.OCCLUDED),
        ("motor-fault", ev.MotorReport, lambda st: st.after.mode == Mode.MOTOR_FAULT),
        ("ack-timeout", ev.Tick, lambda st: st.after.mode == Mode.MOTOR_FAULT),
        ("temp-expires", ev.Tick, lambda st: st.before.basal.temp_remaining_ticks == 1),
        (
            "limit-cuts-bolus",
            ev.Tick,
            lambda st: z3.And(
                st.before.bolus.remaining_pulses > 0, st.after.bolus.remaining_pulses == 0, st.effects.limit_hit
            ),
        ),
        (
            "lgs-ends-at-max",
            ev.Tick,
            lambda st: z3.And(st.before.mode == Mode.LGS_SUSPENDED, st.after.mode == Mode.DELIVERING),
        ),
        ("controller-bolus", BolusRequest, lambda st: st.event.source == Source.CONTROLLER),
        ("remote-bolus", BolusRequest, lambda st: st.event.source == Source.REMOTE),
        ("uncertain-resolved", ev.MotorReport, lambda st: st.before.motor.uncertain),
        ("high-alarm-acked", ev.AlarmAck, lambda st: z3.Or(*(st.event.alarm == k for k in HIGH_ALARMS))),
        (
            "predicted-low",
            ev.GlucoseReading,
            lambda st: z3.And(
                st.after.mode == Mode.LGS_SUSPENDED, st.event.mgdl > st.before.settings.lgs_threshold_mgdl
            ),
        ),
        (
            "below-range",
            ev.GlucoseReading,
            lambda st: z3.And(st.after.mode == Mode.LGS_SUSPENDED, st.event.mgdl < st.config.glucose_min_mgdl),
        ),
    ]
    for name, event_class, premise in premises:
        add(
            Obligation(
                f"NV/premise/{name}",
                "non-vacuity",
                (),
                f"The premise '{name}' of a safety property can happen ({event_class.__name__}).",
                _premise(event_class, premise),
            )
        )
    obligations += _calculator_obligations()
    return obligations


def _calculator_obligations() -> list[Obligation]:
    """The bolus calculator's obligations (CALC-1..4), kept in ``proofs.calculator``."""
    from proofs.calculator import calculator_obligations  # imported here: it imports this module

    return calculator_obligations()
