# A hand-written tuple subclass needs tuple.__new__.
class Pair(tuple):
    __slots__ = ()

    def __new__(cls, a, b):
        return tuple.__new__(cls, (a, b))


print(Pair(1, 2))
