"""Python and Z3 interpretations of each ``Logic`` primitive, compared on one concrete call.

Theory of operation
-------------------
The primitives of ``kernel.logic`` are the trusted base: the only operations
whose Python (``PY``) and Z3 (``specs.z3_logic.Z3Logic``) versions are written
separately.  ``check_call(make_logic, call)`` runs one call both ways:

* ``PY`` on the concrete arguments;
* a ``Z3Logic(record=True)`` from ``make_logic`` on the same arguments with
  the chosen ones replaced by fresh Z3 constants (every ``int``/``bool`` leaf
  of a symbolic argument; literal parameters such as ``bits``, the divisor of
  ``div_const`` and the table of ``lookup`` stay literal, as in the kernel);
  then the concrete values are substituted into the resulting terms and into
  every side condition the call recorded, and ``z3.simplify`` evaluates them.

It returns the problems found, empty when the call is right:

* inside the primitive's domain (``DOMAINS``): both results are equal leaf by
  leaf (a ``bool`` stays a ``bool``, an ``int`` an ``int``), and every recorded
  side condition evaluates to true;
* outside it: the call cannot go unnoticed by the proofs, that is a recorded
  side condition evaluates to false, or the Z3 version raised, or nothing was
  recorded and the Z3 version computed on concrete values exactly as Python
  did (Z3Logic falls back to Python arithmetic when nothing is symbolic).

``property_tests/test_logic_agreement.py`` draws the calls (Hypothesis, plus
the boundary cases of ``BOUNDARY_CALLS``).  ``make_logic`` is a parameter so
that a deliberately wrong Z3 version can be shown to be caught.

Units: none.  Requirements served: U-1 and the trusted base of every proof
(``docs/proofs.md``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import z3

from kernel.logic import PY
from property_tests.z3_fast import value_of
from specs.z3_logic import Z3Logic, expand_products

LITERAL_ARGS: dict[str, frozenset[int]] = {
    "div_const": frozenset({1}),
    "mul_small": frozenset({2}),
    "divmod_bounded": frozenset({2}),
    "lookup": frozenset({0}),
}
"""Argument positions that are literals in kernel code (never symbolic)."""


def _in_domain(name: str, args: tuple[Any, ...]) -> bool:
    """The primitive's domain (``kernel.logic``), decided on concrete arguments."""
    if name in ("at", "with_at"):
        return bool(0 <= args[1] < len(args[0]))
    if name == "mul_small":
        return bool(0 <= args[1] < 1 << args[2])
    if name == "divmod_bounded":
        n, d, bits = args
        return bool(d >= 1 and 0 <= n < d << bits)
    if name == "div_const":
        return type(args[1]) is int and args[1] > 0
    if name == "lookup":
        return bool(args[1] in args[0])
    if name == "same":
        return len(args[0]) == len(args[1])
    if name == "pick":
        return bool(_shape(args[1]) == _shape(args[2]))
    return True


def _shape(value: Any) -> Any:
    if isinstance(value, tuple):
        return (type(value), tuple(_shape(v) for v in value))
    return type(value) is bool


@dataclass(frozen=True)
class Call:
    """One primitive call: its name, concrete arguments, and which arguments are made symbolic."""

    name: str
    args: tuple[Any, ...]
    symbolic: tuple[Any, ...]
    """Per argument: ``True`` (every leaf symbolic), ``False`` (concrete), or a tuple of such per element."""

    @property
    def in_domain(self) -> bool:
        return _in_domain(self.name, self.args)

    def __repr__(self) -> str:
        shown = ", ".join(_marked(arg, sym) for arg, sym in zip(self.args, self.symbolic, strict=True))
        return f"{self.name}({shown})"


def call(name: str, *args: Any, symbolic: tuple[Any, ...] | None = None) -> Call:
    """A ``Call`` with every non-literal argument symbolic unless ``symbolic`` says otherwise."""
    literal = LITERAL_ARGS.get(name, frozenset())
    mask = symbolic if symbolic is not None else tuple(True for _ in args)
    return Call(name, args, tuple(False if i in literal else m for i, m in enumerate(mask)))


def _marked(value: Any, mask: Any) -> str:
    """A short repr with symbolic parts marked ``$``."""
    if isinstance(mask, tuple):
        return "(" + ", ".join(_marked(v, m) for v, m in zip(value, mask, strict=True)) + ")"
    return ("$" if mask else "") + _short(value)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_names = itertools.count()


def _symbolize(value: Any, mask: Any, pairs: list[tuple[Any, Any]]) -> Any:
    """``value`` with the int/bool leaves ``mask`` selects replaced by fresh constants; ``pairs`` collects them."""
    if mask is False:
        return value
    if isinstance(mask, tuple):
        parts = [_symbolize(v, m, pairs) for v, m in zip(value, mask, strict=True)]
        return type(value)(*parts) if hasattr(type(value), "_fields") else tuple(parts)
    if isinstance(value, bool):
        const = z3.Bool(f"b{next(_names)}")
        pairs.append((const, z3.BoolVal(value)))
        return const
    if isinstance(value, int):
        const = z3.Int(f"i{next(_names)}")
        pairs.append((const, z3.IntVal(int(value))))
        return const
    if isinstance(value, tuple):
        parts = [_symbolize(v, True, pairs) for v in value]
        return type(value)(*parts) if hasattr(type(value), "_fields") else tuple(parts)
    return value


def _evaluate(value: Any, pairs: list[tuple[Any, Any]]) -> Any:
    """A Z3 result made concrete: terms substituted and simplified to Python ``int``/``bool``."""
    if isinstance(value, z3.ExprRef):
        value = expand_products(value)  # a product is its shift-and-add sum (specs.z3_logic, "A product")
        done = z3.simplify(z3.substitute(value, *pairs)) if pairs else z3.simplify(value)
        found = value_of(done)
        if found is None:
            raise ValueError(f"did not evaluate to a value: {_short(done)}")
        return found
    if isinstance(value, tuple):
        parts = [_evaluate(v, pairs) for v in value]
        return type(value)(*parts) if hasattr(type(value), "_fields") else tuple(parts)
    return value


def _typed(value: Any) -> Any:
    """A comparable form that keeps ``bool`` apart from ``int``."""
    if isinstance(value, tuple):
        return tuple(_typed(v) for v in value)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", int(value))
    return ("other", value)


MakeLogic = Callable[[], Z3Logic]


def check_call(make_logic: MakeLogic, c: Call) -> list[str]:
    """The problems of one call (see module docstring); empty when Python and Z3 agree as they must."""
    pairs: list[tuple[Any, Any]] = []
    z3_args = tuple(_symbolize(a, sym, pairs) for a, sym in zip(c.args, c.symbolic, strict=True))
    try:
        py_result: Any = getattr(PY, c.name)(*c.args)
        py_error = ""
    except (IndexError, KeyError, ZeroDivisionError, ValueError, TypeError) as problem:
        py_result, py_error = None, type(problem).__name__
    logic = make_logic()
    logic.recording = True
    try:
        z3_raw = getattr(logic, c.name)(*z3_args)
    except (IndexError, KeyError, ZeroDivisionError, ValueError, TypeError, z3.Z3Exception) as problem:
        if c.in_domain:
            return [f"{c!r}: Z3 version raised {type(problem).__name__} inside the domain"]
        return []  # loud: a call outside its domain that raises cannot go unnoticed
    conditions = [(name, _evaluate(cond, pairs)) for name, cond in logic.side_conditions]
    z3_result = _evaluate(z3_raw, pairs)
    problems = []
    if c.in_domain:
        if py_error:
            problems.append(f"{c!r}: Python raised {py_error} inside the domain")
        elif _typed(py_result) != _typed(z3_result):
            problems.append(f"{c!r}: python {_short(py_result)} != z3 {_short(z3_result)}")
        problems.extend(f"{c!r}: side condition {name} false inside the domain" for name, v in conditions if v is False)
    elif not any(v is False for _, v in conditions):
        if conditions:
            problems.append(f"{c!r}: outside the domain but every recorded side condition holds")
        elif py_error or _typed(py_result) != _typed(z3_result):
            got = py_error or _short(py_result)
            problems.append(f"{c!r}: outside the domain, nothing recorded, python {got} != z3 {_short(z3_result)}")
    return problems


def _boundary_calls() -> list[Call]:
    """Hand-picked calls at the edge of every primitive's domain, on both sides."""
    from kernel.alarms import STATUS_TABLE

    calls: list[Call] = []
    items = (7, -3, 0, 11)
    for index in (-2, -1, 0, 1, 3, 4, 5):
        calls.append(call("at", items, index))
        calls.append(call("at", items, index, symbolic=(False, True)))
        calls.append(call("with_at", items, index, 99))
    for bits in (1, 4, 9, 16):
        for k in (-1, 0, 1, (1 << bits) - 1, 1 << bits, (1 << bits) + 1):
            for x in (-7, -1, 0, 1, 13):
                calls.append(call("mul_small", x, k, bits))
    for bits in (1, 4, 16):
        for d in (-2, -1, 0, 1, 2, 7, 30):
            top = d << bits
            for n in (-1, 0, 1, d - 1, d, top - 1, top, top + 1):
                calls.append(call("divmod_bounded", n, d, bits))
                calls.append(call("divmod_bounded", n, d, bits, symbolic=(True, False, False)))
                calls.append(call("divmod_bounded", n, d, bits, symbolic=(False, True, False)))
    for x in (-6001, -6000, -5999, -7, -1, 0, 1, 5999, 6000, 6001):
        for k in (1, 4, 30, 1000, 6000):
            calls.append(call("div_const", x, k))
    for k in (0, -4):
        calls.append(call("div_const", 7, k))
    table = STATUS_TABLE
    for status in (-1, 0, 3, 4):
        for holds in (False, True):
            calls.append(call("lookup", table, (status, holds, False)))
            calls.append(call("lookup", table, (status, holds, True), symbolic=(False, (True, False, False))))
            calls.append(call("lookup", table, (status, holds, True), symbolic=(False, (False, True, True))))
    return calls


BOUNDARY_CALLS: list[Call] = _boundary_calls()
"""The boundary cases every Z3 version must get right (and every out-of-domain call must flag)."""
