"""Closed loop with simglucose's virtual patients (skipped cleanly without the sim extra)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from adapters.simulation import PATIENTS, MealScenario, sim_available

pytestmark = pytest.mark.skipif(not sim_available(), reason="the sim extra (simglucose) is not installed")

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPLBACKEND", "Agg")
    warnings.filterwarnings("ignore", category=DeprecationWarning)


def test_thirty_patients_and_meal_scenarios() -> None:
    assert len(PATIENTS) == 30
    standard = MealScenario("standard").meals(2, "adult#001")
    assert len(standard) == 8 and all(m.counted_g == m.carbs_g for m in standard)
    random_meals = MealScenario("random", seed=4).meals(1, "child#001")
    assert random_meals == MealScenario("random", seed=4).meals(1, "child#001")


def test_a_short_simulated_run() -> None:
    from adapters.sim_metrics import summarise
    from adapters.simulation import TIMING_PARTS, simulate_patient

    run = simulate_patient("adolescent#001", minutes=8 * 60, scenario="standard", seed=1)
    s = summarise(run)
    assert len(run.bg_mgdl) == len(run.modes) == 480 and run.steps > 480 and s.days == pytest.approx(1 / 3)
    assert 120 < len(run.cgm) <= 160 and [m.minute for m in run.meals] == [420]  # 7:00 breakfast, inside the 8 hours
    assert s.basal_units > 1 and s.bolus_units > 1
    assert sum(run.displaced_pulses) == sum(run.basal_pulses) + sum(run.bolus_pulses)  # ideal motor
    assert 0 <= s.below_70_pct <= s.below_70_pct + s.tir_pct <= 100.0001
    assert s.tir_pct > 50 and not run.shell_alarms
    assert all(verdict == 0 for _, _, verdict in run.readings)  # every reading taken by the kernel
    assert set(run.timing_s) == set(TIMING_PARTS) and 0 < run.timing_s["kernel"] < run.total_s
    assert sum(run.timing_s.values()) == pytest.approx(run.total_s, rel=1e-3)


def test_pumpkernel_simulate_writes_report_and_figures(tmp_path: Path) -> None:
    from pumpkernel import simulate

    args = simulate.arguments(["--patients", "child#001", "--hours", "4", "--seed", "2", "--jobs", "1"])
    args.out = tmp_path
    assert simulate.run(args) == 0
    for name in ("summary.png", "agp_population.png", "agp_patients.png", "simulate.png", "agp/child_001.png"):
        png = tmp_path / name
        assert png.read_bytes()[:8] == PNG and png.stat().st_size > 10_000, name
    assert (tmp_path / "summary.csv").read_text().startswith("patient,")
    assert (tmp_path / "suspensions.csv").read_text().startswith("patient,start_minute,")
    assert "LOW_GLUCOSE_SUSPEND,MEDIUM" in (tmp_path / "alarms.csv").read_text()
    data = json.loads((tmp_path / "summary.json").read_text())
    assert data["run"]["seed"] == 2 and data["run"]["scenario"] == "random" and data["run"]["minutes"] == 240
    assert (
        data["run"]["command"]
        == "pumpkernel simulate --patients child#001 --hours 4 --scenario random --seed 2 --user pump"
    )
    assert {a["figure"] for a in data["anchors"]} >= {"low-glucose suspensions per patient-day"}
    assert set(data["timing"]["parts_s"]) >= {"kernel", "patient_model", "controller", "adapters"}


@pytest.mark.deep
def test_all_thirty_patients_two_days(tmp_path: Path) -> None:
    from pumpkernel import simulate

    args = simulate.arguments(
        ["--patients", "all", "--days", "2", "--seed", "1", "--jobs", "2", "--out", str(tmp_path)]
    )
    assert simulate.run(args) == 0
