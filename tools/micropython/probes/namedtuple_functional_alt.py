# typing.NamedTuple's functional form; under MicroPython it needs the harness's typing stand-in
# (tools/micropython/shims/typing.py, 40 lines) on the device.  mypy --strict types it fully.
import sys

sys.path.insert(0, "/shims")
from typing import NamedTuple  # noqa: E402


class Windows(NamedTuple("Windows", [("hour_pulses", tuple), ("hour_phase_ticks", int)])):
    """Rolling delivery windows."""

    __slots__ = ()


w = Windows((0, 0), hour_phase_ticks=0)
w2 = w._replace(hour_phase_ticks=1)
print(w2, type(w2).__name__, w2.hour_phase_ticks, Windows._fields, w == ((0, 0), 0))
