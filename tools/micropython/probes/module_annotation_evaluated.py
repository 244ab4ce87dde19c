# A module-level annotation with a value: CPython evaluates it (no __future__ import); MicroPython does not.
TABLE: dict[int, int] = {1: 2}
print(TABLE)
