"""The delivery ledger: what an observer of the pump's commands and accepted events knows, as a ghost.

Theory of operation
-------------------
The requirements of delivery integrity, the reservoir and occlusion speak of
the past: "since the last fill", "the previous command", "while occluded",
"until the user clears the line".  The ledger is that memory, kept beside the
state as a ``Ghost`` (``proofs.builders``) and updated only from what a step
shows from outside: the ``Deliver`` it emits (sequence number, pulses,
purpose), the ``DELIVERY_ASSUMED`` notice, whether the event was accepted,
and the event's own fields, interpreted by the reference specs of
``specs.reference_delivery``.  It never reads the kernel's bookkeeping to
update itself.

Fields (all start at 0 / false, as on a new pump):

* ``seq``: the sequence number of the last ``Deliver`` emitted (DLV-1);
* ``out``: the pulses of that ``Deliver`` while no accepted ``MotorReport``
  has answered it and it has not timed out (DLV-1, DLV-2); ``wait``: ticks it
  has waited; ``unc``: a tick has passed with it unanswered (DLV-2);
* ``res``: the reservoir level: the last fill, minus every pulse commanded
  since (therapy, priming and cannula fill alike) and over-delivery reported;
  0 after a rewind (RES-1);
* ``primed``: priming pulses commanded since the last fill, rewind or
  cleared line (RES-3); ``age``: ticks since the last cannula fill, capped
  at the configuration's ceiling (RES-4);
* ``fault``: a motor fault was reported or a command timed out, and no
  rewind was accepted since (DLV-3);
* ``occ``: occlusion evidence completed (no fault at the same time) and no
  ``ClearLine`` or ``Rewind`` was accepted since (OCC-1, OCC-4); ``hp``,
  ``und``: the occlusion evidence so far (OCC-1);
* ``nobolus``: an occlusion was detected and no bolus request accepted
  since (OCC-3: nothing missed is re-delivered).

The ghost invariant says the kernel's state refines the ledger (motor,
reservoir, mode and evidence fields equal their ledger counterparts, no
bolus runs under ``nobolus``, and an acknowledged occlusion, motor-fault,
reservoir or set alarm stays acknowledged only while its condition holds).  ``GHOST-INIT/ledger`` and
``GHOST-CONS/ledger/<Event>`` (18 event classes) prove it by induction over
every event sequence; the family goals then state the requirements over
the ledger and the emitted commands.  A kernel that commands pulses without
drawing them from the reservoir, leaves an occlusion on an event other than
a person's ``ClearLine`` or ``Rewind``, or repeats a sequence number fails a
consecution obligation.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import z3

from kernel import events as ev
from kernel.alarms import AlarmKind, AlarmStatus
from kernel.commands import NoticeKind, Purpose
from kernel.modes import SET_IN_USE_MODES, Mode
from proofs.builders import Ghost
from proofs.context import Context, Step
from specs.reference_delivery import (
    ack_times_out,
    level_after_report,
    motor_fault_reported,
    occlusion_evidence_after,
)
from specs.z3_logic import Z3 as L

FAMILY = "delivery"


class Ledger(NamedTuple):
    """The ghost's variables (see module docstring)."""

    seq: Any
    out: Any
    wait: Any
    unc: Any
    res: Any
    primed: Any
    age: Any
    fault: Any
    occ: Any
    hp: Any
    und: Any
    nobolus: Any


_BOOLS = frozenset({"unc", "fault", "occ", "nobolus"})


def fresh(prefix: str) -> Ledger:
    return Ledger(*(z3.Bool(f"{prefix}.{n}") if n in _BOOLS else z3.Int(f"{prefix}.{n}") for n in Ledger._fields))


def initial(ctx: Context, s0: Any, g: Ledger) -> Any:
    zero = [getattr(g, n) == 0 for n in Ledger._fields if n not in _BOOLS]
    false = [z3.Not(getattr(g, n)) for n in _BOOLS if n != "nobolus"]
    return z3.And(*zero, *false)


def holds(ctx: Context, s: Any, g: Ledger) -> Any:
    m = s.motor
    r = s.reservoir
    return z3.And(
        m.seq == g.seq,
        m.pending_pulses == g.out,
        m.pending_ticks == g.wait,
        m.uncertain == g.unc,
        r.pulses == g.res,
        r.prime_used_pulses == g.primed,
        r.set_age_ticks == g.age,
        (s.mode == Mode.MOTOR_FAULT) == g.fault,
        (s.mode == Mode.OCCLUDED) == g.occ,
        m.high_pressure_samples == g.hp,
        m.undisplaced_pulses == g.und,
        z3.Implies(g.nobolus, z3.And(s.bolus.remaining_pulses == 0, s.bolus.ext_remaining_pulses == 0)),
        *acknowledged_still_holds(ctx, s, g),
    )


def acknowledged_still_holds(ctx: Context, s: Any, g: Ledger) -> list[Any]:
    """An acknowledged alarm of this family stays acknowledged only while its condition, in the catalogue's words,
    holds (ALM-3: it is raised again once the condition clears and returns).  Not among ``specs.invariants``; carried
    here so that the alarm goals can say "announced, or already showing"."""
    in_place = s.mode != Mode.REWOUND
    conditions = {
        AlarmKind.OCCLUSION: s.mode == Mode.OCCLUDED,
        AlarmKind.MOTOR_FAULT: s.mode == Mode.MOTOR_FAULT,
        AlarmKind.RESERVOIR_EMPTY: s.mode == Mode.EMPTY,
        AlarmKind.RESERVOIR_VERY_LOW: z3.And(in_place, g.res <= ctx.config.reservoir_very_low_pulses),
        AlarmKind.RESERVOIR_LOW: z3.And(in_place, g.res <= s.settings.reservoir_low_pulses),
        AlarmKind.SET_REMINDER: z3.And(L.member(s.mode, SET_IN_USE_MODES), g.age >= s.settings.set_reminder_ticks),
    }
    return [z3.Implies(s.alarms[kind] == AlarmStatus.ACKED, holds) for kind, holds in conditions.items()]


def deliver_seq(st: Step) -> Any:
    fields = st.deliver_fields()
    return fields[1] if fields is not None else z3.IntVal(0)


def accepted_as(st: Step, cls: type) -> Any:
    return z3.And(z3.BoolVal(isinstance(st.event, cls)), st.accepted())


def report_evidence(ctx: Context, st: Step, g: Ledger) -> tuple[Any, Any, Any]:
    """(samples in a row, undisplaced, occlusion) per the reference, for a ``MotorReport`` step."""
    e = st.event
    return occlusion_evidence_after(ctx.config, g.hp, g.und, g.out, e.displaced_pulses, e.pressure_kpa, L)


def update(ctx: Context, st: Step, g: Ledger) -> Ledger:
    """The ledger after one step, from its observables and event fields only (see module docstring)."""
    e = st.event
    c = ctx.config
    moves = st.moves_motor()
    commanded = st.commanded_pulses()
    tick = accepted_as(st, ev.Tick)
    timed_out = z3.And(tick, ack_times_out(c, g.out, g.wait, L))
    filled = accepted_as(st, ev.FillReservoir)
    rewound = accepted_as(st, ev.Rewind)
    cleared = accepted_as(st, ev.ClearLine)
    line_reset = z3.Or(rewound, cleared)
    fault_now = timed_out
    res = z3.If(filled, e.pulses if isinstance(e, ev.FillReservoir) else 0, z3.If(rewound, 0, g.res))
    hp, und, occ_now = g.hp, g.und, z3.BoolVal(False)
    answered = z3.BoolVal(False)
    if isinstance(e, ev.MotorReport):
        answered = st.accepted()
        fault_now = z3.And(answered, motor_fault_reported(g.out, e.displaced_pulses, e.fault, L))
        res = z3.If(answered, level_after_report(g.res, g.out, e.displaced_pulses, L), res)
        run, acc, occluded = report_evidence(ctx, st, g)
        hp, und = z3.If(answered, run, g.hp), z3.If(answered, acc, g.und)
        occ_now = z3.And(answered, occluded)
    fault = z3.And(z3.Not(rewound), z3.Or(g.fault, fault_now))
    waiting = z3.And(g.out > 0, z3.Not(timed_out))
    return Ledger(
        seq=z3.If(moves, deliver_seq(st), g.seq),
        out=z3.If(moves, commanded, z3.If(z3.Or(answered, timed_out), 0, g.out)),
        wait=z3.If(moves, 0, z3.If(answered, 0, z3.If(tick, z3.If(waiting, g.wait + 1, 0), g.wait))),
        unc=z3.If(answered, False, z3.If(tick, waiting, g.unc)),
        res=res - commanded,
        primed=z3.If(z3.Or(filled, line_reset), 0, g.primed + st.commanded(Purpose.PRIME)),
        age=z3.If(
            accepted_as(st, ev.FillCannula), 0, z3.If(tick, L.min(g.age + 1, c.set_max_age_ceiling_ticks), g.age)
        ),
        fault=fault,
        occ=z3.And(z3.Not(line_reset), z3.Not(fault), z3.Or(g.occ, occ_now)),
        hp=z3.If(line_reset, 0, hp),
        und=z3.If(line_reset, 0, und),
        nobolus=z3.And(z3.Not(accepted_as(st, ev.BolusRequest)), z3.Or(g.nobolus, occ_now)),
    )


LEDGER = Ghost(
    name="ledger",
    family=FAMILY,
    requirements=("DLV-1", "DLV-2", "DLV-3", "RES-1", "RES-3", "RES-4", "OCC-1", "OCC-2", "OCC-3", "OCC-4", "LIM-5"),
    statement=(
        "the kernel's motor, reservoir, mode and occlusion-evidence records equal the ledger kept from the emitted "
        "commands and accepted events (ledger: sequence number, unanswered pulses, reservoir level, priming since "
        "fill, set age, motor fault, occlusion), and no bolus runs after an occlusion until a new request"
    ),
    fresh=fresh,
    initial=initial,
    holds=holds,
    update=update,
    observes=("deliver", "notice", "outcome"),
)

NOTICE_ASSUMED = NoticeKind.DELIVERY_ASSUMED
