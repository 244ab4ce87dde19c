# The functional NamedTuple's field types are evaluated at run time: an unquoted generic fails.
import sys

sys.path.insert(0, "/shims")
from typing import NamedTuple

Windows = NamedTuple("Windows", [("hour_pulses", tuple[int, ...]), ("hour_phase_ticks", int)])
print(Windows((0,), 0))
