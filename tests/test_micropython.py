"""The MicroPython 1.27 harness runs, and what it finds matches docs/micropython.md's catalogue.

Runs ``tools.micropython.check.collect()`` (a few seconds): every probe's
verdict under MicroPython equals the one recorded in
``tools/micropython/catalogue.py``, every portable alternative prints the same
under MicroPython and CPython, every kernel module is tried, and whenever the
whole kernel imports under MicroPython, its scripted hour equals CPython's.
Skipped when ``node`` or the pinned npm package is missing (``make
micropython`` installs it; the test itself never touches the network).
"""

from __future__ import annotations

import pytest

from tools.micropython import check

UNAVAILABLE = check.unavailable()


@pytest.mark.skipif(UNAVAILABLE is not None, reason=f"MicroPython harness unavailable: {UNAVAILABLE}")
def test_micropython_findings_match_the_catalogue() -> None:
    findings = check.collect()
    assert check.problems(findings) == []
