class Outcome:
    __slots__ = ("reason",)

    def __init__(self, reason):
        self.reason = reason

    @property
    def accepted(self):
        return self.reason == 0

    @staticmethod
    def code():
        return 1

    @classmethod
    def name(cls):
        return cls.__name__


class _Invalid(ValueError):
    pass


try:
    raise _Invalid("bad")
except ValueError as error:
    print(Outcome(0).accepted, Outcome.code(), Outcome.name(), type(error).__name__, error)
