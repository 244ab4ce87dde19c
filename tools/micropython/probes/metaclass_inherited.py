# The other way to get a metaclass: inherit it from a base made by calling the metaclass.
class EnumType(type):
    def __len__(cls):
        return 2


IntEnum = EnumType("IntEnum", (), {})


class Reason(IntEnum):
    ACCEPTED = 0


print(len(Reason))
