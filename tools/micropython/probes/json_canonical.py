import json

print(json.dumps({"b": [1, True], "a": 2}, sort_keys=True, separators=(",", ":")))
