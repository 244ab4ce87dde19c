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
        (alarm_burden, "W-ALM-REPEAT-COUNT-RESET"),
    ):
        weakening = next(w for w in module.WEAKENINGS if w.id == wid)
        result = check_weakening(weakening, module.obligations())
        assert result.caught, (wid, result.tried)


def test_reference_trend_is_the_least_squares_line() -> None:
    """The reference prediction (SUS-3) agrees with the least-squares line computed in exact fractions.

    A sample of 3000 seeded random histories at equal steps; the line is fitted over the readings' real
    times, independently of both the reference's normal-equation form and the kernel's fixed weights.
    """
    import random
    from fractions import Fraction

    from kernel.logic import PY
    from kernel.state import NO_GLUCOSE
    from specs import reference_safety as rs

    rng = random.Random(18)
    for _ in range(3000):
        step = rng.randint(1, 10)
        ys = [rng.randint(40, 400) for _ in range(4)]  # oldest first
        times = [100 - 3 * step + k * step for k in range(4)]
        mean_t, mean_y = Fraction(sum(times), 4), Fraction(sum(ys), 4)
        slope = sum((t - mean_t) * (y - mean_y) for t, y in zip(times, ys, strict=True)) / sum(
            (t - mean_t) ** 2 for t in times
        )
        predicted = mean_y + slope * (times[-1] + rs.HORIZON_TICKS - mean_t)
        level = rng.randint(60, 200)
        g = NO_GLUCOSE._replace(
            mgdl=ys[3],
            measured_tick=times[3],
            valid=True,
            older_mgdl=(ys[2], ys[1], ys[0]),
            older_ticks=(times[2], times[1], times[0]),
            older_valid=(True, True, True),
        )
        if 3 * step < rs.SPAN_MIN_TICKS:
            continue
        assert bool(rs.predicted_at_most(g, level, PY)) == (predicted <= level), (ys, step, level)
        assert (rs.slope20(g) > 0) == (slope > 0)
