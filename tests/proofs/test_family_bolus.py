"""A fast sample of the bolus proof family (the whole family runs in the proof suite).

Three representative obligations are proved on the shipped kernel (BOL-1, BOL-3, BOL-6) and two planted
defects are refuted (max-bolus guard dropped, cancellation ignored).  The family's theory of operation is in
``proofs/families/bolus.py``.
"""

from __future__ import annotations

from proofs.context import Context, describe
from proofs.families import bolus
from proofs.framework import run_query
from proofs.weakening import check_weakening

FAST = ("BOL1/above-max-refused", "BOL3/speed", "BOL6/next-tick-silent")


def test_representative_bolus_obligations_are_proved() -> None:
    ctx = Context()
    chosen = [ob for ob in bolus.obligations() if ob.id in FAST]
    assert [ob.id for ob in chosen] == list(FAST)
    for ob in chosen:
        result = run_query(ob, ob.build(ctx), describe)
        assert result.status == "proved", (ob.id, result.status, result.detail)


def test_planted_bolus_defects_are_refuted() -> None:
    obligations = bolus.obligations()
    wanted = {"W-BOL-MAX-BOLUS", "W-BOL-CANCEL-IGNORED"}
    chosen = [w for w in bolus.WEAKENINGS if w.id in wanted]
    assert {w.id for w in chosen} == wanted
    for weakening in chosen:
        result = check_weakening(weakening, obligations)
        assert result.caught, (weakening.id, result.tried)
