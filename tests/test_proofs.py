"""The proof run is part of the tests: every obligation proved, every weakened kernel caught.

Also checks the counterexample machinery: under a weakened kernel a failed obligation
yields a concrete step that the real kernel replays, and the generated regression
test fails under the weakening and passes without it (issue 4, item 4).
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

from proofs.model import Context
from proofs.obligations import all_obligations
from proofs.replay import goal_holds
from proofs.report import regression_test_source, requirement_statuses, run_all
from proofs.run import run_obligation
from proofs.weakened import WEAKENINGS

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_every_obligation_proved_and_every_weakening_caught() -> None:
    report = run_all(weakenings=True)
    assert [r.obligation.id for r in report.failures] == []
    assert [w.weakening.id for w in report.missed_weakenings] == []
    assert len(report.results) >= 360
    rows = {row["id"]: row for row in requirement_statuses(report)}
    for rid in ("LIM-1", "LIM-2", "BOL-1", "BAS-4", "OCC-1", "DLV-2", "SUS-4", "ALM-1", "INP-2", "CLK-2"):
        assert rows[rid]["status"] == "proved", rows[rid]


def test_counterexample_replays_and_becomes_a_failing_regression(tmp_path: pathlib.Path) -> None:
    weakening = next(w for w in WEAKENINGS if w.id == "W2-hourly-room-off-by-one")
    obligation = next(o for o in all_obligations() if o.id == "SAFE/hour-window/Tick")
    with weakening.patch():
        result = run_obligation(Context(), obligation)
        assert result.status == "failed"
        cx = result.counterexample
        assert cx is not None and cx.kernel_agrees, "the weakened kernel takes exactly the Z3 step"
        assert not goal_holds(obligation.id, cx.config, cx.before, cx.event)
        source = regression_test_source(result)
    assert goal_holds(obligation.id, cx.config, cx.before, cx.event), "the shipped kernel satisfies it"
    path = tmp_path / "test_cex.py"
    path.write_text(source)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
