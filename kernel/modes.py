"""The pump's delivery modes and every transition between them, as tables.

Theory of operation
-------------------
Design rule, after h11's ``_state.py``: everything that moves the pump from
one mode to another is in this file, as data.  The code (``kernel.step``), the
documentation (``docs/modes.md`` is generated from these tables) and the
proofs (which run the code) all read the same tables, so they cannot
disagree.

There are two kinds of transition:

* *Event-triggered* (``EVENT_TRANSITIONS``): mode -> event class -> new mode.
  An event class missing for a mode is refused with ``NOT_ALLOWED_IN_MODE``;
  that is the only place such a refusal comes from.  Events listed in
  ``ANY_MODE_EVENTS`` are accepted in every mode and leave it unchanged (their
  handlers may still raise a condition).
* *Condition-triggered* (``CONDITION_TRANSITIONS``): when the handlers
  establish a condition (an occlusion was detected, the reservoir is empty,
  the set is too old, glucose is low...), the pump moves as the table says.
  Conditions are applied in ``CONDITION_ORDER``, highest priority first, in
  one pass; a condition with no entry for the current mode does nothing.

The delivering mode is the only one in which insulin is delivered for
therapy; ``FILLED`` and ``PRIMED`` deliver priming pulses only.  Leaving
``DELIVERING`` ends any running bolus and temp basal (with a notice), which
``kernel.step`` does in one place for every transition.

A new pump starts in ``REWOUND``: no reservoir, no set, zero settings.  The
reservoir change sequence (RES-3) is REWOUND -> FILLED -> PRIMED -> READY ->
DELIVERING, by ``FillReservoir``, ``PrimeTubing``, ``FillCannula``, ``Resume``.

Requirements served: RES-3, OCC-2, OCC-4, DLV-3, SUS-1, SUS-2, SUS-4, ALM-1,
ALM-2, RES-1, RES-4.
"""

from __future__ import annotations

import enum

from kernel import events as ev
from kernel.logic import Logic


class Mode(enum.IntEnum):
    """Delivery mode of the pump."""

    REWOUND = 0
    """Plunger rewound, no reservoir in place (also: a new pump)."""
    FILLED = 1
    """Reservoir in place; tubing not primed."""
    PRIMED = 2
    """Tubing primed; cannula not yet filled."""
    READY = 3
    """Cannula filled; waiting for the user to resume."""
    DELIVERING = 4
    """Basal and boluses are delivered."""
    SUSPENDED = 5
    """Manual suspend (SUS-1)."""
    LGS_SUSPENDED = 6
    """Automatic suspend for low or predicted low glucose (SUS-2..4)."""
    OCCLUDED = 7
    """Occlusion detected (OCC-1..4)."""
    MOTOR_FAULT = 8
    """Motor fault; nothing until the next reservoir change (DLV-3)."""
    EMPTY = 9
    """Reservoir empty (RES-1)."""
    SET_EXPIRED = 10
    """Infusion set past its hard-stop age (RES-4)."""
    AUTO_OFF = 11
    """No user interaction for the auto-off time (ALM-2)."""


class Condition(enum.IntEnum):
    """A state-triggered reason to change mode, established by a handler."""

    MOTOR_FAILED = 0
    LINE_OCCLUDED = 1
    RESERVOIR_EMPTIED = 2
    SET_AGED_OUT = 3
    USER_ABSENT = 4
    GLUCOSE_LOW = 5
    LGS_ENDED = 6


M = Mode

ANY_MODE_EVENTS: tuple[type, ...] = (
    ev.Tick,
    ev.MotorReport,
    ev.GlucoseReading,
    ev.AlarmAck,
    ev.UserPresent,
    ev.TimeOffsetChange,
    ev.SettingsChange,
)
"""Accepted in every mode, leaving it unchanged."""

EVENT_TRANSITIONS: dict[Mode, dict[type, Mode]] = {
    M.REWOUND: {ev.FillReservoir: M.FILLED},
    M.FILLED: {ev.PrimeTubing: M.PRIMED, ev.Rewind: M.REWOUND},
    M.PRIMED: {ev.PrimeTubing: M.PRIMED, ev.FillCannula: M.READY, ev.Rewind: M.REWOUND},
    M.READY: {ev.Resume: M.DELIVERING, ev.Rewind: M.REWOUND},
    M.DELIVERING: {
        ev.BolusRequest: M.DELIVERING,
        ev.CancelBolus: M.DELIVERING,
        ev.TempBasal: M.DELIVERING,
        ev.CancelTempBasal: M.DELIVERING,
        ev.Suspend: M.SUSPENDED,
    },
    M.SUSPENDED: {ev.Resume: M.DELIVERING, ev.Rewind: M.REWOUND},
    M.LGS_SUSPENDED: {ev.Resume: M.DELIVERING, ev.Suspend: M.SUSPENDED},
    M.OCCLUDED: {ev.ClearLine: M.FILLED, ev.Rewind: M.REWOUND},
    M.MOTOR_FAULT: {ev.Rewind: M.REWOUND},
    M.EMPTY: {ev.Rewind: M.REWOUND},
    M.SET_EXPIRED: {ev.Rewind: M.REWOUND},
    M.AUTO_OFF: {ev.Resume: M.DELIVERING, ev.Rewind: M.REWOUND},
}
"""Event-triggered transitions: mode -> event class -> new mode."""

_ALL_BUT_FAULT = tuple(mode for mode in Mode if mode != M.MOTOR_FAULT)

CONDITION_TRANSITIONS: dict[Condition, dict[Mode, Mode]] = {
    Condition.MOTOR_FAILED: {mode: M.MOTOR_FAULT for mode in _ALL_BUT_FAULT},
    Condition.LINE_OCCLUDED: {
        mode: M.OCCLUDED
        for mode in (
            M.FILLED,
            M.PRIMED,
            M.READY,
            M.DELIVERING,
            M.SUSPENDED,
            M.LGS_SUSPENDED,
            M.AUTO_OFF,
            M.EMPTY,
            M.SET_EXPIRED,
        )
    },
    Condition.RESERVOIR_EMPTIED: {
        mode: M.EMPTY
        for mode in (
            M.FILLED,
            M.PRIMED,
            M.READY,
            M.DELIVERING,
            M.SUSPENDED,
            M.LGS_SUSPENDED,
            M.SET_EXPIRED,
            M.AUTO_OFF,
        )
    },
    Condition.SET_AGED_OUT: {mode: M.SET_EXPIRED for mode in (M.DELIVERING, M.SUSPENDED, M.LGS_SUSPENDED, M.AUTO_OFF)},
    Condition.USER_ABSENT: {mode: M.AUTO_OFF for mode in (M.DELIVERING, M.LGS_SUSPENDED)},
    Condition.GLUCOSE_LOW: {M.DELIVERING: M.LGS_SUSPENDED},
    Condition.LGS_ENDED: {M.LGS_SUSPENDED: M.DELIVERING},
}
"""Condition-triggered transitions: condition -> mode -> new mode."""

CONDITION_ORDER: tuple[Condition, ...] = tuple(Condition)
"""Priority of conditions within one step (highest first)."""

STOPPED_MODES: tuple[Mode, ...] = (M.OCCLUDED, M.MOTOR_FAULT, M.EMPTY, M.SET_EXPIRED, M.AUTO_OFF)
"""Modes entered on a high-priority alarm (ALM-1)."""

SUSPENDED_MODES: tuple[Mode, ...] = (M.SUSPENDED, M.LGS_SUSPENDED)

RESERVOIR_MODES: tuple[Mode, ...] = tuple(mode for mode in Mode if mode != M.REWOUND)
"""Modes in which a reservoir is in place."""

PRIMING_MODES: tuple[Mode, ...] = (M.FILLED, M.PRIMED)
"""Modes of a prime in progress (RES-2 defers reservoir alerts during them)."""

SET_IN_USE_MODES: tuple[Mode, ...] = (
    M.DELIVERING,
    M.SUSPENDED,
    M.LGS_SUSPENDED,
    M.OCCLUDED,
    M.MOTOR_FAULT,
    M.EMPTY,
    M.SET_EXPIRED,
    M.AUTO_OFF,
)
"""Modes in which an inserted set is ageing towards its reminder (RES-4)."""


def is_one_of(mode: int, modes: tuple[Mode, ...], logic: Logic) -> bool:
    """``mode in modes`` in the kernel's logic."""
    return logic.member(mode, modes)


def _event_rows() -> dict[type, dict[tuple[int], tuple[bool, int]]]:
    """For each event class of the mode table: mode -> (allowed, target), complete over ``Mode``."""
    rows: dict[type, dict[tuple[int], tuple[bool, int]]] = {}
    classes = {cls for row in EVENT_TRANSITIONS.values() for cls in row}
    for cls in classes:
        rows[cls] = {
            (int(mode),): (cls in EVENT_TRANSITIONS[mode], int(EVENT_TRANSITIONS[mode].get(cls, mode))) for mode in Mode
        }
    return rows


_EVENT_ROWS = _event_rows()

_CONDITION_ROWS: dict[Condition, dict[tuple[int], int]] = {
    condition: {(int(mode),): int(row.get(mode, mode)) for mode in Mode}
    for condition, row in CONDITION_TRANSITIONS.items()
}
"""``CONDITION_TRANSITIONS`` made complete over ``Mode`` (a mode without an entry stays)."""


def event_transition(mode: int, event_class: type, logic: Logic) -> tuple[bool, int]:
    """Whether ``event_class`` is allowed in ``mode``, and the mode it leads to.

    Reads ``EVENT_TRANSITIONS`` and ``ANY_MODE_EVENTS``; the only source of
    ``NOT_ALLOWED_IN_MODE`` refusals.  ``mode`` must be a ``Mode`` (the
    invariant ``INV-MODE``).
    """
    if event_class in ANY_MODE_EVENTS:
        return True, mode
    allowed, target = logic.lookup(_EVENT_ROWS[event_class], (mode,))
    return allowed, target


def condition_transition(mode: int, condition: Condition, holds: bool, logic: Logic) -> int:
    """The mode after ``condition`` (when ``holds``), per ``CONDITION_TRANSITIONS``."""
    if holds is False:
        return mode
    return logic.ite(holds, logic.lookup(_CONDITION_ROWS[condition], (mode,)), mode)
