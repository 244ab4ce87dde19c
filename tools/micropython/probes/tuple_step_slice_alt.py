t = (1, 2, 3)
print(tuple(reversed(t)))
