"""A state to replace an unreadable record that never forgets the last 24 hours (PER-4).

Theory of operation
-------------------
When the record is unreadable (PER-3) the shell locks and asks the user to
act; the user's action replaces the record with a new pump state.  That state
must not believe that nothing was delivered in the last 24 hours: the daily
limit would restart and automated dosing would assume no insulin on board.
``replacement_state`` builds it in one of two ways:

* **Rebuilt** from a surviving history: the therapy pulses commanded in the
  last 24 hours (confirmed or not: LIM-5), as ``(ticks_ago, pulses)`` pairs,
  from a journal the shell keeps apart from the record (e.g. the drained
  event log's ``DELIVER_COMMANDED`` entries).  Each delivery goes into the
  bucket of the hour, day and IOB rings that covers its age, with every
  phase at 0 now; from then on the rings age exactly as if the pump had run.
* **Assumed** when no history survives: the worst case.  The hour and day
  windows are full (their limits), insulin on board is at max IOB, decaying
  along the insulin-action curve from now, and ``history_unknown_ticks``
  counts down 24 hours during which automated dosing above the schedule is
  refused (``HISTORY_UNKNOWN``).  With full windows no therapy is delivered
  until the windows drain: one hour for the hourly limit, 24 hours for the
  daily one.  That is the fail-safe reading of LIM-2 and PER-4 (when in doubt,
  deliver nothing and say why: the limit alert and ``BASAL_WITHHELD``
  notices), and the reason the shell keeps a journal.

Either way the state starts in ``REWOUND`` with the settings given: no
insulin until the reservoir-change sequence is done, as for a new pump.

Units: ``_ticks``, ``_pulses``.  Requirements served: PER-4, PER-3, LIM-1,
LIM-2, LIM-4, LIM-5.
"""

from __future__ import annotations

from collections.abc import Sequence

from kernel.config import PumpConfig
from kernel.settings import TherapySettings, settings_problems
from kernel.state import PumpState, Windows, initial_state
from kernel.units import DAY_RING, HOUR_RING, IOB_BUCKET_TICKS, IOB_RING, TICKS_PER_DAY


def _bucket(ticks_ago: int, bucket_ticks: int) -> int:
    """The ring position of a delivery ``ticks_ago`` ticks before now, with the ring's phase at 0."""
    return (ticks_ago + bucket_ticks - 1) // bucket_ticks


def _ring(size: int, bucket_ticks: int, deliveries: Sequence[tuple[int, int]]) -> tuple[int, ...]:
    ring = [0] * size
    for ticks_ago, pulses in deliveries:
        position = _bucket(ticks_ago, bucket_ticks)
        if position < size:
            ring[position] += pulses
    return tuple(ring)


def windows_of(hour: tuple[int, ...], day: tuple[int, ...], iob: tuple[int, ...]) -> Windows:
    """``Windows`` of three whole rings (current bucket first), every phase at 0."""
    return Windows(hour[0], hour[1:], sum(hour), 0, day[0], day[1:], sum(day), 0, iob[0], iob[1:], 0)


def rebuilt_windows(config: PumpConfig, deliveries: Sequence[tuple[int, int]]) -> Windows:
    """The hour, day and IOB rings of ``deliveries`` (``(ticks_ago, pulses)``), every phase at 0."""
    return windows_of(
        _ring(HOUR_RING, config.hour_bucket_ticks, deliveries),
        _ring(DAY_RING, config.day_bucket_ticks, deliveries),
        _ring(IOB_RING, IOB_BUCKET_TICKS, deliveries),
    )


def worst_case_windows(settings: TherapySettings) -> Windows:
    """Windows full and insulin on board at its maximum, all of it counted now."""
    return windows_of(
        (settings.max_hourly_pulses,) + (0,) * (HOUR_RING - 1),
        (settings.max_daily_pulses,) + (0,) * (DAY_RING - 1),
        (settings.max_iob_pulses,) + (0,) * (IOB_RING - 1),
    )


def replacement_state(
    config: PumpConfig,
    settings: TherapySettings,
    *,
    now_ticks: int = 0,
    time_of_day_ticks: int = 0,
    deliveries: Sequence[tuple[int, int]] | None = None,
) -> PumpState:
    """A new pump state that remembers (or assumes the worst of) the last 24 hours (see module docstring).

    ``settings`` are the therapy settings to run with (valid for ``config``);
    ``deliveries`` the therapy pulses commanded in the last 24 hours as
    ``(ticks_ago, pulses)`` pairs with ``0 <= ticks_ago < 1440`` and
    ``pulses >= 0``, or ``None`` when no history survived.  Raises
    ``ValueError`` for invalid settings or deliveries, and when the rebuilt
    windows would already exceed the settings' limits (set-up code, not an
    event).
    """
    problems = settings_problems(config, settings)
    if problems:
        raise ValueError("invalid settings: " + ", ".join(rule.name for rule in problems))
    state = initial_state(config, now_ticks, time_of_day_ticks)
    if deliveries is None:
        windows = worst_case_windows(settings)
        timers = state.timers._replace(history_unknown_ticks=TICKS_PER_DAY)
        return state._replace(settings=settings, windows=windows, timers=timers)
    for ticks_ago, pulses in deliveries:
        if type(ticks_ago) is not int or type(pulses) is not int or not 0 <= ticks_ago < TICKS_PER_DAY or pulses < 0:
            raise ValueError(f"a delivery is (ticks_ago 0..1439, pulses >= 0), not {(ticks_ago, pulses)!r}")
    windows = rebuilt_windows(config, deliveries)
    if windows.hour_total_pulses > settings.max_hourly_pulses or windows.day_total_pulses > settings.max_daily_pulses:
        raise ValueError("the history holds more than the settings' hourly or daily limit")
    return state._replace(settings=settings, windows=windows)
