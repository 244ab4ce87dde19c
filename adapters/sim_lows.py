"""What drove each low: the episodes of true glucose below 70 mg/dL of a run, with the insulin and carbs before them.

Theory of operation
-------------------
An *episode* is a stretch of minutes with true glucose (the patient model's,
``PatientRun.bg_mgdl``) below 70 mg/dL; stretches less than 20 minutes apart
are one episode.  For each, ``attribute`` looks back from its nadir:

* the **last meal bolus** the user gave in the 10 hours before the episode
  began
  (``PatientRun.user_boluses``: units, the CGM value and insulin on board the
  user saw, the correction part, whether the user resumed a low-glucose
  suspension to give it) and the meal it was for (carbs eaten and counted);
* the **controller's extra basal**: insulin delivered as basal in the 6 hours
  (and in the 12 hours) before the nadir less the scheduled basal of those
  minutes (negative when suspensions and zero temps withheld more than temps
  added);
* minutes in a low-glucose suspension in those 6 hours, and the rescue
  carbohydrate eaten during the episode.

The *driver* is the first of these rules that holds, a plain reading of the
numbers, not a causal proof (a bolus given during the episode is added to
it as an aggravation): the model collapsed (nadir <= 1 mg/dL); the user
resumed a suspension to give that bolus; the bolus was given at a CGM value
below 90 mg/dL; its correction part was at least 40 % of it; the carbs were
over-counted by more than 15 %; the controller added at least a quarter of
the bolus as extra basal in the 6 hours, or more than 1 U in the 12 hours
when the bolus was more than 5 hours before the nadir; otherwise a meal bolus
counted within 15 % (the patient's carb ratio is strong for its model, or the
meal's timing).  With no bolus in the 10 hours: the controller's extra basal
if above 0.2 U in 12 hours, else the patient model's own drift.

``python -m adapters.sim_lows --patients child#001,child#004 --days 7 --seed 1 --user classic``
prints a Markdown table per patient.  Units: ``_mgdl``, ``_units`` (U), ``_g``, ``_minutes``.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Sequence
from dataclasses import dataclass

from adapters.sim_record import PatientRun
from adapters.sim_world import MINUTES_PER_DAY, load_profile

LOW_MGDL = 70.0
MERGE_GAP_MINUTES = 20
BOLUS_LOOKBACK_MINUTES = 600
BASAL_LOOKBACK_MINUTES = 360
EARLIER_LOOKBACK_MINUTES = 720
LGS_SUSPENDED = 6
"""``kernel.modes.Mode.LGS_SUSPENDED`` (checked in the tests)."""


@dataclass(frozen=True)
class LowEpisode:
    """One episode below 70 mg/dL and what came before it (see module docstring)."""

    start_minute: int
    minutes: int
    nadir_mgdl: float
    nadir_minute: int
    bolus_minute: int
    """-1: no meal bolus in the 6 hours before the nadir."""
    bolus_units: float
    bolus_cgm_mgdl: float
    bolus_iob_units: float
    correction_units: float
    resumed: bool
    eaten_g: float
    counted_g: float
    extra_basal_units: float
    extra_basal_12h_units: float
    suspended_minutes: int
    rescue_g: float
    driver: str


def clock(minute: int) -> str:
    """``d3 14:05``: day (from 1) and time of day of a run's minute."""
    day, rest = divmod(minute, MINUTES_PER_DAY)
    return f"d{day + 1} {rest // 60:02d}:{rest % 60:02d}"


def episodes(bg_mgdl: Sequence[float]) -> list[tuple[int, int]]:
    """(first, last) minute of each stretch below 70 mg/dL, merging stretches less than 20 minutes apart."""
    found: list[tuple[int, int]] = []
    for minute, mgdl in enumerate(bg_mgdl):
        if mgdl >= LOW_MGDL:
            continue
        if found and minute - found[-1][1] <= MERGE_GAP_MINUTES:
            found[-1] = (found[-1][0], minute)
        else:
            found.append((minute, minute))
    return found


def attribute(run: PatientRun, scheduled_basal_units_per_hour: float) -> list[LowEpisode]:
    """Every low episode of ``run`` with its driver (see module docstring)."""
    bg, unit = run.bg_mgdl, run.pulse_mu / 1000
    meals = {meal.minute: meal for meal in run.meals}
    result = []
    for first, last in episodes(bg):
        nadir = min(bg[first : last + 1])
        at = first + bg[first : last + 1].index(nadir)
        before = [b for b in run.user_boluses if at - BOLUS_LOOKBACK_MINUTES <= b[0] < first and b[2] > 0]
        during = [b for b in run.user_boluses if first <= b[0] <= last and b[2] > 0]
        window = max(0, at - BASAL_LOOKBACK_MINUTES)
        extra = sum(run.basal_pulses[window:at]) * unit - scheduled_basal_units_per_hour * (at - window) / 60
        early = max(0, at - EARLIER_LOOKBACK_MINUTES)
        extra_12h = sum(run.basal_pulses[early:at]) * unit - scheduled_basal_units_per_hour * (at - early) / 60
        suspended = sum(1 for mode in run.modes[window:at] if mode == LGS_SUSPENDED)
        rescue = sum(g for minute, g in run.rescue_carbs if first <= minute <= last)
        if before:
            minute, meal_minute, units, cgm, iob, correction, resumed = before[-1]
            meal = meals.get(meal_minute)
            eaten, counted = (meal.carbs_g, meal.counted_g) if meal is not None else (0.0, 0.0)
        else:
            minute, units, cgm, iob, correction, resumed, eaten, counted = -1, 0.0, -1.0, 0.0, 0.0, False, 0.0, 0.0
        if nadir <= 1:
            driver = "model collapse"
        elif minute < 0:
            driver = "controller temps" if extra_12h > 0.2 else "no bolus: the model's own drift"
        elif resumed:
            driver = "resumed a suspension to bolus" + (f" (CGM {cgm:.0f})" if cgm >= 0 else "")
        elif 0 <= cgm < 90:
            driver = f"meal bolus at CGM {cgm:.0f}"
        elif correction >= 0.4 * units:
            driver = f"correction in the bolus (CGM {cgm:.0f}, IOB {iob:.1f} U)"
        elif eaten > 0 and counted > 1.15 * eaten:
            driver = f"carbs over-counted (+{100 * (counted / eaten - 1):.0f} %)"
        elif extra >= 0.25 * units:
            driver = "controller temps"
        elif at - minute > 300 and extra_12h > 1.0:
            driver = f"controller temps (earlier: {extra_12h:+.1f} U in 12 h)"
        else:
            driver = "meal bolus counted within 15 %"
        if during:
            b = during[0]
            how = "resumed a suspension, " if b[6] else ""
            driver += f"; then a bolus during the low ({b[2]:.2f} U, {how}CGM {b[3]:.0f})"
        result.append(
            LowEpisode(
                first, last - first + 1, nadir, at, minute, units, cgm, iob, correction, resumed, eaten, counted,
                extra, extra_12h, suspended, rescue, driver,
            )
        )  # fmt: skip
    return result


def markdown(patient: str, run: PatientRun, found: list[LowEpisode]) -> str:
    """One patient's episodes as a Markdown table."""
    n = max(1, len(run.bg_mgdl))
    below = 100 * sum(1 for g in run.bg_mgdl if g < LOW_MGDL) / n
    lines = [
        f"**{patient}** ({run.user_habits}, seed {run.seed}): {below:.2f} % below 70, {len(found)} episodes",
        "",
        "| start | min | nadir | bolus | carbs eaten/counted g | U | CGM | IOB U | corr. U | extra basal U 6 h | "
        "12 h | LGS min | rescue g | driver |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e in found:
        bolus = clock(e.bolus_minute) if e.bolus_minute >= 0 else "-"
        cgm = f"{e.bolus_cgm_mgdl:.0f}" if e.bolus_cgm_mgdl >= 0 else "-"
        lines.append(
            f"| {clock(e.start_minute)} | {e.minutes} | {e.nadir_mgdl:.0f} | {bolus} "
            f"| {e.eaten_g:.0f}/{e.counted_g:.0f} "
            f"| {e.bolus_units:.2f} | {cgm} | {e.bolus_iob_units:.2f} | {e.correction_units:.2f} "
            f"| {e.extra_basal_units:+.2f} | {e.extra_basal_12h_units:+.2f} | {e.suspended_minutes} "
            f"| {e.rescue_g:.0f} | {e.driver} |"
        )
    return "\n".join(lines)


def _run(patient: str, days: int, seed: int, habits: str) -> tuple[PatientRun, float]:
    from adapters.simulation import PatientTask, run_task

    run = run_task(PatientTask(patient, days * MINUTES_PER_DAY, "random", seed, habits))
    profile, _ = load_profile(patient)
    scheduled_pulses = max(1, int(profile.basal_units_per_hour * 1000) // run.pulse_mu)  # as sim_world programs it
    return run, scheduled_pulses * run.pulse_mu / 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m adapters.sim_lows", description=__doc__.splitlines()[0])
    parser.add_argument("--patients", required=True, help="names separated by commas")
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--user", default="pump", help="the user's habits (adapters.sim_clients.USER_HABITS)")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    from pumpkernel.fanout import fan_out

    names = [name.strip() for name in args.patients.split(",") if name.strip()]
    job = functools.partial(_run, days=args.days, seed=args.seed, habits=args.user)
    for name, (run, scheduled) in zip(names, fan_out(job, names, processes=args.jobs), strict=True):
        print(markdown(name, run, attribute(run, scheduled)), end="\n\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
