# Star-unpacking in a call (and in an assignment target) is fine.
def f(*conds):
    return all(conds)


conds = (True, True)
first, *rest = (1, 2, 3)
print(f(*conds), f(True, *conds), first, rest)
