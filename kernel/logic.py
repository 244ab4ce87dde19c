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
* ``Z3Logic`` (``specs.z3_logic``): Z3 terms.  Running the shipped functions
  on Z3 terms yields the transition relation that ``proofs/`` reasons about,
  so the proofs are about this code, not about a model of it.
* CrossHair runs the ``PY`` interpretation symbolically.

Anything else a kernel function does with a value (Python ``if``, ``and``,
``min``) raises under Z3 ("cannot be cast to a concrete Boolean"), so a slip
is loud, not silent.

Skipping work.  A value-dependent decision is ``True``, ``False`` or a Z3
term, and a Z3 term is never the object ``False``.  So ``cond is not False``
answers "might ``cond`` hold?": exactly ``cond`` in Python, always true on Z3
terms.  The kernel uses it in one pattern only::

    x = default
    if cond is not False:
        x = logic.pick(cond, computed(...), default)

(or ``if cond is False: return default`` at the top of a function), which
means ``x = logic.pick(cond, computed(...), default)`` in both interpreters:
Z3 always evaluates both sides, Python evaluates ``computed`` only when its
result is used.  Kernel functions are pure, so leaving out an evaluation
whose result is discarded changes nothing.  Every output of a skipped block
is picked this way, so the pattern is exact for every input, not only for
states that satisfy the invariants; ``property_tests/test_lazy_exact.py``
checks it by comparing the shipped interpretation with an eager one that
never skips.  This is how the shipped step stays cheap without a second,
faster copy of it.

Enum members.  CPython 3.11 reads an attribute of an ``Enum`` class through
``EnumType.__getattr__``: ``Mode.DELIVERING`` costs about 50 ns, a module global
about 10 ns, and the step reads dozens per event.  The modules on the step's
path therefore bind the members they read as module constants
(``_DELIVERING = Mode.DELIVERING``): the same objects, so the same meaning under
every logic (``make bench``: a plain tick 669x an empty call before, 542x after).

The primitives below are the trusted base: the few operations whose ``PY``
and Z3 versions are written separately.  Each has a *domain* (its side
condition): ``at`` and ``with_at`` need an index inside the tuple,
``mul_small`` a factor below ``2**bits``, ``divmod_bounded`` a numerator
below ``d * 2**bits``, ``div_const`` a positive literal divisor, ``lookup`` a
key of the table.  Inside its domain each Z3 version equals its Python
version (``property_tests/test_logic_agreement.py`` checks that, boundaries
included); the Z3 interpretation records every call's side condition, and a
proof obligation shows that every call the step makes stays in its domain
(``proofs/primitives.py``).

Units: none of its own.  Requirements served: U-1 (integers only; no floating
point anywhere in the kernel).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Logic(Protocol):
    """The operations kernel code may use on values (see the module theory)."""

    def ite(self, cond: bool, then: int, other: int) -> int:
        """``then`` if ``cond`` else ``other``, for integers."""
        ...

    def pick(self, cond: bool, then: T, other: T) -> T:
        """``then`` if ``cond`` else ``other``, for any value (records, tuples)."""
        ...

    def all(self, *conds: bool) -> bool:
        """Conjunction (``True`` when empty)."""
        ...

    def any(self, *conds: bool) -> bool:
        """Disjunction (``False`` when empty)."""
        ...

    def both(self, a: bool, b: bool) -> bool:
        """``a and b`` (two operands: cheaper than ``all`` in Python)."""
        ...

    def either(self, a: bool, b: bool) -> bool:
        """``a or b`` (two operands: cheaper than ``any`` in Python)."""
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

    def member(self, x: int, values: Collection[int]) -> bool:
        """``x in values`` for a fixed-size collection of integers."""
        ...

    def same(self, a: tuple[int, ...], b: tuple[int, ...]) -> bool:
        """``a == b`` for two tuples of integers of the same length."""
        ...

    def div_const(self, x: int, k: int) -> int:
        """``x // k`` (floor division) for a literal constant ``k > 0``."""
        ...

    def at(self, items: Sequence[int], index: int) -> int:
        """``items[index]``; domain ``0 <= index < len(items)``."""
        ...

    def with_at(self, items: tuple[int, ...], index: int, value: int) -> tuple[int, ...]:
        """``items`` with position ``index`` replaced by ``value``; domain ``0 <= index < len(items)``."""
        ...

    def mul_small(self, x: int, k: int, bits: int) -> int:
        """``x * k``; domain ``0 <= k < 2**bits`` (``bits`` a literal constant)."""
        ...

    def lookup(self, table: Mapping[Any, Any], key: tuple[Any, ...]) -> Any:
        """``table[key]`` for a constant table; domain: ``key`` is one of its keys.

        Keys are tuples of integers and booleans; values are integers,
        booleans, or tuples of them.
        """
        ...

    def divmod_bounded(self, n: int, d: int, bits: int) -> tuple[int, int]:
        """``divmod(n, d)``; domain ``d >= 1`` and ``0 <= n < d * 2**bits``."""
        ...


class PythonLogic:
    """The shipping interpretation: plain Python integers and booleans."""

    __slots__ = ()

    def ite(self, cond: bool, then: int, other: int) -> int:
        return then if cond else other

    def pick(self, cond: bool, then: T, other: T) -> T:
        return then if cond else other

    def all(self, *conds: bool) -> bool:
        return all(conds)

    def any(self, *conds: bool) -> bool:
        return any(conds)

    def both(self, a: bool, b: bool) -> bool:
        return a and b

    def either(self, a: bool, b: bool) -> bool:
        return a or b

    def not_(self, cond: bool) -> bool:
        return not cond

    def min(self, a: int, b: int) -> int:
        return a if a <= b else b

    def max(self, a: int, b: int) -> int:
        return a if a >= b else b

    def member(self, x: int, values: Collection[int]) -> bool:
        return x in values

    def same(self, a: tuple[int, ...], b: tuple[int, ...]) -> bool:
        return a == b

    def div_const(self, x: int, k: int) -> int:
        return x // k

    def at(self, items: Sequence[int], index: int) -> int:
        return items[index]

    def with_at(self, items: tuple[int, ...], index: int, value: int) -> tuple[int, ...]:
        return items[:index] + (value,) + items[index + 1 :]

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
    """Sum of a fixed-length tuple (works on integers and on Z3 terms: ``0 + term`` is a term)."""
    return sum(items)
