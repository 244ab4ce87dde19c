"""The exhaustive small-scope search (``property_tests.small_scope``): every invariant on every reachable state.

Covers, on the scaled-down pump, every shared invariant (LIM-1, LIM-2, LIM-3,
BOL-1, BOL-2, BOL-4, RES-1, RES-3, OCC-1, OCC-2, DLV-1, DLV-2, SUS-1, SUS-2,
ALM-1, ALM-3, INP-1, INP-2) in every state reachable with the alphabet.
"""

from __future__ import annotations

from kernel.config import config_problems
from property_tests.small_scope import EXPECTED_STATES, SMALL_CONFIG, explore


def test_small_config_is_structurally_valid() -> None:
    """The scaled-down configuration passes every rule the proofs assume (CFG-1)."""
    assert config_problems(SMALL_CONFIG, clinical=False) == ()


def test_every_reachable_state_satisfies_every_invariant() -> None:
    """BFS over every reachable state: no violation, and the count is the reviewed one."""
    result = explore()
    assert result.violations == []
    assert result.complete
    assert result.states == EXPECTED_STATES, f"reachable states changed: {result.states} (was {EXPECTED_STATES})"
