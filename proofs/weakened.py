"""Checking the proofs themselves: deliberately weakened kernels must be caught.

Theory of operation
-------------------
A proof that still passes when the code is wrong proves little.  Each
``Weakening`` patches one piece of the shipped kernel (a dropped guard, a limit
off by one) or removes one invariant, for the duration of one proof run, and
the run must then *fail* some obligation.  Because the proofs execute the
kernel's own functions on Z3 terms, patching a kernel function changes the
transition relation the proofs see, exactly as a bug in the code would.

For speed each weakening names the obligations expected to catch it; those run
first and the search stops at the first failure.  If none of them fails, every
other obligation runs before the weakening is declared *missed*.  A missed
weakening is a hole in the proofs.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any
from unittest import mock

import specs.invariants as invariants_module
from kernel import alarms, basal, bolus, conditions, control, core, motor, settings, temp, tick, windows
from kernel.handling import Handled
from kernel.reasons import Reason
from kernel.sensing import lgs_end as _original_lgs_end
from proofs.model import Context
from proofs.obligations import Obligation, all_obligations
from proofs.run import run_obligation


@dataclass(frozen=True)
class Weakening:
    """One deliberate weakening and the obligations expected to catch it."""

    id: str
    description: str
    patch: Callable[[], contextlib.AbstractContextManager[Any]]
    expected: tuple[str, ...]


@dataclass
class WeakeningResult:
    weakening: Weakening
    caught_by: str | None
    obligations_run: int
    seconds: float

    @property
    def caught(self) -> bool:
        return self.caught_by is not None


def _drop_check(handler: Callable[..., Handled], reason: Reason) -> Callable[..., Handled]:
    def weakened(*args: Any) -> Handled:
        handled = handler(*args)
        return replace(handled, checks=tuple(check for check in handled.checks if check[1] != reason))

    return weakened


def _patch_handler(event_name: str, reason: Reason) -> Callable[[], contextlib.AbstractContextManager[Any]]:
    def make() -> contextlib.AbstractContextManager[Any]:
        from kernel import events as ev

        cls = getattr(ev, event_name)
        return mock.patch.dict(core.HANDLERS, {cls: _drop_check(core.HANDLERS[cls], reason)})

    return make


def _patch(target: Any, name: str, new: Callable[..., Any]) -> Callable[[], contextlib.AbstractContextManager[Any]]:
    def make() -> contextlib.AbstractContextManager[Any]:
        return mock.patch.object(target, name, new)

    return make


@contextlib.contextmanager
def _without_invariant(inv_id: str) -> Iterator[None]:
    kept = tuple(inv for inv in invariants_module.INVARIANTS if inv.id != inv_id)
    import proofs.obligations as obligations_module

    with (
        mock.patch.object(invariants_module, "INVARIANTS", kept),
        mock.patch.object(obligations_module, "INVARIANTS", kept),
    ):
        yield


def _hour_room_off_by_one(st: Any, w: Any) -> Any:
    return windows.hour_room(st, w) + 1


def _day_room_off_by_one(st: Any, w: Any) -> Any:
    return windows.day_room(st, w) + 1


def _rate_unclamped(st: Any, b: Any, tod: Any, logic: Any) -> Any:
    scheduled = basal.scheduled_pph(st, tod, logic)
    percent = logic.mul_small(scheduled, b.temp_value, 9)
    absolute = b.temp_value * 100
    temp = logic.ite(b.temp_kind == 2, percent, absolute)
    running = logic.all(b.temp_remaining_ticks > 0, b.temp_kind != 0)
    return logic.ite(running, temp, scheduled * 100)


def _no_high_alarm(statuses: Any, logic: Any) -> Any:
    return False


def _settle_skipped(c: Any, s: Any, fx: Any, before: Any, logic: Any) -> Any:
    return s, fx


def _watchdog_no_fault(c: Any, s: Any, fx: Any, logic: Any) -> Any:
    state, effects, _ = _original_watchdog(c, s, fx, logic)
    return state, effects, ()


_original_watchdog = motor.watchdog


def _lgs_never_times_out(c: Any, s: Any, logic: Any) -> Any:
    return _original_lgs_end(replace(c, lgs_max_ticks=c.lgs_max_ticks + 1_000_000), s, logic)


def _ack_any(statuses: Any, kind: Any, holds: Any, logic: Any) -> Any:
    return tuple(logic.ite(kind == k, 0, statuses[k]) for k in range(len(statuses)))


def _projection_now_only(now_tod: Any, duration: Any, logic: Any) -> Any:
    return now_tod


def _excess_ignored(st: Any, w: Any, excess: Any, logic: Any) -> Any:
    return w


_original_deliver = tick._deliver


def _deliver_speed_per_part(c: Any, s: Any, fx: Any, missed: Any, logic: Any) -> Any:
    # Each part may use the whole speed: as if the speed were doubled for the two parts together.
    return _original_deliver(replace(c, bolus_pulses_per_tick=2 * c.bolus_pulses_per_tick), s, fx, missed, logic)


def _settings_unchecked(c: Any, st: Any, logic: Any) -> Any:
    return tuple((rule, True) for rule, _ in settings.settings_checks(c, st, logic))


WEAKENINGS: tuple[Weakening, ...] = (
    Weakening(
        "W1-drop-max-bolus-guard",
        "BolusRequest no longer refuses a request above max bolus (a dropped guard).",
        _patch_handler("BolusRequest", Reason.ABOVE_MAX_BOLUS),
        ("SAFE/bolus-within-max", "SAFE/bolus-above-max-refused", "CONS/BolusRequest"),
    ),
    Weakening(
        "W2-hourly-room-off-by-one",
        "The hour window admits one pulse more than its limit (a limit off by one).",
        _patch(tick, "hour_room", _hour_room_off_by_one),
        ("SAFE/hour-window/Tick", "CONS/Tick"),
    ),
    Weakening(
        "W3-daily-room-off-by-one",
        "The day window admits one pulse more than its limit.",
        _patch(tick, "day_room", _day_room_off_by_one),
        ("SAFE/day-window/Tick", "CONS/Tick"),
    ),
    Weakening(
        "W4-basal-unclamped",
        "The effective basal rate is no longer clamped to max basal.",
        _patch(tick, "effective_cpph", _rate_unclamped),
        ("SAFE/basal-per-tick", "CONS/Tick"),
    ),
    Weakening(
        "W5-alarm-gate-dropped",
        "Therapy delivery no longer waits for high-priority alarms to be acknowledged.",
        _patch(tick, "high_alarm_active", _no_high_alarm),
        ("SAFE/high-alarm-stops-therapy/Tick",),
    ),
    Weakening(
        "W6-settle-skipped",
        "Leaving the delivering mode no longer ends the running bolus and temp basal.",
        _patch(conditions, "settle", _settle_skipped),
        ("CONS/Suspend", "SAFE/suspend-stops-now", "CONS/Tick"),
    ),
    Weakening(
        "W7-ack-timeout-not-a-fault",
        "An unanswered motor command that times out no longer stops the pump.",
        _patch(tick, "watchdog", _watchdog_no_fault),
        ("RESP/ack-timeout", "CONS/Tick"),
    ),
    Weakening(
        "W8-lgs-unbounded",
        "Automatic suspension no longer ends after its maximum length.",
        _patch(conditions, "lgs_end", _lgs_never_times_out),
        ("CONS/Tick", "RESP/lgs-at-most-2-h"),
    ),
    Weakening(
        "W9-settings-unchecked",
        "A settings change is no longer validated.",
        _patch(control, "settings_checks", _settings_unchecked),
        ("SAFE/settings-whole", "CONS/SettingsChange"),
    ),
    Weakening(
        "W10-ack-clears-latched",
        "Acknowledging an alarm clears it even while its condition holds (a lost alarm).",
        _patch(control, "acknowledge", _ack_any),
        ("SAFE/ack-silences", "CONS/AlarmAck"),
    ),
    Weakening(
        "W11-drop-reservoir-guard",
        "A bolus larger than the reservoir is accepted (a dropped guard).",
        _patch_handler("BolusRequest", Reason.INSUFFICIENT_RESERVOIR),
        ("SAFE/bolus-fits", "SAFE/reservoir"),
    ),
    Weakening(
        "W12-invariant-deleted-motor",
        "The invariant INV-MOTOR is deleted (a deleted invariant conjunct).",
        lambda: _without_invariant("INV-MOTOR"),
        ("SAFE/uncertain-delivers-nothing", "CONS/Tick", "CONS/MotorReport"),
    ),
    Weakening(
        "W14-iob-projection-one-slot",
        "A controller temp's max-IOB projection looks only at the profile slot now (a segment boundary missed).",
        _patch(temp, "last_tick_of_day", _projection_now_only),
        ("SAFE/controller-temp-iob/last-tick",),
    ),
    Weakening(
        "W15-excess-not-counted",
        "Pulses the motor over-delivered are not counted in IOB and the dose windows.",
        _patch(motor, "record_excess", _excess_ignored),
        ("SAFE/report-excess-counted",),
    ),
    Weakening(
        "W16-bolus-speed-per-part",
        "The normal bolus may use the whole bolus speed next to the extended part (speed exceeded).",
        _patch(tick, "_deliver", _deliver_speed_per_part),
        ("SAFE/bolus-speed",),
    ),
    Weakening(
        "W13-invariant-deleted-ext-dda",
        "The invariant INV-EXT-DDA is deleted.",
        lambda: _without_invariant("INV-EXT-DDA"),
        ("CONS/Tick", "SAFE/bolus-speed"),
    ),
)
"""Every deliberate weakening; each must make some obligation fail."""

_ = (alarms, bolus)  # modules a future weakening may patch


def check_weakening(weakening: Weakening, timeout_ms: int = 30_000) -> WeakeningResult:
    """Run the obligations under one weakening until one fails (see module docstring)."""
    started = time.perf_counter()
    run = 0
    with weakening.patch():
        ctx = Context()
        obligations = all_obligations()

        def expected_first(ob: Obligation) -> int:
            return 0 if any(ob.id.startswith(prefix) for prefix in weakening.expected) else 1

        for obligation in sorted(obligations, key=expected_first):
            run += 1
            result = run_obligation(ctx, obligation, timeout_ms)
            if not result.passed:
                return WeakeningResult(weakening, obligation.id, run, time.perf_counter() - started)
    return WeakeningResult(weakening, None, run, time.perf_counter() - started)
