print((255).bit_length())
