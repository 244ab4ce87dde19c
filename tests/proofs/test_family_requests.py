"""A fast sample of the request-identity proof family, BOL-5 (the whole family runs in the proof suite).

Representative obligations of each half of the assume-guarantee chain are proved on the shipped kernel: a lemma
on the shipped ``recall`` alone, the ghost's consecution for a request step that keeps the memory, the step's replay
behaviour with recall abstracted; and two planted defects are refuted (a remember that overwrites a live entry,
a memory that never counts itself full).  The chain itself is in ``proofs/families/requests.py``.
"""

from __future__ import annotations

from proofs.context import Context, describe
from proofs.families import FAMILY_MODULES, requests
from proofs.framework import run_query
from proofs.weakening import check_weakening

FAST = ("LEMMA-REQ/recall-finds", "GHOST-CONS/REQ-X/request-kept", "BOL5/replay-same-answer/BolusRequest")


def test_representative_request_obligations_are_proved() -> None:
    ctx = Context()
    chosen = [ob for ob in requests.obligations() if ob.id in FAST]
    assert [ob.id for ob in chosen] == list(FAST)
    for ob in chosen:
        result = run_query(ob, ob.build(ctx), describe)
        assert result.status == "proved", (ob.id, result.status, result.detail)


def test_every_request_obligation_names_bol5_and_abstracted_ones_state_the_chain() -> None:
    for ob in requests.obligations():
        assert ob.requirements == ("BOL-5",), ob.id
        abstracted = ob.id.startswith(("BOL5/", "REQ-STEP/", "REQ-MEM/", "GHOST-CONS/REQ-X/request"))
        assert abstracted == any("LEMMA-REQ" in a for a in ob.assumes), ob.id


def test_planted_request_defects_are_refuted() -> None:
    obligations = requests.obligations()
    wanted = {"W-REQ-OVERWRITE-NEWEST", "W-REQ-FORGET-OLDEST"}
    chosen = [w for w in requests.WEAKENINGS if w.id in wanted]
    assert {w.id for w in chosen} == wanted
    for weakening in chosen:
        result = check_weakening(weakening, obligations)
        assert result.caught, (weakening.id, result.tried)


def test_request_family_is_registered() -> None:
    assert "proofs.families.requests" in FAMILY_MODULES
