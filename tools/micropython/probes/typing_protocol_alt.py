# The Protocol exists only for the type checker; code annotates with the quoted name.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol, TypeVar

    T = TypeVar("T")

    class Logic(Protocol):
        def ite(self, cond: bool, then: int, other: int) -> int: ...


class PythonLogic:
    def ite(self, cond: bool, then: int, other: int) -> int:
        return then if cond else other


PY: "Logic" = PythonLogic()
print(PY.ite(True, 1, 2))
