"""Mutation testing of ``kernel/`` with mutmut: one command from a clean state to a score.

Theory of operation
-------------------
``python -m property_tests.mutation`` (``make mutation``):

1. removes ``mutants/`` (mutmut 3 keeps old results there and would report
   them as new);
2. runs ``mutmut run`` with the ``[tool.mutmut]`` configuration of
   ``pyproject.toml`` (the fast kernel tests and the property tests in the
   ``quick`` Hypothesis profile; ``property_tests.mutation_order`` runs the
   tests most likely to kill first);
3. reads every mutant's exit code from mutmut's metadata
   (``mutants/kernel/*.py.meta``), classifies it with mutmut's own table, and
   prints the score with rich;
4. merges the classifications of ``property_tests/survivors.toml`` (mutant
   name -> ``equivalent`` / ``gap`` / ``closed`` with the reason; ``closed``
   is a former gap that a named test now kills, verified by applying the
   mutant by hand) and writes ``property_tests/mutation_report.json``;
5. exits 1 when a survivor is unclassified (mutmut itself exits 0 even when
   mutants survive), 2 when mutmut failed.

A full run generates about 4,900 mutants; under mutmut's trampolines each
needs from half a second to a minute of tests, which is hours on two cores.
The default therefore runs a deterministic, stratified sample: the mutants
whose number ends in the digits of ``--digits`` (default ``3``: one mutant in
ten of every function that has three or more).  ``--all`` runs every mutant.
The report says which was run.

``--reclassify`` re-applies ``survivors.toml`` to the existing report (each
survivor's classification and reason, and the count per classification)
without running mutmut or reading ``mutants/``; the counts of the run itself
are left as they were measured.

Score: ``killed / (total - skipped)`` in percent, over the mutants run;
timeouts, suspicious results and mutants no test reaches count against it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
REPORT = ROOT / "property_tests" / "mutation_report.json"
SURVIVORS = ROOT / "property_tests" / "survivors.toml"
CLASSIFICATIONS = ("equivalent", "gap", "closed")

STATUS_BY_EXIT_CODE: dict[int | None, str] = {
    1: "killed",
    3: "killed",
    0: "survived",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    35: "suspicious",
    36: "timeout",
    24: "timeout",
    -24: "timeout",
    152: "timeout",
    255: "timeout",
    37: "caught by type check",
    2: "interrupted",
    -11: "segfault",
    -9: "segfault",
    None: "not checked",
}
"""mutmut 3.8.1's ``status_by_exit_code`` (any other code is "suspicious")."""

SURVIVING = ("survived", "no tests", "timeout", "suspicious", "segfault", "interrupted")
"""Statuses that need a classification."""


def status(exit_code: int | None) -> str:
    return STATUS_BY_EXIT_CODE.get(exit_code, "suspicious")


def read_results() -> dict[str, int | None]:
    """Every mutant's exit code from ``mutants/**/*.meta`` (``None``: generated but not run)."""
    results: dict[str, int | None] = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        data = json.loads(meta.read_text("utf-8"))
        results.update(data.get("exit_code_by_key", {}))
    return results


def load_classifications(path: Path = SURVIVORS) -> dict[str, dict[str, str]]:
    """``survivors.toml``: ``[survivors."<mutant>"]`` tables with ``classification`` and ``reason``."""
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text("utf-8"))
    table = data.get("survivors", {})
    return {name: {"classification": str(v["classification"]), "reason": str(v["reason"])} for name, v in table.items()}


def build_report(
    results: dict[str, int | None], classifications: dict[str, dict[str, str]], seconds: float, sample: str
) -> dict[str, Any]:
    """The report written to ``mutation_report.json`` (see module docstring for the score)."""
    counts = Counter(status(code) for code in results.values())
    run = {name: code for name, code in results.items() if code is not None}
    total = len(run)
    killed = counts["killed"] + counts["caught by type check"]
    skipped = counts["skipped"]
    score = round(100.0 * killed / (total - skipped), 2) if total - skipped > 0 else 0.0
    found = [{"name": n, "status": status(run[n])} for n in sorted(run) if status(run[n]) in SURVIVING]
    survivors, classification_counts = classify(found, classifications)
    return {
        "killed": killed,
        "survived": counts["survived"],
        "no_tests": counts["no tests"],
        "timeout": counts["timeout"],
        "suspicious": counts["suspicious"] + counts["segfault"] + counts["interrupted"],
        "skipped": skipped,
        "total": total,
        "score": score,
        "seconds": round(seconds, 1),
        "generated": len(results),
        "not_run": counts["not checked"],
        "sample": sample,
        "classification_counts": classification_counts,
        "survivors": survivors,
    }


def classify(
    survivors: list[dict[str, Any]], classifications: dict[str, dict[str, str]]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Each survivor with its classification and reason from ``survivors.toml``, and the count per class."""
    classified = []
    for survivor in survivors:
        known = classifications.get(survivor["name"])
        if known and known["classification"] in CLASSIFICATIONS:
            classified.append({"name": survivor["name"], "status": survivor["status"], **known})
        else:
            classified.append(
                {"name": survivor["name"], "status": survivor["status"], "classification": "unexplained", "reason": ""}
            )
    counts = Counter(s["classification"] for s in classified)
    return classified, {name: counts[name] for name in (*CLASSIFICATIONS, "unexplained")}


def reclassify(report: dict[str, Any], classifications: dict[str, dict[str, str]]) -> dict[str, Any]:
    """``report`` with its survivors classified again from ``survivors.toml`` (no mutmut run)."""
    survivors, counts = classify(report["survivors"], classifications)
    kept = {key: value for key, value in report.items() if key not in ("classification_counts", "survivors")}
    return {**kept, "classification_counts": counts, "survivors": survivors}


def print_report(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"Mutation testing of kernel/ ({report['sample']})")
    for column in ("killed", "survived", "no tests", "timed out", "suspicious", "skipped", "total", "score %"):
        table.add_column(column, justify="right")
    table.add_row(
        *(
            str(report[key])
            for key in ("killed", "survived", "no_tests", "timeout", "suspicious", "skipped", "total", "score")
        )
    )
    console.print(table)
    console.print(
        f"{report['generated']} mutants generated, {report['total']} run, {report['not_run']} not run; "
        f"{report['seconds']} s"
    )
    by_class = Counter(s["classification"] for s in report["survivors"])
    console.print(f"Survivors: {len(report['survivors'])} ({dict(by_class)})")
    for survivor in report["survivors"]:
        if survivor["classification"] == "unexplained":
            console.print(f"  [red]unexplained[/red] {survivor['name']} ({survivor['status']})")


def run_mutmut(patterns: list[str], max_children: int | None) -> int:
    """``mutmut run`` from a clean ``mutants/``; mutmut's exit code."""
    if MUTANTS.exists():
        shutil.rmtree(MUTANTS)
    env = dict(os.environ)
    env["HYPOTHESIS_PROFILE"] = "quick"
    env["PUMPKERNEL_CONFORMANCE_EVERY"] = "1000000000"  # conformance compares the mutant with itself
    mutmut = Path(sys.executable).with_name("mutmut")
    command = [str(mutmut), "run"]
    if max_children:
        command += ["--max-children", str(max_children)]
    command += patterns
    return subprocess.call(command, cwd=ROOT, env=env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--all", action="store_true", help="run every mutant (hours on two cores)")
    group.add_argument("--digits", default="3", help="run the mutants whose number ends in one of these digits")
    group.add_argument("--pattern", action="append", help="run the mutants matching this mutmut name pattern")
    parser.add_argument("--max-children", type=int, default=None, help="mutmut worker processes")
    parser.add_argument("--report-only", action="store_true", help="re-read mutants/ without running mutmut")
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
        REPORT.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
        print_report(report)
        return 1 if any(s["classification"] == "unexplained" for s in report["survivors"]) else 0
    if args.all:
        patterns: list[str] = []
        sample = "every mutant"
    elif args.pattern:
        patterns = list(args.pattern)
        sample = "mutants matching " + ", ".join(patterns)
    else:
        patterns = [f"*__mutmut_*{digit}" for digit in sorted(set(args.digits))]
        sample = f"mutants numbered ...{'/'.join(sorted(set(args.digits)))} (deterministic sample)"
    started = time.monotonic()
    if not args.report_only:
        code = run_mutmut(patterns, args.max_children)
        if code != 0:
            print(f"mutmut run failed with exit code {code}", file=sys.stderr)
            return 2
    seconds = time.monotonic() - started
    if args.report_only and REPORT.exists():
        seconds = float(json.loads(REPORT.read_text("utf-8")).get("seconds", 0.0))
    report = build_report(read_results(), load_classifications(), seconds, sample)
    REPORT.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    print_report(report)
    return 1 if any(s["classification"] == "unexplained" for s in report["survivors"]) else 0


if __name__ == "__main__":
    sys.exit(main())
