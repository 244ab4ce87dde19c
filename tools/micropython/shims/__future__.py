# MicroPython stand-in for CPython's __future__ (harness only, docs/micropython.md).
# MicroPython 1.27 never evaluates annotations, so the flag has nothing to switch on.
annotations = True
