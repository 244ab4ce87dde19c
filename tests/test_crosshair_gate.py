"""The CrossHair gate: passes on the kernel's contracts, fails on a refuted or unexhausted one.

CrossHair exits 0 even for "Not confirmed"; the gate must not (brief, rule 5).
"""

from __future__ import annotations

import pathlib

from proofs.crosshair_gate import CONFIRMED, run_gate


def test_every_kernel_contract_is_confirmed_over_all_paths() -> None:
    result = run_gate(60.0)
    assert result.passed, result.output
    assert len(result.conditions) >= 25
    assert all(verdict == CONFIRMED for verdict in result.verdicts.values())


BROKEN = '''
from kernel.basal import accumulate
from kernel.logic import PY


def off_by_one(acc: int, rate: int) -> tuple[int, int]:
    """
    pre: 0 <= acc < 6000
    pre: 0 <= rate <= 350000
    post: __return__[1] < 5999
    """
    return accumulate(acc, rate, PY)


def unexhausted(xs: list[int]) -> int:
    """
    post: __return__ >= 0
    """
    return sum(x * x for x in xs)
'''


def test_gate_fails_on_refuted_and_unconfirmed_conditions(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "broken_targets.py"
    path.write_text(BROKEN)
    result = run_gate(3.0, path, wall_limit_s=60.0)
    assert not result.passed
    verdicts = list(result.verdicts.values())
    assert any("false when calling" in v or "error" in v.lower() or v != CONFIRMED for v in verdicts)
    assert len(result.unconfirmed) + len(result.missing) >= 2, result.output


def test_gate_fails_when_the_run_is_cut_off(tmp_path: pathlib.Path) -> None:
    """A run stopped by the wall-clock limit fails, its conditions counted missing."""
    path = tmp_path / "slow_targets.py"
    path.write_text(BROKEN)
    result = run_gate(3.0, path, wall_limit_s=0.2)
    assert result.timed_out
    assert not result.passed
    assert {c.function for c in result.missing} == {"off_by_one", "unexhausted"}
