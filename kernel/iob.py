"""Insulin on board from the kernel's own delivery history (LIM-4, LIM-5).

Theory of operation
-------------------
Every therapy pulse the kernel commands is counted in the IOB ring
(``kernel.windows``), confirmed or not (LIM-5).  Insulin on board is the sum
over the ring's 10-minute buckets of ``pulses x remaining fraction``, with the
remaining fraction taken from a constant integer table per insulin-action
time (``kernel.iob_tables``).  Selecting among constant tables keeps the
arithmetic linear: the table entries are literals, so each product is a state
variable times a constant (no configuration value ever multiplies state).

The tables round up and use each bucket's youngest possible age, and the sum
is rounded up to a whole pulse, so the estimate never understates insulin on
board.  It includes basal: max IOB bounds *all* insulin the kernel knows to
be active when an automated command asks for more (oref0, AndroidAPS max
IOB), and a conservative total is the safe side of that check.

Units: ``_pulses``.  Requirements served: LIM-4, LIM-5.
"""

from __future__ import annotations

from kernel.iob_tables import IOB_PERMILLE
from kernel.logic import Logic
from kernel.settings import TherapySettings
from kernel.state import BolusState, Windows


def iob_pulses(st: TherapySettings, w: Windows, logic: Logic) -> int:
    """Insulin on board in whole pulses, rounded up (LIM-4)."""
    result = 0
    for dia_index, row in enumerate(IOB_PERMILLE):
        chosen = st.dia_index == dia_index
        if chosen is not False:
            permille = sum([pulses * fraction for pulses, fraction in zip(w.iob_pulses, row) if fraction])
            result = logic.ite(chosen, logic.div_const(permille + 999, 1000), result)
    return result


def committed_pulses(st: TherapySettings, w: Windows, b: BolusState, logic: Logic) -> int:
    """Insulin on board plus what running boluses have still to deliver: what a controller command adds to (LIM-4).

    A controller command is judged against the insulin already given *and* the insulin already promised: an
    extended bolus still running will be on board soon whatever the controller asks.
    """
    return iob_pulses(st, w, logic) + b.remaining_pulses + b.ext_remaining_pulses
