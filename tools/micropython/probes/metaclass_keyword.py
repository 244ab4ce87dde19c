# What an enum stand-in would need: a metaclass (len(E), iteration, E(value)).
class EnumType(type):
    def __len__(cls):
        return 2


class Reason(metaclass=EnumType):
    ACCEPTED = 0


print(len(Reason))
