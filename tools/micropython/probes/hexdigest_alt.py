import binascii
import hashlib

print(binascii.hexlify(hashlib.sha256(b"pump").digest()).decode("ascii"))
