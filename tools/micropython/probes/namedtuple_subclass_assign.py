# A subclass of a named tuple (the portable record form) accepts attribute assignment under MicroPython:
# the new attribute shadows the field, the tuple itself is unchanged.  CPython raises AttributeError.
from collections import namedtuple


class Windows(namedtuple("Windows", ("hour_pulses", "hour_phase_ticks"))):
    __slots__ = ()


w = Windows((0, 0), 0)
try:
    w.hour_phase_ticks = 5
    print("assigned", w.hour_phase_ticks, w[1])
except AttributeError:
    print("AttributeError")
