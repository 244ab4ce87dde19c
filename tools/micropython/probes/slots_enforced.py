class A:
    __slots__ = ("x",)

    def __init__(self):
        self.x = 1


a = A()
try:
    a.y = 2
    print("extra attribute accepted")
except AttributeError:
    print("AttributeError")
