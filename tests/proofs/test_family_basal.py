"""A fast sample of the basal family (BAS-2..4, TMP-1..3): representative proofs pass, planted defects caught.

The whole family runs in the proof suite (``pumpkernel prove``); this is a sample: 3 of its obligations and
2 of its weakenings.
"""

from __future__ import annotations

from proofs.context import Context, describe
from proofs.families import basal
from proofs.framework import Obligation, run_query
from proofs.weakening import check_weakening


def _by_id(oid: str) -> Obligation:
    return next(ob for ob in basal.obligations() if ob.id == oid)


def test_representative_obligations_prove() -> None:
    ctx = Context()
    for oid in ("BAS-2/no-drift", "BAS-4/per-tick", "TMP-3/controller-duration"):
        ob = _by_id(oid)
        result = run_query(ob, ob.build(ctx), describe)
        assert result.status == "proved", (oid, result.status, result.detail)


def test_weakenings_are_caught() -> None:
    obligations = basal.obligations()
    for wid in ("basal/rate-unclamped", "basal/time-offset-wrap"):
        weakening = next(w for w in basal.WEAKENINGS if w.id == wid)
        assert check_weakening(weakening, obligations).caught, wid
