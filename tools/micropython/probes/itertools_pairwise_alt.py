starts = [0, 30, 60]
print(any(b <= a for a, b in zip(starts, starts[1:])))
