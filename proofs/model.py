"""Shared symbolic context for the proof obligations, and counterexample handling.

Theory of operation
-------------------
A ``Context`` holds one symbolic configuration and, built on demand and
cached, one symbolic step per event class (``specs.z3_model.symbolic_step``:
the shipped transition run on Z3 terms).  Every obligation draws on it, so
each transition is built once per proof run.

``concretize`` reads a Z3 model back into the kernel's own frozen values
(configuration, state, event), which is how a failed obligation becomes a
readable counterexample and a regression test that replays the step through
the real ``kernel.step``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import z3

from kernel.config import PumpConfig
from kernel.log import EventLog
from specs.symbolic import leaves
from specs.z3_model import Step, symbolic_config, symbolic_step


def as_bool(value: Any) -> Any:
    """A Z3 Boolean for a Python ``bool`` or a Z3 term."""
    return z3.BoolVal(value) if isinstance(value, bool) else value


class Context:
    """One symbolic configuration and its symbolic steps (see module docstring)."""

    def __init__(self) -> None:
        self.config: PumpConfig = symbolic_config("c")
        self._steps: dict[type, Step] = {}

    def step(self, event_class: type) -> Step:
        if event_class not in self._steps:
            self._steps[event_class] = symbolic_step(event_class, self.config)
        return self._steps[event_class]


def _value(model: z3.ModelRef, term: Any) -> Any:
    if not isinstance(term, z3.ExprRef):
        return term
    evaluated = model.eval(term, model_completion=True)
    if z3.is_true(evaluated):
        return True
    if z3.is_false(evaluated):
        return False
    return evaluated.as_long()


def concretize(model: z3.ModelRef, value: Any) -> Any:
    """The concrete kernel value that ``model`` assigns to a symbolic ``value``."""
    if isinstance(value, EventLog):
        return value
    if isinstance(value, tuple):
        return tuple(concretize(model, item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(
            value, **{f.name: concretize(model, getattr(value, f.name)) for f in dataclasses.fields(value)}
        )
    return _value(model, value)


def changed_leaves(before: Any, after: Any) -> Iterator[tuple[str, Any, Any]]:
    """(path, before, after) for every leaf that differs between two concrete values."""
    for (name, a), (_, b) in zip(leaves(before, "state"), leaves(after, "state"), strict=True):
        if a != b:
            yield name, a, b
