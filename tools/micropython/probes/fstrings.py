x, name = 5, "ab"
print(f"{x} {name!r} {x:03d} {x + 1} {x=}")
