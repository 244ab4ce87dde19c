# collections.namedtuple exists in MicroPython (without _fields/_replace/_asdict/_make): subclass it and write
# _replace once.  No stand-in needed, but mypy sees the fields as Any.
from collections import namedtuple

_WINDOWS_FIELDS = ("hour_pulses", "hour_phase_ticks")


class Windows(namedtuple("Windows", _WINDOWS_FIELDS)):
    __slots__ = ()

    def _replace(self, **changes):
        return type(self)(*[changes.pop(name, value) for name, value in zip(_WINDOWS_FIELDS, self)])


w = Windows((0, 0), hour_phase_ticks=0)
w2 = w._replace(hour_phase_ticks=1)
print(w2, type(w2).__name__, w2.hour_phase_ticks, w == ((0, 0), 0))
