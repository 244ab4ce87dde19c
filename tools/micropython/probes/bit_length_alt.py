def bit_length(x):
    return len(bin(abs(x))) - 2 if x else 0


print(bit_length(255), bit_length(0), bit_length(-8))
