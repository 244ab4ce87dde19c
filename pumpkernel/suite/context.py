"""The exact source verified and the tools that verified it: file hashes, git commit, tool versions, date.

Theory of operation
-------------------
``source_context()`` hashes (SHA-256) every file of ``kernel/`` (the code under
verification) and of the verification code (``specs/``, ``proofs/``,
``property_tests/``, ``pumpkernel/``), combines the kernel hashes into one
``kernel_sha256``, and records the git commit, whether the checkout or the
kernel had uncommitted changes, and the exact version of every tool the
evidence depends on.  ``now_utc()`` is the date of the run
(``SOURCE_DATE_EPOCH`` for reproducible builds).
"""

from __future__ import annotations

import datetime
import hashlib
import os
import pathlib
import subprocess
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent

TOOLS = (
    "z3-solver",
    "crosshair-tool",
    "hypothesis",
    "pytest",
    "pytest-xdist",
    "mutmut",
    "rich",
    "matplotlib",
    "graphviz",
    "selenium",
    "strictdoc",
    "sphinx",
    "sphinx-needs",
)
"""Python packages whose exact versions the bundle records."""


def sha256_file(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def git(*args: str) -> str | None:
    """``git args`` in the source checkout; its output, or None outside a checkout or on an error."""
    try:
        run = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return run.stdout.strip() if run.returncode == 0 else None


def tool_versions() -> dict[str, str]:
    """Exact versions of the tools the evidence depends on (Python packages, and Graphviz's ``dot``)."""
    import platform
    import shutil
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for package in TOOLS:
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    dot = shutil.which("dot")
    if dot is None:
        found["graphviz dot"] = "not installed"
    else:
        run = subprocess.run([dot, "-V"], capture_output=True, text=True, check=False, timeout=30)
        found["graphviz dot"] = (run.stderr or run.stdout).strip().removeprefix("dot - ")
    return found


def kernel_files() -> dict[str, str]:
    """Kernel file (relative path) -> SHA-256."""
    return {str(p.relative_to(ROOT)): sha256_file(p) for p in sorted((ROOT / "kernel").rglob("*.py"))}


def kernel_sha256(files: dict[str, str] | None = None) -> str:
    """One SHA-256 over every kernel file's path and hash."""
    files = kernel_files() if files is None else files
    return hashlib.sha256("".join(f"{k}:{v}\n" for k, v in files.items()).encode()).hexdigest()


def source_context() -> dict[str, Any]:
    """The exact source verified (see module docstring)."""
    kernel = kernel_files()
    verification: dict[str, str] = {}
    for folder in ("specs", "proofs", "property_tests", "pumpkernel"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            verification[str(path.relative_to(ROOT))] = sha256_file(path)
    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    kernel_status = git("status", "--porcelain", "--untracked-files=all", "--", "kernel")
    return {
        "git_commit": commit or "unknown (not a git checkout)",
        "git_dirty": bool(status) if status is not None else None,
        "kernel_dirty": bool(kernel_status) if kernel_status is not None else None,
        "kernel_sha256": kernel_sha256(kernel),
        "kernel_files": kernel,
        "verification_files": verification,
        "tool_versions": tool_versions(),
    }


def now_utc() -> str:
    """The date of the run: ``SOURCE_DATE_EPOCH`` if set (reproducible builds), else now, in UTC."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        moment = datetime.datetime.fromtimestamp(int(epoch), tz=datetime.UTC)
    else:
        moment = datetime.datetime.now(tz=datetime.UTC)
    return moment.replace(microsecond=0).isoformat()
