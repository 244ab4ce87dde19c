a, b = (1, 2), (3, 4)
if len(a) != len(b):
    raise ValueError("lengths differ")
print(list(zip(a, b)))
