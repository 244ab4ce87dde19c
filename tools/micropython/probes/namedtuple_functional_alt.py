# typing.NamedTuple's functional form; under MicroPython it needs the harness's typing stand-in
# (tools/micropython/shims/typing.py) on the device.  mypy --strict types it fully.  The field types are
# evaluated at run time, so generic ones are quoted (MicroPython cannot subscript `tuple`).
import sys

sys.path.insert(0, "/shims")
from typing import NamedTuple


class Windows(NamedTuple("Windows", [("hour_pulses", "tuple[int, ...]"), ("hour_phase_ticks", int)])):
    """Rolling delivery windows."""

    __slots__ = ()


w = Windows((0, 0), hour_phase_ticks=0)
w2 = w._replace(hour_phase_ticks=1)
print(w2, type(w2).__name__, w2.hour_phase_ticks, Windows._fields, w == ((0, 0), 0))
