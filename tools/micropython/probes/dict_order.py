d = {}
for key in (5, 1, 9, 3, 7, 2, 8, 100):
    d[key] = key
print(list(d), list({"z": 1, "a": 2, "m": 3}))
