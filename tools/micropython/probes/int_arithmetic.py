print(10**9 * 10**9, -7 // 2, -7 % 2, divmod(-7, 2), (2**64 + 1) % 1000, min(3, 1), max((1, 5)), abs(-3))
print(int.from_bytes(b"\x01\x02", "big"), (258).to_bytes(2, "big"))
