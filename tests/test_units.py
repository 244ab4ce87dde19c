"""Integers only, whole pulses, rounding down with the remainder carried (U-1, U-2).

U-1: after a busy day every number in the state and in every command is an
``int`` (or a ``bool`` flag), never a float (``test_kernel_is_pure`` checks
the source has no float literal).  U-2: every motor command is a whole,
positive number of pulses; the edge conversions refuse amounts that are not
whole pulses instead of rounding; what the basal accumulator and the
extended-bolus spreader leave over is carried, never lost and never
delivered twice.
"""

from __future__ import annotations

from typing import Any

import pytest

from kernel.commands import Alarm, Deliver, Notice
from kernel.events import TempKind
from kernel.state import field_names, is_record
from kernel.units import (
    ACC_UNITS_PER_PULSE,
    mu_from_pulses,
    pph_from_mu_per_hour,
    pulses_from_mu,
    ticks_from_minutes,
)
from tests.helpers import C, delivering_pump, flat_settings, per_tick, quiet_settings


def _numbers(value: Any, path: str = "state") -> list[tuple[str, Any]]:
    """Every leaf of a dataclass/tuple tree, with its path."""
    if is_record(value):
        out: list[tuple[str, Any]] = []
        for name in field_names(value):
            out += _numbers(getattr(value, name), f"{path}.{name}")
        return out
    if isinstance(value, tuple):
        out = []
        for i, item in enumerate(value):
            out += _numbers(item, f"{path}[{i}]")
        return out
    return [(path, value)]


def test_state_and_commands_hold_integers_only() -> None:
    """U-1: after a day with boluses, temps, alarms and glucose, every leaf is an int or a bool."""
    pump = delivering_pump(quiet_settings(lgs_enabled=True), keep=True)
    for minute in range(1440):
        if minute % 240 == 0:
            pump.bolus(33, 17, 45)
        if minute % 300 == 10:
            pump.temp(TempKind.PERCENT, 135, 45)
        if minute % 5 == 0:
            pump.glucose(130)
        pump.tick()
    for path, leaf in _numbers(pump.state):
        assert isinstance(leaf, int), (path, leaf)  # bool is an int subclass; floats are not
    for command in pump.commands():
        assert isinstance(command, Deliver | Alarm | Notice)
        for path, leaf in _numbers(command, type(command).__name__):
            assert type(leaf) is not float, (path, leaf)
            assert isinstance(leaf, int), (path, leaf)


def test_motor_commands_are_whole_positive_pulses() -> None:
    """U-2: every ``Deliver`` is a positive ``int`` number of pulses."""
    pump = delivering_pump(quiet_settings())
    pump.bolus(101, 29, 47)
    pump.ticks(120)
    sizes = [c.pulses for c in pump.commands() if isinstance(c, Deliver)]
    assert sizes and all(type(n) is int and n >= 1 for n in sizes)


@pytest.mark.parametrize(
    ("amount_mu", "pulse_mu", "expected"),
    [
        (1000, 50, 20),
        (0, 50, 0),
        (1025, 25, 41),
        (1010, 10, 101),
        (1025, 50, None),
        (1001, 10, None),
        (-50, 50, None),
        (1000, 0, None),
        (1000, -50, None),
        (1000.0, 50, None),
        (True, 1, None),
        ("1000", 50, None),
    ],
)
def test_edge_conversion_refuses_what_is_not_a_whole_pulse(amount_mu: Any, pulse_mu: Any, expected: int | None) -> None:
    """U-2: milliunits become pulses only when exact; nothing is rounded at the edge either."""
    assert pulses_from_mu(amount_mu, pulse_mu) == expected
    assert pph_from_mu_per_hour(amount_mu, pulse_mu) == expected


def test_edge_conversions_back() -> None:
    """U-1: the reverse conversions are exact integer arithmetic."""
    assert mu_from_pulses(41, 25) == 1025
    assert ticks_from_minutes(90) == 90


def test_basal_remainder_is_carried_not_lost() -> None:
    """U-2, BAS-2: 1 pulse an hour: after 59 minutes nothing was delivered and 59/60 of a pulse is carried;
    the 60th minute delivers it; the remainder then starts again from zero."""
    pump = delivering_pump(flat_settings(C.pulse_mu))
    assert sum(per_tick(pump.ticks(59))) == 0
    assert pump.state.basal.acc == 59 * ACC_UNITS_PER_PULSE // 60
    assert per_tick([pump.tick()]) == [1]
    assert pump.state.basal.acc == 0


def test_rounding_is_down_and_the_rest_is_never_delivered_twice() -> None:
    """U-2: over 7 hours at 10 pulses/h with a 33 % temp for 3 hours: 40 + floor(3 * 3.3) pulses, exactly."""
    pump = delivering_pump(flat_settings(10 * C.pulse_mu))
    pump.ticks(4 * 60)
    pump.temp(TempKind.PERCENT, 33, 3 * 60)
    pump.ticks(3 * 60)
    assert pump.state.totals.basal_pulses == 40 + (3 * 10 * 33) // 100
    carried = pump.state.basal.acc
    assert 0 <= carried < ACC_UNITS_PER_PULSE
    assert carried == (3 * 10 * 33 * 60) % ACC_UNITS_PER_PULSE
