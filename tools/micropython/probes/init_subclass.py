# Another hook an enum or record stand-in could use: never called by MicroPython 1.27.
seen = []


class Base:
    def __init_subclass__(cls, **options):
        seen.append(cls.__name__)


class Reason(Base):
    ACCEPTED = 0


print(seen)
