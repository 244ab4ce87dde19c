# MicroPython stand-in for dataclasses (harness only, docs/micropython.md): only the import can be made
# to work.  MicroPython discards annotations without a value in a class body, so @dataclass cannot learn
# the fields: the decorated class keeps object's __init__ and takes no arguments.


def dataclass(cls=None, **options):
    if cls is None:
        return lambda c: c
    return cls


def field(**options):
    return options.get("default")


def replace(obj, **changes):
    raise NotImplementedError("dataclasses.replace: the fields are unknown under MicroPython")


def fields(obj):
    raise NotImplementedError("dataclasses.fields: the fields are unknown under MicroPython")


def is_dataclass(obj):
    return False
