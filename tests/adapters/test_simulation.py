"""Closed loop with simglucose's virtual patients (skipped cleanly without the sim extra)."""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import pytest

from adapters.simulation import PATIENTS, MealScenario, sim_available

pytestmark = pytest.mark.skipif(not sim_available(), reason="the sim extra (simglucose) is not installed")


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


def test_a_short_simulated_day(tmp_path: Path) -> None:
    from adapters.simulation import simulate_patient, summarise

    run = simulate_patient("adolescent#001", days=1, scenario="standard", seed=1)
    s = summarise(run)
    assert len(run.bg_mgdl) == 1440 and run.cgm and run.steps > 1440
    assert s.basal_units > 5 and s.bolus_units > 5
    assert sum(run.displaced_pulses) == sum(run.basal_pulses) + sum(run.bolus_pulses)  # ideal motor
    assert 0 <= s.time_below_70_pct <= s.time_below_70_pct + s.time_in_range_pct <= 100.0001
    assert s.time_in_range_pct > 50 and not run.shell_alarms
    assert 0 < run.kernel_s < run.total_s


def test_pumpkernel_simulate_writes_plot_and_summary(tmp_path: Path) -> None:
    from pumpkernel import simulate

    args = argparse.Namespace(
        patients="child#001", days=1, scenario="random", seed=2, jobs=1, out=tmp_path, focus=None, no_plot=False
    )
    assert simulate.run(args) == 0
    png = tmp_path / "simulate.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 50_000
    assert (tmp_path / "summary.csv").read_text().startswith("patient,")


@pytest.mark.deep
def test_all_thirty_patients_two_days(tmp_path: Path) -> None:
    from pumpkernel import simulate

    args = argparse.Namespace(
        patients="all", days=2, scenario="random", seed=1, jobs=2, out=tmp_path, focus=None, no_plot=False
    )
    assert simulate.run(args) == 0
