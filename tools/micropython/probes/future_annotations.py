from __future__ import annotations


def f(x: Later) -> int | None:
    return None


class Later:
    pass


print(f(Later()))
