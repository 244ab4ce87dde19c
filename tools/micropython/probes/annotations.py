# Annotations that MicroPython compiles and ignores (never evaluates), as long as there is no __future__ import.
def f(a: int, b: int | None = None, *, c: tuple[int, ...] = (), d: "dict[int, bool]" = {}) -> int | None:
    total: int = a + len(c)
    return total


X: int = 3


class C:
    b: int = 2


print(f(1, c=(1, 2)), X, C.b)
