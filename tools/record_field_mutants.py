"""Is every field of every record the kernel builds observed by the tests?  The per-field ``None`` mutants.

Theory of operation
-------------------
mutmut replaces each argument of a call by ``None``, one at a time: for a
record built as ``Cls(a, b, c)`` that asked, field by field, "does a test fail
if this value is lost?".  The kernel now builds its hot records as
``_new(Cls, (a, b, c))`` (``kernel/state.py``, "Building records"), and mutmut
does not mutate the elements of a tuple display, so that question went
unasked (docs/mutation.md).  This tool asks it again, outside mutmut:

1. every ``_new(Cls, (e0, e1, ...))`` call in ``kernel/*.py`` gives one mutant
   per element, that element replaced by ``None`` (the source text of the
   element, located by its AST position, and nothing else);
2. each mutant is written into a scratch copy of the project (one copy per
   worker; ``kernel`` is imported from the copy, which is checked) and the
   same tests mutmut runs are run there: ``pytest_add_cli_args_test_selection``
   of ``[tool.mutmut]``, the ``quick`` Hypothesis profile, ``-x``; the copy is
   restored after each mutant;
3. the unmutated copy must pass that selection first (otherwise every mutant
   would look killed, and the run stops);
4. a mutant is *killed* when pytest exits non-zero (a failing test, or an
   error while collecting, as mutmut counts it), *survived* when it exits 0.

A survivor is a field whose loss no selected test notices: a gap or an
equivalent mutant, to be classified as docs/mutation.md does.  Units: seconds.

Usage: ``python -m tools.record_field_mutants [--jobs 2] [--json FILE]``
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parent.parent
COPY_IGNORED: tuple[str, ...] = (".venv", "mutants", ".mutation-layers", "build", "out", "evidence", ".git")
COPY_IGNORED += ("node_modules", "__pycache__")


@dataclass(frozen=True)
class FieldMutant:
    file: str
    """Relative path, ``kernel/tick.py``."""
    line: int
    """Line of the ``_new`` call."""
    record: str
    """The record class as written (``MotorState``)."""
    field: int
    """Index of the element replaced by ``None``."""
    replaced: str
    """The element's source text (first 80 characters)."""


def field_mutants(root: pathlib.Path = ROOT) -> list[tuple[FieldMutant, str]]:
    """Every per-field ``None`` mutant of ``kernel/*.py``, with the mutated source of its file."""
    found: list[tuple[FieldMutant, str]] = []
    for path in sorted((root / "kernel").glob("*.py")):
        source = path.read_text()
        lines = source.splitlines(keepends=True)
        for node in ast.walk(ast.parse(source)):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "_new"
                and len(node.args) == 2
                and isinstance(node.args[1], ast.Tuple)
            ):
                continue
            for index, element in enumerate(node.args[1].elts):
                assert element.end_lineno is not None and element.end_col_offset is not None
                start = _offset(lines, element.lineno, element.col_offset)
                end = _offset(lines, element.end_lineno, element.end_col_offset)
                mutant = FieldMutant(
                    path.relative_to(root).as_posix(),
                    node.lineno,
                    ast.unparse(node.args[0]),
                    index,
                    source[start:end][:80],
                )
                found.append((mutant, source[:start] + "None" + source[end:]))
    return found


def _offset(lines: list[str], line: int, column: int) -> int:
    """The character offset in the source of an AST position (its column counts UTF-8 bytes of its line)."""
    return sum(len(text) for text in lines[: line - 1]) + len(lines[line - 1].encode()[:column].decode())


def selection(root: pathlib.Path = ROOT) -> list[str]:
    """mutmut's test selection (``[tool.mutmut] pytest_add_cli_args_test_selection``)."""
    with open(root / "pyproject.toml", "rb") as handle:
        config = tomllib.load(handle)
    return list(config["tool"]["mutmut"]["pytest_add_cli_args_test_selection"])


def run_selection(tree: pathlib.Path, tests: Sequence[str]) -> tuple[int, float, str]:
    """(pytest's exit code, seconds, the first FAILED/ERROR line) of the selection in ``tree``."""
    env = dict(os.environ, HYPOTHESIS_PROFILE="quick", PUMPKERNEL_CONFORMANCE_EVERY="1000000000")
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-x", "-q", *tests]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False, timeout=900)
    first = next((line for line in done.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))), "")
    return done.returncode, time.perf_counter() - started, first[:160]


def _copy(root: pathlib.Path, into: pathlib.Path) -> pathlib.Path:
    shutil.copytree(root, into, ignore=shutil.ignore_patterns(*COPY_IGNORED))
    imported = subprocess.run(
        [sys.executable, "-c", "import kernel; print(kernel.__file__)"],
        cwd=into,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if pathlib.Path(imported).resolve().parent != (into / "kernel").resolve():
        raise SystemExit(f"the copy's kernel is not the one imported ({imported}): the results would mean nothing")
    return into


def run(jobs: int = 2, root: pathlib.Path = ROOT) -> dict[str, Any]:
    """Every per-field mutant against mutmut's selection (see module docstring); the report as data."""
    mutants = field_mutants(root)
    tests = selection(root)
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="field-mutants-") as scratch:
        trees = [_copy(root, pathlib.Path(scratch) / f"tree{k}") for k in range(max(1, jobs))]
        code, seconds, first = run_selection(trees[0], tests)
        if code != 0:
            raise SystemExit(f"the unmutated kernel fails the selection (exit {code}: {first}): nothing to measure")
        baseline_s = seconds

        def work(k: int) -> None:
            tree = trees[k]
            for mutant, mutated in mutants[k :: len(trees)]:
                target = tree / mutant.file
                original = target.read_text()
                target.write_text(mutated)
                try:
                    code, seconds, first = run_selection(tree, tests)
                finally:
                    target.write_text(original)
                rows.append(
                    {**asdict(mutant), "killed": code != 0, "exit": code, "seconds": round(seconds, 2), "by": first}
                )

        with ThreadPoolExecutor(len(trees)) as pool:
            list(pool.map(work, range(len(trees))))
    rows.sort(key=lambda r: (r["file"], r["line"], r["field"]))
    return {
        "format": "pumpkernel-record-field-mutants/1",
        "mutants": len(rows),
        "killed": sum(r["killed"] for r in rows),
        "survived": sum(not r["killed"] for r in rows),
        "killed_by_collection_error": sum(r["by"].startswith("ERROR") for r in rows),
        "baseline_seconds": round(baseline_s, 2),
        "seconds": round(time.perf_counter() - started, 1),
        "jobs": max(1, jobs),
        "rows": rows,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=2, help="scratch copies run at once (default 2)")
    parser.add_argument("--json", type=pathlib.Path, help="write the report, every mutant, to this file")
    args = parser.parse_args(argv)
    report = run(args.jobs)
    for row in report["rows"]:
        if not row["killed"]:
            print(f"SURVIVED {row['file']}:{row['line']} {row['record']} field {row['field']}: {row['replaced']}")
    print(
        f"{report['mutants']} per-field None mutants of the kernel's records: {report['killed']} killed "
        f"({report['killed_by_collection_error']} of them by an error while collecting), "
        f"{report['survived']} survived; "
        f"{report['seconds']} s on {report['jobs']} copies (the unmutated selection: {report['baseline_seconds']} s)"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 1 if report["survived"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
