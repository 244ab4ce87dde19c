"""The small-scope search's pump and where it starts: a scaled-down configuration and seeded roots.

Theory of operation
-------------------
``SMALL_CONFIG`` is a pump scaled down until a breadth-first search can visit
every reachable state near a starting point: a 6-pulse reservoir, the
shortest window buckets the structural rules allow (5-tick "hour" buckets,
60-tick "day" buckets: the rings must cover an hour and a day), a 2-pulse max
bolus, an occlusion after 2 samples, timers of a few ticks.  It passes every
*structural* rule of ``kernel.config`` (what the proofs assume:
``config_problems(c, clinical=False)`` is empty); it breaks the clinical
catalogue ranges on purpose, which no proof or invariant depends on.

A *root* is a state the search starts from.  Every root is reached from
``initial_state(SMALL_CONFIG)`` by a scripted sequence of events through the
real ``kernel.step`` (each event must be accepted; every Deliver is answered
by an exact motor report), so every root is a reachable state and every
state the search finds from it is reachable too.  The roots are *seeds*:
each puts the pump a few ticks before something the horizon alone would
need exponentially many states to reach (a set about to expire, a pump idle
for almost the auto-off time, a reservoir about to run dry, rolling windows
one pulse from their limit).  From each root the search is exhaustive
within its horizon (``property_tests.small_scope``).

``ROOTS`` names each seed and what it is for; ``build_root`` replays it.
Units: ``_pulses``, ``_ticks``, ``_pph``; requirement IDs as in
``specs.invariants``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kernel import events as ev
from kernel.commands import Deliver
from kernel.config import PumpConfig
from kernel.settings import TherapySettings
from kernel.state import PumpState, evolve, initial_state
from kernel.step import step
from kernel.units import SLOTS_PER_DAY

SMALL_CONFIG = PumpConfig(
    pulse_mu=100,
    reservoir_capacity_pulses=6,
    bolus_pulses_per_tick=2,
    prime_max_pulses=2,
    cannula_min_pulses=1,
    cannula_max_pulses=1,
    occlusion_pressure_kpa=150,
    occlusion_consecutive_samples=2,
    occlusion_undisplaced_pulses=2,
    motor_ack_timeout_ticks=1,
    hour_bucket_ticks=5,
    day_bucket_ticks=60,
    reservoir_very_low_pulses=1,
    suspend_reminder_ticks=2,
    lgs_max_ticks=3,
    lgs_lockout_ticks=2,
    lgs_predict_margin_mgdl=20,
    lgs_predict_band_mgdl=40,
    lgs_trend_span_min_ticks=3,
    lgs_min_ticks=1,
    lgs_resume_margin_mgdl=10,
    alarm_repeat_ticks=2,
    temp_min_ticks=1,
    temp_max_ticks=3,
    temp_percent_max=250,
    controller_temp_max_ticks=2,
    extended_min_ticks=2,
    extended_max_ticks=3,
    glucose_min_mgdl=40,
    glucose_max_mgdl=400,
    glucose_max_age_ticks=2,
    glucose_max_future_ticks=1,
    glucose_max_change_mgdl_per_tick=8,
    max_bolus_ceiling_pulses=3,
    max_basal_ceiling_pph=60,
    max_hourly_ceiling_pulses=10,
    max_daily_ceiling_pulses=10,
    max_iob_ceiling_pulses=4,
    reservoir_low_min_pulses=2,
    reservoir_low_max_pulses=3,
    lgs_threshold_min_mgdl=60,
    lgs_threshold_max_mgdl=90,
    auto_off_min_ticks=4,
    auto_off_max_ticks=5,
    set_reminder_min_ticks=2,
    set_max_age_ceiling_ticks=6,
    requests_per_day_max=4,
    remote_is_person_held=False,
)
"""The scaled-down pump (structurally valid; see module docstring)."""

SMALL_SETTINGS = TherapySettings(
    basal_slots_pph=(10,) + (0,) * (SLOTS_PER_DAY - 1),
    max_basal_pph=10,
    max_bolus_pulses=2,
    max_hourly_pulses=10,
    max_daily_pulses=10,
    max_iob_pulses=3,
    dia_index=0,
    reservoir_low_pulses=2,
    set_reminder_ticks=3,
    set_max_age_ticks=6,
    auto_off_ticks=5,
    lgs_threshold_mgdl=70,
    lgs_enabled=True,
    predictive_suspend_enabled=True,
    remote_bolus_enabled=True,
    controller_enabled=True,
)
"""Settings for the scaled-down pump: a pulse of basal every six ticks, a 2-pulse max bolus, 10 pulses a "day"."""

TIGHT_SETTINGS = evolve(
    SMALL_SETTINGS,
    basal_slots_pph=(3,) + (0,) * (SLOTS_PER_DAY - 1),
    max_basal_pph=3,
    max_hourly_pulses=3,
    max_daily_pulses=3,
    lgs_enabled=False,
    predictive_suspend_enabled=False,
    auto_off_ticks=0,
)
"""Settings whose 3-pulse limits bind within two boluses (LIM-1, LIM-3); a change to them can be refused."""


class _Driver:
    """Replays a root's script through the real step; every Deliver is answered exactly at once."""

    def __init__(self, config: PumpConfig) -> None:
        self.config = config
        self.state = initial_state(config)

    def send(self, event: object) -> None:
        result = step(self.config, self.state, event)
        assert result.outcome.accepted, f"root script: {type(event).__name__} refused ({result.outcome.reason!r})"
        self.state = result.state
        for command in result.commands:
            if isinstance(command, Deliver):
                self.send(ev.MotorReport(self.state.now_ticks, command.seq, command.pulses))

    def tick(self, count_ticks: int, *, present: bool = False) -> None:
        """``count_ticks`` ticks, each followed by ``UserPresent`` when ``present`` (keeps auto-off away)."""
        for _ in range(count_ticks):
            self.send(ev.Tick(self.state.now_ticks + 1))
            if present:
                self.send(ev.UserPresent(self.state.now_ticks))

    def set_up(self, settings: TherapySettings, fill_pulses: int = 6, *, resume: bool = True) -> None:
        """Settings, the reservoir change sequence (RES-3) and, unless ``resume`` is false, resume."""
        now = self.state.now_ticks
        self.send(ev.SettingsChange(now, settings))
        self.send(ev.FillReservoir(now, fill_pulses))
        self.send(ev.PrimeTubing(now, 1))
        self.send(ev.FillCannula(now, 1))
        if resume:
            self.send(ev.Resume(now))


@dataclass(frozen=True)
class Root:
    """A named starting point of the search and the script that reaches it."""

    name: str
    purpose: str
    script: Callable[[_Driver], None]


def _new(d: _Driver) -> None:
    """Nothing: the new pump."""


def _delivering(d: _Driver) -> None:
    d.set_up(SMALL_SETTINGS)


def _primed(d: _Driver) -> None:
    now = d.state.now_ticks
    d.send(ev.SettingsChange(now, SMALL_SETTINGS))
    d.send(ev.FillReservoir(now, 6))
    d.send(ev.PrimeTubing(now, 1))


def _almost_empty(d: _Driver) -> None:
    d.set_up(SMALL_SETTINGS, fill_pulses=3)


def _old_set(d: _Driver) -> None:
    d.set_up(SMALL_SETTINGS)
    d.tick(SMALL_SETTINGS.set_max_age_ticks - 1, present=True)


def _idle(d: _Driver) -> None:
    d.set_up(SMALL_SETTINGS)
    d.tick(SMALL_SETTINGS.auto_off_ticks - 1)


def _at_the_limit(d: _Driver) -> None:
    d.set_up(TIGHT_SETTINGS)
    d.send(ev.BolusRequest(d.state.now_ticks, 7, ev.Source.USER, 0, 2, 2))


ROOTS: tuple[Root, ...] = (
    Root("new", "a new pump (REWOUND, zero settings): the reservoir-change sequence and every refusal", _new),
    Root("delivering", "set up and delivering at tick 0: most of the event classes' behaviour", _delivering),
    Root("primed", "tubing primed, cannula not filled: PRIMED and READY (RES-3)", _primed),
    Root("almost-empty", "delivering with 1 pulse left: EMPTY and RESERVOIR_EMPTY (RES-1)", _almost_empty),
    Root("old-set", "a set one tick short of its maximum age, user present: SET_EXPIRED (RES-4)", _old_set),
    Root("idle", "no user interaction for one tick short of auto-off: AUTO_OFF (ALM-2)", _idle),
    Root(
        "at-the-limit",
        "tight 3-pulse limits, an extended bolus of 2 running: a bolus on top is cut, LIMIT_REACHED (LIM-1..3)",
        _at_the_limit,
    ),
)
"""Every root, in search order."""


def build_root(root: Root, config: PumpConfig = SMALL_CONFIG) -> PumpState:
    """The state ``root``'s script reaches from ``initial_state(config)`` (raises if a scripted event is refused)."""
    driver = _Driver(config)
    root.script(driver)
    return driver.state
