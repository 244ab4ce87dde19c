"""Command emission: what the pump commands is exactly what the proved decision says (issue 14, points 1-2).

Theory of operation
-------------------
``kernel.step.step`` is four layers: a type check of the event (plain
Python), the decision ``kernel.core.transition`` (the relation every proof
runs on Z3 terms), the emission ``kernel.commands.command_slots`` (also in
the kernel's logic) and, in plain Python, ``commands_of`` turning present
slots into ``Deliver``/``Alarm``/``Notice`` values and the log append.  The
obligations here close the gap between the decision and the motor:

* ``EMIT-FUNCTION``: for *any* effects value (every field a free variable),
  the shipped ``command_slots`` emits exactly the commands of the reference
  ``specs.reference_emission.expected_commands``: a ``Deliver`` iff the
  effects command pulses > 0, with the effects' sequence number, pulses,
  purpose, basal and bolus parts; an ``Alarm`` for each announced kind with
  its priority and the effects' repetition count; a ``Notice`` for each
  shown slot with its values; in that order (DLV-1, ALM-1).  It holds for every step of every event class at once;
* ``EMIT-SKIP/<Event>``: in Python ``command_slots`` leaves out every notice
  when the effects' ``noticed`` flag is false; the Z3 reading does not.  So
  the two readings agree only if every shown notice has ``noticed`` set: proved
  for the effects of every event class's step;
* ``EMIT-DELIVER/<Event>`` for the classes that can move the motor (``Tick``,
  ``PrimeTubing``, ``FillCannula``): the emitted ``Deliver`` has the purpose
  of its class (therapy for a tick, prime, cannula fill), its basal and bolus
  parts add up to its pulses for therapy and are 0 for priming (RES-3), and it
  carries the next sequence number, recorded as the pending command in the
  returned state (write-ahead intent, DLV-1);
* ``EMIT-NO-MOTOR/<Event>``: every other event class (the user's requests
  included: they start deliveries that the next ticks carry out) never emits a
  ``Deliver``; a ``MotorReport`` only answers the motor.

Assumes the structural configuration rules and the invariants, like every
obligation.  Leaves out: ``form_check`` (types), ``commands_of`` (present slots
to public values) and the log append, plain Python covered by the conformance
tests (``property_tests/test_conformance.py``), see ``SCOPE``.
"""

from __future__ import annotations

from typing import Any

import z3

import kernel.commands as emission_module
from kernel.commands import NO_EFFECTS, NoticeKind, Purpose, deliver
from kernel.events import UserPresent
from proofs.builders import EVENT_NAMES, on_step
from proofs.context import Context, Step, boolean
from proofs.framework import Obligation, Query
from proofs.weakening import Weakening
from specs.reference_emission import emitted_as_expected, split_ok
from specs.symbolic import symbolic
from specs.z3_logic import Z3Logic

FAMILY = "emission"

MOTOR_CLASSES: dict[str, Purpose] = {
    "Tick": Purpose.THERAPY,
    "PrimeTubing": Purpose.PRIME,
    "FillCannula": Purpose.CANNULA,
}
"""The event classes that may command the motor, with the purpose each commands."""

OBSERVED = ("deliver", "alarm", "notice")


def _emission_function(ctx: Context) -> Query:
    fx = symbolic(NO_EFFECTS, "fx")
    slots = emission_module.command_slots(fx, Z3Logic())
    return Query([], [], boolean(emitted_as_expected(slots, fx, Z3Logic())))


def _skip_exact(event: str) -> Any:
    def build(ctx: Context) -> Query:
        st = ctx.step(event)
        fx = st.effects
        goals = [
            (kind.name, z3.Implies(boolean(fx.notices[kind][0]), boolean(fx.noticed)))
            for kind in NoticeKind
            if fx.notices[kind][0] is not False
        ]
        # No hypotheses at all: the flag is exact from every state and configuration.  Products as applications
        # (proofs.framework.Query.products): the goal is about flags, and the 18 obligations took 14.5 s with the
        # products' sums written in place, 3.8 s with the applications and their definitions.
        return Query([], list(st.definitions), goals or z3.BoolVal(True), step=st, products=True)

    return build


def _deliver_goal(purpose: Purpose) -> Any:
    def goal(st: Step) -> Any:
        fields = st.deliver_fields()
        if fields is None:
            return True
        present, seq, pulses, kind, basal, bolus = fields
        logic = Z3Logic()
        return z3.Implies(
            present,
            z3.And(
                kind == int(purpose),
                boolean(split_ok(kind, pulses, basal, bolus, logic)),
                seq == st.before.motor.seq + 1,
                st.after.motor.seq == seq,
                st.after.motor.pending_pulses == pulses,
            ),
        )

    return goal


def obligations() -> list[Obligation]:
    result = [
        Obligation(
            "EMIT-FUNCTION",
            FAMILY,
            "safety",
            ("DLV-1", "ALM-1"),
            "For any effects, the shipped emission commands exactly: a Deliver iff pulses > 0 with the effects' "
            "sequence number, pulses, purpose, basal and bolus parts; an Alarm per announced kind with its priority "
            "and repetition count; a Notice per shown slot; in that order.",
            _emission_function,
            OBSERVED,
        )
    ]
    result += [
        Obligation(
            f"EMIT-SKIP/{name}",
            FAMILY,
            "safety",
            ("DLV-1",),
            "Every notice the step shows has the effects' 'noticed' flag set, so the Python emission (which skips "
            "the notices when the flag is false) emits what the proved emission does.",
            _skip_exact(name),
            ("notice",),
            event=name,
        )
        for name in EVENT_NAMES
    ]
    result += [
        on_step(
            f"EMIT-DELIVER/{name}",
            FAMILY,
            ("DLV-1", "RES-3"),
            f"A Deliver commanded by {name} has purpose {purpose.name}; for therapy its basal and bolus parts are "
            "non-negative and add up to its pulses, for priming both are 0; it carries the next sequence number and "
            "is recorded as the pending command of the returned state.",
            name,
            _deliver_goal(purpose),
            observes=("deliver",),
        )
        for name, purpose in MOTOR_CLASSES.items()
    ]
    result += [
        on_step(
            f"EMIT-NO-MOTOR/{name}",
            FAMILY,
            ("DLV-1", "RES-3"),
            f"A {name} never commands the motor: only a tick delivers therapy and only priming primes.",
            name,
            lambda st: z3.Not(st.moves_motor()),
            observes=("deliver",),
        )
        for name in EVENT_NAMES
        if name not in MOTOR_CLASSES
    ]
    return result


# --- planted defects ----------------------------------------------------------------------------------------------


def _emit_with(change: Any) -> Any:
    """Patch makers for both readers of ``command_slots`` (``proofs.context`` reads the module attribute)."""

    def make(original: Any) -> Any:
        return lambda fx, logic: original(change(fx), logic)

    return (("kernel.commands", "command_slots", make), ("kernel.step", "command_slots", make))


def _user_present_moves(original: Any) -> Any:
    def handler(c: Any, s: Any, e: Any, logic: Any) -> Any:
        h = original[UserPresent](c, s, e, logic)
        fx = deliver(h.effects, 1, s.motor.seq + 1, Purpose.THERAPY, 1, 0, logic)
        return h._replace(effects=fx)

    return {**original, UserPresent: handler}


def _mode_notice_unflagged(original: Any) -> Any:
    return lambda fx, kind, shown, a, b, c, logic: original(fx, kind, shown, a, b, c, logic)._replace(
        noticed=fx.noticed
    )


WEAKENINGS: tuple[Weakening, ...] = (
    Weakening(
        "W-EMIT-BOLUS-DROPPED",
        FAMILY,
        "Emission drops the bolus part: the motor gets only the basal pulses.",
        ("DLV-1",),
        _emit_with(
            lambda fx: fx._replace(deliver_pulses=fx.deliver_pulses - fx.deliver_bolus_pulses, deliver_bolus_pulses=0)
        ),
        ("EMIT-FUNCTION",),
    ),
    Weakening(
        "W-EMIT-SEQ",
        FAMILY,
        "The Deliver carries the wrong sequence number (one ahead of the recorded command).",
        ("DLV-1",),
        _emit_with(lambda fx: fx._replace(deliver_seq=fx.deliver_seq + 1)),
        ("EMIT-FUNCTION", "EMIT-DELIVER/Tick"),
    ),
    Weakening(
        "W-EMIT-ALARMS-SILENT",
        FAMILY,
        "Emission drops every alarm.",
        ("ALM-1",),
        _emit_with(lambda fx: fx._replace(announce=(False,) * len(fx.announce))),
        ("EMIT-FUNCTION",),
    ),
    Weakening(
        "W-EMIT-REPEAT-DROPPED",
        FAMILY,
        "Emission drops the repetition count: every Alarm goes out as a new one (count 0).",
        ("ALM-1",),
        _emit_with(lambda fx: fx._replace(alarm_repeat=0)),
        ("EMIT-FUNCTION",),
    ),
    Weakening(
        "W-EMIT-MODE-NOTICE-UNFLAGGED",
        FAMILY,
        "The mode-change notice is shown without setting the 'noticed' flag: Python emission skips it.",
        ("DLV-1",),
        (("kernel.core", "notice", _mode_notice_unflagged),),
        ("EMIT-SKIP/Suspend", "EMIT-SKIP/"),
    ),
    Weakening(
        "W-EMIT-USER-PRESENT-MOVES",
        FAMILY,
        "A button press commands a therapy pulse.",
        ("DLV-1",),
        (("kernel.core", "HANDLERS", _user_present_moves),),
        ("EMIT-NO-MOTOR/UserPresent",),
    ),
)

SCOPE: dict[str, str] = {
    "DLV-1": "Proved: the emitted Deliver is exactly the decision's (pulses, purpose, parts, sequence number), is "
    "recorded as pending in the returned state, and only Tick/PrimeTubing/FillCannula command the motor. Not "
    "symbolic: form_check (types), commands_of (present slots to public values) and the log append in "
    "kernel.step, plain Python covered by the conformance tests (property_tests/test_conformance.py, checks "
    "branch); persisting the state before the motor moves is the persistence adapter's (PER-2).",
    "ALM-1": "Proved here: every announced alarm is emitted with its kind's priority and the decision's "
    "repetition count. When alarms are announced, repeated and what they stop is the alarms family's.",
    "RES-3": "Proved here: a priming or cannula-fill Deliver carries no basal or bolus part, and no event but a "
    "tick commands therapy. Totals, limits and IOB not counting priming are the reservoir/limits families'.",
}
