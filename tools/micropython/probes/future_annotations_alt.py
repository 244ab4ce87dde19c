# No __future__ import: MicroPython never evaluates annotations; CPython evaluates them at def time,
# so a forward reference is quoted.
def f(x: "Later") -> int | None:
    return None


class Later:
    pass


print(f(Later()))
