"""Bypass mutmut's trampolines inside one mutant's test process: the kernel runs at native speed.

Theory of operation
-------------------
mutmut 3 (3.8.1, pinned) compiles every mutant of a function into the same
module and puts a *trampoline* in the function's place: on every call it
reads the mutant under test (``MUTANT_UNDER_TEST``) and calls either the
original or the mutant.  The kernel makes thousands of small calls per step,
so the trampolines make it about four times slower (a plain tick: 1,280 µs
instead of 330 µs, measured on this machine).

Inside the forked process that tests one mutant that choice is fixed, so
``bypass(mutant)`` makes it once: for every trampolined function of the
mutated package it takes the function mutmut would call (the mutant for the
function under test, the original for every other) from mutmut's own table
(the module global ``mutants_<mangled>__mutmut``, key ``_mutmut_orig`` or
the mutant's name), and puts it wherever the trampoline is referenced: the
module globals of every loaded project module (``from kernel.x import f``
copies included), the class attribute of a method, and the values of
module-level dictionaries (dispatch tables).  A reference it misses keeps its
trampoline, which makes the same choice, only slower; so the bypass can make
a test faster, never change what it computes.  Class methods
(``@classmethod``) are left on their trampolines.

It is called only in a process that tests a real mutant (a name containing
``__mutmut_``), never in mutmut's own stats, clean or forced-fail runs, which
need the trampolines.
"""

from __future__ import annotations

import sys
import types
from typing import Any

MUTATED_PACKAGES = ("kernel",)
"""Packages whose functions mutmut mutates (``[tool.mutmut] source_paths``)."""

PATCHED_PACKAGES = ("kernel", "specs", "proofs", "property_tests", "tests", "adapters", "pumpkernel", "conftest")
"""Packages whose module globals may hold a reference to a kernel function."""

SEPARATOR = "ǁ"
"""mutmut's class-name separator in mangled names (``xǁClassǁmethod``)."""

_PREFIX, _SUFFIX, _ORIG = "mutants_", "__mutmut", "_mutmut_orig"


def _top(name: str) -> str:
    return name.split(".", 1)[0]


def _targets(mutant: str, mutated: tuple[str, ...]) -> dict[int, tuple[Any, Any]]:
    """``id(trampoline) -> (trampoline, function to call instead)`` for every trampolined kernel function."""
    mutant_module, _, mutant_function = mutant.rpartition(".")
    family = mutant_function.rpartition("__mutmut_")[0]
    targets: dict[int, tuple[Any, Any]] = {}
    for module_name, module in list(sys.modules.items()):
        if _top(module_name) not in mutated or not isinstance(module, types.ModuleType):
            continue
        for global_name, table in list(vars(module).items()):
            if not (global_name.startswith(_PREFIX) and global_name.endswith(_SUFFIX) and isinstance(table, dict)):
                continue
            if _ORIG not in table:
                continue
            mangled = global_name[len(_PREFIX) : -len(_SUFFIX)]
            if mangled.startswith("x_"):
                owner: Any = module
                attribute = mangled[2:]
                trampoline = vars(module).get(attribute)
            else:
                _, class_name, attribute = mangled.split(SEPARATOR)
                owner = vars(module).get(class_name)
                trampoline = vars(owner).get(attribute) if isinstance(owner, type) else None
            if trampoline is None or not callable(trampoline) or not hasattr(trampoline, "__wrapped__"):
                continue  # a classmethod or staticmethod object, or something mutmut did not wrap: keep it
            chosen = table.get(mutant_function) if (module_name == mutant_module and mangled == family) else None
            target = chosen if chosen is not None else table[_ORIG]
            targets[id(trampoline)] = (trampoline, target)
            if isinstance(owner, type):
                setattr(owner, attribute, target)
    return targets


def bypass(
    mutant: str, mutated: tuple[str, ...] = MUTATED_PACKAGES, patched: tuple[str, ...] = PATCHED_PACKAGES
) -> int:
    """Replace every reachable trampoline reference by mutmut's own choice for ``mutant``; how many were replaced.

    ``mutated``: the packages mutmut mutated; ``patched``: the packages whose
    modules may hold references (both by top-level package name).
    """
    if "__mutmut_" not in mutant:
        return 0
    targets = _targets(mutant, mutated)
    replaced = 0
    for module_name, module in list(sys.modules.items()):
        if _top(module_name) not in patched or not isinstance(module, types.ModuleType):
            continue
        namespace = vars(module)
        for global_name, value in list(namespace.items()):
            found = targets.get(id(value))
            if found is not None and found[0] is value:
                namespace[global_name] = found[1]
                replaced += 1
            elif type(value) is dict and not global_name.startswith(_PREFIX):
                for key, item in list(value.items()):
                    found = targets.get(id(item))
                    if found is not None and found[0] is item:
                        value[key] = found[1]
                        replaced += 1
    return replaced + len(targets)
