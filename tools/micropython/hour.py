"""A scripted hour of ``kernel.step``, run by CPython and by MicroPython, results as plain values.

Theory of operation
-------------------
``run()`` sets a new pump up through the public API (settings, reservoir,
priming, cannula, resume), then steps 60 one-minute ticks with a normal bolus
and its retry (BOL-5), a dual-wave bolus, a 70 % temp basal (TMP-1), a
cancelled extended part (BOL-6), a partial motor report (OCC-1), falling
glucose readings every 5 minutes (SEN-1, SUS-2), a stale tick and a non-event
(refused, INP-1), a suspend and resume (SUS-1) and a refused oversized bolus.
Every ``Deliver`` is answered by a ``MotorReport`` in the same tick.

Each step is recorded as ``[event, outcome, commands, state_digest]`` with
every value made plain (``plain``): ints (enum members become ints), bools,
strings, lists, and ``[type name, [field values...]]`` for records, so the two
interpreters' results compare exactly.  The state is recorded as a digest per
step (``digest``: a hand-written canonical text, SHA-256) and in full at the
end.  ``python -m tools.micropython.check`` writes CPython's result to
``expected.json``; ``driver.py`` compares MicroPython's with it.

MicroPython-compatible on purpose (docs/micropython.md): no star-unpacking,
no dataclasses, no f-string-only features, no typing at run time; the script
uses only public kernel names.  Units: ticks (minutes), pulses, mg/dL.
"""

import binascii
import hashlib

from kernel import events as ev
from kernel.commands import Deliver
from kernel.config import DEFAULT_CONFIG
from kernel.settings import make_settings
from kernel.state import initial_state
from kernel.step import step

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

USER = 0
"""``Source.USER``."""
PERCENT = 2
"""``TempKind.PERCENT``."""
EXTENDED = 2
"""``CancelTarget.EXTENDED``."""
GLUCOSE_MGDL = (160, 158, 161, 157, 155, 150, 146, 140, 120, 95, 78, 64)
"""Readings at minutes 5, 10, ..., 60: steady, then a fall through the low-glucose threshold."""


def plain(value: "Any") -> "Any":
    """``value`` as ints, bools, strings and lists; a record as ``[type name, [field values]]``."""
    if value is None or type(value) is bool or type(value) is str:
        return value
    if isinstance(value, int):
        return int(value)
    if type(value) is tuple or type(value) is list:
        return [plain(item) for item in value]
    if isinstance(value, tuple):  # a named tuple
        return [type(value).__name__, [plain(item) for item in value]]
    names = getattr(type(value), "__dataclass_fields__", None)
    if names is None:
        names = getattr(type(value), "__slots__", None)
    if names is None:
        names = sorted(value.__dict__)
    return [type(value).__name__, [plain(getattr(value, name)) for name in names]]


def canonical(value: "Any") -> str:
    """A canonical text of a plain value (the same under both interpreters)."""
    if type(value) is list:
        return "[" + ",".join(canonical(item) for item in value) + "]"
    if type(value) is bool:
        return "T" if value else "F"
    if value is None:
        return "N"
    return repr(value)


def digest(state: object) -> str:
    """SHA-256 of the state's canonical text, in hex."""
    text = canonical(plain(state)).encode("ascii")
    return binascii.hexlify(hashlib.sha256(text).digest()).decode("ascii")


class _Pump:
    """Just enough of a shell: step, record, answer every ``Deliver`` with a motor report."""

    def __init__(self) -> None:
        self.state = initial_state(DEFAULT_CONFIG)
        self.steps: list[list[Any]] = []
        self.displaced_short_pulses = 0

    def do(self, event: object) -> None:
        result = step(DEFAULT_CONFIG, self.state, event)
        self.state = result.state
        self.steps.append([plain(event), plain(result.outcome), plain(result.commands), digest(self.state)])
        for command in result.commands:
            if isinstance(command, Deliver):
                displaced = command.pulses - self.displaced_short_pulses
                self.displaced_short_pulses = 0
                self.do(ev.MotorReport(tick=self.state.now_ticks, seq=command.seq, displaced_pulses=displaced))


def run() -> "dict[str, Any]":
    """The hour's steps and final state, as plain values."""
    pump = _Pump()
    pump.do(ev.SettingsChange(tick=0, settings=make_settings(DEFAULT_CONFIG)))
    pump.do(ev.FillReservoir(tick=0, pulses=3000))
    pump.do(ev.PrimeTubing(tick=0, pulses=20))
    pump.do(ev.FillCannula(tick=0, pulses=10))
    pump.do(ev.Resume(tick=0))
    for minute in range(1, 61):
        pump.do(ev.Tick(tick=minute))
        if minute % 5 == 0:
            mgdl = GLUCOSE_MGDL[minute // 5 - 1]
            pump.do(ev.GlucoseReading(tick=minute, measured_tick=minute, mgdl=mgdl))
        if minute in (5, 6):  # the second is a retry of the first (same request id)
            pump.do(ev.BolusRequest(tick=minute, request_id=1, source=USER, immediate_pulses=40))
        elif minute == 15:
            pump.do(ev.BolusRequest(minute, 2, USER, 20, extended_pulses=30, extended_ticks=20))
        elif minute == 20:
            pump.do(ev.TempBasal(minute, 3, USER, PERCENT, 70, 15))
        elif minute == 25:
            pump.do(ev.CancelBolus(tick=minute, target=EXTENDED))
        elif minute == 28:
            pump.displaced_short_pulses = 1
        elif minute == 30:
            pump.do(ev.Tick(tick=minute))  # stale: the pump is already at this minute
            pump.do(42)  # not an event
        elif minute == 33:
            pump.do(ev.Suspend(tick=minute))
        elif minute == 36:
            pump.do(ev.Resume(tick=minute))
        elif minute == 40:
            pump.do(ev.UserPresent(tick=minute))
            pump.do(ev.BolusRequest(minute, 4, USER, 5000))  # over the maximum bolus: refused
    return {"steps": pump.steps, "final_state": plain(pump.state)}
