"""The benchmark's cases (``tools.bench_step``, issue 17): each is the step it says it times.

Not a timing test (speed is measured by ``make bench``, never asserted here): it checks that every
case is accepted, that the per-class table has one case of every event class, and that the tick
cases are in the state their names give.
"""

from __future__ import annotations

from kernel import events as ev
from kernel.config import DEFAULT_CONFIG
from kernel.modes import Mode
from kernel.step import step
from tools.bench_step import GOALS, build_cases, event_cases


def test_every_event_class_has_one_accepted_case() -> None:
    cases = event_cases(DEFAULT_CONFIG)
    assert [type(case.event) for case in cases] == list(ev.EVENT_CLASSES)
    for case in cases:
        assert step(DEFAULT_CONFIG, case.state, case.event).outcome.accepted, case.name


def test_the_tick_cases_run_what_their_names_say() -> None:
    plain, bolus, dual, long = build_cases(DEFAULT_CONFIG, 1)
    assert set(GOALS) == {plain.name, bolus.name, dual.name}
    for case in (plain, bolus, dual, long):
        assert type(case.event) is ev.Tick and case.state.mode == Mode.DELIVERING
        assert step(DEFAULT_CONFIG, case.state, case.event).outcome.accepted, case.name
    assert plain.state.bolus.remaining_pulses == plain.state.bolus.ext_remaining_pulses == 0
    assert bolus.state.bolus.remaining_pulses > 0 and bolus.state.bolus.ext_remaining_pulses == 0
    assert dual.state.bolus.remaining_pulses > 0 and dual.state.bolus.ext_remaining_pulses > 0
    assert long.state.now_ticks > plain.state.now_ticks
