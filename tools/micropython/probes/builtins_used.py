t = (3, 1, 2)
print(any(()), all(()), sorted(t), sum(t), list(enumerate("ab")), list(reversed(t)), t.index(1), t.count(3))
print(getattr(object(), "missing", None), isinstance(3, (int, str)), type(3) is int, frozenset((1, 2)) == {1, 2})
print({k: k * k for k in range(3)}, [i for i in range(5) if i % 2], tuple(x for x in t), (0,) * 3, t < (3, 2))


class Reason:
    ACCEPTED = 0


print(Reason.__name__, type(Reason()).__name__, Reason.__module__)
