# MicroPython stand-in for enum (harness only, docs/micropython.md): as far as MicroPython 1.27 allows.
# Members stay plain ints (no metaclass: `metaclass=` is rejected and a metaclass inherited from a base
# raises TypeError), so len(E), iteration over E, E(value) validation and member.name do not exist.


class IntEnum(int):
    pass


class Enum:
    pass
