"""Alarms and auto-off (ALM-1..4): what an alarm stops, how long it lasts, and who counts as present.

Theory of operation
-------------------
Ghost ``ALARMS`` is, for every alarm kind, whether it has been announced (an
``Alarm`` command went out) and not yet acknowledged (an accepted
``AlarmAck`` for that kind since).  It is computed from the step's commands
and outcome only; ``GHOST-CONS/ALARMS/*`` proves that the kernel's status
``ACTIVE`` is exactly that, after every event.

Ghost ``IDLE`` counts the minutes (accepted ticks) since the last event that
the *reference* ``specs.reference.person_at_the_pump`` says shows a person
(the pump's buttons; a sent command only from the user, or from the remote
when the configuration declares it person-held; never the controller, the
clock, the motor or the sensor), saturating at the largest configurable
auto-off time.  It resets on such an event whatever its outcome: a refused
button press still shows a person.  ``GHOST-CONS/IDLE/*`` proves the kernel's
own idle timer is never below it, so the kernel never counts as presence
what the reference does not (ALM-4).

Obligations over what the step emits:

* ``ALM-1-HIGH-STOPS`` (ALM-1): while a high-priority alarm is announced and
  unacknowledged, a tick commands no therapy pulse.
* ``ALM-3-ACK-ACCEPTED`` (ALM-3): acknowledging an announced, unacknowledged
  alarm is accepted (it was still there) and silences it: the same step does
  not announce it again.  ``ALM-3-ACK-REFUSED``: acknowledging an alarm that
  is not announced-and-unacknowledged is refused (nothing to clear).
* ``ALM-2-NO-THERAPY`` (ALM-2, ALM-4): with auto-off on, a tick that takes the
  reference idle time to the auto-off time commands no therapy pulse.
* ``ALM-2-ANNOUNCED`` (ALM-2, ALM-4): if the pump was delivering or suspended
  by glucose, that tick leaves its mode, and when it goes to ``AUTO_OFF`` it
  announces the AUTO_OFF alarm unless that alarm is still unacknowledged.

Assumes: the invariants, the structural rules, the ghosts' INIT/CONS.  Leaves
out: alarm persistence across restarts (the record, PER-2: persistence
tests), how alarms are shown and sounded (adapters), ALM-5 (alarm burden,
measured in simulation).  The repetition of unacknowledged alarms and the
LOW_GLUCOSE_SUSPEND rule (issue 18) are ``proofs.families.alarm_burden``'s.
"""

from __future__ import annotations

from typing import Any

import z3

from kernel.alarms import HIGH_ALARMS, N_ALARMS, AlarmKind, AlarmStatus
from kernel.commands import NoticeKind
from kernel.events import BIG, AlarmAck, Source, Tick
from kernel.modes import Mode
from kernel.state import PumpState
from proofs.builders import Ghost, ghost_obligations, ghost_step_goal
from proofs.context import Context, Step, boolean
from proofs.families.sensing import SETTLED, ghosts_step_goal
from proofs.framework import Obligation
from proofs.weakening import Weakening, replace_with
from specs.reference import person_at_the_pump
from specs.z3_logic import Z3Logic

FAMILY = "alarms"
Z = Z3Logic()


def _acked(st: Step, kind: int) -> Any:
    if not isinstance(st.event, AlarmAck):
        return z3.BoolVal(False)
    return z3.And(st.accepted(), st.event.alarm == kind)


def _pending_after(ctx: Context, st: Step, g: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(z3.If(st.announces(k), True, z3.If(_acked(st, k), False, g[k])) for k in range(N_ALARMS))


ALARMS = Ghost(
    "ALARMS",
    FAMILY,
    ("ALM-1", "ALM-3"),
    "an alarm kind is ACTIVE exactly when it was announced and not acknowledged since",
    lambda prefix: tuple(z3.Bool(f"{prefix}_{k.name}") for k in AlarmKind),
    lambda ctx, s0, g: z3.And(*(z3.Not(p) for p in g)),
    lambda ctx, s, g: z3.And(*(g[k] == (s.alarms[k] == AlarmStatus.ACTIVE) for k in range(N_ALARMS))),
    _pending_after,
    observes=("alarm", "outcome"),
)


def _idle_after(ctx: Context, st: Step, g: Any) -> Any:
    person = boolean(person_at_the_pump(ctx.config, st.event, Z))
    ticked = z3.And(st.accepted(), z3.BoolVal(isinstance(st.event, Tick)))
    counted = z3.If(g + 1 >= ctx.config.auto_off_max_ticks, ctx.config.auto_off_max_ticks, g + 1)
    return z3.If(person, 0, z3.If(ticked, counted, g))


def _idle_holds(ctx: Context, s: PumpState, g: Any) -> Any:
    return z3.And(g >= 0, g <= s.timers.idle_ticks)


IDLE = Ghost(
    "IDLE",
    FAMILY,
    ("ALM-2", "ALM-4"),
    "the kernel's idle timer is at least the minutes since the reference last saw a person at the pump",
    lambda prefix: z3.Int(f"{prefix}_idle"),
    lambda ctx, s0, g: g == 0,
    _idle_holds,
    _idle_after,
    observes=("outcome",),
)


def _idle_reached(ctx: Context, st: Step, gs: tuple[Any, ...]) -> Any:
    limit = st.before.settings.auto_off_ticks
    return z3.And(st.accepted(), limit != 0, _idle_after(ctx, st, gs[0]) >= limit)


def _auto_off_announced(ctx: Context, st: Step, gs: tuple[Any, ...]) -> Any:
    shown, _a, new_mode, _c = st.notice(NoticeKind.MODE_CHANGED)
    kind = AlarmKind.AUTO_OFF
    return z3.And(
        shown,
        new_mode != Mode.DELIVERING,
        new_mode != Mode.LGS_SUSPENDED,
        z3.Implies(new_mode == Mode.AUTO_OFF, z3.Or(st.announces(kind), gs[1][kind])),
    )


def _announces_acked(st: Step) -> Any:
    """The step announces the alarm kind its AlarmAck names (``Step.announces`` takes a concrete kind)."""
    return z3.Or(*(z3.And(st.event.alarm == k, st.announces(k)) for k in range(N_ALARMS)))


def _ack_pending(st: Step, g: tuple[Any, ...]) -> Any:
    return z3.Or(*(z3.And(st.event.alarm == k, g[k]) for k in range(N_ALARMS)))


def obligations() -> list[Obligation]:
    obs: list[Obligation] = ghost_obligations(ALARMS) + ghost_obligations(IDLE)
    obs.append(
        ghost_step_goal(
            "ALM-1-HIGH-STOPS",
            ALARMS,
            "While a high-priority alarm is announced and unacknowledged, a tick commands no therapy pulse.",
            "Tick",
            lambda ctx, st, g: st.therapy_pulses() == 0,
            premise=lambda ctx, st, g: z3.Or(*(g[k] for k in HIGH_ALARMS)),
            requirements=("ALM-1",),
            observes=("deliver", "alarm", "outcome"),
        )
    )
    obs.append(
        ghosts_step_goal(
            "ALM-3-ACK-ACCEPTED",
            FAMILY,
            ("ALM-3",),
            "Acknowledging an announced, unacknowledged alarm (on time, tick within the schema range 0..10^9) is "
            "accepted, and that step does not announce it again.",
            "AlarmAck",
            (ALARMS, SETTLED),
            lambda ctx, st, gs: z3.And(st.accepted(), z3.Not(_announces_acked(st))),
            premise=lambda ctx, st, gs: z3.And(
                _ack_pending(st, gs[0]), st.event.tick == st.before.now_ticks, st.event.tick <= BIG
            ),
            observes=("alarm", "outcome"),
        )
    )
    obs.append(
        ghost_step_goal(
            "ALM-3-ACK-REFUSED",
            ALARMS,
            "Acknowledging an alarm that is not announced-and-unacknowledged is refused.",
            "AlarmAck",
            lambda ctx, st, g: st.refused(),
            premise=lambda ctx, st, g: z3.Not(_ack_pending(st, g)),
            requirements=("ALM-3",),
            observes=("outcome",),
        )
    )
    obs.append(
        ghosts_step_goal(
            "ALM-2-NO-THERAPY",
            FAMILY,
            ("ALM-2", "ALM-4"),
            "With auto-off on, a tick that takes the reference idle time to the auto-off time commands no therapy.",
            "Tick",
            (IDLE,),
            lambda ctx, st, gs: st.therapy_pulses() == 0,
            premise=_idle_reached,
            observes=("deliver", "outcome"),
        )
    )
    obs.append(
        ghosts_step_goal(
            "ALM-2-ANNOUNCED",
            FAMILY,
            ("ALM-2", "ALM-4"),
            "A delivering (or glucose-suspended) pump whose reference idle time reaches the auto-off time on a tick "
            "leaves its mode, announcing AUTO_OFF unless that alarm is still unacknowledged.",
            "Tick",
            (IDLE, ALARMS, SETTLED),
            _auto_off_announced,
            premise=lambda ctx, st, gs: z3.And(
                _idle_reached(ctx, st, gs),
                z3.Or(st.before.mode == Mode.DELIVERING, st.before.mode == Mode.LGS_SUSPENDED),
            ),
            observes=("alarm", "notice", "outcome"),
        )
    )
    return obs


def _controller_present(original: Any) -> Any:
    def planted(c: Any, e: Any, logic: Any) -> Any:
        shown = original(c, e, logic)
        if not hasattr(e, "source"):
            return shown
        return logic.either(shown, e.source == Source.CONTROLLER)

    return planted


def _ack_clears(original: Any) -> Any:
    return lambda statuses, kind, holds, logic: original(statuses, kind, (False,) * N_ALARMS, logic)


WEAKENINGS: tuple[Weakening, ...] = (
    Weakening(
        "W-ALM1-NO-HIGH-GATE",
        FAMILY,
        "The tick's delivery gate ignores unacknowledged high-priority alarms.",
        ("ALM-1",),
        (("kernel.tick", "high_alarm_active", replace_with(lambda statuses, logic: False)),),
        ("ALM-1-HIGH-STOPS",),
    ),
    Weakening(
        "W-ALM4-ANY-PRESENCE",
        FAMILY,
        "Every event counts as a person at the pump (the kernel's shows_person, as kernel.core reads it).",
        ("ALM-4", "ALM-2"),
        (("kernel.core", "shows_person", replace_with(lambda c, e, logic: True)),),
        ("ALM-2-NO-THERAPY", "ALM-2-ANNOUNCED", "GHOST-CONS/IDLE/"),
    ),
    Weakening(
        "W-ALM4-CONTROLLER-PRESENT",
        FAMILY,
        "A controller's command counts as a person at the pump.",
        ("ALM-4",),
        (("kernel.core", "shows_person", _controller_present),),
        ("GHOST-CONS/IDLE/",),
    ),
    Weakening(
        "W-ALM3-ACK-CLEARS-LATCHED",
        FAMILY,
        "Acknowledging clears an alarm whose condition still holds (instead of latching it as acknowledged).",
        ("ALM-3",),
        (("kernel.control", "acknowledge", _ack_clears),),
        ("ALM-3-ACK-ACCEPTED",),
    ),
    Weakening(
        "W-ALM3-LOST-WHEN-CLEARED",
        FAMILY,
        "An active alarm disappears by itself when its condition clears.",
        ("ALM-3",),
        (
            (
                "kernel.alarms",
                "STATUS_TABLE",
                lambda table: {
                    **table,
                    (AlarmStatus.ACTIVE, False, False): (AlarmStatus.CLEAR, False),
                    (AlarmStatus.ACTIVE, False, True): (AlarmStatus.CLEAR, False),
                },
            ),
        ),
        ("GHOST-CONS/ALARMS/",),
    ),
)

SCOPE: dict[str, str] = {
    "ALM-1": "Priorities are a table (kernel.alarms.PRIORITY); 'until acknowledged and cleared': the stopped "
    "modes' exits are the mode table's (other families).",
    "ALM-2": "The auto-off time's range and 'off' are settings rules (CFG family); the alarm's sound: adapters.",
    "ALM-3": "Across restarts: the persistence record (PER-2), tested; display: adapters.",
    "ALM-4": "Which commands come from the remote or the controller is the channel's (SEC-1), tested.",
}
