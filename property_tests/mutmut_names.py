"""mutmut's names for kernel functions, and the file hashes the incremental layers compare.

Theory of operation
-------------------
mutmut names a mutant ``kernel.windows.x_shift__mutmut_3`` (a top-level
function ``shift`` of ``kernel/windows.py``) or ``kernel.m.xǁClassǁmethod__mutmut_4``
(a method); the *mutated function* is the name without ``__mutmut_N``.  The
incremental layers record which kernel code objects run (``sys.setprofile``)
and name each by the top-level function or method it belongs to: a nested
function, lambda or comprehension counts as its enclosing function, module
and class-level code as nothing (mutmut mutates only functions).  This module
imports nothing of the kernel, so a profile hook can be set before the kernel
is imported (``property_tests.layer_crosshair``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def mutated_function(mutant: str) -> str:
    """``kernel.windows.x_shift__mutmut_3`` -> ``kernel.windows.x_shift``; ``ValueError`` for any other name."""
    function, separator, _ = mutant.rpartition("__mutmut_")
    if not separator:
        raise ValueError(f"not a mutmut mutant name: {mutant}")
    return function


def mutmut_name(module: str, qualname: str) -> str | None:
    """mutmut's name of the function or method of ``module`` (``kernel.m``) a code object's ``qualname`` belongs to.

    ``None`` for module- or class-level code (``<module>``, a top-level ``<lambda>`` or comprehension).
    """
    top = qualname.split(".<locals>.")[0]
    if "<" in top:
        return None
    *classes, name = top.split(".")
    return f"{module}.x_{name}" if not classes else f"{module}.xǁ{'.'.join(classes)}ǁ{name}"


def kernel_module(relative: Path) -> str:
    """``kernel/windows.py`` -> ``kernel.windows``; ``kernel/__init__.py`` -> ``kernel``."""
    return ".".join(relative.with_suffix("").parts).removesuffix(".__init__")


def file_hashes(root: Path, directories: tuple[str, ...]) -> dict[str, str]:
    """SHA-256 of every ``.py`` file under ``root/<directory>`` (relative path -> hex), bytecode caches left out."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for directory in directories
        for path in sorted((root / directory).rglob("*.py"))
        if "__pycache__" not in path.parts
    }
