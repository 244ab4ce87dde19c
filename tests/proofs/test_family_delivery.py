"""A fast sample of the delivery and reservoir proof families (the full run is ``pumpkernel prove``).

Three representative obligations are proved on the shipped kernel, and two
planted defects (the reservoir never decremented, occlusion evidence ignored)
are refuted.  Requirement IDs: RES-1, DLV-1, OCC-1, OCC-2, EVD-1.
"""

from __future__ import annotations

from proofs.context import Context, describe
from proofs.families import delivery, reservoir
from proofs.framework import run_query
from proofs.weakening import check_weakening

SAMPLE = ("RES-1-ROOM/Tick", "DLV-1-SEQ/Tick", "OCC-2-STOP/Tick")


def test_sample_obligations_are_proved() -> None:
    ctx = Context()
    chosen = [ob for ob in delivery.obligations() + reservoir.obligations() if ob.id in SAMPLE]
    assert sorted(ob.id for ob in chosen) == sorted(SAMPLE)
    for ob in chosen:
        result = run_query(ob, ob.build(ctx), describe)
        assert result.status == "proved", (ob.id, result.status, result.detail)


def test_reservoir_never_drawn_is_caught() -> None:
    weakening = next(w for w in reservoir.WEAKENINGS if w.id == "W-RES1-PRIME-NOT-DRAWN")
    result = check_weakening(weakening, delivery.obligations())
    assert result.caught, result.tried


def test_occlusion_evidence_ignored_is_caught() -> None:
    weakening = next(w for w in delivery.WEAKENINGS if w.id == "W-OCC1-EVIDENCE-IGNORED")
    result = check_weakening(weakening, delivery.obligations())
    assert result.caught, result.tried
