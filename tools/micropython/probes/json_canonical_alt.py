# A canonical encoder for the record's plain values (ints, bools, lists, dicts with str keys).
def canonical(value):
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    if type(value) is str:
        return '"' + value + '"'
    if type(value) is list:
        return "[" + ",".join(canonical(item) for item in value) + "]"
    return "{" + ",".join(canonical(key) + ":" + canonical(value[key]) for key in sorted(value)) + "}"


print(canonical({"b": [1, True], "a": 2}))
