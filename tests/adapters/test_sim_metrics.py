"""The simulation's measurements on hand-made runs: suspension kinds, justification, alarms, glucose figures."""

from __future__ import annotations

import math

import pytest

from adapters.sim_metrics import population, summarise, suspensions
from adapters.sim_record import PatientRun
from kernel.alarms import AlarmKind, Priority
from kernel.commands import GlucoseUse, LgsEnd
from kernel.modes import Mode

D, L, S = int(Mode.DELIVERING), int(Mode.LGS_SUSPENDED), int(Mode.SUSPENDED)


def _run(bg: list[float]) -> PatientRun:
    run = PatientRun("adult#001", "random", 1, len(bg), lgs_threshold_mgdl=70)
    run.bg_mgdl = bg
    return run


def test_threshold_and_predictive_from_the_reading_the_kernel_had() -> None:
    run = _run([120.0] * 200)
    run.readings = [(0, 100, 0), (3, 68, 0), (6, 150, 0), (9, 72, int(GlucoseUse.IMPLAUSIBLE_JUMP)), (12, 39, 2)]
    # started with 2 readings seen (last valid 68 <= 70): threshold; ended by recovery
    run.mode_changes = [(3, D, L, 2), (20, L, D, 2)]
    # started with 4 seen: the last (72) was not used, the last valid is 150: predictive; the user resumed
    run.mode_changes += [(9, D, L, 4), (10, L, D, 4)]
    # started on a fresh "LOW" (39 < 40): threshold; still running at the end
    run.mode_changes += [(12, D, L, 5)]
    run.lgs_ends = [(20, int(LgsEnd.RECOVERED))]
    found = suspensions(run)
    assert [(e.kind, e.kernel_mgdl, e.minutes, e.ended_by) for e in found] == [
        ("threshold", 68, 17, "recovered"),
        ("predictive", 150, 1, "resumed by the user"),
        ("threshold", 39, 188, "run ended"),
    ]


def test_a_stale_low_is_not_a_threshold_suspension() -> None:
    run = _run([120.0] * 100)
    run.readings = [(0, 120, 0), (3, 39, 2)]
    run.mode_changes = [(40, D, L, 2), (50, L, S, 2)]
    (found,) = suspensions(run)
    assert (found.kind, found.kernel_mgdl, found.ended_by) == ("predictive", 120, "manual suspend")


def test_justified_when_true_glucose_goes_below_70_within_30_minutes() -> None:
    bg = [100.0] * 200
    bg[40] = 69.0  # 30 minutes after a start at 10: justified
    bg[150] = 60.0  # 31 minutes after a start at 119: not
    run = _run(bg)
    run.readings = [(0, 90, 0)]
    run.mode_changes = [(10, D, L, 1), (20, L, D, 1), (119, D, L, 1), (125, L, D, 1)]
    first, second = suspensions(run)
    assert first.justified and first.lowest_30_mgdl == 69.0 and first.lowest_mgdl == 100.0
    assert not second.justified and second.lowest_30_mgdl == 100.0
    s = summarise(run, [first, second])
    assert (s.suspensions, s.justified_suspensions, s.false_suspensions, s.suspension_minutes) == (2, 1, 1, 16)
    assert (s.threshold_suspensions, s.predictive_suspensions, s.longest_suspension_minutes) == (0, 2, 10)


def test_alarms_by_kind_priority_and_who_must_act() -> None:
    """ALM-5: the simulation counts alarms per patient-day by kind and priority, and which need a person."""
    run = _run([100.0] * 1440)
    run.alarms = [
        (5, int(AlarmKind.OCCLUSION), int(Priority.HIGH)),
        (6, int(AlarmKind.LOW_GLUCOSE_SUSPEND), int(Priority.MEDIUM)),
        (7, int(AlarmKind.LOW_GLUCOSE_SUSPEND), int(Priority.MEDIUM)),
        (8, int(AlarmKind.SENSOR_UNAVAILABLE), int(Priority.LOW)),
    ]
    run.shell_alarms = ["CLOCK_JUMP: test"]
    s = summarise(run)
    assert s.alarms_by_kind == {"OCCLUSION": 1, "LOW_GLUCOSE_SUSPEND": 2, "SENSOR_UNAVAILABLE": 1}
    assert s.alarms_by_priority == {"HIGH": 1, "MEDIUM": 2, "LOW": 1}
    assert (s.alarms, s.person_alarms, s.stop_delivery_alarms) == (5, 4, 2)


def test_glucose_figures_from_true_glucose() -> None:
    bg = [50.0] * 10 + [60.0] * 10 + [100.0] * 60 + [200.0] * 10 + [300.0] * 10
    s = summarise(_run(bg))
    assert (s.below_54_pct, s.below_70_pct, s.tir_pct, s.above_180_pct, s.above_250_pct) == (10, 20, 60, 20, 10)
    mean = sum(bg) / len(bg)
    sd = math.sqrt(sum((g - mean) ** 2 for g in bg) / len(bg))
    assert s.mean_mgdl == pytest.approx(mean) and s.cv_pct == pytest.approx(100 * sd / mean)
    assert math.isnan(s.lowest_in_suspension_mgdl) and s.suspensions == 0


def test_population_per_patient_day() -> None:
    one = _run([100.0] * 2880)
    one.readings = [(0, 100, 0)]
    one.mode_changes = [(10, D, L, 1), (40, L, D, 1), (100, D, L, 1), (110, L, D, 1)]
    two = _run([60.0] * 1440)
    two.patient = "child#001"
    episodes = suspensions(one) + suspensions(two)
    figures = population([summarise(one), summarise(two)], episodes)
    assert figures["patient_days"] == 3
    assert figures["suspensions_per_day"] == pytest.approx(2 / 3)
    assert figures["below_70_pct"] == pytest.approx(100 / 3)
    assert figures["mean_suspension_minutes"] == 20 and figures["false_suspension_pct"] == 100
