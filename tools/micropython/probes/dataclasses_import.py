import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Tick:
    tick: int
    missed: bool = False


t = Tick(3)
print(dataclasses.replace(t, missed=True))
