import json

print(json.loads('{"a": [1, true, null]}')["a"], json.dumps([1, True, None]))
