import itertools

starts = [0, 30, 60]
print(any(b <= a for a, b in itertools.pairwise(starts)))
