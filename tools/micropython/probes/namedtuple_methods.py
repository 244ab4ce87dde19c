from collections import namedtuple

P = namedtuple("P", ("a", "b"))
p = P(1, 2)
print(P._fields, p._replace(b=3), p._asdict()["a"], P._make((5, 6)))
