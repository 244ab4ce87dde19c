import enum


class Reason(enum.IntEnum):
    ACCEPTED = 0
    NOT_AN_EVENT = 1


print(len(Reason), [int(r) for r in Reason], Reason(1).name, Reason.ACCEPTED == 0)
