"""The arithmetic and logic that every kernel function is written in.

Theory of operation
-------------------
Each kernel function that decides something takes a ``logic`` argument and
does all of its value-dependent choices through it: ``logic.ite(c, a, b)``
instead of ``a if c else b``, ``logic.all(...)`` instead of ``and``,
``logic.min(a, b)`` instead of ``min``.  Control flow that does not depend on
values (dispatch on the event's class, loops over fixed-size tuples) stays
plain Python.

That one rule gives three interpreters of the same code:

* ``PY`` (this module): Python ``int`` and ``bool``.  This is the kernel that
  ships.
* ``Z3`` (``specs.z3_logic``): Z3 terms.  Running the shipped functions on Z3
  terms yields the transition relation that ``proofs/`` reasons about, so the
  proofs are about this code, not about a model of it.
* CrossHair runs the ``PY`` interpretation symbolically.

Anything else a kernel function does with a value (Python ``if``, ``and``,
``min``) raises under Z3 ("cannot be cast to a concrete Boolean"), so a slip
is loud, not silent.

The primitives below are the trusted base: the few operations whose ``PY``
and ``Z3`` versions are written separately.  ``mul_small`` and
``divmod_bounded`` are the only places where two variables meet in a product
or a quotient; their Z3 versions are linear (shift-and-add and restoring
division over a fixed number of bits), and ``property_tests`` check the two
versions agree on their whole input domain.

Units: none of its own.  Requirements served: U-1 (integers only; no floating
point anywhere in the kernel).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Logic(Protocol):
    """The operations kernel code may use on values (see the module theory)."""

    def ite(self, cond: bool, then: int, other: int) -> int:
        """``then`` if ``cond`` else ``other``, for integers."""
        ...

    def pick(self, cond: bool, then: T, other: T) -> T:
        """``then`` if ``cond`` else ``other``, for any value (states, tuples)."""
        ...

    def all(self, *conds: bool) -> bool:
        """Conjunction (``True`` when empty)."""
        ...

    def any(self, *conds: bool) -> bool:
        """Disjunction (``False`` when empty)."""
        ...

    def not_(self, cond: bool) -> bool:
        """Negation."""
        ...

    def min(self, a: int, b: int) -> int:
        """The smaller of two integers."""
        ...

    def max(self, a: int, b: int) -> int:
        """The larger of two integers."""
        ...

    def div_const(self, x: int, k: int) -> int:
        """``x // k`` for a literal constant ``k > 0`` and ``x >= 0``."""
        ...

    def at(self, items: Sequence[int], index: int) -> int:
        """``items[index]`` for an index ``0 <= index < len(items)``."""
        ...

    def with_at(self, items: tuple[int, ...], index: int, value: int) -> tuple[int, ...]:
        """``items`` with position ``index`` replaced by ``value``."""
        ...

    def mul_small(self, x: int, k: int, bits: int) -> int:
        """``x * k`` for ``0 <= k < 2**bits`` (``bits`` a literal constant)."""
        ...

    def lookup(self, table: Mapping[Any, Any], key: tuple[Any, ...]) -> Any:
        """``table[key]`` for a constant table that is complete over its keys.

        Keys are tuples of integers and booleans; values are integers,
        booleans, or tuples of them.
        """
        ...

    def divmod_bounded(self, n: int, d: int, bits: int) -> tuple[int, int]:
        """``divmod(n, d)`` for ``d >= 1`` and ``0 <= n < d * 2**bits``."""
        ...


class PythonLogic:
    """The shipping interpretation: plain Python integers and booleans."""

    def ite(self, cond: bool, then: int, other: int) -> int:
        return then if cond else other

    def pick(self, cond: bool, then: T, other: T) -> T:
        return then if cond else other

    def all(self, *conds: bool) -> bool:
        return all(conds)

    def any(self, *conds: bool) -> bool:
        return any(conds)

    def not_(self, cond: bool) -> bool:
        return not cond

    def min(self, a: int, b: int) -> int:
        return a if a <= b else b

    def max(self, a: int, b: int) -> int:
        return a if a >= b else b

    def div_const(self, x: int, k: int) -> int:
        return x // k

    def at(self, items: Sequence[int], index: int) -> int:
        return items[index]

    def with_at(self, items: tuple[int, ...], index: int, value: int) -> tuple[int, ...]:
        return (*items[:index], value, *items[index + 1 :])

    def mul_small(self, x: int, k: int, bits: int) -> int:
        return x * k

    def lookup(self, table: Mapping[Any, Any], key: tuple[Any, ...]) -> Any:
        return table[key]

    def divmod_bounded(self, n: int, d: int, bits: int) -> tuple[int, int]:
        return n // d, n % d


PY: Logic = PythonLogic()
"""The logic the shipped kernel runs on."""


def first_refusal(logic: Logic, checks: Sequence[tuple[bool, int]]) -> int:
    """The reason code of the first failed check, or 0 when every check holds.

    ``checks`` is an ordered table of ``(holds, reason_code)`` pairs; order is
    priority.  Serves INP-1 (one reason code per refusal).
    """
    reason = 0
    for holds, code in reversed(checks):
        reason = logic.ite(holds, reason, code)
    return reason


def total(items: Sequence[int]) -> int:
    """Sum of a fixed-length tuple (works on integers and on Z3 terms)."""
    result = 0
    for item in items:
        result = result + item
    return result
