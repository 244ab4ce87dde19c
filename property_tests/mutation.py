"""Mutation testing of ``kernel/`` with mutmut: one command from a clean state to a score.

Theory of operation
-------------------
``python -m property_tests.mutation`` (``make mutation``):

1. removes ``mutants/`` (mutmut 3 keeps old results there and would report
   them as new);
2. runs ``mutmut run`` with the ``[tool.mutmut]`` configuration of
   ``pyproject.toml`` on every mutant of ``kernel/`` (the fast kernel tests
   and the property tests in the ``quick`` Hypothesis profile).  mutmut runs
   per mutant only the tests that reach the mutated function (its stats
   pass), stops at the first failure, and runs two mutants at a time;
   ``property_tests.mutation_order`` runs the tests likeliest to kill first,
   the kernel without mutmut's trampolines (native speed) and a time guard;
3. scores the mutants mutmut found no tests for, of the modules configured
   in ``property_tests.mutation_builder`` (``kernel.builder``, whose tests
   cannot run under the trampolines), by applying each as plain source and
   running that module's tests (``mutants/mutation-source.json``); a "no
   tests" mutant of any other module stays "no tests";
4. reads every mutant's exit code and duration back
   (``property_tests.mutation_report``), prints the score, the table per
   module and the survivors, and writes ``property_tests/mutation_report.json``;
5. exits 1 when a survivor is unclassified in ``survivors.toml`` (mutmut
   itself exits 0 even when mutants survive), 2 when mutmut failed, 3 when a
   run of every mutant did not run every mutant (interrupted), else 0.

``--digits 3`` (mutants whose number ends in 3) or ``--pattern`` run a
sample; the report says which (``sample``) and that it is not complete.
``--reclassify`` re-applies ``survivors.toml`` to the existing report
without running mutmut: the run's own figures, the score included, stay as
measured.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from property_tests.mutation_report import (
    build_report,
    load_classifications,
    print_report,
    read_cpu,
    read_results,
    read_source_scored,
    reclassify,
)

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
REPORT = ROOT / "property_tests" / "mutation_report.json"
KERNEL = ROOT / "kernel"


def kernel_sha256(kernel: Path = KERNEL) -> str:
    """SHA-256 over every ``kernel/**/*.py`` (relative path and bytes, in path order): which kernel was mutated."""
    digest = hashlib.sha256()
    for path in sorted(kernel.rglob("*.py")):
        digest.update(path.relative_to(kernel.parent).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def mutation_env() -> dict[str, str]:
    """The environment of every mutation run: quick profile; conformance off (it compares the mutant with itself)."""
    import os

    env = dict(os.environ)
    env["HYPOTHESIS_PROFILE"] = "quick"
    env["PUMPKERNEL_CONFORMANCE_EVERY"] = "1000000000"
    return env


def run_mutmut(patterns: list[str], max_children: int) -> int:
    """``mutmut run`` from a clean ``mutants/``; mutmut's exit code."""
    if MUTANTS.exists():
        shutil.rmtree(MUTANTS)
    mutmut = Path(sys.executable).with_name("mutmut")
    command = [str(mutmut), "run", "--max-children", str(max_children), *patterns]
    return subprocess.call(command, cwd=ROOT, env=mutation_env())


def _write(report: dict[str, Any]) -> None:
    REPORT.write_text(json.dumps(report, indent=2) + "\n", "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--digits", default=None, help="a sample: the mutants whose number ends in one of these digits")
    group.add_argument("--pattern", action="append", help="a sample: the mutants matching this mutmut name pattern")
    parser.add_argument("--max-children", type=int, default=2, help="mutants tested at a time (default 2)")
    parser.add_argument("--report-only", action="store_true", help="re-read mutants/ without running mutmut")
    parser.add_argument(
        "--no-source-scoring",
        action="store_true",
        help="leave kernel.builder's no-tests mutants unscored (default: score them as plain source after mutmut)",
    )
    parser.add_argument(
        "--reclassify",
        action="store_true",
        help="re-apply survivors.toml to the existing mutation_report.json (no mutmut run, mutants/ not read)",
    )
    args = parser.parse_args(argv)
    if args.reclassify:
        if not REPORT.exists():
            print(f"no report to reclassify: {REPORT}", file=sys.stderr)
            return 2
        report = reclassify(json.loads(REPORT.read_text("utf-8")), load_classifications())
        _write(report)
        print_report(report)
        return 1 if report["classification_counts"]["unexplained"] else 0
    if args.pattern:
        patterns: list[str] = list(args.pattern)
        sample = "sample: mutants matching " + ", ".join(patterns)
    elif args.digits:
        digits = sorted(set(args.digits))
        patterns = [f"*__mutmut_*{digit}" for digit in digits]
        sample = f"sample: mutants numbered ...{'/'.join(digits)}"
    else:
        patterns = []
        sample = "every mutant"
    started = time.monotonic()
    if not args.report_only:
        code = run_mutmut(patterns, args.max_children)
        if code != 0:
            print(f"mutmut run failed with exit code {code}", file=sys.stderr)
            return 2
    from property_tests.mutation_builder import RESULTS_NAME, SOURCE_SCORED, no_tests_mutants, score

    if not args.report_only and not args.no_source_scoring:
        unscored = no_tests_mutants(MUTANTS)
        try:
            if unscored:
                score(unscored, MUTANTS / RESULTS_NAME, args.max_children)
        except (RuntimeError, LookupError) as problem:  # the report then counts them as not scored
            print(f"scoring the no-tests mutants as source failed: {problem}", file=sys.stderr)
    seconds = time.monotonic() - started
    if args.report_only and REPORT.exists():
        seconds = float(json.loads(REPORT.read_text("utf-8")).get("seconds", 0.0))
    codes, durations = read_results(MUTANTS)
    sha = kernel_sha256()
    source = read_source_scored(MUTANTS, sha)
    report = build_report(
        codes, durations, load_classifications(), seconds, sample, sha, read_cpu(MUTANTS), source, tuple(SOURCE_SCORED)
    )
    _write(report)
    print_report(report)
    if report["classification_counts"]["unexplained"]:
        return 1
    return 3 if not patterns and not report["complete"] else 0


if __name__ == "__main__":
    sys.exit(main())
