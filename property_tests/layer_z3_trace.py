"""What an obligation's query depends on, and what it is: kernel functions traced by mutmut name, canonical text.

Theory of operation
-------------------
``KernelTracer`` (``sys.setprofile``) records every call of a function whose
code lies under ``kernel/``, named as mutmut names its mutants
(``kernel.m.x_f``, ``kernel.m.xǁClassǁmethod``): a nested function, lambda or
comprehension counts as its enclosing top-level function or method, code that
``proofs.families.planting`` recompiles from a kernel function's source counts
as that function; module and class bodies are not functions.  Calls made
while any module body runs (an import) also go to ``imported``.
``attribute_caches`` wraps the caches the query builds use (``CACHES``) so a
cache hit adds to the current section what the cache's first build called.

``fingerprint``: SHA-256 of a canonical text of everything
``proofs.framework.run_query``'s verdict reads: the obligation's budget, the
witness flag, the tracked labels and goal names, and the SMT-LIB text
(``Solver.sexpr``) of hypotheses, goals and premise, with every declared
constant renamed by first occurrence (``canonical``; the pick, snapshot and
abstraction constants carry process-wide counters, so their names depend on
what was built before).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from inspect import CO_OPTIMIZED
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

from property_tests.mutmut_names import kernel_module, mutmut_name


class KernelTracer:
    """Records the kernel functions called (see module docstring), per section and during imports."""

    def __init__(self, kernel_dir: Path) -> None:
        self.prefix = str(kernel_dir.resolve()) + "/"
        self.names: dict[CodeType, str | None] = {}
        self.called: set[str] = set()
        self.imported: set[str] = set()
        self.import_depth = 0

    def _name(self, code: CodeType) -> str | None:
        if not code.co_flags & CO_OPTIMIZED:  # a module or class body, not a function
            return None
        filename = code.co_filename
        if filename.startswith(self.prefix):
            return mutmut_name(kernel_module(Path("kernel", filename[len(self.prefix) :])), code.co_qualname)
        if filename.startswith("<planted kernel."):  # proofs.families.planting recompiles a kernel function
            module, _, function = filename[len("<planted ") : -1].rpartition(".")
            return f"{module}.x_{function}" if code.co_qualname != "<module>" else None
        return None

    def _profile(self, frame: FrameType, event: str, _arg: Any) -> None:
        if event not in ("call", "return"):
            return
        code = frame.f_code
        if code.co_name == "<module>":
            self.import_depth += 1 if event == "call" else -1
            return
        if event == "return":
            return
        name = self.names.get(code, "?")
        if name == "?":
            name = self.names[code] = self._name(code)
        if name is not None:
            self.called.add(name)
            if self.import_depth > 0:
                self.imported.add(name)

    @contextmanager
    def section(self) -> Iterator[set[str]]:
        """Trace the block; the yielded set holds, afterwards, the kernel functions it called."""
        found: set[str] = set()
        self.called = found
        sys.setprofile(self._profile)
        try:
            yield found
        finally:
            sys.setprofile(None)


_TOKEN = re.compile(r"\|[^|]*\||[()]|[^\s()|]+")
"""An SMT-LIB token: a quoted symbol, a parenthesis, or a run of other non-space characters."""


def canonical(text: str) -> str:
    """SMT-LIB text as tokens (layout dropped: the printer wraps lines by the names' lengths), every declared
    symbol renamed ``v<n>`` by first occurrence in the assertions, the declarations sorted."""
    forms: list[list[str]] = []
    current: list[str] = []
    depth = 0
    for token in _TOKEN.findall(text):
        current.append(token)
        depth += {"(": 1, ")": -1}.get(token, 0)
        if depth == 0:
            forms.append(current)
            current = []
    forms.append(current)
    declarations = [form for form in forms if form[:2] == ["(", "declare-fun"] and len(form) > 2]
    declared = {form[2] for form in declarations}
    body = [form for form in forms if not (form[:2] == ["(", "declare-fun"] and len(form) > 2)]
    names: dict[str, str] = {}

    def rename(form: list[str]) -> str:
        return " ".join(names.setdefault(token, f"v{len(names)}") if token in declared else token for token in form)

    renamed_body = [rename(form) for form in body]
    return "\n".join(sorted(rename(form) for form in declarations)) + "\n" + "\n".join(renamed_body)


def fingerprint(obligation: Any, query: Any) -> str:
    """SHA-256 of the canonical text of everything ``run_query``'s verdict reads (see module docstring)."""
    import z3

    def boolean(value: Any) -> Any:
        return z3.BoolVal(value) if isinstance(value, bool) else value

    goals = list(query.goal) if isinstance(query.goal, list) else [("goal", query.goal)]
    solver = z3.Solver()
    for _, formula in query.tracked:
        solver.add(boolean(formula))
    for formula in query.plain:
        solver.add(boolean(formula))
    for _, goal in goals:
        solver.add(boolean(goal))
    if query.premise is not None:
        solver.add(boolean(query.premise))
    header = json.dumps(
        [
            obligation.budget_s,
            bool(query.witness),
            [label for label, _ in query.tracked],
            len(query.plain),
            [name for name, _ in goals],
            query.premise is not None,
        ]
    )
    return hashlib.sha256((header + "\n" + canonical(solver.sexpr())).encode()).hexdigest()


CACHES = (
    ("proofs.context", "Context", "step"),
    ("proofs.context", "Context", "config_hypotheses"),
    ("proofs.context", "Context", "invariant_hypotheses"),
    ("proofs.families.requests_memory", "", "abstract_request_step"),
)
"""Every cache the query builds use (found by reading proofs/ and specs/: the context's steps and hypotheses, the
per-context abstract request steps; ``proofs.slicing``'s memo is the solver's and calls no kernel code)."""


def _key(value: Any) -> Any:
    return value if isinstance(value, str | int) else id(value)


def attribute_caches(tracer: KernelTracer, caches: tuple[tuple[str, str, str], ...] = CACHES) -> None:
    """Wrap each of ``CACHES`` so a call (hit or miss) adds to the current section what its first build called.

    A call's own trace goes to its key's set (key: the identity of its arguments), and the key's set is added to
    the caller's; a hit calls no kernel code, so it adds exactly what the miss did.  Two keys that collide (an id
    reused after a collection) only enlarge the set.
    """
    import importlib

    memo: dict[tuple[Any, ...], set[str]] = {}
    for module_name, class_name, name in caches:
        module = importlib.import_module(module_name)
        owner = getattr(module, class_name) if class_name else module
        original = getattr(owner, name)

        def wrapper(*args: Any, _original: Any = original, _name: str = name) -> Any:
            outer = tracer.called
            inner = tracer.called = set()
            try:
                return _original(*args)
            finally:
                tracer.called = outer
                found = memo.setdefault((_name, *map(_key, args)), set())
                found |= inner
                outer |= found

        if class_name:
            setattr(owner, name, wrapper)
        for loaded in list(sys.modules.values()):  # every module that holds the function under some name
            for attribute, value in list(getattr(loaded, "__dict__", {}).items()):
                if value is original and not class_name:
                    setattr(loaded, attribute, wrapper)
