"""Fast subset of the suspend, sensing and alarms proof families (the full run is the proof suite's).

Representative obligations pass on the shipped kernel and two planted defects are refuted.
"""

from __future__ import annotations

from proofs.context import Context, describe
from proofs.families import alarms, sensing, suspend
from proofs.framework import run_query
from proofs.weakening import check_weakening

PASSING = {
    sensing: ("SEN-NOTICE", "SEN-4-NO-MODE"),
    suspend: ("SUS-1-NO-THERAPY", "SUS-4-ENDS-AT-CAP"),
    alarms: ("ALM-1-HIGH-STOPS",),
}


def test_representative_obligations_are_proved() -> None:
    ctx = Context()
    for module, ids in PASSING.items():
        for ob in module.obligations():
            if ob.id in ids:
                result = run_query(ob, ob.build(ctx), describe)
                assert result.status == "proved", (ob.id, result.status, result.detail)


def test_planted_defects_are_refuted() -> None:
    for module, wid in ((suspend, "W-SUS4-NO-DURATION-END"), (alarms, "W-ALM1-NO-HIGH-GATE")):
        weakening = next(w for w in module.WEAKENINGS if w.id == wid)
        result = check_weakening(weakening, module.obligations())
        assert result.caught, (wid, result.tried)
