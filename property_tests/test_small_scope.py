"""The exhaustive small-scope search (``property_tests.small_scope``): every invariant on every reachable state.

Covers, on the scaled-down pump, every shared invariant (LIM-1, LIM-2, LIM-3,
BOL-1, BOL-2, BOL-4, RES-1, RES-3, OCC-1, OCC-2, DLV-1, DLV-2, SUS-1, SUS-2,
ALM-1, ALM-3, INP-1, INP-2) in every state reachable with the alphabet from
every seeded root; that the search enters every mode and announces every
alarm kind (RES-4, ALM-2, LIM-3 among them); and that the command fails when
a violation is planted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kernel import events as ev
from kernel.alarms import AlarmKind
from kernel.config import config_problems
from kernel.modes import Mode
from kernel.state import PumpState, evolve
from kernel.step import StepResult
from property_tests import small_scope
from property_tests.small_scope import EXPECTED_STATES, SMALL_CONFIG, explore, main
from property_tests.small_scope_roots import ROOTS, build_root


def test_small_config_is_structurally_valid() -> None:
    """The scaled-down configuration passes every rule the proofs assume (CFG-1)."""
    assert config_problems(SMALL_CONFIG, clinical=False) == ()


def test_every_root_is_reached_by_accepted_events() -> None:
    """Each seed is replayed from the initial state through the real step (a refused scripted event raises)."""
    names = [root.name for root in ROOTS]
    assert len(set(names)) == len(names)
    for root in ROOTS:
        assert build_root(root).now_ticks >= 0


def test_every_reachable_state_satisfies_every_invariant_and_every_mode_and_alarm_is_reached() -> None:
    """BFS from every root: no violation, complete, the promised reach from the enums, and the reviewed count."""
    result = explore()
    assert result.violations == []
    assert result.complete
    assert result.modes_reached == [mode.name for mode in Mode]
    assert result.alarms_reached == [kind.name for kind in AlarmKind]
    assert result.unreached == []
    assert small_scope.exit_code(result) == 0
    if EXPECTED_STATES is not None:
        assert result.states == EXPECTED_STATES, f"reachable states changed: {result.states} (was {EXPECTED_STATES})"


def _planted_step(corrupt: Callable[[PumpState, object, StepResult], StepResult]) -> Callable[..., StepResult]:
    real = small_scope.step

    def planted(config: Any, state: PumpState, event: Any) -> StepResult:
        return corrupt(state, event, real(config, state, event))

    return planted


def test_a_planted_invariant_violation_makes_the_command_fail(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A patched invariant check that fails in READY: the search reports it and exits 1."""
    real = small_scope.failing
    monkeypatch.setattr(small_scope, "failing", lambda c, s: ["INV-PLANTED"] if s.mode == Mode.READY else real(c, s))
    assert main(["--horizon", "1"]) == 1
    assert "VIOLATION: ['INV-PLANTED']" in capsys.readouterr().out


def test_a_planted_kernel_bug_makes_the_command_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """A kernel that refills the reservoir beyond its capacity on every accepted bolus: the real invariants catch it."""

    def overfill(state: PumpState, event: object, result: StepResult) -> StepResult:
        if type(event) is ev.BolusRequest and result.outcome.accepted:
            bad = evolve(result.state, reservoir=evolve(result.state.reservoir, pulses=99))
            return StepResult(bad, result.commands, result.outcome)
        return result

    monkeypatch.setattr(small_scope, "step", _planted_step(overfill))
    result = explore(max_states=2000, horizon_ticks=1)
    assert result.violations, "the planted bug was not found"
    assert all("INV-RESERVOIR" in v for v in result.violations), result.violations[:2]
    assert any(v.startswith("['INV-RESERVOIR'] after BolusRequest") for v in result.violations), result.violations[:2]
    assert small_scope.exit_code(result) == 1


def test_a_refusal_that_changes_the_state_is_a_violation(monkeypatch: pytest.MonkeyPatch) -> None:
    """A kernel whose refusals advance the clock breaks the refusal rule (INP-2): reported."""

    def leak(state: PumpState, event: object, result: StepResult) -> StepResult:
        if not result.outcome.accepted:
            return StepResult(evolve(result.state, now_ticks=state.now_ticks + 1), (), result.outcome)
        return result

    monkeypatch.setattr(small_scope, "step", _planted_step(leak))
    result = explore(max_states=200, horizon_ticks=1)
    assert any(v.startswith("refused ") for v in result.violations)
    assert small_scope.exit_code(result) == 1


def test_a_search_cut_short_or_missing_reach_is_not_a_pass() -> None:
    """Cut by --max-states: incomplete and most modes unreached, so the command exits 2, never 0."""
    result = explore(max_states=50, horizon_ticks=1)
    assert not result.complete and result.unreached
    assert small_scope.exit_code(result) == 2
