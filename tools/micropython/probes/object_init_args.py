# A class without __init__ called with arguments: CPython raises, MicroPython ignores them silently.
class Tick:
    pass


try:
    Tick(3)
    print("accepted")
except TypeError:
    print("TypeError")
