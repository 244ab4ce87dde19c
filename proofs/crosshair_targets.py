"""CrossHair contracts on the shipped kernel code: the functions the gate checks.

Theory of operation
-------------------
Each function below calls shipped kernel code, with the Python logic, under a
PEP 316 contract: preconditions from the invariants, postconditions that state
the requirement.  ``pumpkernel crosshair`` runs::

    crosshair check --report_all --analysis_kind PEP316 --per_condition_timeout T proofs.crosshair_targets

and passes only if every condition reports "Confirmed over all paths."  A
``Not confirmed``, an error, or "Unable to meet precondition" fails the gate.

Where a kernel function takes a whole ``PumpState``, the target embeds a few
symbolic values into a concrete template state (``_state``), so CrossHair
explores the requirement's variables, not the 300 leaves of the state.

What CrossHair cannot exhaust is listed in ``NOT_EXHAUSTED`` with the measured
reason; those functions are covered by the Z3 proofs (which execute the same
code on Z3 terms) and by the conformance tests of ``property_tests``.
"""

from __future__ import annotations

from kernel.alarms import HIGH_ALARMS, N_ALARMS, acknowledge, advance_alarm, high_alarm_active
from kernel.basal import accumulate, effective_cpph
from kernel.commands import NO_EFFECTS, NoticeKind
from kernel.config import DEFAULT_CONFIG
from kernel.core import in_range
from kernel.events import GlucoseReading, MotorReport, Tick
from kernel.glucose import classify
from kernel.handling import end_bolus
from kernel.logic import PY, first_refusal
from kernel.modes import ANY_MODE_EVENTS, EVENT_TRANSITIONS, Mode, event_transition
from kernel.motor import on_motor_report
from kernel.reasons import Reason
from kernel.sensing import predicted_low
from kernel.settings import make_settings
from kernel.state import GlucoseState, MotorState, initial_state
from kernel.step import form_check
from kernel.units import SLOTS_PER_DAY
from kernel.windows import advance, record

CONFIG = DEFAULT_CONFIG
_BASE = initial_state(CONFIG)._replace(settings=make_settings(CONFIG), mode=Mode.DELIVERING)

NOT_EXHAUSTED: dict[str, str] = {
    "kernel.core.transition (every event class)": (
        "Measured: CancelTempBasal, the smallest, was 'Not confirmed' after 300 s. Every step evaluates every "
        "condition and all 12 alarm machines eagerly (the single-source style), so the paths multiply over a "
        "state of about 300 leaves. Covered by the Z3 proofs, which run this same function on Z3 terms, and by "
        "the conformance tests (Z3 interpretation vs Python interpretation on concrete steps)."
    ),
    "kernel.record.decode": "JSON parsing of symbolic bytes; covered by Hypothesis fuzzing (property_tests).",
}


def basal_accumulator_is_exact(acc: int, rate_cpph: int) -> tuple[int, int]:
    """BAS-2, U-2: whole pulses due and an accumulator that keeps the exact remainder.

    pre: 0 <= acc < 6000
    pre: 0 <= rate_cpph <= 350000
    post: 0 <= __return__[1] < 6000
    post: __return__[0] * 6000 + __return__[1] == acc + rate_cpph
    """
    return accumulate(acc, rate_cpph, PY)


def basal_rate_never_above_max(
    slot_rate: int, max_basal: int, temp_kind: int, temp_value: int, remaining: int, tod: int
) -> int:
    """BAS-4, TMP-1: whatever the schedule or temp basal, the effective rate is within max basal.

    pre: 0 <= max_basal <= 700
    pre: 0 <= slot_rate <= max_basal
    pre: 0 <= temp_kind <= 2
    pre: 0 <= temp_value
    pre: temp_kind != 2 or temp_value <= 250
    pre: 0 <= remaining
    pre: 0 <= tod < 1440
    post: 0 <= __return__ <= max_basal * 100
    """
    settings = _BASE.settings._replace(basal_slots_pph=(slot_rate,) * SLOTS_PER_DAY, max_basal_pph=max_basal)
    temp = _BASE.basal._replace(temp_kind=temp_kind, temp_value=temp_value, temp_remaining_ticks=remaining)
    return effective_cpph(settings, temp, tod, PY)


def windows_only_forget_as_time_passes(h0: int, h11: int, h12: int, phase: int, d24: int, day_phase: int) -> int:
    """LIM-1, LIM-2: a tick never adds to a window; it shifts when the phase wraps.

    pre: h0 >= 0 and h11 >= 0 and h12 >= 0 and d24 >= 0
    pre: 0 <= phase < 5
    pre: 0 <= day_phase < 60
    post: 0 <= __return__ <= h0 + h11 + h12 + d24
    """
    w = _BASE.windows._replace(
        hour_now_pulses=h0,
        hour_past_pulses=(0,) * 10 + (h11, h12),
        hour_total_pulses=h0 + h11 + h12,
        hour_phase_ticks=phase,
        day_past_pulses=(0,) * 23 + (d24,),
        day_total_pulses=d24,
        day_phase_ticks=day_phase,
    )
    ticked = advance(CONFIG, w, PY)
    assert 0 <= ticked.hour_phase_ticks < CONFIG.hour_bucket_ticks
    assert ticked.hour_pulses[0] in (0, h0)
    return sum(ticked.hour_pulses) + sum(ticked.day_pulses)


def commanded_pulses_count_in_every_window(h0: int, d0: int, i0: int, pulses: int) -> tuple[int, int, int]:
    """LIM-5, LIM-4: commanded pulses enter the current bucket of the hour, day and IOB rings at once.

    pre: h0 >= 0 and d0 >= 0 and i0 >= 0 and pulses >= 0
    post: __return__ == (h0 + pulses, d0 + pulses, i0 + pulses)
    """
    w = _BASE.windows._replace(hour_now_pulses=h0, day_now_pulses=d0, iob_now_pulses=i0)
    counted = record(w, pulses)
    return counted.hour_pulses[0], counted.day_pulses[0], counted.iob_pulses[0]


def alarm_machine_never_loses_an_alarm(status: int, holds: bool, held_back: bool) -> tuple[int, bool]:
    """ALM-1, ALM-3, RES-2: active stays active, deferred is never dropped, a condition is raised.

    pre: 0 <= status <= 3
    post: status != 2 or __return__[0] == 2
    post: status != 1 or __return__[0] in (1, 2)
    post: __return__[1] == (__return__[0] == 2 and status != 2)
    post: not holds or held_back or __return__[0] in (2, 3)
    """
    return advance_alarm(status, holds, held_back, PY)


def acknowledging_touches_one_alarm(a0: int, a1: int, a5: int, kind: int, hold: bool) -> tuple[int, ...]:
    """ALM-1: an acknowledgement changes only the acknowledged alarm, and only if it was active.

    pre: 0 <= a0 <= 3 and 0 <= a1 <= 3 and 0 <= a5 <= 3
    pre: 0 <= kind < 12
    post: all(__return__[k] == before for k, before in ((0, a0), (1, a1), (5, a5)) if k != kind)
    post: all(__return__[k] in (0, 3) for k, before in ((0, a0), (1, a1), (5, a5)) if k == kind and before == 2)
    """
    statuses = (a0, a1, 0, 0, 0, a5) + (0,) * (N_ALARMS - 6)
    return acknowledge(statuses, kind, (hold,) * N_ALARMS, PY)


def high_alarm_gate_is_exact(a0: int, a5: int, a6: int) -> bool:
    """ALM-1: the delivery gate sees exactly the unacknowledged high-priority alarms.

    pre: 0 <= a0 <= 3 and 0 <= a5 <= 3 and 0 <= a6 <= 3
    post: __return__ == (a0 == 2 or a5 == 2)
    """
    assert 0 in HIGH_ALARMS and 5 in HIGH_ALARMS and 6 not in HIGH_ALARMS
    statuses = (a0, 0, 0, 0, 0, a5, a6) + (0,) * (N_ALARMS - 7)
    return high_alarm_active(statuses, PY)


def first_failed_check_decides(h1: bool, h2: bool, h3: bool) -> int:
    """INP-1: one reason per refusal, the first failed check's; 0 exactly when all hold.

    post: (__return__ == 0) == (h1 and h2 and h3)
    post: h1 or __return__ == 11
    post: not h1 or h2 or __return__ == 12
    """
    return first_refusal(PY, ((h1, 11), (h2, 12), (h3, 13)))


def mode_table_is_the_only_way(mode: int, which: int) -> tuple[bool, int]:
    """RES-3, OCC-4, DLV-3: an event moves the mode exactly as the table says, or is not allowed.

    pre: 0 <= mode <= 11
    pre: 0 <= which < 18
    post: __return__[0] == (_CLASSES[which] in ANY_MODE_EVENTS or _CLASSES[which] in EVENT_TRANSITIONS[Mode(mode)])
    post: not __return__[0] or _CLASSES[which] in ANY_MODE_EVENTS or __return__[1] == EVENT_TRANSITIONS[Mode(mode)][_CLASSES[which]]
    """
    return event_transition(mode, _CLASSES[which], PY)


def cancelling_reports_both_amounts(remaining: int, delivered: int, when: bool) -> tuple[int, bool, int, int]:
    """BOL-6, OCC-2: a stopped bolus reports what was and was not delivered, and stops at once.

    pre: remaining >= 0 and delivered >= 0
    post: (not when) or __return__[0] == 0
    post: when or __return__[0] == remaining
    post: __return__[1] == (when and remaining > 0)
    post: not __return__[1] or (__return__[2], __return__[3]) == (delivered, remaining)
    """
    s = _BASE._replace(bolus=_BASE.bolus._replace(remaining_pulses=remaining, delivered_pulses=delivered))
    after, fx = end_bolus(s, NO_EFFECTS, when, 1, PY)
    shown, a, b, _ = fx.notices[NoticeKind.BOLUS_ENDED]
    return after.bolus.remaining_pulses, shown, a, b


def glucose_used_only_when_valid(now: int, measured: int, mgdl: int, status: int, last: int, last_valid: bool) -> int:
    """SEN-1: a reading is used only if OK, in range, not older than 12 min, not over 5 min in the future.

    pre: 0 <= now and 0 <= measured and 0 <= mgdl <= 10000 and 0 <= status <= 3 and 0 <= last
    post: __return__ != 0 or (status == 0 and 40 <= mgdl <= 400 and now - 12 <= measured <= now + 5)
    post: __return__ != 0 or not last_valid or measured > last
    """
    s = _BASE._replace(now_ticks=now, glucose=_BASE.glucose._replace(measured_tick=last, valid=last_valid, mgdl=100))
    return classify(CONFIG, s, GlucoseReading(now, measured, mgdl, status), PY)


def _least_squares_at_most(ys: list[int], step: int, level: int) -> bool:
    """The least-squares line through (0, ys[0]), (step, ys[1]), ... is at most ``level`` 30 minutes after the last.

    From the normal equations: ``d = n Sxx - Sx^2 > 0``, slope ``(n Sxy - Sx Sy) / d``, intercept
    ``(Sy - slope Sx) / n``; the value at ``x*`` times ``n d`` is ``d Sy + (n Sxy - Sx Sy)(n x* - Sx)``.
    """
    n = len(ys)
    xs = [k * step for k in range(n)]
    sx, sy = sum(xs), sum(ys)
    d = n * sum(x * x for x in xs) - sx * sx
    b = n * sum(x * y for x, y in zip(xs, ys, strict=True)) - sx * sy
    at = xs[-1] + 30
    return d * sy + b * (n * at - sx) <= n * d * level


def prediction_matches_the_requirement(g0: int, g1: int, g2: int, g3: int, step: int, threshold: int) -> bool:
    """SUS-3: the kernel's predictive suspend is the least-squares prediction from four readings, within the band.

    The newest reading g0 at minute 100, the older ones ``step`` minutes apart (a span of 9..30 minutes).

    pre: 40 <= g0 <= 400 and 40 <= g1 <= 400 and 40 <= g2 <= 400 and 40 <= g3 <= 400
    pre: 3 <= step <= 10
    pre: 60 <= threshold <= 90
    post: __return__ == (g0 <= threshold + 20 and _least_squares_at_most([g3, g2, g1, g0], step, threshold + 20))
    """
    settings = _BASE.settings._replace(lgs_threshold_mgdl=threshold, predictive_suspend_enabled=True)
    ticks = (100 - step, 100 - 2 * step, 100 - 3 * step)
    glucose = GlucoseState(g0, 100, True, 0, (g1, g2, g3), ticks, (True,) * 3, (0,) * 3, 100, 0)
    s = _BASE._replace(now_ticks=100, settings=settings, glucose=glucose)
    return predicted_low(CONFIG, s, PY)


def occlusion_evidence_fires_at_threshold(
    pending: int, displaced: int, pressure: int, high: int, missing: int
) -> tuple[bool, int, int]:
    """OCC-1, DLV-3: the report completing the evidence raises an occlusion and restarts the counters.

    pre: 1 <= pending <= 60 and 0 <= displaced <= 120 and 0 <= pressure <= 400
    pre: 0 <= high < 3 and 0 <= missing < 60
    post: __return__[0] == ((pressure >= 150 and high + 1 >= 3) or (displaced < pending and missing + pending - displaced >= 60))
    post: 0 <= __return__[1] < 3 and 0 <= __return__[2] < 60
    """
    motor = MotorState(7, pending, 0, False, missing, high)
    s = _BASE._replace(motor=motor)
    handled = on_motor_report(CONFIG, s, MotorReport(0, 7, displaced, pressure, 0), PY)
    occluded = dict(handled.edges)
    from kernel.modes import Condition

    m = handled.state.motor
    return bool(occluded[Condition.LINE_OCCLUDED]), m.high_pressure_samples, m.undisplaced_pulses


def form_check_never_raises(tick: int | bool | str | float | None, missed: int | bool | str | None) -> int:
    """INP-1: ill-typed fields are refused with a reason, out-of-range ones too, never raised on.

    As ``kernel.step`` does: ``form_check`` checks the types (ILL_TYPED), then
    ``kernel.core.in_range`` the static ranges (OUT_OF_RANGE).

    post: __return__ in (0, 2, 3)
    post: (__return__ == 2) == (not (type(tick) is int and type(missed) is bool))
    post: (__return__ == 0) == (type(tick) is int and 0 <= tick <= 10**9 and type(missed) is bool)
    """
    event = Tick(tick, missed)  # type: ignore[arg-type]
    typed = int(form_check(event))
    if typed != 0:
        return typed
    return 0 if in_range(event, PY) else int(Reason.OUT_OF_RANGE)


_CLASSES = tuple(
    sorted({cls for row in EVENT_TRANSITIONS.values() for cls in row} | set(ANY_MODE_EVENTS), key=lambda c: c.__name__)
)
