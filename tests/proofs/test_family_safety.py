"""Fast subset of the suspend, sensing, alarms and alarm-burden proof families (the full run is the suite's).

Representative obligations pass on the shipped kernel and planted defects are refuted: the duration cap, the
minimum suspension before a resume (SUS-4, issue 18), the high-alarm gate and the repetition count (issue 18).
"""

from __future__ import annotations

from proofs.context import Context, describe
from proofs.families import alarm_burden, alarms, sensing, suspend
from proofs.framework import run_query
from proofs.weakening import check_weakening

PASSING = {
    sensing: ("SEN-NOTICE", "SEN-4-NO-MODE"),
    suspend: ("SUS-1-NO-THERAPY", "SUS-4-ENDS-AT-CAP", "SUS-3-PREDICTED", "SUS-4-EARLY/GlucoseReading"),
    alarms: ("ALM-1-HIGH-STOPS",),
    alarm_burden: ("ALM-REPEAT-DUE", "ALM-REPEAT/Tick", "ALM-LGS-MEASURED/GlucoseReading"),
}


def test_representative_obligations_are_proved() -> None:
    ctx = Context()
    for module, ids in PASSING.items():
        for ob in module.obligations():
            if ob.id in ids:
                result = run_query(ob, ob.build(ctx), describe)
                assert result.status == "proved", (ob.id, result.status, result.detail)


def test_planted_defects_are_refuted() -> None:
    for module, wid in (
        (suspend, "W-SUS4-NO-DURATION-END"),
        (suspend, "W-SUS4-NO-MIN-DURATION"),
        (alarms, "W-ALM1-NO-HIGH-GATE"),
        (alarm_burden, "W-ALM-REPEAT-COUNT-KEPT"),
    ):
        weakening = next(w for w in module.WEAKENINGS if w.id == wid)
        result = check_weakening(weakening, module.obligations())
        assert result.caught, (wid, result.tried)
