"""Regression tests for the kernel bugs the Z3 proofs found, as reachable scenarios.

Each was a counterexample to an obligation of ``proofs.obligations``; each scenario
here reaches the same situation through ``kernel.step`` from a new pump.
"""

from __future__ import annotations

from adapters.runner import Runner
from kernel import events as ev
from kernel.alarms import AlarmKind, AlarmStatus
from kernel.commands import Alarm, Deliver, Notice, NoticeKind
from kernel.config import DEFAULT_CONFIG, ConfigRule, config_problems
from kernel.modes import Mode
from kernel.reasons import Reason
from kernel.settings import make_settings
from kernel.state import evolve


def _pump() -> Runner:
    run = Runner.new(DEFAULT_CONFIG)
    run.set_up(make_settings(DEFAULT_CONFIG, lgs_enabled=False, auto_off_hours=0), 4000, 40, 10)
    return run


def test_ack_timeout_stays_a_motor_fault() -> None:
    """DLV-2, DLV-4 (obligation RESP/ack-timeout): the tick that times out an unanswered
    command must leave the pump in MOTOR_FAULT with the alarm raised, not put it back."""
    run = _pump()
    run.ideal_motor = False
    commanded = None
    while commanded is None:
        result = run.tick()
        commanded = next((c for c in result.commands if isinstance(c, Deliver)), None)
    announced = []
    for _ in range(DEFAULT_CONFIG.motor_ack_timeout_ticks + 1):
        announced += [c.kind for c in run.tick().commands if isinstance(c, Alarm)]
    assert run.state.mode == Mode.MOTOR_FAULT
    assert AlarmKind.MOTOR_FAULT in announced
    assert run.state.alarms[AlarmKind.MOTOR_FAULT] == AlarmStatus.ACTIVE
    assert all(not isinstance(c, Deliver) for r in run.ticks(30) for c in r.commands)


def test_suspend_from_delivering_arms_the_reminder() -> None:
    """SUS-1 (found by CONS/Suspend): the reminder repeats every suspend_reminder_ticks."""
    run = _pump()
    assert run.do(ev.Suspend(run.now)).outcome.accepted
    period = DEFAULT_CONFIG.suspend_reminder_ticks
    reminders = [
        index
        for index, result in enumerate(run.ticks(3 * period), start=1)
        for c in result.commands
        if isinstance(c, Notice) and c.kind == NoticeKind.SUSPEND_REMINDER
    ]
    assert reminders == [period, 2 * period, 3 * period]


def test_zero_lgs_lockout_is_not_a_valid_configuration() -> None:
    """SUS-4 (found by RESP/lgs-clock): with no lockout a 2-hour suspension re-enters at once."""

    problems = config_problems(evolve(DEFAULT_CONFIG, lgs_lockout_ticks=0), clinical=False)
    assert ConfigRule.LGS_TIMING_INVALID in problems


def test_occlusion_evidence_after_the_reservoir_empties_is_raised() -> None:
    """OCC-1 (found by RESP/occlusion-alarm-at-once): evidence arriving in EMPTY raises the occlusion."""
    run = Runner.new(DEFAULT_CONFIG)
    run.set_up(make_settings(DEFAULT_CONFIG, lgs_enabled=False, auto_off_hours=0), 60, 40, 10)
    run.ideal_motor = False
    high = DEFAULT_CONFIG.occlusion_pressure_kpa
    request_id = 1
    while True:
        # Two one-pulse boluses with high line pressure, then one that empties the reservoir.
        amount = 1 if request_id < DEFAULT_CONFIG.occlusion_consecutive_samples else run.state.reservoir.pulses
        assert run.do(ev.BolusRequest(run.now, request_id, ev.Source.USER, amount)).outcome.accepted
        request_id += 1
        deliver = next(c for c in run.tick().commands if isinstance(c, Deliver))
        if run.state.mode == Mode.EMPTY:
            break
        assert run.do(ev.MotorReport(run.now, deliver.seq, deliver.pulses, high)).outcome.accepted
    assert run.state.motor.high_pressure_samples == DEFAULT_CONFIG.occlusion_consecutive_samples - 1
    report = run.do(ev.MotorReport(run.now, deliver.seq, deliver.pulses, high))
    assert report.outcome.accepted
    assert run.state.mode == Mode.OCCLUDED
    assert any(isinstance(c, Alarm) and c.kind == AlarmKind.OCCLUSION for c in report.commands)


def test_controller_bolus_counts_a_running_extended_bolus() -> None:
    """LIM-4 (found by LIM-4/controller-bolus): a controller bolus is judged against insulin on board *and* what a
    running extended bolus has still to deliver; before the fix only delivered insulin counted, so a controller
    could take insulin on board above max IOB while an extended bolus ran."""
    run = Runner.new(DEFAULT_CONFIG)
    settings = make_settings(
        DEFAULT_CONFIG, lgs_enabled=False, auto_off_hours=0, controller_enabled=True, max_iob_mu=5000
    )
    run.set_up(settings, 4000, 40, 10)
    max_iob = run.state.settings.max_iob_pulses
    extended = max_iob - 2
    request = ev.BolusRequest(run.now, 1, ev.Source.USER, 0, extended, DEFAULT_CONFIG.extended_max_ticks)
    assert run.do(request).outcome.accepted
    assert run.do(ev.GlucoseReading(run.now, run.now, 180)).outcome.accepted
    refused = run.do(ev.BolusRequest(run.now, 2, ev.Source.CONTROLLER, 5))
    assert not refused.outcome.accepted
    assert refused.outcome.reason == Reason.MAX_IOB
    assert run.do(ev.BolusRequest(run.now, 3, ev.Source.CONTROLLER, 2)).outcome.accepted


def test_controller_bolus_counts_a_running_normal_bolus() -> None:
    """LIM-4 (mutation gap kernel.iob.x_committed_pulses__mutmut_2): the undelivered part of a running *normal*
    bolus counts too: a controller extended bolus beside it is refused with MAX_IOB."""
    run = Runner.new(DEFAULT_CONFIG)
    settings = make_settings(
        DEFAULT_CONFIG, lgs_enabled=False, auto_off_hours=0, controller_enabled=True, max_iob_mu=5000
    )
    run.set_up(settings, 4000, 40, 10)
    max_iob = run.state.settings.max_iob_pulses
    assert run.do(ev.BolusRequest(run.now, 1, ev.Source.USER, max_iob - 2)).outcome.accepted
    assert run.do(ev.GlucoseReading(run.now, run.now, 180)).outcome.accepted
    ticks = DEFAULT_CONFIG.extended_min_ticks
    refused = run.do(ev.BolusRequest(run.now, 2, ev.Source.CONTROLLER, 0, 5, ticks))
    assert refused.outcome.reason == Reason.MAX_IOB
    assert run.do(ev.BolusRequest(run.now, 3, ev.Source.CONTROLLER, 0, 2, ticks)).outcome.accepted


def test_insulin_on_board_of_a_large_recent_dose_is_exact() -> None:
    """LIM-4 (mutation gap kernel.iob.x_iob_pulses__mutmut_28): a dose still wholly on board counts whole, however
    large (the per-mille sum is divided by exactly 1000, rounded up)."""
    from kernel.iob import iob_pulses
    from kernel.logic import PY
    from kernel.state import initial_state

    state = initial_state(DEFAULT_CONFIG)
    for pulses in (1, 999, 1000, 2000, 6000):
        windows = state.windows._replace(iob_now_pulses=pulses)
        assert iob_pulses(state.settings, windows, PY) == pulses
