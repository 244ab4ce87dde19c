"""tools.calculator_proof_mutants: how a mutant's obligation statuses are counted (CALC-1..4; EVD-2)."""

from __future__ import annotations

from tools.calculator_proof_mutants import SECOND_SET_PREFIXES, summary


def _row(**statuses: str) -> dict[str, object]:
    return {"mutant": "m", "result": "scored", "statuses": {k.replace("_", "/", 1): v for k, v in statuses.items()}}


def test_anything_but_proved_refutes_and_sets_are_counted_apart() -> None:
    rows: list[dict[str, object]] = [
        _row(CALC1_a="proved", CALC2_b="failed"),  # only the second set
        _row(CALC1_a="unknown", CALC3_c="proved"),  # only the first
        _row(CALC1_a="proved", CALC2_b="proved"),  # neither
        _row(CALC4_a="error", CALC2_b="unknown"),  # both
        {"mutant": "t", "result": "timeout"},
        {"mutant": "i", "result": "import-error"},
    ]
    assert all(prefix.endswith("/") for prefix in SECOND_SET_PREFIXES)
    assert summary(rows) == {
        "scored": 5,
        "first": 3,
        "second": 3,
        "second_only": 1,
        "neither": 1,
        "timeout": 1,
        "import_error": 1,
    }
