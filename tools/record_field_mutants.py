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
2. each mutant is written into a scratch copy of the project and the same
   tests mutmut runs are run there, exactly as ``property_tests.mutation_builder``
   scores the builder's mutants as source (its ``run_tests``: ``pytest -x``,
   the ``quick`` Hypothesis profile, ``kernel`` imported from the copy; the
   copies are ``property_tests.mutation_layer_run.make_tree``'s, one per
   worker, restored after each mutant), on the selection
   ``pytest_add_cli_args_test_selection`` of ``[tool.mutmut]``;
3. the unmutated copies must pass that selection first (otherwise every
   mutant would look killed, and the run stops); the slower clean run sets the
   per-mutant limit as for the builder (``TIMEOUT_FACTOR``, ``TIMEOUT_FLOOR_S``);
4. the verdict is the builder's (``mutation_builder.verdict``): exit 1, 2 or 3
   (a test failed, collection failed, internal error) *killed*, 0 *survived*,
   over the limit *timeout*, anything else *error*; only *killed* counts as
   killed.

A survivor is a field whose loss no selected test notices: a gap or an
equivalent mutant, to be classified as docs/mutation.md does.  Units: seconds.

Usage: ``python -m tools.record_field_mutants [--jobs 2] [--json FILE]``
"""

from __future__ import annotations

import argparse
import ast
import json
import pathlib
import time
import tomllib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parent.parent


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


FIRST_TREE = 80
"""Scratch trees ``.mutation-layers/tree-80`` and up (the builder's start at 90, the layer runs' at 0)."""


def run(jobs: int = 2, root: pathlib.Path = ROOT) -> dict[str, Any]:
    """Every per-field mutant against mutmut's selection (see module docstring); the report as data."""
    from property_tests.mutation_builder import TIMEOUT_FACTOR, TIMEOUT_FLOOR_S, run_tests, verdict
    from property_tests.mutation_layer_run import make_tree

    mutants = field_mutants(root)
    tests = selection(root)
    started = time.perf_counter()
    trees = [make_tree(FIRST_TREE + k) for k in range(max(1, jobs))]
    with ThreadPoolExecutor(len(trees)) as pool:
        clean = list(pool.map(lambda tree: run_tests(tree, tests, None), trees))
    if any(run["exit_code"] != 0 for run in clean):
        raise SystemExit(
            f"the unmutated kernel fails the selection ({[run['by'] for run in clean]}): nothing to measure"
        )
    clean_s = max(run["seconds"] for run in clean)
    timeout_s = round(max(TIMEOUT_FACTOR * clean_s, TIMEOUT_FLOOR_S), 1)
    rows: list[dict[str, Any]] = []

    def work(k: int) -> None:
        tree = trees[k]
        for mutant, mutated in mutants[k :: len(trees)]:
            target = tree / mutant.file
            original = target.read_text("utf-8")
            target.write_text(mutated, "utf-8")
            try:
                run = run_tests(tree, tests, timeout_s)
            finally:
                target.write_text(original, "utf-8")
            rows.append({**asdict(mutant), "status": verdict(run["exit_code"]), **run})

    with ThreadPoolExecutor(len(trees)) as pool:
        list(pool.map(work, range(len(trees))))
    rows.sort(key=lambda r: (r["file"], r["line"], r["field"]))
    counts = {status: sum(r["status"] == status for r in rows) for status in ("killed", "survived", "timeout", "error")}
    return {
        "format": "pumpkernel-record-field-mutants/2",
        "mutants": len(rows),
        **counts,
        "killed_by_collection_error": sum(r["status"] == "killed" and r["by"].startswith("ERROR") for r in rows),
        "clean_seconds": clean_s,
        "timeout_s": timeout_s,
        "seconds": round(time.perf_counter() - started, 1),
        "jobs": len(trees),
        "rows": rows,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=2, help="scratch copies run at once (default 2)")
    parser.add_argument("--json", type=pathlib.Path, help="write the report, every mutant, to this file")
    args = parser.parse_args(argv)
    report = run(args.jobs)
    for row in report["rows"]:
        if row["status"] != "killed":
            where = f"{row['file']}:{row['line']} {row['record']} field {row['field']}"
            print(f"{row['status'].upper()} {where}: {row['replaced']}")
    print(
        f"{report['mutants']} per-field None mutants of the kernel's records: {report['killed']} killed "
        f"({report['killed_by_collection_error']} of them by an error while collecting), {report['survived']} "
        f"survived, {report['timeout']} timed out, {report['error']} errors; {report['seconds']} s on "
        f"{report['jobs']} copies (the unmutated selection: {report['clean_seconds']} s)"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0 if report["killed"] == report["mutants"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
