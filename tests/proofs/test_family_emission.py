"""A fast subset of the emission proof family (``proofs.families.emission``): the emitted commands are the decision's.

The whole family (every obligation and weakening) runs in the proof suite; these tests keep a few
representative obligations and planted defects in the ordinary test run.
"""

from __future__ import annotations

import pytest

from proofs.context import Context, describe
from proofs.families import FAMILY_MODULES
from proofs.families import emission as family
from proofs.framework import run_query
from proofs.weakening import check_weakening

OBLIGATIONS = {ob.id: ob for ob in family.obligations()}


def test_registered_and_well_formed() -> None:
    assert "proofs.families.emission" in FAMILY_MODULES
    assert all(ob.family == family.FAMILY for ob in OBLIGATIONS.values())
    for weakening in family.WEAKENINGS:
        for wanted in weakening.expected:
            assert any(oid == wanted or (wanted.endswith("/") and oid.startswith(wanted)) for oid in OBLIGATIONS)


@pytest.mark.parametrize("oid", ("EMIT-FUNCTION", "EMIT-DELIVER/PrimeTubing", "EMIT-NO-MOTOR/BolusRequest"))
def test_obligation_proved_on_the_shipped_kernel(oid: str) -> None:
    ob = OBLIGATIONS[oid]
    result = run_query(ob, ob.build(Context()), describe)
    assert result.status == "proved", (oid, result.status, result.detail, result.counterexample)


@pytest.mark.parametrize("wid", ("W-EMIT-BOLUS-DROPPED", "W-EMIT-SEQ"))
def test_planted_defect_refuted(wid: str) -> None:
    (weakening,) = [w for w in family.WEAKENINGS if w.id == wid]
    result = check_weakening(weakening, family.obligations())
    assert result.caught, (wid, result.tried)
