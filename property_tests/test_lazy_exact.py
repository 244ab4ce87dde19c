"""The skip-work idiom is exact for every input: Python and Z3 decide alike on arbitrary states.

``kernel/logic.py`` cites this file.  The shipped step skips work with
``if cond is not False`` (exact in Python, never taken on Z3 terms).  If a
guard skipped a block whose result was needed, the shipped Python decision
would differ from the Z3 one the proofs reason about, possibly only on states
no random run reaches.  So the conformance check (``property_tests.conformance``:
whole state, whole ``Effects``, every command) runs here on arbitrary states
and well-typed events (``property_tests.arbitrary``): every leaf drawn from
small ranges and odd values, no invariant assumed.  Cases where some
primitive leaves its domain are outside what the proofs claim and are
counted, not judged (``python -m property_tests.lazy_exact`` prints the
counts).  A planted inexact guard is caught.  Serves U-1 and the soundness
of every proof (issue 15, point 5).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings

from kernel import events as ev
from kernel.logic import Logic
from kernel.state import PumpState
from kernel.units import REQUEST_MEMORY_TICKS, REQUEST_SLOTS
from property_tests import arbitrary
from property_tests.arbitrary import Case, arbitrary_case
from property_tests.conformance import Conformance, ConformanceError
from property_tests.conftest import scale

CONFORMANCE = Conformance(every=1)


def test_the_configurations_are_structurally_valid() -> None:
    assert arbitrary.configs_are_structurally_valid()


@settings(max_examples=scale(ci=250, quick=25, deep=20_000), suppress_health_check=list(HealthCheck))
@given(case=arbitrary_case())
def test_python_and_z3_decide_alike_on_arbitrary_states(case: Case) -> None:
    CONFORMANCE.check(case.config, case.state, case.event, arbitrary=True)


def _recall_trusting_the_front(s: PumpState, request_id: int, logic: Logic) -> tuple[bool, int]:
    """Planted: looks for the ID only among the ten newest entries (true of short runs, not of every state)."""
    r = s.requests
    hits: list[bool] = []
    reason = 0
    if logic.member(request_id, r.ids[:10]) is not False:  # planted: not exact, the ID may sit further back
        for k in range(REQUEST_SLOTS - 1, -1, -1):
            hit = logic.both(r.ids[k] == request_id, s.now_ticks - r.ticks[k] < REQUEST_MEMORY_TICKS)
            if hit is not False:
                hits.append(hit)
                reason = logic.ite(hit, r.outcomes[k], reason)
    return logic.any(*hits), reason


def test_an_inexact_skip_guard_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """A guard that skips on a condition not covering every output: found on an arbitrary state."""
    import kernel.core

    monkeypatch.setattr(kernel.core, "recall", _recall_trusting_the_front)
    planted = Conformance(every=1)

    def disagrees(case: Case) -> bool:
        try:
            planted.check(case.config, case.state, case.event, arbitrary=True)
        except ConformanceError:
            return True
        return False

    requests = arbitrary_case(classes=(ev.BolusRequest, ev.TempBasal))  # the events that consult the memory
    no_shrinking = settings(max_examples=1000, database=None, derandomize=True, phases=[Phase.generate])
    case = find(requests, disagrees, settings=no_shrinking)
    with pytest.raises(ConformanceError, match=r"state\.requests|effects\.reason|effects\.replayed"):
        planted.check(case.config, case.state, case.event, arbitrary=True)
