import hashlib

print(hashlib.sha256(b"pump").hexdigest())
