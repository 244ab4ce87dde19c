"""Planted defects for the sensing, suspend and alarm families: patch makers (``proofs.weakening``).

Theory of operation
-------------------
Each function here makes the planted value of one ``Weakening`` patch from
the original attribute: a sensor report that replaces the last valid reading
although not used, or drops an older reading; a suspension end that ignores
the duration or reads
a changed configuration (no minimum, no resume margin, no band), a trend
through two readings instead of four, an alarm condition that raises
LOW_GLUCOSE_SUSPEND on a prediction, an alarm repetition that never fires,
repeats acknowledged alarms or keeps its count.  They work on Python values
and on Z3 terms, since the proofs run the patched kernel on Z3 terms.
Requirement IDs: as named by each weakening in ``proofs.families.suspend``,
``proofs.families.sensing`` and ``proofs.families.alarm_repeat``.
"""

from __future__ import annotations

from typing import Any

from kernel.alarms import REPEATED, AlarmKind, AlarmStatus
from kernel.commands import GlucoseUse
from kernel.events import GlucoseReading, GlucoseStatus, Suspend
from kernel.modes import Mode
from kernel.sensing import Trend
from kernel.units import ALARM_REPEATS_MAX


def no_duration_end(original: Any) -> Any:
    def planted(c: Any, s: Any, logic: Any) -> Any:
        return original(c, s._replace(timers=s.timers._replace(suspended_ticks=0)), logic)

    return planted


def suspend_keeps_bolus(original: Any) -> Any:
    def planted(c: Any, s: Any, fx: Any, before: Any, logic: Any) -> Any:
        settled, effects = original(c, s, fx, before, logic)
        keep = logic.both(s.mode == Mode.SUSPENDED, before == Mode.DELIVERING)
        return settled._replace(bolus=logic.pick(keep, s.bolus, settled.bolus)), effects

    return planted


def suspend_ignored(original: Any) -> Any:
    def planted(mode: Any, event_class: type, logic: Any) -> Any:
        allowed, target = original(mode, event_class, logic)
        return (allowed, mode) if event_class is Suspend else (allowed, target)

    return planted


def threshold_strict(original: Any) -> Any:
    def planted(c: Any, s: Any, logic: Any) -> Any:
        st = s.settings
        return original(c, s._replace(settings=st._replace(lgs_threshold_mgdl=st.lgs_threshold_mgdl - 1)), logic)

    return planted


def config_with(**fields: Any) -> Any:
    """A patch maker: the original function of (config, state, logic) reads a changed configuration."""

    def make(original: Any) -> Any:
        return lambda c, s, logic: original(c._replace(**fields), s, logic)

    return make


def two_point_trend(original: Any) -> Any:
    """The trend is the straight line through the two newest readings (the pre-issue-18 prediction)."""

    def planted(c: Any, s: Any, logic: Any) -> Any:
        t = original(c, s, logic)
        m0, m1 = s.glucose.mgdl, s.glucose.older_mgdl[0]
        return Trend(t.fits, t.span_ticks, 10 * m0, 10 * (m0 - m1))

    return planted


def lgs_alarm_on_mode(original: Any) -> Any:
    """LOW_GLUCOSE_SUSPEND alarms in every glucose suspension, predictive ones included (before issue 18)."""

    def planted(c: Any, s: Any, limit_hit: Any, logic: Any) -> Any:
        holds = list(original(c, s, limit_hit, logic))
        holds[AlarmKind.LOW_GLUCOSE_SUSPEND] = s.mode == Mode.LGS_SUSPENDED
        return tuple(holds)

    return planted


def _repeat(
    statuses: tuple[Any, ...],
    announced: tuple[Any, ...],
    countdown_ticks: Any,
    repeats: Any,
    repeat_ticks: Any,
    logic: Any,
    *,
    fires: bool = True,
    repeated: tuple[AlarmStatus, ...] = (AlarmStatus.ACTIVE,),
    low_too: bool = False,
    resets: bool = False,
) -> tuple[tuple[Any, ...], Any, Any, Any]:
    """``kernel.alarms.repeat_unacknowledged`` with one defect switched on (the flags below)."""
    kinds = range(len(statuses)) if low_too else range(len(REPEATED))
    waiting = logic.any(*(logic.member(statuses[k], repeated) for k in kinds))
    fresh = logic.any(*announced)
    due = logic.all(waiting, logic.not_(fresh), countdown_ticks <= 0)
    again = tuple(
        logic.either(a, logic.both(due, logic.member(status, repeated))) if fires and k in kinds else a
        for k, (a, status) in enumerate(zip(announced, statuses, strict=True))
    )
    countdown = logic.ite(waiting, logic.ite(logic.either(fresh, due), repeat_ticks, countdown_ticks), 0)
    counting = logic.both(waiting, logic.not_(fresh)) if resets else waiting
    count = logic.ite(counting, logic.ite(due, logic.min(repeats + 1, ALARM_REPEATS_MAX), repeats), 0)
    return again, countdown, count, logic.ite(due, count, 0)


def repeat_never(_original: Any) -> Any:
    """The countdown runs and restarts, but nothing is announced again."""
    return lambda *args: _repeat(*args, fires=False)


def repeat_acknowledged(_original: Any) -> Any:
    """Acknowledged alarms are repeated like unacknowledged ones."""
    return lambda *args: _repeat(*args, repeated=(AlarmStatus.ACTIVE, AlarmStatus.ACKED))


def repeat_low_priority(_original: Any) -> Any:
    """Low-priority alerts are repeated too (they ask for awareness only: shown once)."""
    return lambda *args: _repeat(*args, low_too=True)


def repeat_count_reset(_original: Any) -> Any:
    """A new alarm resets the repetition count (the escalation of a waiting alarm falls back)."""
    return lambda *args: _repeat(*args, resets=True)


def alarm_unconfirmed(original: Any) -> Any:
    """LOW_GLUCOSE_SUSPEND on a single reading at or below the threshold, without confirmation."""

    def planted(c: Any, s: Any, limit_hit: Any, logic: Any) -> Any:
        holds = list(original(c, s, limit_hit, logic))
        g = s.glucose
        fresh = logic.both(g.valid, s.now_ticks - g.measured_tick <= c.glucose_max_age_ticks)
        low = logic.all(s.mode == Mode.LGS_SUSPENDED, fresh, g.mgdl <= s.settings.lgs_threshold_mgdl)
        holds[AlarmKind.LOW_GLUCOSE_SUSPEND] = low
        return tuple(holds)

    return planted


def replace_anyway(handlers: dict[type, Any]) -> dict[type, Any]:
    """A report's value replaces the reading even when it is not used (the notice still says 'not used')."""
    original = handlers[GlucoseReading]

    def planted(c: Any, s: Any, e: Any, logic: Any) -> Any:
        handled = original(c, s, e, logic)
        g = handled.state.glucose
        ok = e.status == GlucoseStatus.OK
        glucose = g._replace(
            mgdl=logic.ite(ok, e.mgdl, g.mgdl), measured_tick=logic.ite(ok, e.measured_tick, g.measured_tick)
        )
        return handled._replace(state=handled.state._replace(glucose=glucose))

    return {**handlers, GlucoseReading: planted}


def history_drops_on_invalid(handlers: dict[type, Any]) -> dict[type, Any]:
    """A report that is not used drops the newest older reading: the older ones move up, the oldest slot empties."""
    original = handlers[GlucoseReading]

    def planted(c: Any, s: Any, e: Any, logic: Any) -> Any:
        handled = original(c, s, e, logic)
        g = handled.state.glucose
        used = g.report_use == GlucoseUse.USED

        def up(values: tuple[Any, ...], empty: Any) -> tuple[Any, ...]:
            moved = (*values[1:], empty)
            return tuple(logic.pick(used, a, b) for a, b in zip(values, moved, strict=True))

        glucose = g._replace(
            older_mgdl=up(g.older_mgdl, 0),
            older_ticks=up(g.older_ticks, 0),
            older_valid=up(g.older_valid, False),
            older_edge=up(g.older_edge, 0),
        )
        return handled._replace(state=handled.state._replace(glucose=glucose))

    return {**handlers, GlucoseReading: planted}
