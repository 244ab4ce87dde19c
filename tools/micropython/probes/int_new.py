# An int subclass that carries a name needs int.__new__.
class Member(int):
    def __new__(cls, value, name):
        self = int.__new__(cls, value)
        self.name = name
        return self


print(Member(3, "X").name)
