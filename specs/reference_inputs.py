"""Reference specifications for the inputs family: bad input, time, settings (INP, CLK, CFG).

Theory of operation
-------------------
What the pump must do with what it is told, restated from the catalogue in
plain terms, without the kernel's decision helpers (``specs.reference`` says
why).  Each function reads only kernel data types and tables (the event
schema, the settings record, ``SettingsRule`` names) and is written in the
logic primitives, so it runs on Python values and on Z3 terms alike:

* ``expected_tick``: a ``Tick`` carries the next minute, every other event
  the current one (CLK-1, CLK-2);
* ``fields_in_range``: every integer field inside the event schema's static
  range (INP-1);
* ``nothing_but_its_answer``: what a refused (or replayed) event may change:
  nothing but, for a request decided now, the newest entry of the request
  memory (INP-1, INP-2, BOL-5); the symbolic twin of
  ``specs.refusals.refusal_kept_only_its_answer``;
* ``one_minute_bound``: the most one minute may command: one minute of the
  maximum basal rate plus less than one pulse carried, and the bolus speed
  (CLK-1: no burst of catch-up delivery);
* ``settings_rules``: every settings rule by its name, restated field by field
  (CFG-1, CFG-2, CFG-3, BAS-1), and ``failed_rule_mask`` the set of failed
  rules as the bit mask the outcome reports;
* ``catalogue_consistent``: the cross-field pairs the catalogue names (CFG-2);
* ``within_hard_ceilings_mu`` / ``builder_ceilings``: the catalogue's hard
  ceilings in milliunits (CFG-3: 30 U bolus, 35 U/h basal, 250 U a day), and
  what the device builder checks of a configuration's ceilings (an assumption).

Units: ``_pulses``, ``_pph``, ``_ticks``, ``_mu``.
"""

from __future__ import annotations

from typing import Any

import kernel.config as config_module
from kernel import events as ev
from kernel.config import PumpConfig
from kernel.logic import Logic
from kernel.reasons import Reason
from kernel.settings import DIA_CHOICES, SettingsRule, TherapySettings
from kernel.state import PumpState
from kernel.units import ALLOWED_PULSE_MU

MINUTE_ACC_UNITS = 6000
"""Hundredths of a pulse per hour times 60 minutes: one pulse of basal, in rate units x minutes."""

CATALOGUE_HARD_CEILINGS_MU = {"max_bolus": 30_000, "max_basal_per_hour": 35_000, "max_daily": 250_000}
"""CFG-3 as the catalogue words it: max bolus <= 30 U, max basal <= 35 U/h, 24-hour limit <= 250 U."""

REQUEST_CLASSES: tuple[type, ...] = (ev.BolusRequest, ev.TempBasal)
"""Events that carry a request ID (BOL-5)."""

NOT_ANSWERED: tuple[int, ...] = (
    Reason.OUT_OF_RANGE,
    Reason.STALE_EVENT,
    Reason.FUTURE_EVENT,
    Reason.REQUEST_MEMORY_FULL,
)
"""Refusals decided before the request was answered: they leave the request memory alone (types are fixed in Z3,
so ``NOT_AN_EVENT`` and ``ILL_TYPED`` never arise here)."""


# --- time (CLK-1, CLK-2) ------------------------------------------------------------------------------------------


def expected_tick(before: PumpState, e: Any) -> Any:
    """The tick an event must carry: a ``Tick`` the next minute, every other event the current one."""
    return before.now_ticks + 1 if type(e) is ev.Tick else before.now_ticks


def fields_in_range(e: Any, L: Logic) -> Any:
    """Every integer field of ``e`` lies in its static range (``EVENT_SCHEMA``, INP-1)."""
    conds = []
    for name, kind, low, high in ev.EVENT_SCHEMA[type(e)]:
        if kind is int:
            value = getattr(e, name)
            conds.append(L.both(value >= low, value <= high))
    return L.all(*conds)


def one_minute_bound(c: PumpConfig, st: TherapySettings, basal_pulses: Any, bolus_pulses: Any, L: Logic) -> Any:
    """One minute commands at most a minute of max basal plus less than one carried pulse, and the bolus speed."""
    basal_ok = basal_pulses * MINUTE_ACC_UNITS < MINUTE_ACC_UNITS + st.max_basal_pph * 100
    return L.both(basal_ok, bolus_pulses <= c.bolus_pulses_per_tick)


# --- refusals (INP-1, INP-2, BOL-5) -------------------------------------------------------------------------------


def _leaves(value: Any) -> list[Any]:
    if hasattr(type(value), "_fields"):
        return [leaf for name in type(value)._fields if name != "log" for leaf in _leaves(getattr(value, name))]
    if isinstance(value, tuple):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def same(a: Any, b: Any, L: Logic) -> Any:
    """Two values of the same shape are equal leaf by leaf (the event log aside)."""
    return L.all(*(x == y for x, y in zip(_leaves(a), _leaves(b), strict=True)))


def refusal_conditions(
    before: PumpState, after: PumpState, e: Any, reason: Any, replayed: Any, L: Logic
) -> list[tuple[str, Any]]:
    """What a refused or replayed event may change (see module docstring), as named conditions that must all hold:
    every leaf of the state but the request memory is unchanged; the memory is unchanged when the event was
    replayed or refused before it was answered, and otherwise (a request decided now) holds its answer as the
    newest entry, every older entry one place further."""
    kept = after._replace(requests=before.requests)
    conditions = [("state-kept", L.all(*(x == y for x, y in zip(_leaves(before), _leaves(kept), strict=True))))]
    old, new = before.requests, after.requests
    if type(e) not in REQUEST_CLASSES:
        return [*conditions, ("memory-kept", same(old, new, L))]
    untouched = L.either(replayed, L.member(reason, NOT_ANSWERED))
    return [
        *conditions,
        ("memory-kept-if-replayed", L.either(L.not_(replayed), same(old, new, L))),
        ("memory-kept-if-not-answered", L.either(L.not_(L.member(reason, NOT_ANSWERED)), same(old, new, L))),
        ("memory-ids", L.either(untouched, same(new.ids, (e.request_id, *old.ids[:-1]), L))),
        ("memory-ticks", L.either(untouched, same(new.ticks, (before.now_ticks, *old.ticks[:-1]), L))),
        ("memory-outcomes", L.either(untouched, same(new.outcomes, (reason, *old.outcomes[:-1]), L))),
    ]


def nothing_but_its_answer(before: PumpState, after: PumpState, e: Any, reason: Any, replayed: Any, L: Logic) -> Any:
    """The conjunction of ``refusal_conditions``."""
    return L.all(*(holds for _, holds in refusal_conditions(before, after, e, reason, replayed, L)))


# --- settings (CFG-1, CFG-2, CFG-3, BAS-1) ------------------------------------------------------------------------


def _between(x: Any, low: Any, high: Any, L: Logic) -> Any:
    return L.both(x >= low, x <= high)


def settings_rules(c: PumpConfig, st: TherapySettings, L: Logic) -> dict[SettingsRule, Any]:
    """Whether each named settings rule holds (FIELD_ILL_TYPED is a type check, outside the symbolic relation)."""
    R = SettingsRule
    slots = st.basal_slots_pph
    day_of_schedule_half_pulses: Any = 0
    for rate in slots:  # each slot lasts 30 minutes: a day of schedule is (sum of hourly rates) / 2 pulses
        day_of_schedule_half_pulses = day_of_schedule_half_pulses + rate
    return {
        R.BASAL_SLOT_NEGATIVE: L.all(*(rate >= 0 for rate in slots)),
        R.BASAL_SLOT_ABOVE_MAX_BASAL: L.all(*(rate <= st.max_basal_pph for rate in slots)),
        R.MAX_BASAL_OUTSIDE_CEILING: _between(st.max_basal_pph, 0, c.max_basal_ceiling_pph, L),
        R.MAX_BOLUS_OUTSIDE_CEILING: _between(st.max_bolus_pulses, 0, c.max_bolus_ceiling_pulses, L),
        R.MAX_BOLUS_ABOVE_HOURLY_LIMIT: st.max_bolus_pulses <= st.max_hourly_pulses,
        R.MAX_HOURLY_OUTSIDE_CEILING: _between(st.max_hourly_pulses, 0, c.max_hourly_ceiling_pulses, L),
        R.MAX_DAILY_OUTSIDE_CEILING: _between(st.max_daily_pulses, 0, c.max_daily_ceiling_pulses, L),
        R.HOURLY_LIMIT_ABOVE_DAILY_LIMIT: st.max_hourly_pulses <= st.max_daily_pulses,
        R.MAX_BASAL_ABOVE_HOURLY_LIMIT: st.max_basal_pph <= st.max_hourly_pulses,
        R.SCHEDULED_BASAL_ABOVE_DAILY_LIMIT: day_of_schedule_half_pulses <= 2 * st.max_daily_pulses,
        R.MAX_IOB_OUTSIDE_CEILING: _between(st.max_iob_pulses, 0, c.max_iob_ceiling_pulses, L),
        R.DIA_OUTSIDE_RANGE: _between(st.dia_index, 0, DIA_CHOICES - 1, L),
        R.RESERVOIR_LOW_OUTSIDE_RANGE: _between(
            st.reservoir_low_pulses, c.reservoir_low_min_pulses, c.reservoir_low_max_pulses, L
        ),
        R.SET_AGE_OUTSIDE_RANGE: L.all(
            st.set_reminder_ticks >= c.set_reminder_min_ticks,
            st.set_max_age_ticks > st.set_reminder_ticks,
            st.set_max_age_ticks <= c.set_max_age_ceiling_ticks,
        ),
        R.AUTO_OFF_OUTSIDE_RANGE: L.either(
            st.auto_off_ticks == 0, _between(st.auto_off_ticks, c.auto_off_min_ticks, c.auto_off_max_ticks, L)
        ),
        R.LGS_THRESHOLD_OUTSIDE_RANGE: _between(
            st.lgs_threshold_mgdl, c.lgs_threshold_min_mgdl, c.lgs_threshold_max_mgdl, L
        ),
    }


def failed_rule_mask(c: PumpConfig, st: TherapySettings, L: Logic) -> Any:
    """The failed rules as the outcome's bit mask: bit ``rule`` set when the rule fails."""
    mask: Any = 0
    for rule, holds in settings_rules(c, st, L).items():
        mask = mask + L.ite(holds, 0, 1 << int(rule))
    return mask


def catalogue_consistent(c: PumpConfig, st: TherapySettings, L: Logic) -> Any:
    """CFG-2's pairs: every scheduled rate <= max basal; max bolus <= the 24-hour limit; the hourly limit <= the
    daily one; an hour at max basal fits the hourly limit; the low-reservoir threshold < the capacity."""
    return L.all(
        *(L.both(rate >= 0, rate <= st.max_basal_pph) for rate in st.basal_slots_pph),
        st.max_bolus_pulses <= st.max_daily_pulses,
        st.max_hourly_pulses <= st.max_daily_pulses,
        st.max_basal_pph <= st.max_hourly_pulses,
        st.reservoir_low_pulses < c.reservoir_capacity_pulses,
    )


def _mu(pulses: Any, pulse_mu: Any, L: Logic) -> Any:
    """``pulses`` in milliunits for a supported pulse size (linear: one case per size)."""
    result: Any = 0
    for size in ALLOWED_PULSE_MU:
        result = L.ite(pulse_mu == size, pulses * size, result)
    return result


def within_hard_ceilings_mu(c: PumpConfig, st: TherapySettings, L: Logic) -> Any:
    """CFG-3 in the catalogue's words: max bolus <= 30 U, max basal <= 35 U/h, 24-hour limit <= 250 U."""
    top = CATALOGUE_HARD_CEILINGS_MU
    return L.all(
        _mu(st.max_bolus_pulses, c.pulse_mu, L) <= top["max_bolus"],
        _mu(st.max_basal_pph, c.pulse_mu, L) <= top["max_basal_per_hour"],
        _mu(st.max_daily_pulses, c.pulse_mu, L) <= top["max_daily"],
    )


def builder_ceilings(c: PumpConfig, L: Logic) -> Any:
    """What the device builder checks of a configuration's ceilings (``kernel.config.clinical_checks``):
    a supported pulse size, each ceiling times the pulse size within the builder's hard-ceiling table (read when
    called, so a planted defect in the table reaches it)."""
    table = config_module.HARD_CEILINGS_MU
    return L.all(
        L.member(c.pulse_mu, ALLOWED_PULSE_MU),
        _mu(c.max_bolus_ceiling_pulses, c.pulse_mu, L) <= table["max_bolus_mu"],
        _mu(c.max_basal_ceiling_pph, c.pulse_mu, L) <= table["max_basal_mu_per_hour"],
        _mu(c.max_daily_ceiling_pulses, c.pulse_mu, L) <= table["max_daily_mu"],
    )
