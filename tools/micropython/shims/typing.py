# MicroPython stand-in for typing (harness only, docs/micropython.md).
# MicroPython never evaluates annotations, so most names only have to exist: any name not defined here is
# `object` (module __getattr__).  NamedTuple works in its functional form only,
# NamedTuple("P", [("a", int), ("b", int)]): the class form (class P(NamedTuple): a: int) cannot work,
# because MicroPython discards annotations without a value in a class body, so the field names never
# reach the class; constructing such a class raises a TypeError that says so.
from collections import namedtuple

TYPE_CHECKING = False


def __getattr__(name):
    return object


class Protocol:
    pass


def TypeVar(name, *constraints, **options):
    return name


def cast(kind, value):
    return value


def _named_tuple(name, fields):
    """collections.namedtuple plus what MicroPython's lacks: _fields, _replace, _asdict, _make."""
    names = tuple(field for field, _ in fields)
    base = namedtuple(name, names)

    def _replace(self, **changes):
        values = [changes.pop(field, value) for field, value in zip(names, self)]
        if changes:
            raise ValueError("unknown fields " + repr(sorted(changes)))
        return type(self)(*values)

    def _asdict(self):
        return {field: value for field, value in zip(names, self)}

    def _make(cls, values):
        return cls(*values)

    members = {"_fields": names, "_replace": _replace, "_asdict": _asdict, "_make": classmethod(_make)}
    members["__slots__"] = ()
    return type(name, (base,), members)


class NamedTuple:
    def __new__(cls, *args, **kwargs):
        if cls is NamedTuple:
            return _named_tuple(*args, **kwargs)
        raise TypeError(
            "class-syntax NamedTuple " + cls.__name__ + ": MicroPython discards the field annotations"
        )
