"""The kernel imports nothing outside the standard library, and has no I/O, clock or randomness."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
KERNEL = ROOT / "kernel"

PROBE = """
import importlib, pkgutil, sys
import kernel
for info in pkgutil.iter_modules(kernel.__path__):
    importlib.import_module("kernel." + info.name)
outside = sorted(
    name for name in sys.modules
    if name.split(".")[0] not in sys.stdlib_module_names and name.split(".")[0] not in ("kernel", "__main__")
)
print("OUTSIDE:" + ",".join(outside))
"""


def test_kernel_imports_with_site_packages_disabled() -> None:
    """``python -S`` (no site-packages) can import every kernel module, and nothing else is loaded."""
    result = subprocess.run(
        [sys.executable, "-S", "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OUTSIDE:", result.stdout


FORBIDDEN_MODULES = {"os", "io", "time", "datetime", "random", "secrets", "socket", "subprocess", "threading", "sys"}
FORBIDDEN_CALLS = {"open", "print", "input", "eval", "exec"}


def test_kernel_source_has_no_io_clock_or_randomness() -> None:
    """No kernel module imports I/O, clock or randomness modules, or calls open/print/input."""
    for path in sorted(KERNEL.glob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = {alias.name.split(".")[0] for alias in node.names}
                assert not names & FORBIDDEN_MODULES, f"{path.name} imports {names & FORBIDDEN_MODULES}"
            elif isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] not in FORBIDDEN_MODULES, f"{path.name} imports {node.module}"
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in FORBIDDEN_CALLS, f"{path.name} calls {node.func.id}"


def test_kernel_has_no_floating_point_literals() -> None:
    """U-1: no floating point anywhere in the kernel (not even a literal)."""
    for path in sorted(KERNEL.glob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        floats = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and type(node.value) is float]
        assert not floats, f"{path.name} has float literals {floats}"
