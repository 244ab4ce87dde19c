"""Planted defects for the basal family (``proofs.families.basal``): wrong kernels its obligations must refute.

Theory of operation
-------------------
Each ``Weakening`` replaces one attribute at the place the step reads it
(``proofs.weakening``) and names the obligations of the basal family expected
to refute it, by id.  The mandated one, a basal segment looked up with the
wrong divisor, patches ``kernel.basal.SLOT_TICKS`` (``kernel.basal`` imported
the constant from ``kernel.units``, so the patch goes where it is read).
Requirements: BAS-2, BAS-3, BAS-4, TMP-1, TMP-2, TMP-3; EVD-1.
"""

from __future__ import annotations

from typing import Any

from kernel.commands import NO_EFFECTS
from kernel.events import CancelTempBasal, Source, TempBasal, TempKind
from kernel.handling import Handled
from kernel.reasons import Reason
from proofs.weakening import Weakening, replace_with

FAMILY = "basal"


def _unclamped(original: Any) -> Any:
    """``effective_cpph`` without the clamp to max basal (max basal raised far above any rate)."""
    return lambda st, b, tod, logic: original(st._replace(max_basal_pph=st.max_basal_pph * 1000), b, tod, logic)


def _percent_of_max(original: Any) -> Any:
    """A percent temp taken of max basal instead of the current slot's rate."""

    def wrong(st: Any, b: Any, tod: Any, logic: Any) -> Any:
        flat = st._replace(basal_slots_pph=(st.max_basal_pph,) * len(st.basal_slots_pph))
        return logic.ite(b.temp_kind == TempKind.PERCENT, original(flat, b, tod, logic), original(st, b, tod, logic))

    return wrong


def _percent_one_more(original: Any) -> Any:
    """A percent temp taken with its percentage one point higher (a 100 % temp delivers 101 %)."""

    def wrong(st: Any, b: Any, tod: Any, logic: Any) -> Any:
        raised = b._replace(temp_value=logic.ite(b.temp_kind == TempKind.PERCENT, b.temp_value + 1, b.temp_value))
        return original(st, raised, tod, logic)

    return wrong


def _handler(event_class: type, rewrite: Any) -> Any:
    """Replace one handler in ``kernel.core.HANDLERS`` by ``rewrite(original)``."""
    return lambda handlers: {**handlers, event_class: rewrite(handlers[event_class])}


def _without_check(reason: int) -> Any:
    """A handler whose check for ``reason`` always holds."""

    def rewrite(original: Any) -> Any:
        def handler(c: Any, s: Any, e: Any, logic: Any) -> Handled:
            h: Handled = original(c, s, e, logic)
            return h._replace(checks=tuple((True if r == reason else ok, r) for ok, r in h.checks))

        return handler

    return rewrite


def _controller_long(original: Any) -> Any:
    """Controller temps may last as long as a person's (up to ``temp_max_ticks``)."""

    def handler(c: Any, s: Any, e: Any, logic: Any) -> Handled:
        h: Handled = original(c, s, e, logic)
        long_ok = logic.all(e.source == Source.CONTROLLER, e.duration_ticks >= 1, e.duration_ticks <= c.temp_max_ticks)
        checks = tuple((logic.either(ok, long_ok) if r == Reason.TEMP_DURATION else ok, r) for ok, r in h.checks)
        return h._replace(checks=checks)

    return handler


def _cancel_ignored(original: Any) -> Any:
    """An accepted cancel leaves the temp running."""

    def handler(c: Any, s: Any, e: Any, logic: Any) -> Handled:
        h: Handled = original(c, s, e, logic)
        return Handled(h.checks, s, NO_EFFECTS)

    return handler


_CONS_TICK = "GHOST-CONS/basal/Tick"

WEAKENINGS: tuple[Weakening, ...] = (
    Weakening(
        "basal/slot-divisor-31",
        FAMILY,
        "The basal segment is looked up with the wrong divisor (31 minutes): the wrong rate most of the day.",
        ("BAS-3", "BAS-2"),
        (("kernel.basal", "SLOT_TICKS", replace_with(31)),),
        (_CONS_TICK,),
    ),
    Weakening(
        "basal/rate-unclamped",
        FAMILY,
        "The tick's effective rate is not clamped to max basal (a 250 % temp over a high slot goes through).",
        ("BAS-4", "TMP-1"),
        (("kernel.tick", "effective_cpph", _unclamped),),
        ("BAS-4/per-tick", _CONS_TICK),
    ),
    Weakening(
        "basal/temp-never-counts-down",
        FAMILY,
        "A temp basal never counts down, so it never ends by itself.",
        ("TMP-2", "TMP-3"),
        (("kernel.tick", "_count_down_temp", replace_with(lambda s, fx, logic: (s, fx))),),
        ("TMP-2/expires-on-time", _CONS_TICK),
    ),
    Weakening(
        "basal/accumulator-reset",
        FAMILY,
        "The basal accumulator restarts from zero every tick: the fraction of a pulse is lost (drift).",
        ("BAS-2", "U-2"),
        (("kernel.tick", "accumulate", lambda original: lambda acc, rate, logic: original(0, rate, logic)),),
        (_CONS_TICK,),
    ),
    Weakening(
        "basal/accumulator-kept",
        FAMILY,
        "The accumulator keeps the units of the pulses it makes due: a pulse's worth is delivered again later.",
        ("BAS-2", "U-2"),
        (
            (
                "kernel.tick",
                "accumulate",
                lambda original: lambda acc, rate, logic: (original(acc, rate, logic)[0], acc + rate),
            ),
        ),
        (_CONS_TICK,),
    ),
    Weakening(
        "basal/percent-of-max-basal",
        FAMILY,
        "A percent temp is taken of max basal instead of the current slot's scheduled rate.",
        ("TMP-1", "BAS-2"),
        (("kernel.tick", "effective_cpph", _percent_of_max),),
        (_CONS_TICK,),
    ),
    Weakening(
        "basal/percent-one-point-high",
        FAMILY,
        "A percent temp is taken one percentage point high: the kernel's product and the reference's have "
        "arguments that differ by one (the defect the products-as-applications encoding must not hide).",
        ("TMP-1", "BAS-2"),
        (("kernel.tick", "effective_cpph", _percent_one_more),),
        (_CONS_TICK,),
    ),
    Weakening(
        "basal/midnight-late",
        FAMILY,
        "The time of day wraps one minute late (minute 1440 exists).",
        ("BAS-3",),
        (("kernel.tick", "TICKS_PER_DAY", replace_with(1441)),),
        (_CONS_TICK,),
    ),
    Weakening(
        "basal/time-offset-wrap",
        FAMILY,
        "A change of time offset wraps the day at 1439 minutes.",
        ("BAS-3",),
        (("kernel.control", "TICKS_PER_DAY", replace_with(1439)),),
        ("GHOST-CONS/basal/TimeOffsetChange",),
    ),
    Weakening(
        "basal/temp-rate-unchecked",
        FAMILY,
        "An absolute temp above max basal is accepted (the delivery clamp still holds).",
        ("TMP-1",),
        (("kernel.core", "HANDLERS", _handler(TempBasal, _without_check(Reason.TEMP_RATE_ABOVE_MAX_BASAL))),),
        ("TMP-1/accepted-in-range", "TMP-1/rate-above-max-refused"),
    ),
    Weakening(
        "basal/controller-temp-long",
        FAMILY,
        "A controller temp may last as long as a person's.",
        ("TMP-3",),
        (("kernel.core", "HANDLERS", _handler(TempBasal, _controller_long)),),
        ("TMP-3/controller-duration", "TMP-1/accepted-in-range"),
    ),
    Weakening(
        "basal/cancel-ignored",
        FAMILY,
        "An accepted cancel leaves the temp running.",
        ("TMP-2",),
        (("kernel.core", "HANDLERS", _handler(CancelTempBasal, _cancel_ignored)),),
        ("TMP-2/cancel-ends-now", "GHOST-CONS/basal/CancelTempBasal"),
    ),
)
