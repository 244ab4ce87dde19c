"""Dose limits over what the pump commands: any 60 minutes, any 24 hours, insulin on board (LIM-1 to LIM-5).

Theory of operation
-------------------
The rolling limits are properties of the *sequence* of motor commands, so
they are proved with ghosts (``proofs.builders.Ghost``): memory kept beside
the state and updated from each step's emitted ``Deliver`` commands only.

* ``HOUR`` (LIM-1, LIM-3, LIM-5): an arbitrary window start ``t0`` and ``S``,
  the therapy pulses commanded in steps that end at a tick at or after
  ``t0``.  Ghost invariant: ``S`` is 0 while ``t0`` is in the future, and
  while fewer than 60 minutes have passed since ``t0`` the kernel's hour ring
  holds at least ``S`` pulses in buckets that cover some tick at or after
  ``t0`` (``specs.reference.counted_since``, which works out each bucket's
  span from the bucket length and phase).  Goal: in every reachable state,
  with ``now - t0 < 60``, ``S`` is at most the hourly limit.  As ``t0`` is
  arbitrary, this is: the therapy pulses commanded in *any* 60 consecutive
  minutes never exceed the limit, every pulse counted, whatever accepted it
  (LIM-3), and a motor report never takes a counted pulse back (LIM-5).
* ``DAY`` (LIM-2): the same for 1440 minutes and the daily limit.
* ``DOSE`` (LIM-4, LIM-5): an arbitrary tick ``td`` and ``D``, the therapy
  pulses commanded in the step that ends at ``td``.  Ghost invariant: while
  ``td`` lies within the IOB ring's span, the bucket covering ``td`` holds at
  least ``D``.  So the history from which insulin on board is computed holds
  every commanded dose where the insulin-action curve puts it.
* ``LIM-4/controller-*`` (step properties): a controller bolus or temp basal
  is accepted only if insulin on board computed by the *reference*
  insulin-action curve (``specs.reference.insulin_on_board_pulses``, from the
  published exponential model, not the kernel's table) over that history,
  plus the insulin still to come from a running bolus, plus the request,
  stays within max IOB.

Assumed beyond the structural configuration rules and the invariants: that
the step is entered once per event (the shell's loop).  Not covered here:
pulses a faulty motor displaces beyond the command (DLV-3: counted from the
motor report, ``SCOPE``); the clinical choice of the limits.

Units: ``_pulses``, ``_ticks`` (minutes).  Requirement IDs: LIM-1 to LIM-5.
"""

from __future__ import annotations

from typing import Any

import z3

from kernel.events import Source
from kernel.units import IOB_BUCKET_TICKS
from proofs.builders import Ghost, ghost_goal, ghost_obligations, on_step, witness_on_step
from proofs.context import Context, Step
from proofs.framework import Obligation
from proofs.weakening import Weakening
from specs.reference import IOB_BUCKET_MINUTES, bucket_last_tick, counted_since, insulin_on_board_pulses
from specs.z3_logic import Z3Logic

FAMILY = "limits"

HOUR_MINUTES = 60
DAY_MINUTES = 1440

_L = Z3Logic()


# --- rolling windows (LIM-1, LIM-2, LIM-3, LIM-5) ----------------------------------------------------------------


def _window_ghost(name: str, minutes: int, requirement: str, ring: str, phase: str, length: str) -> Ghost:
    def fresh(prefix: str) -> Any:
        return z3.Int(f"{prefix}_t0"), z3.Int(f"{prefix}_sum")

    def initial(ctx: Context, s0: Any, g: Any) -> Any:
        return g[1] == 0

    def covered(ctx: Context, s: Any, t0: Any) -> Any:
        w = s.windows
        return counted_since(getattr(w, ring), s.now_ticks, getattr(w, phase), getattr(ctx.config, length), t0, _L)

    def holds(ctx: Context, s: Any, g: Any) -> Any:
        t0, total = g
        return z3.And(
            total >= 0,
            z3.Implies(t0 > s.now_ticks, total == 0),
            z3.Implies(s.now_ticks - t0 < minutes, total <= covered(ctx, s, t0)),
        )

    def update(ctx: Context, st: Step, g: Any) -> Any:
        t0, total = g
        return t0, total + z3.If(st.after.now_ticks >= t0, st.therapy_pulses(), 0)

    return Ghost(
        name,
        FAMILY,
        (requirement, "LIM-3", "LIM-5"),
        f"S, the therapy pulses commanded at or after tick t0, is counted in the {ring} buckets covering t0 "
        f"onwards while fewer than {minutes} minutes have passed since t0",
        fresh,
        initial,
        holds,
        update,
        observes=("deliver",),
    )


HOUR = _window_ghost("HOUR", HOUR_MINUTES, "LIM-1", "hour_pulses", "hour_phase_ticks", "hour_bucket_ticks")
DAY = _window_ghost("DAY", DAY_MINUTES, "LIM-2", "day_pulses", "day_phase_ticks", "day_bucket_ticks")


def _window_goal(oid: str, ghost: Ghost, minutes: int, limit: str, requirement: str) -> Obligation:
    return ghost_goal(
        oid,
        ghost,
        f"The therapy pulses commanded in any {minutes} consecutive minutes are at most {limit}.",
        lambda ctx, s, g: g[1] <= getattr(s.settings, limit),
        premise=lambda ctx, s, g: z3.And(g[0] <= s.now_ticks, s.now_ticks - g[0] < minutes),
        requirements=(requirement, "LIM-3", "LIM-5"),
        observes=("deliver",),
    )


# --- insulin on board (LIM-4, LIM-5) -------------------------------------------------------------------------


def _iob_span_ok(s: Any, td: Any) -> Any:
    """``td`` is no older than the oldest IOB bucket's first tick."""
    w = s.windows
    oldest = len(w.iob_pulses) - 1
    return bucket_last_tick(s.now_ticks, w.iob_phase_ticks, IOB_BUCKET_MINUTES, oldest) - IOB_BUCKET_MINUTES < td


def _bucket_holding(s: Any, td: Any) -> Any:
    """Pulses of the IOB bucket whose span covers tick ``td`` (0 if none does)."""
    w = s.windows
    ring = w.iob_pulses
    total: Any = z3.IntVal(0)
    for position, pulses in enumerate(ring):
        last = bucket_last_tick(s.now_ticks, w.iob_phase_ticks, IOB_BUCKET_MINUTES, position)
        if position + 1 < len(ring):
            first = bucket_last_tick(s.now_ticks, w.iob_phase_ticks, IOB_BUCKET_MINUTES, position + 1) + 1
        else:
            first = last - IOB_BUCKET_MINUTES + 1
        total = total + z3.If(z3.And(first <= td, td <= last), pulses, 0)
    return total


def _dose_fresh(prefix: str) -> Any:
    return z3.Int(f"{prefix}_td"), z3.Int(f"{prefix}_dose")


def _dose_initial(ctx: Context, s0: Any, g: Any) -> Any:
    return g[1] == 0


def _dose_holds(ctx: Context, s: Any, g: Any) -> Any:
    td, dose = g
    return z3.And(
        dose >= 0,
        z3.Implies(td > s.now_ticks, dose == 0),
        z3.Implies(_iob_span_ok(s, td), dose <= _bucket_holding(s, td)),
    )


def _dose_update(ctx: Context, st: Step, g: Any) -> Any:
    td, dose = g
    return td, dose + z3.If(st.after.now_ticks == td, st.therapy_pulses(), 0)


DOSE = Ghost(
    "DOSE",
    FAMILY,
    ("LIM-4", "LIM-5"),
    "D, the therapy pulses commanded at tick td, is held by the IOB bucket covering td while td is in the ring's span",
    _dose_fresh,
    _dose_initial,
    _dose_holds,
    _dose_update,
    observes=("deliver",),
)

assert IOB_BUCKET_TICKS == IOB_BUCKET_MINUTES, "the reference and the kernel agree on the IOB bucket length"


def _pending_pulses(s: Any) -> Any:
    return s.bolus.remaining_pulses + s.bolus.ext_remaining_pulses


def _reference_iob(s: Any) -> Any:
    return insulin_on_board_pulses(s.windows.iob_pulses, s.settings.dia_index, _L)


def _controller_bolus_fits(st: Step) -> Any:
    s, e = st.before, st.event
    return _reference_iob(s) + _pending_pulses(s) + e.immediate_pulses + e.extended_pulses <= s.settings.max_iob_pulses


def _controller(st: Step) -> Any:
    return z3.And(st.event.source == int(Source.CONTROLLER), st.accepted())


# --- obligations ---------------------------------------------------------------------------------------------


def obligations() -> list[Obligation]:
    result = ghost_obligations(HOUR) + ghost_obligations(DAY) + ghost_obligations(DOSE)
    result += [
        _window_goal("LIM-1/any-60-minutes", HOUR, HOUR_MINUTES, "max_hourly_pulses", "LIM-1"),
        _window_goal("LIM-2/any-24-hours", DAY, DAY_MINUTES, "max_daily_pulses", "LIM-2"),
        on_step(
            "LIM-4/controller-bolus",
            FAMILY,
            ("LIM-4",),
            "A controller bolus is accepted only if insulin on board by the reference insulin-action curve over the "
            "history of commanded doses, plus what a running bolus has still to deliver, plus the request, is "
            "within max IOB.",
            "BolusRequest",
            _controller_bolus_fits,
            premise=_controller,
            observes=("outcome",),
        ),
        witness_on_step(
            "LIM-4/controller-bolus-accepted-with-insulin-on-board",
            FAMILY,
            "A controller bolus can be accepted while insulin is on board (the property above is not vacuous).",
            "BolusRequest",
            lambda st: z3.And(_controller(st), _reference_iob(st.before) > 0),
            ("LIM-4",),
        ),
        witness_on_step(
            "LIM-1/tick-commands-therapy",
            FAMILY,
            "A tick can command therapy pulses with the hour window partly used (the ghosts see deliveries).",
            "Tick",
            lambda st: z3.And(st.therapy_pulses() > 0, st.before.windows.hour_total_pulses > 0),
            ("LIM-1", "LIM-2"),
        ),
    ]
    return result


# --- planted defects -------------------------------------------------------------------------------------------


def _zero_table(original: Any) -> Any:
    return tuple(tuple(0 for _ in row) for row in original)


def _no_record(original: Any) -> Any:
    return lambda w, pulses: w


def _room_plus_one(original: Any) -> Any:
    return lambda st, w: original(st, w) + 1


_GHOST_TICK = ("GHOST-CONS/HOUR/Tick", "GHOST-CONS/DAY/Tick", "GHOST-CONS/DOSE/Tick")

WEAKENINGS: tuple[Weakening, ...] = (
    Weakening(
        "limits/tick-never-records",
        FAMILY,
        "The tick never adds the therapy pulses it commands to the hour and day windows or to the IOB history.",
        ("LIM-1", "LIM-2", "LIM-4"),
        (("kernel.tick", "record", _no_record),),
        _GHOST_TICK,
    ),
    Weakening(
        "limits/iob-table-zeros",
        FAMILY,
        "Insulin on board is always 0 (the kernel's insulin-action table read as zeros).",
        ("LIM-4",),
        (("kernel.iob", "IOB_PERMILLE", _zero_table),),
        ("LIM-4/controller-bolus",),
    ),
    Weakening(
        "limits/hour-room-off-by-one",
        FAMILY,
        "The hour window admits one pulse more than its limit at delivery.",
        ("LIM-1", "LIM-3"),
        (("kernel.tick", "hour_room", _room_plus_one),),
        ("GHOST-CONS/HOUR/Tick", "CONS/Tick", "LIM-1/any-60-minutes"),
    ),
    Weakening(
        "limits/day-room-off-by-one",
        FAMILY,
        "The day window admits one pulse more than its limit at delivery.",
        ("LIM-2", "LIM-3"),
        (("kernel.tick", "day_room", _room_plus_one),),
        ("GHOST-CONS/DAY/Tick", "CONS/Tick", "LIM-2/any-24-hours"),
    ),
)

SCOPE: dict[str, str] = {
    "LIM-1": "Proved over the therapy pulses the step commands (Deliver, purpose THERAPY). Pulses a faulty motor "
    "displaces beyond a command are counted from the motor report (DLV-3) and are not part of this proof.",
    "LIM-2": "As LIM-1, over 1440 minutes and the daily limit.",
    "LIM-3": "Every commanded therapy pulse enters the window sums, whatever request started it; that the user is "
    "told why delivery was cut is a notice tested in tests/test_limits.py.",
    "LIM-4": "Proved for controller boluses against the reference exponential insulin-action curve. Controller temp "
    "basals are checked by the kernel with a projection over their duration; that check is tested, not proved.",
    "LIM-5": "Proved: a motor report never takes a commanded pulse out of the windows or the IOB history (the "
    "ghosts count pulses when commanded). Resolution of uncertain delivery is the delivery family's.",
}
