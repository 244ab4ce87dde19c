"""The CrossHair gate: passes on the kernel's contracts, fails on a refuted or unexhausted one.

CrossHair exits 0 even for "Not confirmed"; the gate must not (brief, rule 5).
"""

from __future__ import annotations

import pathlib

from proofs.crosshair_gate import CONFIRMED, run_gate
from proofs.crosshair_gate import STEPS as STEPS_FILE
from proofs.crosshair_gate import TARGETS as TARGETS_FILE


def test_every_kernel_contract_is_confirmed_over_all_paths() -> None:
    result = run_gate(60.0)
    assert result.passed, result.output
    assert len(result.conditions) >= 25
    assert all(verdict == CONFIRMED for verdict in result.verdicts.values())
    assert result.together, "the functions with several conditions were checked as conjunctions"


def test_every_handler_and_the_step_are_reached_by_a_contract() -> None:
    """Issue 14, point 9: one contract per event class runs ``transition`` (so its handler), one runs ``step``."""
    import ast

    from kernel.core import HANDLERS
    from proofs.crosshair_gate import STEPS

    source = STEPS.read_text()
    tree = ast.parse(source)
    called = {
        node.attr if isinstance(node, ast.Attribute) else node.id
        for fn in tree.body
        if isinstance(fn, ast.FunctionDef) and not fn.name.startswith("_")
        for call in ast.walk(fn)
        if isinstance(call, ast.Call)
        for node in [call.func]
        if isinstance(node, ast.Attribute | ast.Name)
    }
    assert {cls.__name__ for cls in HANDLERS} <= called
    assert "step" in called


PLANTED = '''
import kernel.core
from kernel import events as ev
from kernel.config import DEFAULT_CONFIG
from kernel.modes import Mode
from kernel.reasons import Reason
from kernel.reservoir import on_prime_tubing
from proofs.crosshair_steps import NOW, Facts, _facts, _with


def _prime_one_more(c, s, e, logic):
    """Planted: the reservoir check lets one pulse more than the reservoir holds through."""
    handled = on_prime_tubing(c, s, e, logic)
    checks = tuple(
        (logic.either(holds, e.pulses == s.reservoir.pulses + 1) if reason == Reason.INSUFFICIENT_RESERVOIR else holds,
         reason)
        for holds, reason in handled.checks
    )
    return handled._replace(checks=checks)


kernel.core.HANDLERS[ev.PrimeTubing] = _prime_one_more


def priming_within_the_reservoir(reservoir: int, pulses: int) -> Facts:
    """
    pre: 0 <= reservoir <= 6000
    post: 0 <= __return__.pulses <= __return__.reservoir_before
    """
    return _facts(DEFAULT_CONFIG, _with(Mode.FILLED, reservoir), ev.PrimeTubing(NOW, pulses))
'''


def test_a_handler_commanding_one_pulse_beyond_the_reservoir_is_refuted(tmp_path: pathlib.Path) -> None:
    """A planted priming handler that lets one pulse more than the reservoir through: CrossHair finds it."""
    path = tmp_path / "planted_targets.py"
    path.write_text(PLANTED)
    result = run_gate(30.0, path, wall_limit_s=120.0)
    assert not result.passed
    assert any("false when calling" in verdict for verdict in result.verdicts.values()), result.output[-2000:]


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


def test_each_contract_function_is_its_own_run_and_every_condition_is_in_one() -> None:
    """The gate runs one CrossHair process per contract function (``FILE:LINE`` of its ``def``): every ``post:``
    line of the targets files lies in exactly one run's function."""
    import ast

    from proofs.crosshair_gate import ALL_TARGETS, contract_targets, postconditions

    for path in ALL_TARGETS:
        targets = list(contract_targets(path).values())
        starts = sorted(int(t.rsplit(":", 1)[1]) for t in targets)
        functions = {
            node.lineno: (node.lineno, node.end_lineno or node.lineno)
            for node in ast.parse(path.read_text()).body
            if isinstance(node, ast.FunctionDef)
        }
        assert all(t.startswith(f"{path}:") for t in targets)
        for condition in postconditions(path):
            holding = [s for s in starts if functions[s][0] <= condition.line <= functions[s][1]]
            assert len(holding) == 1, condition


def test_the_combined_copy_joins_each_functions_conditions_and_keeps_every_line() -> None:
    """Each contract function's ``post:`` lines become one conjunction on the first one's line; the others are left
    blank, so every line keeps its number (verdicts and tracebacks name the written lines)."""
    from proofs.crosshair_gate import combined_source

    source = (
        'def f(x: int) -> int:\n    """\n    pre: x > 0\n    post: __return__ > 0\n    post: __return__ < 9\n    """\n'
    )
    source += '    return x\n\n\ndef g(x: int) -> int:\n    """\n    post: __return__ == x\n    """\n    return x\n'
    text, stands_for = combined_source(source)
    assert stands_for == {1: [4, 5]}  # by the line of f's def
    lines = text.splitlines()
    assert len(lines) == len(source.splitlines())
    assert lines[3] == "    post: (__return__ > 0) and (__return__ < 9)" and lines[4] == ""
    assert lines[11] == "    post: __return__ == x"
    for path in (STEPS_FILE, TARGETS_FILE):
        written = path.read_text().splitlines()
        copy_text, joined = combined_source(path.read_text())
        copy = copy_text.splitlines()
        assert len(copy) == len(written) and joined
        assert all(written[k - 1].startswith("def ") and k < lines[0] for k, lines in joined.items())
        firsts = {lines[0]: lines for lines in joined.values()}
        blanked = {n for lines in joined.values() for n in lines[1:]}
        for number, (mine, theirs) in enumerate(zip(copy, written, strict=True), start=1):
            if number in firsts:
                parts = [written[n - 1].strip()[len("post:") :].strip() for n in firsts[number]]
                assert mine.strip() == "post: " + " and ".join(f"({part})" for part in parts)
            elif number in blanked:
                assert mine == "" and theirs.strip().startswith("post:")
            else:
                assert mine == theirs


HALF_FALSE = """
from kernel.basal import accumulate
from kernel.logic import PY


def half_false(acc: int, rate: int) -> tuple[int, int]:
    \"\"\"
    pre: 0 <= acc < 6000
    pre: 0 <= rate <= 350000
    post: __return__[1] >= 0
    post: __return__[1] < 5999
    \"\"\"
    return accumulate(acc, rate, PY)
"""


def test_a_false_part_of_a_conjunction_gets_its_own_verdict(tmp_path: pathlib.Path) -> None:
    """The conjunction is refuted, so the function is checked again one condition at a time: the true condition
    is confirmed, the false one refuted with its counterexample, and neither is said to be checked jointly."""
    path = tmp_path / "half_false_targets.py"
    path.write_text(HALF_FALSE)
    result = run_gate(30.0, path, wall_limit_s=120.0)
    assert not result.passed
    by_line = {c.line: result.verdict(c) or "" for c in result.conditions}
    true_line, false_line = sorted(by_line)
    assert by_line[true_line] == CONFIRMED
    assert "false when calling" in by_line[false_line], result.output[-2000:]
    assert result.together == {}
