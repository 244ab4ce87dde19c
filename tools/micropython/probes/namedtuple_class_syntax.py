from typing import NamedTuple


class Windows(NamedTuple):
    hour_pulses: tuple
    hour_phase_ticks: int


w = Windows((0, 0), 0)
print(w._replace(hour_phase_ticks=1))
