# Plain int constants in a class, plus the tuple of names that len(), iteration and .name came from.
class Reason:
    ACCEPTED = 0
    NOT_AN_EVENT = 1


REASON_NAMES = ("ACCEPTED", "NOT_AN_EVENT")
N_REASONS = len(REASON_NAMES)
print(N_REASONS, list(range(N_REASONS)), REASON_NAMES[1], Reason.ACCEPTED == 0)
