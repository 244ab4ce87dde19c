def make(c, *, auto_off_hours=12, lgs_enabled=True):
    return (c, auto_off_hours, lgs_enabled)


print(make(1, lgs_enabled=False))
