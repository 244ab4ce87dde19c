from collections.abc import Callable, Mapping, Sequence

print("imported")
