# Tables that are iterated: a tuple of pairs (or sort the keys) keeps one order everywhere.
TABLE = ((5, "a"), (1, "b"), (9, "c"))
print([key for key, _ in TABLE], sorted({"z": 1, "a": 2, "m": 3}))
