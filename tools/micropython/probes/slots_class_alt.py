# A hand-written record class with __slots__: portable, but every method is written by hand.
class Tick:
    __slots__ = ("missed", "tick")

    def __init__(self, tick: int, missed: bool = False) -> None:
        self.tick = tick
        self.missed = missed

    def __eq__(self, other: object) -> bool:
        return type(other) is Tick and (self.tick, self.missed) == (other.tick, other.missed)

    def __hash__(self) -> int:
        return hash((self.tick, self.missed))

    def __repr__(self) -> str:
        return f"Tick(tick={self.tick!r}, missed={self.missed!r})"


print(Tick(3), Tick(3) == Tick(3), Tick(3) == Tick(4), len({Tick(3), Tick(3)}))
