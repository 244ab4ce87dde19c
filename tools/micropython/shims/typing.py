# MicroPython stand-in for the parts of typing the kernel imports (harness only, docs/micropython.md).
# Annotations are never evaluated by MicroPython, so most names only have to exist.
# NamedTuple works in its functional form only: NamedTuple("P", [("a", int), ("b", int)]).  The class
# form (class P(NamedTuple): a: int) cannot work: MicroPython discards annotations without a value in a
# class body, so the field names never reach the class.
from collections import namedtuple

TYPE_CHECKING = False
Any = object
Callable = object
Mapping = object
Sequence = object


class Protocol:
    pass


def TypeVar(name, *constraints, **options):  # noqa: N802 (typing's own name)
    return name


def NamedTuple(name, fields):  # noqa: N802 (typing's own name)
    """collections.namedtuple with what MicroPython's lacks: _fields, _replace, _asdict, _make."""
    names = tuple(field for field, _ in fields)
    base = namedtuple(name, names)

    def _replace(self, **changes):
        values = [changes.pop(field, value) for field, value in zip(names, self)]
        if changes:
            raise ValueError("unknown fields %r" % (sorted(changes),))
        return type(self)(*values)

    def _asdict(self):
        return {field: value for field, value in zip(names, self)}

    def _make(cls, values):
        return cls(*values)

    return type(name, (base,), {"_fields": names, "_replace": _replace, "_asdict": _asdict, "_make": classmethod(_make), "__slots__": ()})
