"""The pump's clients in the simulation: a temp-basal loop controller and the simulated user.

Theory of operation
-------------------
Neither makes a decision for the pump: both talk to it through the
``PumpManager`` facade, as an app and a person would, and the kernel accepts
or refuses.

``LoopController``, every 5 minutes, commands 30-minute temp basals: zero
when the last CGM value is below 80 mg/dL or predicted (straight line through
two readings 5-15 minutes apart, 30 minutes ahead) below 90; a high temp when
predicted above 160 mg/dL (the correction, less net insulin on board, spread
over two hours, capped at max basal); the schedule otherwise (it cancels its
temp).  It knows max basal (apps sync delivery limits) but nothing else: max
IOB, the rolling limits, the sensor rules and low-glucose suspend are the
kernel's.

``SimUser``, every minute: acknowledges each active alarm five minutes after
it appeared; eats and boluses for the meal of the minute; treats lows; and
at 9:00 changes the set and reservoir when the set is 48 hours old or fewer
than 60 U are left.  It reads the pump's status once at the start of its
minute and acts on that.  How it doses and treats lows are its habits
(``UserHabits``, ``USER_HABITS``):

* ``calculator`` (habit ``pump``, the default): the meal bolus is what the
  pump's own bolus calculator recommends (``kernel.calculator.recommend``
  with the counted carbs, the kernel's current CGM reading and its insulin on
  board; ``adapters.sim_world.calculator_settings``), as most pump users
  dose: a glucose below the 100 mg/dL target reduces the meal part, a
  correction above 120 mg/dL is reduced by insulin on board.  Below 70 mg/dL
  (or a sensor "LOW") the calculator gives no recommendation: the person eats
  and tries again every 15 minutes for an hour (a bolus after the meal),
  then gives up on that bolus.  Without the habit (``classic``): counted
  carbs / carb ratio, plus a correction above 150 mg/dL to 120, less net
  insulin on board, capped at max bolus.  Either way, if the pump is in a
  low-glucose suspension the bolus is refused, so the user resumes and asks
  again.
* ``treat_lows`` (habit ``pump``): the "rule of 15" (American Diabetes
  Association; ISPAD 2022 for children): 5 minutes after the CGM first shows
  a value below 70 mg/dL (the Dexcom low alert's default), the person eats
  ``rescue_carbs_g`` of fast carbohydrate, and again each 15 minutes while
  the CGM still shows below 70.  Without the habit lows go untreated.

Units: ``_mgdl``, ``_units`` (U), ``_units_per_hour``, ``_minutes``, ``_g``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.manager import PumpManager, PumpManagerResult, ResultKind
from adapters.manager import PumpManagerStatus as Status
from adapters.shell import PumpShell
from adapters.sim_record import PatientRun, SimDisplay
from adapters.sim_world import MINUTES_PER_DAY, Meal, PatientProfile, calculator_settings, rescue_carbs_g
from kernel import events as ev
from kernel.alarms import AlarmKind
from kernel.calculator import CalcRequest, CalcStatus, recommend
from kernel.config import PumpConfig
from kernel.modes import Mode
from kernel.reasons import Reason
from kernel.settings import TherapySettings
from kernel.units import MU_PER_UNIT


@dataclass(frozen=True)
class UserHabits:
    """How the simulated person doses for meals and treats lows (see module docstring)."""

    name: str
    calculator: bool
    treat_lows: bool


USER_HABITS = {
    habits.name: habits
    for habits in (
        UserHabits("pump", calculator=True, treat_lows=True),
        UserHabits("classic", calculator=False, treat_lows=False),
        UserHabits("calculator", calculator=True, treat_lows=False),
        UserHabits("treat-lows", calculator=False, treat_lows=True),
    )
}
"""``pump`` is the default; ``classic`` is the user of the first baseline (neither habit)."""

LOW_ALERT_MGDL = 70.0
"""The CGM value below which the person treats a low (Dexcom's low alert default; the consensus level 1 low)."""
TREAT_DELAY_MINUTES = 5
"""From the first CGM value below 70 to eating (the same 5 minutes the user takes to acknowledge an alarm)."""
RECHECK_MINUTES = 15
"""The rule of 15: wait 15 minutes, eat again if the CGM still shows below 70 mg/dL."""
BOLUS_RETRY_MINUTES = 15
"""How often the person asks the calculator again for a meal it had no recommendation for."""
BOLUS_GIVE_UP_MINUTES = 60
"""After this long after the meal the person gives up on its bolus."""


def net_iob_units(iob_units: float, profile: PatientProfile) -> float:
    """Insulin on board above what steady scheduled basal keeps on board (the kernel's IOB counts basal too).

    Steady basal at ``b`` U/h keeps about ``b x 2.3`` U on board with the
    kernel's 5-hour insulin-action table; the clients subtract it, as bolus
    calculators do with "net IOB".
    """
    return max(0.0, iob_units - 2.3 * profile.basal_units_per_hour)


@dataclass
class LoopController:
    """A simple temp-basal controller, a client of the pump (see module docstring)."""

    profile: PatientProfile
    max_basal_units_per_hour: float
    target_mgdl: float = 120.0
    low_mgdl: float = 80.0
    horizon_minutes: int = 30
    history: list[tuple[int, float]] = field(default_factory=list)

    def observe(self, minute: int, mgdl: float) -> None:
        self.history = [*self.history[-5:], (minute, mgdl)]

    def predicted_mgdl(self, minute: int) -> float | None:
        if not self.history or minute - self.history[-1][0] > 12:
            return None
        last_minute, last = self.history[-1]
        earlier = [(m, g) for m, g in self.history[:-1] if 5 <= last_minute - m <= 15]
        if not earlier:
            return last
        m0, g0 = earlier[-1]
        slope = (last - g0) / (last_minute - m0)
        return last + slope * self.horizon_minutes

    def decide(self, minute: int, manager: PumpManager) -> PumpManagerResult | None:
        predicted = self.predicted_mgdl(minute)
        if predicted is None:
            return None  # no data: say nothing; the pump falls back to its schedule (TMP-3, SEN-2)
        current = self.history[-1][1]
        basal = self.profile.basal_units_per_hour
        if current < self.low_mgdl or predicted < self.low_mgdl + 10:
            return manager.enact_temp_basal(0.0, 30)
        status = manager.status()
        if predicted > 160:
            needed = (predicted - self.target_mgdl) / self.profile.correction_mgdl_per_unit
            needed -= net_iob_units(status.insulin_on_board_units, self.profile)
            if needed > 0:
                rate = min(self.max_basal_units_per_hour, basal + needed)  # the correction over two hours
                return manager.enact_temp_basal(rate, 30)
        if status.temp_basal_remaining_minutes > 0:
            return manager.cancel_temp_basal()
        return None


class SimUser:
    """The person wearing the pump (see module docstring)."""

    def __init__(
        self,
        run: PatientRun,
        manager: PumpManager,
        settings: TherapySettings,
        profile: PatientProfile,
        controller: LoopController,
        meals: list[Meal],
        display: SimDisplay,
        habits: UserHabits = USER_HABITS["pump"],
    ) -> None:
        self.run = run
        self.habits = habits
        self.display = display
        self.manager = manager
        self.shell: PumpShell = manager.shell
        self.config: PumpConfig = manager.shell.config
        self.settings = settings
        self.profile = profile
        self.controller = controller
        self.meals_at = {meal.minute: meal for meal in meals}
        self.max_bolus_units = settings.max_bolus_pulses * self.config.pulse_mu / MU_PER_UNIT
        self.alarm_seen: dict[AlarmKind, int] = {}
        self.calc_settings = calculator_settings(self.config, profile)
        self.rescue_g = rescue_carbs_g(profile)
        self.low_since: int | None = None
        """The minute the CGM first showed below 70 mg/dL in the current low (None: not low)."""
        self.next_treat = 0
        self.pending: tuple[int, float] | None = None
        """(meal minute, counted g) of a meal the calculator had no recommendation for yet."""
        self.next_try = 0

    def change_set(self, first: bool) -> None:
        """Program the pump (``first``), or change set and reservoir: suspend, rewind, fill, prime, resume."""
        shell, config = self.shell, self.config
        steps: list[object] = [] if first else [ev.Suspend(shell.now), ev.Rewind(shell.now)]
        if first:
            steps.append(ev.SettingsChange(shell.now, self.settings))
        steps += [
            ev.FillReservoir(shell.now, config.reservoir_capacity_pulses),
            ev.PrimeTubing(shell.now, 2600 // config.pulse_mu),
            ev.FillCannula(shell.now, 500 // config.pulse_mu),
            ev.Resume(shell.now),
        ]
        for event in steps:
            result = shell.submit(event)
            if result is not None and not result.outcome.accepted:
                self.run.count(PumpManagerResult(ResultKind.REFUSED, result.outcome.reason))
        self.run.set_changes += 0 if first else 1

    def act(self, minute: int) -> float:
        """The user's minute (see module docstring); returns the carbohydrate eaten now, in g.

        The user reads the pump's status only when there is something to do:
        an alarm was heard and not yet acknowledged, a meal, a meal bolus to
        ask the calculator for again, or 9:00.  Every
        ``ACTIVE`` alarm was announced when it became active, so on any other
        minute the status would show no active alarm and the user would do
        nothing: skipping the read changes nothing but the time it takes.
        """
        manager, run, display = self.manager, self.run, self.display
        carbs = self.treat_low(minute) if self.habits.treat_lows else 0.0
        meal = self.meals_at.get(minute)
        set_check = minute % MINUTES_PER_DAY == 9 * 60 and minute > 0
        retry = self.pending is not None and minute >= self.next_try
        if not (display.heard or meal is not None or set_check or retry):
            return carbs
        display.heard = set()
        status = manager.status()
        for kind in status.active_alarms:
            seen = self.alarm_seen.setdefault(kind, minute)
            if minute - seen >= 5:
                manager.acknowledge_alarm(kind)
                self.alarm_seen.pop(kind, None)
        display.heard |= {int(kind) for kind in self.alarm_seen}
        if meal is not None:
            carbs += meal.carbs_g
            if meal.counted_g > 0 and self.habits.calculator:
                if self.pending is not None:
                    run.missed_boluses += 1
                self.pending = (minute, meal.counted_g)
                retry = True
            elif meal.counted_g > 0:
                units, correction = self.classic_units(meal.counted_g, status.insulin_on_board_units)
                self.bolus(minute, minute, units, correction, status)
        if retry and self.pending is not None:
            self.calculator_bolus(minute, status)
        if set_check:
            set_age_hours = self.shell.state.reservoir.set_age_ticks / 60
            if set_age_hours >= 48 or status.reservoir_units < 60:
                self.change_set(first=False)
        return carbs

    def classic_units(self, counted_g: float, iob_units: float) -> tuple[float, float]:
        """The first baseline's own arithmetic (habit ``classic``): (bolus, its correction part less net IOB), in U."""
        profile, history = self.profile, self.controller.history
        correction = 0.0
        if history and history[-1][1] > 150:
            correction = (history[-1][1] - 120) / profile.correction_mgdl_per_unit
        net_iob = net_iob_units(iob_units, profile)
        wanted = counted_g / profile.carb_ratio_g + correction - net_iob
        return min(max(wanted, 0.0), self.max_bolus_units), max(0.0, correction - net_iob)

    def bolus(self, minute: int, meal_minute: int, units: float, correction_units: float, status: Status) -> None:
        """Ask the pump for ``units``; in a low-glucose suspension resume first (LGS locks out 30 min, SUS-4).

        Every bolus asked for is recorded in ``run.user_boluses`` with what
        the user saw (``BolusRecord``), for ``adapters.sim_lows``.
        """
        manager = self.manager
        asked = manager.enact_bolus(units)
        resumed = asked.reason == Reason.NOT_ALLOWED_IN_MODE and status.mode == Mode.LGS_SUSPENDED
        if resumed:
            self.run.user_resumes += 1
            manager.resume_delivery()
            asked = manager.enact_bolus(units)
        self.run.count(asked)
        history = self.controller.history
        cgm = history[-1][1] if history and minute - history[-1][0] <= 5 else -1.0
        delivered = asked.kind is not ResultKind.REFUSED
        self.run.user_boluses.append(
            (
                minute,
                meal_minute,
                units if delivered else 0.0,
                cgm,
                status.insulin_on_board_units,
                correction_units,
                resumed,
            )
        )

    def calculator_bolus(self, minute: int, status: Status) -> None:
        """Bolus for the pending meal what the pump's calculator recommends now (habit ``calculator``)."""
        assert self.pending is not None
        meal_minute, counted_g = self.pending
        request = CalcRequest(carbs_g=min(self.calc_settings.max_carbs_g, round(counted_g)))
        advice = recommend(self.config, self.shell.state, self.calc_settings, request)
        if advice.status == CalcStatus.GLUCOSE_BELOW_MINIMUM:
            if minute == meal_minute:
                self.run.deferred_boluses += 1
            if minute + BOLUS_RETRY_MINUTES > meal_minute + BOLUS_GIVE_UP_MINUTES:
                self.pending = None
                self.run.missed_boluses += 1
            else:
                self.next_try = minute + BOLUS_RETRY_MINUTES
            return
        self.pending = None
        if advice.status != CalcStatus.RECOMMENDED:
            refusals = self.run.calculator_refusals
            refusals[advice.status.name] = refusals.get(advice.status.name, 0) + 1
            return
        if advice.recommended_pulses > 0:
            correction_units = (advice.correction_mu - advice.iob_applied_mu) / MU_PER_UNIT
            self.bolus(minute, meal_minute, advice.recommended_mu / MU_PER_UNIT, correction_units, status)

    def treat_low(self, minute: int) -> float:
        """The rule of 15 on what the CGM shows (habit ``treat_lows``); returns the carbohydrate eaten now, in g."""
        history = self.controller.history
        if not history or minute - history[-1][0] > 5:
            return 0.0  # no current CGM value (a dropout): the person sees no low
        if history[-1][1] >= LOW_ALERT_MGDL:
            self.low_since = None
            return 0.0
        if self.low_since is None:
            self.low_since = minute
        if minute - self.low_since < TREAT_DELAY_MINUTES or minute < self.next_treat:
            return 0.0
        self.next_treat = minute + RECHECK_MINUTES
        self.run.rescue_carbs.append((minute, self.rescue_g))
        return self.rescue_g
