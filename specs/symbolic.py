"""Symbolic configurations, states and events: the kernel's values with Z3 leaves.

Theory of operation
-------------------
The kernel's values are records (``NamedTuple``; events are frozen
dataclasses) whose leaves are ``int``, ``bool`` and fixed-length tuples of
them.  ``symbolic(template, prefix)`` builds a
value of the same shape whose every leaf is a fresh Z3 constant named by its
path (``s.windows.hour_pulses[3]``); ``leaves`` lists a value's leaves with the
same names.  So a concrete state maps onto the Z3 names one to one, which is
what the conformance checks and counterexample printing use.

The event log is not part of any decision (``kernel.log``) and is kept
concrete: the symbolic state carries the template's log.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any, TypeVar

import z3

from kernel.log import EventLog

T = TypeVar("T")


def _is_record(value: Any) -> bool:
    return isinstance(value, tuple) and hasattr(type(value), "_fields")


def symbolic(template: T, prefix: str) -> T:
    """A value shaped like ``template`` with a fresh Z3 constant at every leaf."""
    return _build(template, prefix)  # type: ignore[no-any-return]


def _build(value: Any, name: str) -> Any:
    if isinstance(value, EventLog):
        return value
    if isinstance(value, bool):
        return z3.Bool(name)
    if isinstance(value, int):
        return z3.Int(name)
    if _is_record(value):
        return type(value)(*(_build(getattr(value, f), f"{name}.{f}") for f in type(value)._fields))
    if isinstance(value, tuple):
        return tuple(_build(item, f"{name}[{i}]") for i, item in enumerate(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(
            value, **{f.name: _build(getattr(value, f.name), f"{name}.{f.name}") for f in dataclasses.fields(value)}
        )
    raise TypeError(f"no symbolic form for {type(value).__name__} at {name}")


def leaves(value: Any, name: str) -> Iterator[tuple[str, Any]]:
    """Every leaf of ``value`` with its path name (the log is skipped)."""
    if isinstance(value, EventLog):
        return
    if _is_record(value):
        for f in type(value)._fields:
            yield from leaves(getattr(value, f), f"{name}.{f}")
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            yield from leaves(item, f"{name}[{i}]")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from leaves(getattr(value, f.name), f"{name}.{f.name}")
    else:
        yield name, value


def leaf_values(value: Any) -> list[Any]:
    """The values of ``leaves(value, ...)``, in the same order, without building their names: the form for
    concrete values checked many times a run (conformance evaluates every output of every checked step)."""
    out: list[Any] = []
    _collect(value, out)
    return out


def _collect(value: Any, out: list[Any]) -> None:
    if isinstance(value, EventLog):
        return
    if isinstance(value, tuple):  # a record (its fields in order) or a plain tuple
        for item in value:
            kind = type(item)
            if kind is int or kind is bool:
                out.append(item)
            else:
                _collect(item, out)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            _collect(getattr(value, f.name), out)
    else:
        out.append(value)


def equal(a: Any, b: Any) -> Any:
    """The Z3 formula saying two values of the same shape are equal, leaf by leaf."""
    terms = []
    for (_, x), (_, y) in zip(leaves(a, "a"), leaves(b, "b"), strict=True):
        terms.append(x == y)
    return z3.And(*terms) if terms else z3.BoolVal(True)


def substitution(symbolic_value: Any, concrete: Any) -> list[tuple[Any, Any]]:
    """Pairs (Z3 constant, Z3 value) mapping a symbolic value onto a concrete one."""
    pairs: list[tuple[Any, Any]] = []
    for (_, term), (_, value) in zip(leaves(symbolic_value, "s"), leaves(concrete, "c"), strict=True):
        if isinstance(term, z3.ExprRef):
            if isinstance(value, bool):
                pairs.append((term, z3.BoolVal(value)))
            else:
                pairs.append((term, z3.IntVal(int(value))))
    return pairs
