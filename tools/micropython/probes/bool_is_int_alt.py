def is_int(value):
    return type(value) is int


print(is_int(True), is_int(3), type(True) is bool)
