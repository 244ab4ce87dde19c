class Deliver:
    pass


class Alarm:
    pass


Command = Deliver | Alarm
print("defined")
