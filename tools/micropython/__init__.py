"""MicroPython 1.27 harness: what stands between kernel/ and MicroPython (docs/micropython.md)."""
