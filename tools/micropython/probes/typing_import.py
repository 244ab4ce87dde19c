from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Logic(Protocol):
    def ite(self, cond: bool, then: int, other: int) -> int: ...


print("defined")
