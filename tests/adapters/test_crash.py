"""PER-2: the crash test.  A real process is SIGKILLed at every write point; a fresh one recovers.

The CI-sized scenario (``short``: every event kind, every motor fault, about 50
ticks) runs every recovery to the end and compares the final record byte for
byte.  The scripted day runs in the deep profile, each recovery until it is back
on the reference (``adapters.crashtest``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters import crashtest
from adapters.motor import FaultKind
from kernel import events as ev


def test_short_scenario_covers_every_event_kind() -> None:
    scenario = crashtest.short_scenario()
    kinds = {type(make(0)) for _, make in scenario.inputs} | {ev.Tick, ev.MotorReport}
    assert kinds == set(ev.EVENT_CLASSES)
    assert {f.kind for f in scenario.faults} >= {
        FaultKind.LOST_ACK,
        FaultKind.PARTIAL,
        FaultKind.BLOCKED,
        FaultKind.OCCLUSION,
        FaultKind.STALL,
    }


def test_crash_at_every_write_point_of_the_short_scenario(tmp_path: Path) -> None:
    result = crashtest.campaign("short", tmp_path / "crash", jobs=2)
    counts = crashtest.summary(result)
    print(counts)
    assert result.deterministic
    assert result.write_points > 2 * result.reference_saves  # two per save, one per motor command
    assert result.kills == result.write_points == result.recoveries
    assert counts["repeated"] == counts["lost"] == counts["alarms_lost"] == 0
    assert counts["state_differs"] == counts["recovery_failed"] == counts["journal_differs"] == 0
    assert any(v.name == "journal: appended" for v in result.verdicts)  # killed inside the dose journal too
    assert result.clean
    history = crashtest.rebuilt_history(tmp_path / "crash" / "reference", crashtest.short_scenario().end_tick)
    assert history  # the reference journal rebuilds a history (PER-4): there is something to compare


@pytest.mark.deep
def test_crash_at_every_write_point_of_a_scripted_day(tmp_path: Path) -> None:
    result = crashtest.campaign("day", tmp_path / "crash", jobs=2, converge=True)
    print(crashtest.summary(result))
    assert result.clean and result.write_points > 4000
