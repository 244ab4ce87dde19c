# Why no stand-in can make dataclasses or class-syntax NamedTuple work: the class never sees `a: int`.
class P:
    a: int
    b: int = 2


print(sorted(getattr(P, "__annotations__", {})), [name for name in ("a", "b") if hasattr(P, name)])
