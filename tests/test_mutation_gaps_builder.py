"""Tests that close gaps surviving mutants outside ``kernel.builder`` showed (issue 15, builder helper).

An extended bolus spreads its pulses evenly over its duration (BOL-2): each
minute it delivers the quotient and, whenever the accumulated remainder
reaches the duration, one pulse more.  That schedule must depend only on the
request, not on what ran before it.  After an extended bolus with a remainder
ends, its quotient, remainder and duration stay in the state, and every minute
a normal bolus runs the spreader's accumulator still adds the old remainder;
a new extended bolus must start it from 0 again.

Checked with ``python -m property_tests.mutation_apply MUTANT
tests/test_mutation_gaps_builder.py::TEST`` (KILLS on the mutant, passes on
the shipped kernel); the mutant names are in the docstrings.
"""

from __future__ import annotations

from kernel.state import PumpState
from tests.helpers import Pump, delivering_pump, flat_settings, per_tick


def _extended_schedule(pump: Pump, pulses: int, ticks: int) -> list[int]:
    """Therapy pulses commanded each minute by an extended bolus of ``pulses`` over ``ticks`` minutes, from now."""
    assert pump.bolus(0, pulses, ticks).outcome.accepted
    return per_tick(pump.ticks(ticks + 1))


def _spreader(state: PumpState) -> tuple[int, int, int, int]:
    b = state.bolus
    return b.ext_quotient_pulses, b.ext_remainder_pulses, b.ext_duration_ticks, b.ext_acc


def test_an_extended_bolus_spreads_the_same_after_a_normal_bolus() -> None:
    """BOL-2, BOL-3: 16 pulses over 15 minutes deliver 1 a minute and 2 in the last, whatever ran before.

    The second extended bolus follows a normal bolus that ran while the first one's remainder (1) was still
    in the state, so the spreader's accumulator is 1 when it is requested.  Kills
    ``kernel.bolus.x_on_bolus__mutmut_229`` (the accumulator not reset by a new extended bolus: the extra pulse
    comes a minute early, in minute 14).
    """
    pump = delivering_pump(flat_settings(0))
    expected = [1] * 14 + [2, 0]
    assert _extended_schedule(pump, 16, 15) == expected
    assert pump.state.bolus.ext_remaining_pulses == 0
    assert pump.bolus(10).outcome.accepted
    assert per_tick(pump.ticks(2)) == [10, 0]
    assert _spreader(pump.state) == (1, 1, 15, 1)  # the accumulator ran on with the normal bolus
    assert _extended_schedule(pump, 16, 15) == expected
