"""Testing the proofs: planted wrong kernels that the obligations must refute.

Theory of operation
-------------------
A proof that still passes on a wrong kernel proves little (EVD-1).  A
``Weakening`` plants one defect in the shipped kernel by replacing a module
attribute (a function, a table, a constant) at the place the step reads it,
for the duration of one check.  The obligations execute the kernel's own code
on Z3 terms, so the patched attribute changes the relation they see exactly
as a bug would.  Each weakening names the obligations expected to catch it
(ids or id prefixes); the check builds a fresh symbolic context under the
patch and runs them until one *fails* with a counterexample.  ``unknown``,
``vacuous`` and running out of budget do not count: a weakening is *caught*
only by a refutation, and *missed* otherwise (a hole in the proofs, which
fails the run).

Units: seconds.  Requirement IDs: EVD-1 (what "proved" rests on).
"""

from __future__ import annotations

import contextlib
import importlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from proofs.context import Context, describe
from proofs.framework import Obligation, Result, run_query

Patch = tuple[str, str, Callable[[Any], Any]]
"""(module, attribute, a function of the original value returning the planted value)."""


@dataclass(frozen=True)
class Weakening:
    """One planted defect (see module docstring)."""

    id: str
    family: str
    statement: str
    requirements: tuple[str, ...]
    patches: tuple[Patch, ...]
    expected: tuple[str, ...]
    """Obligation ids or id prefixes (ending ``/``) expected to refute it, tried in this order."""


@dataclass
class WeakeningResult:
    weakening: Weakening
    caught_by: str | None
    tried: list[tuple[str, str]]
    """(obligation id, status) of every obligation run, in order."""
    seconds: float

    @property
    def caught(self) -> bool:
        return self.caught_by is not None


@contextlib.contextmanager
def planted(patches: Sequence[Patch]) -> Iterator[None]:
    """Every patch applied, and undone afterwards (also on error)."""
    undo: list[tuple[Any, str, Any]] = []
    try:
        for module_name, attribute, make in patches:
            module = importlib.import_module(module_name)
            original = getattr(module, attribute)
            undo.append((module, attribute, original))
            setattr(module, attribute, make(original))
        yield
    finally:
        for module, attribute, original in reversed(undo):
            setattr(module, attribute, original)


def _selected(weakening: Weakening, obligations: Sequence[Obligation]) -> list[Obligation]:
    chosen: list[Obligation] = []
    for wanted in weakening.expected:
        for ob in obligations:
            if ob not in chosen and (ob.id == wanted or (wanted.endswith("/") and ob.id.startswith(wanted))):
                chosen.append(ob)
    return chosen


def check_weakening(weakening: Weakening, obligations: Sequence[Obligation]) -> WeakeningResult:
    """Run the expected obligations under the planted defect until one is refuted."""
    started = time.perf_counter()
    tried: list[tuple[str, str]] = []
    with planted(weakening.patches):
        ctx = Context()
        for ob in _selected(weakening, obligations):
            result: Result = run_query(ob, ob.build(ctx), describe)
            tried.append((ob.id, result.status))
            if result.status == "failed":
                return WeakeningResult(weakening, ob.id, tried, time.perf_counter() - started)
    return WeakeningResult(weakening, None, tried, time.perf_counter() - started)


def replace_with(value: Any) -> Callable[[Any], Any]:
    """A patch maker that ignores the original."""
    return lambda _original: value
