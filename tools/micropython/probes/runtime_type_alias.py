NoticeSlot = tuple[bool, int, int, int]
print("defined")
