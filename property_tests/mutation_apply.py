"""mutmut's mutants of ``kernel/`` as plain source files: generated once, applied one at a time.

Theory of operation
-------------------
``generate(root, cache)`` runs mutmut's own generator
(``mutmut.mutation.file_mutation.mutate_file_contents``, pinned mutmut
3.8.1, the code ``mutmut run`` uses) on every ``kernel/**/*.py`` file, on
two processes, and keeps for each file the generated code (every mutant of
every function, one after another, with mutmut's trampolines) and its index
of where each generated function lies.  Mutant names are mutmut's
(``kernel.windows.x_shift__mutmut_3``), so they match ``mutmut run``'s.
The result is cached in ``cache`` under the kernel's SHA-256.

``mutated_source(generated, mutant)`` gives the original file with the one
function replaced by the mutant's text: mutmut generates the mutant as a
renamed copy of the function with one edit, so the copy (``__mutmut_orig``)
must equal the original function line for line (checked), and the mutant's
lines, renamed back, take the original's place; the result must parse.
Unlike ``mutmut run`` (where the kernel is imported once with the original
code and the mutant is chosen per call), the mutated function is then the
kernel's own: calls made while importing the kernel see it too.
"""

from __future__ import annotations

import ast
import json
import multiprocessing
from dataclasses import dataclass, field
from pathlib import Path

from property_tests.mutation import kernel_sha256


@dataclass
class Generated:
    """Every kernel file's original source, mutmut's generated code and its span index, and every mutant's file."""

    kernel_sha256: str
    sources: dict[str, str] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)
    spans: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    mutants: dict[str, str] = field(default_factory=dict)
    """Mutant name -> the file it mutates (relative, ``kernel/x.py``)."""


def _mutate(job: tuple[str, str]) -> tuple[str, str, dict[str, tuple[int, int]], list[str]]:
    from mutmut.mutation.file_mutation import mutate_file_contents
    from mutmut.utils.format_utils import get_mutant_name

    relative, source = job
    mutated = mutate_file_contents(relative, source)
    spans = {name: (span.start, span.end) for name, span in mutated.line_span_by_function_name.items()}
    names = [get_mutant_name(Path(relative), name) for name in mutated.mutant_names]
    return relative, mutated.code, spans, names


def generate(root: Path, cache: Path, processes: int = 2) -> Generated:
    """Every mutant of ``root/kernel`` (see module docstring); read from ``cache`` when the kernel is unchanged."""
    sha = kernel_sha256(root / "kernel")
    cached = cache / f"generated-{sha[:16]}.json"
    if cached.exists():
        data = json.loads(cached.read_text("utf-8"))
        spans = {f: {n: (s[0], s[1]) for n, s in by.items()} for f, by in data["spans"].items()}
        return Generated(sha, data["sources"], data["codes"], spans, data["mutants"])
    jobs = [(p.relative_to(root).as_posix(), p.read_text("utf-8")) for p in sorted((root / "kernel").rglob("*.py"))]
    generated = Generated(sha, sources=dict(jobs))
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        for relative, code, file_spans, names in pool.imap_unordered(_mutate, jobs):
            generated.codes[relative] = code
            generated.spans[relative] = file_spans
            generated.mutants.update({name: relative for name in names})
    cache.mkdir(parents=True, exist_ok=True)
    data = {
        "sources": generated.sources,
        "codes": generated.codes,
        "spans": generated.spans,
        "mutants": dict(sorted(generated.mutants.items())),
    }
    cached.write_text(json.dumps(data), "utf-8")
    return generated


def _original_function(tree: ast.Module, mangled: str) -> ast.FunctionDef | ast.AsyncFunctionDef:
    """The function mutmut's mangled name (``x_f``, ``xǁClassǁf``) stands for, in the original file."""
    if mangled.startswith("x_"):
        candidates: list[ast.stmt] = tree.body
        name = mangled[2:]
    else:
        _, class_name, name = mangled.split("ǁ")
        classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name]
        candidates = classes[0].body if classes else []
    for node in candidates:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return node
    raise LookupError(f"no function {mangled}")


def _def_index(lines: list[str]) -> int:
    return next(i for i, line in enumerate(lines) if line.lstrip().startswith(("def ", "async def ")))


def mutated_source(generated: Generated, mutant: str) -> tuple[str, str]:
    """``(relative path, source of that file with ``mutant`` applied)`` (see module docstring)."""
    relative = generated.mutants[mutant]
    function = mutant.rpartition(".")[2]
    mangled = function.rpartition("__mutmut_")[0]
    spans = generated.spans[relative]
    code_lines = generated.codes[relative].splitlines()
    source_lines = generated.sources[relative].splitlines()
    node = _original_function(ast.parse(generated.sources[relative]), mangled)
    copy_start, copy_end = spans[f"{mangled}__mutmut_orig"]
    copy = code_lines[copy_start - 1 : copy_end]
    copy = copy[_def_index(copy) :]
    end = node.end_lineno or node.lineno
    original = source_lines[node.lineno - 1 : end]
    while copy and not copy[-1].strip():
        copy.pop()
    if [line.strip() for line in copy[1:]] != [line.strip() for line in original[1:]]:
        raise ValueError(f"{mutant}: mutmut's copy of the function differs from the original")
    start, stop = spans[function]
    lines = code_lines[start - 1 : stop]
    lines = lines[_def_index(lines) :]
    while lines and not lines[-1].strip():
        lines.pop()
    lines[0] = lines[0].replace(f"def {function}(", f"def {node.name}(", 1)
    result = "\n".join([*source_lines[: node.lineno - 1], *lines, *source_lines[end:]]) + "\n"
    ast.parse(result)
    return relative, result


def check_kill(root: Path, cache: Path, mutant: str, tests: list[str]) -> tuple[int, int]:
    """Run ``tests`` (pytest node IDs) on the shipped kernel and with ``mutant`` applied, in a scratch tree.

    Returns the two pytest exit codes: a test that closes the gap gives ``(0, 1)``.
    """
    import os
    import shutil
    import subprocess
    import sys

    from property_tests.mutation_layer_run import make_tree, tree_env

    generated = generate(root, cache)
    # A tree of this process's own: two checks at once in one checkout must not share a tree.
    tree = make_tree(100_000 + os.getpid())
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", *tests]
    shipped = subprocess.run(command, cwd=tree, env=tree_env(tree), capture_output=True, check=False).returncode
    relative, source = mutated_source(generated, mutant)
    (tree / relative).write_text(source, "utf-8")
    mutated = subprocess.run(command, cwd=tree, env=tree_env(tree), capture_output=True, check=False).returncode
    shutil.rmtree(tree, ignore_errors=True)
    return shipped, mutated


def main(argv: list[str] | None = None) -> int:
    """``python -m property_tests.mutation_apply MUTANT TEST...``: does the test kill the mutant?"""
    import argparse

    parser = argparse.ArgumentParser(description="Check that tests pass on the shipped kernel and fail on a mutant.")
    parser.add_argument("mutant", help="a mutmut mutant name, e.g. kernel.windows.x_shift__mutmut_3")
    parser.add_argument("tests", nargs="+", help="pytest node IDs")
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parent.parent
    shipped, mutated = check_kill(root, root / ".mutation-layers", args.mutant, args.tests)
    verdict = "KILLS" if shipped == 0 and mutated != 0 else "does NOT kill"
    print(f"{verdict} {args.mutant}: shipped kernel exit {shipped}, mutated kernel exit {mutated}")
    return 0 if verdict == "KILLS" else 1


if __name__ == "__main__":
    import sys

    sys.exit(main())
