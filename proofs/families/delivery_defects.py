"""Planted defects for the delivery and reservoir families: patch makers (``proofs.weakening``).

Theory of operation
-------------------
Each function here makes the planted value of one ``Weakening`` patch from
the original attribute: a handler table whose motor-report handler drops a
condition, a motor record that keeps the old sequence number, a mode table
with an extra way out of an occlusion, and so on.  They work on Python
values and on Z3 terms, since the proofs run the patched kernel on Z3 terms.
Requirement IDs: as named by each weakening in ``proofs.families.delivery``
and ``proofs.families.reservoir``.
"""

from __future__ import annotations

from typing import Any

import z3

from kernel import events as ev
from kernel.alarms import AlarmKind
from kernel.modes import Condition, Mode
from kernel.state import MotorState


def drop_edge(condition: Condition) -> Any:
    """A patch of ``kernel.core.HANDLERS`` whose motor-report handler never reports ``condition``."""

    def make(handlers: dict[type, Any]) -> dict[type, Any]:
        original = handlers[ev.MotorReport]

        def planted(c: Any, s: Any, e: Any, logic: Any) -> Any:
            handled = original(c, s, e, logic)
            edges = tuple((k, False if k == condition else v) for k, v in handled.edges)
            return handled._replace(edges=edges)

        return {**handlers, ev.MotorReport: planted}

    return make


def seq_kept(original: Any) -> Any:
    """``kernel.tick._new`` that, building a ``MotorState``, stores the old sequence number after a delivery.

    ``kernel.tick`` builds its records as ``_new(Cls, values)`` (``kernel.state``, "Building records"),
    so the defect is planted there: every other record it builds is untouched.
    """

    def planted(cls: Any, values: Any) -> Any:
        if cls is MotorState:
            seq, pending, *rest = values
            kept = seq - (1 if pending > 0 else 0) if isinstance(pending, int) else z3.If(pending > 0, seq - 1, seq)
            values = (kept, pending, *rest)
        return original(cls, values)

    return planted


def resume_from_occluded(rows: dict[type, Any]) -> dict[type, Any]:
    """``kernel.modes._EVENT_ROWS`` in which Resume leaves an occlusion."""
    resume = dict(rows[ev.Resume])
    resume[(int(Mode.OCCLUDED),)] = (True, int(Mode.DELIVERING))
    return {**rows, ev.Resume: resume}


def no_timeout(original: Any) -> Any:
    def planted(c: Any, s: Any, fx: Any, logic: Any) -> Any:
        return original(c._replace(motor_ack_timeout_ticks=10**6), s, fx, logic)

    return planted


def timeout_without_stop(original: Any) -> Any:
    """The watchdog still announces a timed-out command's pulses as assumed delivered, but never reports the motor
    failure, so the pump neither stops nor alarms (DLV-4 forbids it)."""

    def planted(c: Any, s: Any, fx: Any, logic: Any) -> Any:
        s, fx, _ = original(c, s, fx, logic)
        return s, fx, ((Condition.MOTOR_FAILED, False),)

    return planted


def keep_bolus(original: Any) -> Any:
    """``end_bolus`` that tells the user the bolus ended but keeps it running."""

    def planted(s: Any, fx: Any, when: Any, cause: Any, logic: Any) -> Any:
        return s, original(s, fx, when, cause, logic)[1]

    return planted


def report_forgives(original: Any) -> Any:
    """``record_excess`` that takes one pulse off the current hour bucket on every report (credits a shortfall)."""

    def planted(st: Any, w: Any, excess: Any, logic: Any) -> Any:
        counted = original(st, w, excess, logic)
        return counted._replace(hour_now_pulses=logic.max(counted.hour_now_pulses - 1, 0))

    return planted


def never_drawn(original: Any) -> Any:
    return lambda r, pulses: r


def alarm_never(kind: AlarmKind) -> Any:
    def make(original: Any) -> Any:
        def planted(c: Any, s: Any, limit_hit: Any, logic: Any) -> Any:
            holds = original(c, s, limit_hit, logic)
            return tuple(False if k == kind else h for k, h in enumerate(holds))

        return planted

    return make


def prime_while_delivering(rows: dict[type, Any]) -> dict[type, Any]:
    prime = dict(rows[ev.PrimeTubing])
    prime[(int(Mode.DELIVERING),)] = (True, int(Mode.DELIVERING))
    return {**rows, ev.PrimeTubing: prime}
