"""Arbitrary states and well-typed events: inputs that need not satisfy any invariant.

Theory of operation
-------------------
``kernel.logic`` claims the skip-work idiom (``if cond is not False``) makes
the shipped Python decision equal the Z3 one for *every* input, not only for
reachable states.  To test that claim the inputs must leave the reachable
set, so these strategies build states leaf by leaf:

* ``wild``: every leaf but the request memory is drawn on its own, an
  integer from a small range or one of ``ODD_INTS`` (negatives, zero, the
  edges of the kernel's constants: 59/60/61, 1439/1440, 5999/6000, 2**16...),
  a ``bool`` either way;
* ``perturbed``: a reachable state (from short random runs, ``reachable``)
  with a few leaves replaced the same way.

The request memory (600 slots, 1,800 leaves) is drawn as up to five entries
(ID 1..4, a tick around now, any outcome) repeated over every slot, or at
the front, or scattered at drawn positions among empty slots, so live
entries are found far from the front and a full memory is common.  Events are of every class with well-typed fields
(``kernel.step.form_check`` passes: the decision is what is compared), their
integer fields drawn around their static range (out of range included) and
their tick mostly the current one.  Configurations are a few that pass the
structural rules (what the proofs assume).

Units: as ``kernel.state``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from typing import Any

from hypothesis import strategies as st

from kernel import events as ev
from kernel.config import DEFAULT_CONFIG, PumpConfig, config_problems, make_config
from kernel.log import EventLog
from kernel.settings import TherapySettings
from kernel.state import PumpState, Requests, initial_state
from kernel.units import REQUEST_SLOTS
from property_tests.world import RandomChooser, World, run_random, settings_presets
from specs.symbolic import leaves

ODD_INTS: tuple[int, ...] = (
    -(1 << 16),
    -1441,
    -61,
    -2,
    -1,
    0,
    1,
    2,
    3,
    11,
    12,
    13,
    15,
    16,
    29,
    30,
    59,
    60,
    61,
    99,
    100,
    119,
    120,
    1439,
    1440,
    1441,
    5999,
    6000,
    (1 << 16) - 1,
    1 << 16,
    10**6,
)
"""Values at the edges of the kernel's constants (ticks per hour and day, accumulator units, bit widths)."""

SMALL_CONFIG = DEFAULT_CONFIG._replace(
    hour_bucket_ticks=6,
    day_bucket_ticks=61,
    requests_per_day_max=3,
    reservoir_capacity_pulses=1100,
    remote_is_person_held=True,
)

CONFIGS: tuple[PumpConfig, ...] = (DEFAULT_CONFIG, make_config(pulse_mu=100, reservoir_units=200), SMALL_CONFIG)
"""Configurations that pass the structural rules (checked by ``test_lazy_exact``)."""

SLOT_EDGES = (0, 1, 2, 3, 9, 10, 11, REQUEST_SLOTS - 2, REQUEST_SLOTS - 1)
"""Request-memory positions worth hitting: the front, the small configuration's limit, the end."""

INTS = st.one_of(st.integers(-2, 8), st.sampled_from(ODD_INTS))


KEY_LEAVES: dict[str, tuple[int, int, int]] = {
    ".mode": (0, 11, 20),
    ".time_of_day_ticks": (0, 1439, 20),
    ".alarms[": (0, 3, 100),
}
"""Leaves that select a table row or a tuple position (the mode table, the basal slot, the alarm machine):
drawn inside that range but one time in ``n`` (the third number; 100 for each of the 12 alarms), else like
any other leaf, so most cases stay inside every primitive's domain (where the comparison means something)
and some do not."""


def leaf_value(path: str, template: Any) -> st.SearchStrategy[Any]:
    """A value of the same kind as ``template``: any ``bool``, or a small or odd integer (see ``KEY_LEAVES``)."""
    if isinstance(template, bool):
        return st.booleans()
    for key, (low, high, n) in KEY_LEAVES.items():
        if key in path:
            return _mostly(st.integers(low, high), INTS, n)
    return INTS


def _mostly(usual: st.SearchStrategy[int], rare: st.SearchStrategy[int], n: int) -> st.SearchStrategy[int]:
    """``rare`` one time in ``n``, else ``usual``."""

    def choose(r: int) -> st.SearchStrategy[int]:
        return rare if r == 1 else usual

    return st.integers(1, n).flatmap(choose)


def rebuild(template: Any, values: list[Any]) -> Any:
    """``template`` with its leaves (in ``specs.symbolic.leaves`` order) taken from ``values`` (consumed)."""
    if isinstance(template, EventLog):
        return template
    if isinstance(template, tuple) and hasattr(type(template), "_fields"):
        return type(template)(*(rebuild(part, values) for part in template))
    if isinstance(template, tuple):
        return tuple(rebuild(part, values) for part in template)
    return values.pop(0)


@cache
def reachable(config: PumpConfig) -> tuple[PumpState, ...]:
    """States met on short random runs (three settings presets, 60 events each), every 5th kept."""
    states = [initial_state(config)]
    for seed, preset in enumerate(settings_presets(config)):
        world = World.fresh(config)
        world.set_up(preset)
        seen: list[PumpState] = []
        world.on_step = lambda c, before, e, r, kept=seen: kept.append(before)
        run_random(world, RandomChooser(random.Random(7000 + seed)), 60)
        states.extend(seen[::5])
    return tuple(states)


@dataclass(frozen=True)
class Case:
    """One arbitrary input, with a short description (its repr never prints the 2,000 leaves of a state)."""

    config: PumpConfig
    state: PumpState
    event: Any
    how: str

    def __repr__(self) -> str:
        s = self.state
        return (
            f"Case(config #{CONFIGS.index(self.config)}, {self.event!r}, mode={s.mode}, now={s.now_ticks}, "
            f"state {self.how})"
        )


@st.composite
def request_memory(draw: Any, now: int) -> tuple[Requests, str]:
    entries = draw(
        st.lists(
            st.tuples(st.integers(1, 4), st.integers(now - 1441, now + 1), st.integers(-1, 30)),
            max_size=5,
        )
    )
    if not entries:
        entries = [(0, 0, 0)]
    layout = draw(st.sampled_from(("repeated", "front", "scattered")))
    if layout == "repeated":
        rows = [entries[k % len(entries)] for k in range(REQUEST_SLOTS)]
    elif layout == "front":
        rows = entries + [(0, 0, 0)] * (REQUEST_SLOTS - len(entries))
    else:
        rows = [(0, 0, 0)] * REQUEST_SLOTS
        for entry in entries:
            rows[draw(st.one_of(st.integers(0, REQUEST_SLOTS - 1), st.sampled_from(SLOT_EDGES)))] = entry
    ids, ticks, outcomes = (tuple(row[i] for row in rows) for i in range(3))
    where = {k: row for k, row in enumerate(rows) if row != (0, 0, 0)}
    shown = dict(list(where.items())[:6])
    return Requests(ids, ticks, outcomes), f"requests {layout} {shown}{' ...' if len(where) > 6 else ''}"


@st.composite
def arbitrary_state(draw: Any, config: PumpConfig) -> tuple[PumpState, str]:
    """A ``wild`` or ``perturbed`` state (see module docstring), and how it was made."""
    bases = reachable(config)
    index = draw(st.integers(0, len(bases) - 1))
    base = bases[index]
    named = list(leaves(base._replace(requests=()), "s"))
    values = [value for _, value in named]
    if draw(st.booleans()):
        values = [draw(leaf_value(path, value)) for path, value in named]
        how = [f"wild (shape of reachable[{index}])"]
    else:
        how = [f"reachable[{index}] with"]
        for _ in range(draw(st.integers(1, 6))):
            i = draw(st.integers(0, len(values) - 1))
            values[i] = draw(leaf_value(named[i][0], values[i]))
            how.append(f"{named[i][0]}={values[i]!r}")
    state: PumpState = rebuild(base._replace(requests=()), values)
    requests = base.requests
    if draw(st.booleans()):
        requests, told = draw(request_memory(state.now_ticks))
        how.append(told)
    return state._replace(requests=requests, log=base.log), " ".join(how)


def _field_value(low: int, high: int) -> st.SearchStrategy[int]:
    """Mostly inside ``[low, high]`` (near ``low`` or at an edge), one time in ten outside it or odd."""
    inside = st.one_of(st.integers(low, min(high, low + 40)), st.sampled_from((low, high)))
    outside = st.one_of(st.sampled_from((low - 1, high + 1)), INTS)
    return _mostly(inside, outside, 10)


@st.composite
def arbitrary_settings(draw: Any, config: PumpConfig) -> TherapySettings:
    preset: TherapySettings = draw(st.sampled_from(settings_presets(config)))
    if draw(st.booleans()):
        return preset
    named = list(leaves(preset, "t"))
    values = [value for _, value in named]
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(values) - 1))
        values[i] = draw(leaf_value(named[i][0], values[i]))
    settings: TherapySettings = rebuild(preset, values)
    return settings


EVENT_MIX: tuple[type, ...] = ev.EVENT_CLASSES + (ev.BolusRequest, ev.TempBasal) * 2
"""Every event class; the two request classes three times as often (the request memory is the biggest state)."""


@st.composite
def arbitrary_event(draw: Any, config: PumpConfig, state: PumpState, classes: tuple[type, ...] = EVENT_MIX) -> Any:
    """A well-typed event of one of ``classes``, tick mostly the current one (CLK-2), fields around their ranges."""
    cls = draw(st.sampled_from(classes))
    now = state.now_ticks + (1 if cls is ev.Tick else 0)
    fields: dict[str, Any] = {}
    for name, kind, low, high in ev.EVENT_SCHEMA[cls]:
        if name == "tick":
            fields[name] = draw(
                st.one_of(st.just(now), st.just(now), st.just(now), st.sampled_from((now - 1, now + 1)))
            )
        elif kind is bool:
            fields[name] = draw(st.booleans())
        elif kind is TherapySettings:
            fields[name] = draw(arbitrary_settings(config))
        elif name == "request_id":
            fields[name] = draw(st.integers(0, 5))  # the memory's IDs are 1..4
        else:
            fields[name] = draw(_field_value(low, high))
    return cls(**fields)


@st.composite
def arbitrary_case(draw: Any, classes: tuple[type, ...] = EVENT_MIX) -> Case:
    """A configuration of ``CONFIGS``, an arbitrary state, and a well-typed event of one of ``classes``."""
    config: PumpConfig = draw(st.sampled_from(CONFIGS))
    state, how = draw(arbitrary_state(config))
    return Case(config, state, draw(arbitrary_event(config, state, classes)), how)


def configs_are_structurally_valid() -> bool:
    return all(config_problems(config, clinical=False) == () for config in CONFIGS)
