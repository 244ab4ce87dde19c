print(isinstance(True, int), issubclass(bool, int), True + 1, True == 1, {1: "one"}[True])
