"""Reference specifications for basal delivery and temp basals, in the catalogue's own terms (BAS-2..4, TMP-1..3).

Theory of operation
-------------------
These statements sit beside ``specs.reference`` (which states the programmed
rate itself: the schedule by slot bounds, the temp basal, the clamp to max
basal) and say the rest of what the basal family's proofs need, without
calling any kernel function that decides anything.  They read the kernel's
data types and use only the logic primitives of ``kernel.logic``:

* ``time_of_day_after`` moves a local time of day by a signed number of
  minutes and brings it back into the day, as a clock does (BAS-3: midnight
  rollover, a change of time offset);
* ``delivery_minute`` says which minutes deliver, and so accrue programmed
  basal: a ``Tick`` that is accepted and not a replayed missed minute, from a
  pump that is in its delivering mode, has no motor command outstanding or in
  doubt, and no high-priority alarm waiting, unless the minute itself stopped
  delivery before its pulses (the mode changed and nothing was commanded nor
  withheld).  A change of mode that comes *after* the minute's pulses (the
  reservoir emptied by them) is told apart by the ``Deliver`` it follows; a
  low-glucose suspension that ends at the minute (``LGS_ENDED``) delivers it;
* ``temp_request_in_range`` is TMP-1's and TMP-3's range for a temp basal
  request: absolute rate up to max basal, percentage up to the configured
  maximum, a person's temp in whole 15-minute steps between the configured
  shortest and longest, a controller's temp at most the configured controller
  maximum (which the structural rules cap at 30 minutes).

Units: ``_ticks`` (minutes), ``_pph``, ``_cpph``, ``_pulses``.
"""

from __future__ import annotations

from typing import Any

from kernel.alarms import PRIORITY, AlarmKind, AlarmStatus, Priority
from kernel.config import PumpConfig
from kernel.events import Source, TempBasal, TempKind
from kernel.logic import Logic
from kernel.modes import Mode
from kernel.settings import TherapySettings
from kernel.state import PumpState

DAY_MINUTES = 1440
"""Minutes in a local day (BAS-1, BAS-3)."""
TEMP_STEP_MINUTES = 15
"""A person's temp basal lasts a whole number of quarter hours (TMP-1)."""
CONTROLLER_TEMP_MINUTES = 30
"""The longest temp basal a closed-loop controller may set (TMP-3)."""
CATALOGUE_PERCENT_MAX = 250
"""TMP-1: percent temps 0..250 %."""
CATALOGUE_TEMP_MIN_MINUTES = 15
CATALOGUE_TEMP_MAX_MINUTES = 1440
"""TMP-1: durations 15 min..24 h."""


def time_of_day_after(time_of_day_ticks: Any, delta_ticks: Any, L: Logic) -> Any:
    """The local time of day ``delta_ticks`` minutes later (earlier when negative), brought into 0..1439.

    Valid for a time of day in 0..1439 and a delta in -1440..1440 (the range of
    every clock move: a tick is +1, a change of time offset at most a day).
    """
    moved = time_of_day_ticks + delta_ticks
    return L.ite(moved < 0, moved + DAY_MINUTES, L.ite(moved >= DAY_MINUTES, moved - DAY_MINUTES, moved))


def high_alarm_waiting(s: PumpState, L: Logic) -> Any:
    """Some high-priority alarm is active (announced and not acknowledged): ALM-1 holds delivery."""
    high = [s.alarms[kind] for kind in AlarmKind if PRIORITY[kind] == Priority.HIGH]
    return L.any(*(status == AlarmStatus.ACTIVE for status in high))


def delivery_minute(
    before: PumpState,
    tick_accepted: Any,
    missed: Any,
    mode_change: tuple[Any, Any],
    lgs_ended_shown: Any,
    deliver_commanded: Any,
    withheld_shown: Any,
    L: Logic,
) -> Any:
    """Does this ``Tick`` deliver its minute (accrue programmed basal)?  See the module docstring.

    ``before`` is the pump before the minute; the other arguments are what the
    step emits: whether the tick was accepted, the event's ``missed`` flag,
    the ``MODE_CHANGED`` notice (shown, new mode), whether an ``LGS_ENDED``
    notice, a ``Deliver`` and a ``BASAL_WITHHELD`` notice were emitted.  A
    low-glucose suspension that ends at this minute delivers the minute.
    """
    mode_changed, new_mode = mode_change
    delivering_mode = L.either(
        before.mode == Mode.DELIVERING, L.both(before.mode == Mode.LGS_SUSPENDED, lgs_ended_shown)
    )
    ready = L.all(
        tick_accepted,
        L.not_(missed),
        delivering_mode,
        before.motor.pending_pulses == 0,
        L.not_(before.motor.uncertain),
        L.not_(high_alarm_waiting(before, L)),
    )
    stopped_first = L.all(mode_changed, new_mode != Mode.DELIVERING, L.not_(deliver_commanded), L.not_(withheld_shown))
    return L.both(ready, L.not_(stopped_first))


def max_basal_cpph(st: TherapySettings) -> Any:
    """Max basal in hundredths of a pulse per hour (BAS-4)."""
    return st.max_basal_pph * 100


def whole_quarter_hours(duration_ticks: Any, L: Logic) -> Any:
    """A duration that is a whole number of 15-minute steps (TMP-1)."""
    return L.div_const(duration_ticks, TEMP_STEP_MINUTES) * TEMP_STEP_MINUTES == duration_ticks


def temp_request_in_range(c: PumpConfig, st: TherapySettings, e: TempBasal, L: Logic) -> Any:
    """TMP-1 and TMP-3: the temp basal request states a rate and a duration the pump may accept."""
    controller = e.source == Source.CONTROLLER
    rate_ok = L.either(
        L.both(e.kind == TempKind.ABSOLUTE, e.value <= st.max_basal_pph),
        L.both(e.kind == TempKind.PERCENT, e.value <= c.temp_percent_max),
    )
    person_duration = L.all(
        e.duration_ticks >= c.temp_min_ticks,
        e.duration_ticks <= c.temp_max_ticks,
        whole_quarter_hours(e.duration_ticks, L),
    )
    controller_duration = L.all(
        e.duration_ticks >= 1,
        e.duration_ticks <= c.controller_temp_max_ticks,
        c.controller_temp_max_ticks <= CONTROLLER_TEMP_MINUTES,
    )
    return L.all(
        e.value >= 0,
        rate_ok,
        L.either(L.both(controller, controller_duration), L.both(L.not_(controller), person_duration)),
    )


def clinical_temp_rules(c: PumpConfig, L: Logic) -> Any:
    """The clinical configuration rules for temp basals (``kernel.config.clinical_checks`` restated)."""
    return L.all(
        c.temp_percent_max <= CATALOGUE_PERCENT_MAX,
        c.temp_min_ticks >= CATALOGUE_TEMP_MIN_MINUTES,
        c.temp_max_ticks <= CATALOGUE_TEMP_MAX_MINUTES,
    )
