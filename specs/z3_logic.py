"""The kernel's logic over Z3 terms: run the shipped kernel code symbolically.

Theory of operation
-------------------
``kernel.logic`` defines the few operations kernel code may apply to values.
``Z3Logic`` implements them over Z3 terms, so calling a kernel function with
symbolic configuration, state and event yields Z3 terms for its results: the
transition relation of the *shipped* code, not of a model written beside it.

Where a value is still a concrete Python ``int`` or ``bool`` (a literal, a
table entry, a field of a concrete part of the state) the operations compute
it directly, which keeps the terms small.

The primitives that would otherwise be nonlinear are linear here:
``mul_small`` multiplies by a small variable through shift-and-add over a
fixed number of bits, and ``divmod_bounded`` is restoring division over a
fixed number of bits.  Each primitive agrees with Python only inside its
*domain* (``kernel.logic``).  A ``Z3Logic`` made with ``record=True`` keeps,
for every primitive call made with a symbolic argument, the call's name and
its domain condition as a Z3 formula (``side_conditions``); the proof
obligations of ``proofs/primitives.py`` show that every such condition holds
on every step from a state satisfying the invariants, so the Z3 relation the
proofs reason about is the one Python computes.
``property_tests/test_logic_agreement.py`` checks the agreement itself,
boundaries included, and that each recorded domain condition is false
exactly outside the domain.

A product of two terms is returned as an application ``mul_small_<bits>(x, k)``
of an uninterpreted function (``product_function``; a literal ``x`` gives the
plain sum), and its shift-and-add sum is kept beside it as its *definition*
(``product_definitions``).  ``proofs.framework`` replaces every product by
its sum before solving (``expand_products``: the very terms written in place
before), or, for a query that asks for it, keeps the applications and asserts
the definition of every product the query mentions.  Z3 then sees two
products with provably equal arguments (the kernel's percent temp rate and
the reference's) as equal by congruence, instead of comparing two
shift-and-add sums bit by bit (``GHOST-CONS/basal/Tick``'s percent case: 14
to 28 s as sums, 0.1 s as applications).  With every definition asserted the
query means what it meant with the sums written in place; a definition left
out would only make a proof harder (it would then hold for every function,
multiplication included).  Code that evaluates terms itself (substitution and
``z3.simplify``) expands products first.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Collection, Mapping, Sequence
from typing import Any, TypeVar

import z3

T = TypeVar("T")

_PICK_NAMES = itertools.count()
"""Numbers of named pick conditions (``Z3Logic.pick``), unique in the process."""


def is_term(value: object) -> bool:
    """True for a Z3 expression (as opposed to a concrete Python value)."""
    return isinstance(value, z3.ExprRef)


def is_record(value: object) -> bool:
    """A kernel record: a ``NamedTuple`` instance."""
    return isinstance(value, tuple) and hasattr(type(value), "_fields")


class Z3Logic:
    """``kernel.logic.Logic`` over Z3 terms (see module docstring)."""

    def __init__(self, record: bool = False) -> None:
        self.recording = record
        self.side_conditions: list[tuple[str, Any]] = []
        self.definitions: list[Any] = []
        """``b == condition`` for each named pick condition (see ``pick``); true by definition."""

    def _need(self, name: str, condition: Any) -> None:
        if self.recording and is_term(condition):
            self.side_conditions.append((name, condition))

    def ite(self, cond: Any, then: Any, other: Any) -> Any:
        if not is_term(cond):
            return then if cond else other
        if not is_term(then) and not is_term(other) and then == other and type(then) is type(other):
            return then
        if then is other:
            return then
        return z3.If(cond, then, other)

    def pick(self, cond: Any, then: T, other: T) -> T:
        if not is_term(cond):
            return then if cond else other
        if self.recording and (isinstance(then, tuple) and then is not other) and not z3.is_const(cond):
            # A record or tuple picked on a large condition: name the condition once (``b == cond``), so every
            # leaf's ite shares one Boolean the solver can split on.  Equivalent: the definition is asserted.
            # Numbered across every instance: two steps in one query must not share a name (and so a condition).
            named = z3.Bool(f"pick!{next(_PICK_NAMES)}")
            self.definitions.append(named == cond)
            cond = named
        return self._pick(cond, then, other)  # type: ignore[no-any-return]

    def _pick(self, cond: Any, then: Any, other: Any) -> Any:
        if then is other:
            return then
        if is_record(then):
            return type(then)(*(self._pick(cond, a, b) for a, b in zip(then, other, strict=True)))
        if dataclasses.is_dataclass(then) and not isinstance(then, type):
            changes = {
                field.name: self._pick(cond, getattr(then, field.name), getattr(other, field.name))
                for field in dataclasses.fields(then)
            }
            return dataclasses.replace(then, **changes)
        if isinstance(then, tuple):
            if len(then) != len(other):
                raise ValueError("cannot pick between tuples of different lengths")
            return tuple(self._pick(cond, a, b) for a, b in zip(then, other, strict=True))
        return self.ite(cond, then, other)

    def all(self, *conds: Any) -> Any:
        terms = []
        for cond in conds:
            if is_term(cond):
                terms.append(cond)
            elif not cond:
                return False
        if not terms:
            return True
        return terms[0] if len(terms) == 1 else z3.And(*terms)

    def any(self, *conds: Any) -> Any:
        terms = []
        for cond in conds:
            if is_term(cond):
                terms.append(cond)
            elif cond:
                return True
        if not terms:
            return False
        return terms[0] if len(terms) == 1 else z3.Or(*terms)

    def both(self, a: Any, b: Any) -> Any:
        return self.all(a, b)

    def either(self, a: Any, b: Any) -> Any:
        return self.any(a, b)

    def not_(self, cond: Any) -> Any:
        return z3.Not(cond) if is_term(cond) else not cond

    def min(self, a: Any, b: Any) -> Any:
        if not is_term(a) and not is_term(b):
            return a if a <= b else b
        return z3.If(a <= b, a, b)

    def max(self, a: Any, b: Any) -> Any:
        if not is_term(a) and not is_term(b):
            return a if a >= b else b
        return z3.If(a >= b, a, b)

    def member(self, x: Any, values: Collection[Any]) -> Any:
        return self.any(*(x == value for value in values))

    def same(self, a: tuple[Any, ...], b: tuple[Any, ...]) -> Any:
        return self.all(*(x == y for x, y in zip(a, b, strict=True)))

    def div_const(self, x: Any, k: int) -> Any:
        # SMT-LIB integer division by a positive constant is floor division, as in Python.
        if not (type(k) is int and k > 0):
            raise ValueError("div_const needs a positive literal divisor")
        return x / k if is_term(x) else x // k

    def at(self, items: Sequence[Any], index: Any) -> Any:
        if not is_term(index):
            return items[index]
        self._need("at", z3.And(index >= 0, index < len(items)))
        result = items[-1]
        for position in range(len(items) - 2, -1, -1):
            result = z3.If(index == position, items[position], result)
        return result

    def with_at(self, items: tuple[Any, ...], index: Any, value: Any) -> tuple[Any, ...]:
        if not is_term(index):
            return (*items[:index], value, *items[index + 1 :])
        self._need("with_at", z3.And(index >= 0, index < len(items)))
        return tuple(self.ite(index == position, value, item) for position, item in enumerate(items))

    def mul_small(self, x: Any, k: Any, bits: int) -> Any:
        if not is_term(k):
            return x * k
        self._need(f"mul_small/{bits}", z3.And(k >= 0, k < (1 << bits)))
        product = _shift_and_add(x, k, bits)
        if not is_term(x):
            return product  # a literal factor: the sum is linear and small, nothing to equate by congruence
        application = product_function(bits)(x, k)
        # The same arguments give the same (hash-consed) application and the same sum; the entry keeps the
        # application alive, so its AST id stays its own.
        _PRODUCTS.setdefault(application.get_id(), (application, application == product))
        return application

    def divmod_bounded(self, n: Any, d: Any, bits: int) -> tuple[Any, Any]:
        if not is_term(n) and not is_term(d):
            return n // d, n % d
        _, quotient, rest = restoring_steps(n, d, bits)[-1]
        # Inside the domain (d >= 1, 0 <= n < d * 2**bits) the remainder ends below d; outside it does not.
        self._need(f"divmod_bounded/{bits}", z3.And(d >= 1, n >= 0, rest < d))
        return quotient, rest

    def lookup(self, table: Mapping[Any, Any], key: tuple[Any, ...]) -> Any:
        if not any(is_term(part) for part in key):
            return table[key]
        entries = list(table.items())
        matches = []
        result = entries[-1][1]
        for entry_key, value in reversed(entries[:-1]):
            match = self.all(*(part == wanted for part, wanted in zip(key, entry_key, strict=True)))
            result = self._pick(match, value, result) if is_term(match) else (value if match else result)
        for entry_key, _ in entries:
            matches.append(self.all(*(part == wanted for part, wanted in zip(key, entry_key, strict=True))))
        found = self.any(*matches)
        if is_term(found):
            self._need("lookup", found)
        elif not found:
            # Every entry is ruled out by a concrete part of the key: Python's dict raises here, and so does this
            # version (a call outside the domain must never pass unnoticed, with the table's last value).
            raise KeyError(key)
        return result


Z3 = Z3Logic()
"""The logic the proofs run the kernel on (records no side conditions)."""


def restoring_steps(n: Any, d: Any, bits: int) -> list[tuple[int, Any, Any]]:
    """The restoring division of ``n`` by ``d`` bit by bit, as ``divmod_bounded`` builds it: after each bit,
    highest first, ``(bit, quotient so far, rest so far)``; the last entry is its answer.  The terms in between
    are what lemma chains about the division name (``proofs.arithmetic_lemmas``)."""
    steps: list[tuple[int, Any, Any]] = []
    quotient: Any = 0
    rest = n
    for bit in range(bits - 1, -1, -1):
        weight = 1 << bit
        take = rest >= d * weight
        rest = z3.If(take, rest - d * weight, rest)
        quotient = quotient + z3.If(take, weight, 0)
        steps.append((bit, quotient, rest))
    return steps


def shift_and_add_steps(x: Any, k: Any, bits: int) -> list[tuple[int, Any]]:
    """``x * k`` for ``0 <= k < 2**bits`` bit by bit of ``k``, highest first: after each bit ``(bit, the sum so
    far)``, each term ``x`` shifted or 0; the last sum is the product (``_shift_and_add``)."""
    steps: list[tuple[int, Any]] = []
    product: Any = 0
    rest = k
    for bit in range(bits - 1, -1, -1):
        weight = 1 << bit
        take = rest >= weight
        product = product + z3.If(take, x * weight, 0)
        rest = rest - z3.If(take, weight, 0)
        steps.append((bit, product))
    return steps


def _shift_and_add(x: Any, k: Any, bits: int) -> Any:
    """``x * k`` for ``0 <= k < 2**bits`` as a sum of ``bits`` terms, each ``x`` shifted or 0."""
    return shift_and_add_steps(x, k, bits)[-1][1]


_FUNCTIONS: dict[int, tuple[Any, Any]] = {}
"""Per bit count: the function ``mul_small_<bits>`` and its sum over the variables ``(x, k)`` as a body."""


def product_function(bits: int) -> Any:
    """The uninterpreted function ``mul_small_<bits>(x, k)`` standing for a product with ``bits`` bits."""
    found = _FUNCTIONS.get(bits)
    if found is None:
        function = z3.Function(f"mul_small_{bits}", z3.IntSort(), z3.IntSort(), z3.IntSort())
        body = _shift_and_add(z3.Var(0, z3.IntSort()), z3.Var(1, z3.IntSort()), bits)
        found = _FUNCTIONS[bits] = (function, body)
    return found[0]


_PRODUCTS: dict[int, tuple[Any, Any]] = {}
"""Every product application made in this process, by AST id: ``(application, application == sum)``."""


def is_product(term: Any) -> bool:
    """A ``mul_small_<bits>(x, k)`` application made by ``Z3Logic.mul_small`` in this process."""
    return is_term(term) and term.get_id() in _PRODUCTS


def is_product_id(key: int) -> bool:
    """The AST id of a ``mul_small_<bits>(x, k)`` application made by ``Z3Logic.mul_small`` in this process."""
    return key in _PRODUCTS


def product_definitions(products: Collection[int]) -> list[Any]:
    """``mul_small_<bits>(x, k) == sum`` for the products with these AST ids, and for every product inside their
    sums, transitively (a product of a product), in a fixed order."""
    found: dict[int, Any] = {}
    todo = [key for key in products if key in _PRODUCTS]
    while todo:
        key = todo.pop()
        if key in found:
            continue
        definition = _PRODUCTS[key][1]
        found[key] = definition
        todo.extend(inner for inner in products_in(definition.arg(1)) if inner not in found)
    return [found[key] for key in sorted(found)]


def products_in(term: Any) -> set[int]:
    """AST ids of the product applications in ``term``."""
    seen: set[int] = set()
    out: set[int] = set()
    stack = [term]
    while stack:
        node = stack.pop()
        key = node.get_id()
        if key in seen:
            continue
        seen.add(key)
        if key in _PRODUCTS:
            out.add(key)
        stack.extend(node.children())
    return out


def expand_products(term: Any) -> Any:
    """``term`` with every product application replaced by its shift-and-add sum (for evaluating by
    substitution and ``z3.simplify``, which cannot see through an uninterpreted function); one pass of
    Z3's ``substitute_funs`` for every bit count at once, a product inside a product included."""
    if not is_term(term) or not _FUNCTIONS:
        return term
    return z3.substitute_funs(term, *_FUNCTIONS.values())
