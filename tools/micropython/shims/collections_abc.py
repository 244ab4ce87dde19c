# MicroPython stand-in for collections.abc (harness only, docs/micropython.md); driver.py installs it as
# sys.modules["collections.abc"] because collections is MicroPython's own package.  The kernel uses these
# names in annotations and type aliases only.
Callable = object
Mapping = object
Sequence = object
