"""The safety invariants: predicates over configuration and state, written once.

Theory of operation
-------------------
Each ``Invariant`` is one named predicate ``holds(config, state, logic)`` with
the requirement IDs it serves.  It is written in the kernel's logic
(``kernel.logic``), so the *same* predicate is evaluated

* by Z3, on symbolic states (``logic=Z3``): the inductive proofs of ``proofs/``;
* by CrossHair, as the pre- and postcondition of the kernel's step
  (``proofs/crosshair_targets.py``, ``logic=PY``);
* by Hypothesis after every step of the stateful tests, by the small-scope
  search on every reachable state, and by the monitor of the adapters' tests
  (``logic=PY``).

Together the invariants are *inductive*: they hold in ``initial_state`` for
every valid configuration, and every event kind preserves them
(``proofs.obligations``).  Several exist only to make the others inductive
(``INV-EXT-DDA``, ``INV-GLUCOSE``...); each says which requirements it serves
so the proof report can trace requirements to the invariants their proofs
used.

``CONFIG_ASSUMPTIONS`` is what every proof assumes about the configuration:
``kernel.config.structural_checks``, the kernel's own validation rules.

The first invariant, ``INV-SHAPE``, fixes the lengths of the state's tuples;
for Z3 it is true by construction, for CrossHair it must come first so that
the symbolic tuples have their lengths before anything indexes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kernel.alarms import DEFERRABLE, N_ALARMS, PRIORITY, AlarmKind, AlarmStatus, Priority
from kernel.commands import GlucoseUse
from kernel.config import PumpConfig, structural_checks
from kernel.events import Source, TempKind
from kernel.logic import PY, Logic, total
from kernel.modes import STOPPED_MODES, SUSPENDED_MODES, Mode, is_one_of
from kernel.settings import settings_checks
from kernel.state import PumpState
from kernel.units import (
    ACC_UNITS_PER_PULSE,
    ALARM_REPEATS_MAX,
    DAY_RING,
    HOUR_RING,
    IOB_BUCKET_TICKS,
    IOB_RING,
    REQUEST_SLOTS,
    SLOTS_PER_DAY,
    TICKS_PER_DAY,
)

Predicate = Callable[[PumpConfig, PumpState, Logic], Any]


@dataclass(frozen=True)
class Invariant:
    """One named safety invariant."""

    id: str
    requirements: tuple[str, ...]
    statement: str
    holds: Predicate


def config_ok(c: PumpConfig, logic: Logic = PY) -> Any:
    """What every proof assumes of a configuration: the kernel's structural rules."""
    return logic.all(*(holds for _, holds in structural_checks(c, logic)))


def _shape(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    w = s.windows
    r = s.requests
    return L.all(
        len(w.hour_past_pulses) == HOUR_RING - 1,
        len(w.day_past_pulses) == DAY_RING - 1,
        len(w.iob_past_pulses) == IOB_RING - 1,
        len(s.settings.basal_slots_pph) == SLOTS_PER_DAY,
        len(s.alarms) == N_ALARMS,
        len(r.ids) == REQUEST_SLOTS,
        len(r.ticks) == REQUEST_SLOTS,
        len(r.outcomes) == REQUEST_SLOTS,
    )


def _clock(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    return L.all(s.now_ticks >= 0, s.time_of_day_ticks >= 0, s.time_of_day_ticks < TICKS_PER_DAY)


def _mode(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    return L.all(s.mode >= min(Mode), s.mode <= max(Mode))


def _settings(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    return L.all(*(holds for _, holds in settings_checks(c, s.settings, L)))


def _hour_window(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    w = s.windows
    return L.all(
        *(b >= 0 for b in w.hour_pulses),
        w.hour_total_pulses == total(w.hour_pulses),
        w.hour_total_pulses <= s.settings.max_hourly_pulses,
        w.hour_phase_ticks >= 0,
        w.hour_phase_ticks < c.hour_bucket_ticks,
    )


def _day_window(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    w = s.windows
    return L.all(
        *(b >= 0 for b in w.day_pulses),
        w.day_total_pulses == total(w.day_pulses),
        w.day_total_pulses <= s.settings.max_daily_pulses,
        w.day_phase_ticks >= 0,
        w.day_phase_ticks < c.day_bucket_ticks,
    )


def _iob_ring(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    w = s.windows
    return L.all(*(b >= 0 for b in w.iob_pulses), w.iob_phase_ticks >= 0, w.iob_phase_ticks < IOB_BUCKET_TICKS)


def _basal_exact(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    t = s.totals
    return L.all(
        s.basal.acc >= 0,
        s.basal.acc < ACC_UNITS_PER_PULSE,
        (t.basal_pulses + t.withheld_pulses) * ACC_UNITS_PER_PULSE + s.basal.acc == t.basal_programmed_units,
    )


def _temp(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    b = s.basal
    none = b.temp_kind == TempKind.NONE
    return L.all(
        L.any(none, b.temp_kind == TempKind.ABSOLUTE, b.temp_kind == TempKind.PERCENT),
        none == (b.temp_remaining_ticks == 0),
        b.temp_remaining_ticks >= 0,
        b.temp_value >= 0,
        L.any(b.temp_kind != TempKind.PERCENT, b.temp_value <= c.temp_percent_max),
        b.temp_source >= min(Source),
        b.temp_source <= max(Source),
        L.any(none, s.mode == Mode.DELIVERING),
    )


def _temp_duration(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    b = s.basal
    controller = b.temp_source == Source.CONTROLLER
    return L.all(
        L.any(controller, b.temp_remaining_ticks <= c.temp_max_ticks),
        L.any(L.not_(controller), b.temp_remaining_ticks <= c.controller_temp_max_ticks),
    )


def _bolus(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    b = s.bolus
    return L.all(
        b.remaining_pulses >= 0,
        b.delivered_pulses >= 0,
        b.remaining_pulses + b.delivered_pulses <= s.settings.max_bolus_pulses,
        L.any(b.remaining_pulses > 0, b.delivered_pulses == 0),
        L.any(b.remaining_pulses == 0, s.mode == Mode.DELIVERING),
        L.any(b.remaining_pulses == 0, L.not_(s.motor.uncertain)),
    )


def _extended(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    b = s.bolus
    return L.all(
        b.ext_remaining_pulses >= 0,
        b.ext_delivered_pulses >= 0,
        b.ext_remaining_pulses + b.ext_delivered_pulses <= s.settings.max_bolus_pulses,
        L.any(b.ext_remaining_pulses > 0, b.ext_delivered_pulses == 0),
        L.any(b.ext_remaining_pulses == 0, s.mode == Mode.DELIVERING),
        L.any(b.ext_remaining_pulses == 0, L.not_(s.motor.uncertain)),
    )


def _extended_dda(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    b = s.bolus
    return L.all(
        b.ext_duration_ticks >= 1,
        b.ext_quotient_pulses >= 0,
        b.ext_remainder_pulses >= 0,
        b.ext_remainder_pulses < b.ext_duration_ticks,
        b.ext_acc >= 0,
        b.ext_acc < b.ext_duration_ticks,
        b.ext_quotient_pulses + L.ite(b.ext_remainder_pulses > 0, 1, 0) <= c.bolus_pulses_per_tick,
    )


def _reservoir(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    r = s.reservoir
    return L.all(
        r.pulses >= 0,
        r.pulses <= c.reservoir_capacity_pulses,
        r.prime_used_pulses >= 0,
        r.prime_used_pulses <= c.prime_max_pulses,
        r.set_age_ticks >= 0,
        r.set_age_ticks <= c.set_max_age_ceiling_ticks,
    )


def _empty_stops(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    return L.any(
        s.reservoir.pulses >= 1,
        is_one_of(s.mode, (Mode.REWOUND, Mode.EMPTY, Mode.OCCLUDED, Mode.MOTOR_FAULT), L),
    )


def _set_age(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    running = is_one_of(s.mode, (Mode.DELIVERING, Mode.SUSPENDED, Mode.LGS_SUSPENDED, Mode.AUTO_OFF), L)
    return L.any(L.not_(running), s.reservoir.set_age_ticks < s.settings.set_max_age_ticks)


def _motor(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    m = s.motor
    return L.all(
        m.seq >= 0,
        m.pending_pulses >= 0,
        m.pending_ticks >= 0,
        m.pending_ticks <= c.motor_ack_timeout_ticks,
        L.any(m.pending_pulses > 0, m.pending_ticks == 0),
        L.any(L.not_(m.uncertain), m.pending_pulses > 0),
        L.any(m.pending_pulses == 0, m.seq >= 1),
        L.any(m.pending_pulses == 0, L.not_(is_one_of(s.mode, (Mode.REWOUND, Mode.OCCLUDED, Mode.MOTOR_FAULT), L))),
    )


def _occlusion_evidence(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    m = s.motor
    return L.all(
        m.high_pressure_samples >= 0,
        m.high_pressure_samples < c.occlusion_consecutive_samples,
        m.undisplaced_pulses >= 0,
        m.undisplaced_pulses < c.occlusion_undisplaced_pulses,
    )


def _reading_ok(c: PumpConfig, valid: Any, mgdl: Any, edge: Any, L: Logic) -> Any:
    """A held reading: none, or in range with edge 0, or the LOW / HIGH value with edge -1 / +1."""
    return L.any(
        L.not_(valid),
        L.all(edge == 0, mgdl >= c.glucose_min_mgdl, mgdl <= c.glucose_max_mgdl),
        L.all(edge == -1, mgdl == c.glucose_min_mgdl - 1),
        L.all(edge == 1, mgdl == c.glucose_max_mgdl + 1),
    )


def _older_in_order(g: Any, L: Logic) -> list[Any]:
    """Each held older reading has a held newer one, measured strictly later (the trend's order, SUS-3)."""
    newer_valid = (g.valid, *g.older_valid[:-1])
    newer_ticks = (g.measured_tick, *g.older_ticks[:-1])
    return [
        L.any(L.not_(v), L.all(nv, t < nt))
        for v, t, nv, nt in zip(g.older_valid, g.older_ticks, newer_valid, newer_ticks, strict=True)
    ]


def _glucose(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    g = s.glucose
    return L.all(
        _reading_ok(c, g.valid, g.mgdl, g.edge, L),
        *(_reading_ok(c, v, m, e, L) for v, m, e in zip(g.older_valid, g.older_mgdl, g.older_edge, strict=True)),
        *_older_in_order(g, L),
        L.any(L.not_(g.valid), g.measured_tick <= s.now_ticks + c.glucose_max_future_ticks),
        g.report_tick <= s.now_ticks,
        g.report_use >= 0,
        g.report_use <= max(GlucoseUse),
    )


def _suspension(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    t = s.timers
    suspended = is_one_of(s.mode, SUSPENDED_MODES, L)
    return L.all(
        t.suspended_ticks >= 0,
        L.any(suspended, t.suspended_ticks == 0),
        L.any(s.mode != Mode.LGS_SUSPENDED, t.suspended_ticks < c.lgs_max_ticks),
        L.any(
            s.mode != Mode.SUSPENDED,
            L.all(t.reminder_countdown_ticks >= 1, t.reminder_countdown_ticks <= c.suspend_reminder_ticks),
        ),
        t.lgs_lockout_ticks >= 0,
        t.lgs_lockout_ticks <= c.lgs_lockout_ticks,
        t.history_unknown_ticks >= 0,
        t.history_unknown_ticks <= TICKS_PER_DAY,
    )


def _alarm_repetition(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    """The repetition countdown and count are within range, and both 0 while no alarm waits (ALM-1, ALM-5)."""
    t = s.timers
    waiting = L.member(
        AlarmStatus.ACTIVE, tuple(s.alarms[kind] for kind in AlarmKind if PRIORITY[kind] != Priority.LOW)
    )
    return L.all(
        t.alarm_repeat_countdown_ticks >= 0,
        t.alarm_repeat_countdown_ticks <= c.alarm_repeat_ticks,
        t.alarm_repeats >= 0,
        t.alarm_repeats <= ALARM_REPEATS_MAX,
        L.any(waiting, L.both(t.alarm_repeat_countdown_ticks == 0, t.alarm_repeats == 0)),
    )


def _auto_off(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    t = s.timers
    st = s.settings
    watched = is_one_of(s.mode, (Mode.DELIVERING, Mode.LGS_SUSPENDED), L)
    return L.all(
        t.idle_ticks >= 0,
        t.idle_ticks <= c.auto_off_max_ticks,
        L.any(L.not_(watched), st.auto_off_ticks == 0, t.idle_ticks < st.auto_off_ticks),
    )


def _alarm_statuses(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    parts = []
    for kind in AlarmKind:
        status = s.alarms[kind]
        parts.append(L.all(status >= AlarmStatus.CLEAR, status <= AlarmStatus.ACKED))
        if kind not in DEFERRABLE:
            parts.append(status != AlarmStatus.DEFERRED)
    return L.all(*parts)


STOP_ALARM: dict[Mode, AlarmKind] = {
    Mode.OCCLUDED: AlarmKind.OCCLUSION,
    Mode.MOTOR_FAULT: AlarmKind.MOTOR_FAULT,
    Mode.EMPTY: AlarmKind.RESERVOIR_EMPTY,
    Mode.SET_EXPIRED: AlarmKind.SET_EXPIRED,
    Mode.AUTO_OFF: AlarmKind.AUTO_OFF,
}
"""The alarm that must be raised (active or acknowledged) while the pump is in a mode."""


def _alarm_raised(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    raised = (AlarmStatus.ACTIVE, AlarmStatus.ACKED)
    parts = []
    for mode, kind in STOP_ALARM.items():
        parts.append(L.any(s.mode != mode, s.alarms[kind] == raised[0], s.alarms[kind] == raised[1]))
    uncertain_kind = AlarmKind.DELIVERY_UNCERTAIN
    parts.append(
        L.any(
            L.not_(s.motor.uncertain),
            s.alarms[uncertain_kind] == raised[0],
            s.alarms[uncertain_kind] == raised[1],
        )
    )
    return L.all(*parts)


def _request_ids(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    return L.all(*(request_id >= 0 for request_id in s.requests.ids))


def _request_ticks(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    return L.all(*(L.both(tick >= 0, tick <= s.now_ticks) for tick in s.requests.ticks))


def _request_order(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    ticks = s.requests.ticks
    return L.all(*(ticks[k] >= ticks[k + 1] for k in range(REQUEST_SLOTS - 1)))


def _totals(c: PumpConfig, s: PumpState, L: Logic) -> Any:
    t = s.totals
    return L.all(
        t.basal_pulses >= 0,
        t.bolus_pulses >= 0,
        t.prime_pulses >= 0,
        t.confirmed_pulses >= 0,
        t.withheld_pulses >= 0,
        t.excess_pulses >= 0,
    )


INVARIANTS: tuple[Invariant, ...] = (
    Invariant("INV-SHAPE", ("U-1",), "Every ring and table has its fixed length.", _shape),
    Invariant("INV-CLOCK", ("CLK-1", "BAS-3"), "Time is non-negative; the time of day is within a day.", _clock),
    Invariant("INV-MODE", ("RES-3",), "The mode is one of the defined modes.", _mode),
    Invariant(
        "INV-SETTINGS",
        ("CFG-1", "CFG-2", "CFG-3", "BAS-1", "BAS-4"),
        "The settings in force satisfy every settings rule.",
        _settings,
    ),
    Invariant(
        "INV-WIN-HOUR",
        ("LIM-1", "LIM-3", "LIM-5"),
        "The hour ring's buckets are non-negative and total at most the hourly limit.",
        _hour_window,
    ),
    Invariant(
        "INV-WIN-DAY",
        ("LIM-2", "LIM-3", "LIM-5"),
        "The day ring's buckets are non-negative and total at most the daily limit.",
        _day_window,
    ),
    Invariant("INV-IOB-RING", ("LIM-4", "LIM-5"), "The IOB ring's buckets are non-negative.", _iob_ring),
    Invariant(
        "INV-BASAL-EXACT",
        ("BAS-2", "U-2"),
        "6000 x (basal delivered + withheld) + accumulator == programmed basal; accumulator < 1 pulse.",
        _basal_exact,
    ),
    Invariant(
        "INV-TEMP",
        ("TMP-1", "TMP-2", "BAS-4"),
        "A temp basal is absolute or percent (within range), counts down, and runs only while delivering.",
        _temp,
    ),
    Invariant(
        "INV-TEMP-DURATION",
        ("TMP-1", "TMP-3"),
        "A temp basal has at most its maximum duration left; a controller temp at most 30 minutes.",
        _temp_duration,
    ),
    Invariant(
        "INV-BOLUS",
        ("BOL-1", "BOL-4", "DLV-2", "OCC-2", "SUS-1"),
        "A normal bolus is within max bolus, and runs only while delivering with delivery certain.",
        _bolus,
    ),
    Invariant(
        "INV-EXTENDED",
        ("BOL-1", "BOL-2", "DLV-2", "OCC-2", "SUS-2"),
        "An extended bolus is within max bolus, and runs only while delivering with delivery certain.",
        _extended,
    ),
    Invariant(
        "INV-EXT-DDA",
        ("BOL-2", "BOL-3"),
        "The extended bolus spreader is consistent and never exceeds the bolus speed.",
        _extended_dda,
    ),
    Invariant(
        "INV-RESERVOIR",
        ("RES-1", "RES-3", "RES-4"),
        "Reservoir within capacity, priming within its bound, set age within its ceiling.",
        _reservoir,
    ),
    Invariant("INV-EMPTY-STOPS", ("RES-1",), "An empty reservoir means a mode that does not deliver.", _empty_stops),
    Invariant("INV-SET-AGE", ("RES-4",), "No delivering or suspended pump wears a set past its maximum age.", _set_age),
    Invariant(
        "INV-MOTOR",
        ("DLV-1", "DLV-2", "DLV-4"),
        "A pending command has a sequence number, waits at most the ack timeout, and never outlives a stop.",
        _motor,
    ),
    Invariant(
        "INV-OCC-EVIDENCE",
        ("OCC-1",),
        "Occlusion evidence never reaches its threshold without raising the occlusion (bounded response).",
        _occlusion_evidence,
    ),
    Invariant(
        "INV-GLUCOSE",
        ("SEN-1", "SEN-4", "SEN-5"),
        "A held reading is in range, or the sensor's LOW or HIGH at the range's edge; each older one is older.",
        _glucose,
    ),
    Invariant(
        "INV-SUSPENSION",
        ("SUS-1", "SUS-4"),
        "Automatic suspension is shorter than its maximum; a manual suspension's reminder is due within its period.",
        _suspension,
    ),
    Invariant(
        "INV-ALARM-REPEAT",
        ("ALM-1", "ALM-5"),
        "The repetition countdown and count are in range, and 0 while no high or medium alarm waits.",
        _alarm_repetition,
    ),
    Invariant("INV-AUTO-OFF", ("ALM-2",), "A delivering pump has seen the user within the auto-off time.", _auto_off),
    Invariant(
        "INV-ALARM-STATUS",
        ("ALM-1", "RES-2"),
        "Alarm statuses are defined; only reservoir alerts can be deferred.",
        _alarm_statuses,
    ),
    Invariant(
        "INV-ALARM-RAISED",
        ("ALM-1", "ALM-3", "OCC-1", "DLV-2", "DLV-3", "RES-1", "RES-4", "ALM-2"),
        "While the pump is stopped or uncertain, its alarm is raised.",
        _alarm_raised,
    ),
    Invariant("INV-REQ-IDS", ("BOL-5",), "Remembered request IDs are non-negative (0: an empty slot).", _request_ids),
    Invariant(
        "INV-REQ-TICKS",
        ("BOL-5",),
        "Every remembered request was answered at a tick no later than now.",
        _request_ticks,
    ),
    Invariant("INV-REQ-ORDER", ("BOL-5",), "The request memory is newest first.", _request_order),
    Invariant("INV-TOTALS", ("BAS-2", "RES-3"), "Lifetime counters are non-negative.", _totals),
)
"""Every invariant, ``INV-SHAPE`` first."""

BY_ID: dict[str, Invariant] = {inv.id: inv for inv in INVARIANTS}


def all_hold(c: PumpConfig, s: PumpState, logic: Logic = PY) -> Any:
    """The conjunction of every invariant."""
    return logic.all(*(inv.holds(c, s, logic) for inv in INVARIANTS))


def failing(c: PumpConfig, s: PumpState) -> list[str]:
    """IDs of the invariants that do not hold in a concrete state (for test messages)."""
    return [inv.id for inv in INVARIANTS if not inv.holds(c, s, PY)]


_ = STOPPED_MODES  # every stopped mode has its alarm in STOP_ALARM (checked by tests)
