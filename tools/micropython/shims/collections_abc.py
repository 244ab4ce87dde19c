# MicroPython stand-in for collections.abc (harness only, docs/micropython.md); driver.py installs it as
# sys.modules["collections.abc"] because collections is MicroPython's own package.  Every name is `object`
# (module __getattr__): the kernel uses them in annotations and type aliases only.


def __getattr__(name):
    return object
