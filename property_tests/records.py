"""One helper for building changed kernel records, whatever their kind.

Theory of operation
-------------------
The kernel's records (the state, its parts, the settings) are frozen
dataclasses today and become ``typing.NamedTuple``\\ s in the kernel's rewrite,
with the same field names.  ``replaced(record, field=value, ...)`` returns a
copy with the changes for either kind (``_replace`` for a named tuple,
``dataclasses.replace`` otherwise), so the test machinery that builds states
(the small-scope search, the hostile-event run) works on both.
"""

from __future__ import annotations

import dataclasses
from typing import TypeVar

T = TypeVar("T")


def replaced(record: T, **changes: object) -> T:
    """``record`` with ``changes``: a frozen dataclass or a ``NamedTuple`` (the kernel's records are either)."""
    if hasattr(record, "_replace"):
        result: T = record._replace(**changes)
        return result
    return dataclasses.replace(record, **changes)  # type: ignore[type-var]
