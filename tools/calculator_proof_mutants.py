"""Which mutants of the bolus calculator's arithmetic its Z3 obligations refute (CALC-1..4): the proofs tested as code.

Theory of operation
-------------------
mutmut's mutants of the functions ``calculate`` runs (``calculate``, ``settle``,
``_per_unit``, ``iob_numerator``, ``_bit`` in ``kernel/calculator.py``) are
made by ``property_tests.mutation_apply`` (mutmut's own generator) and
applied one at a time as plain source in a scratch copy of ``kernel/``
(``specs/`` and ``proofs/`` linked, unchanged).  In a fresh process per
mutant, every obligation of ``proofs.families.calculator`` is built on the
mutated kernel and run with its own budget; each one's status is recorded
(``proved``; ``failed``: a counterexample, or a witness no longer found;
``unknown``; ``error``: building raised).  A mutant is *refuted* by a set of
obligations when one of them is not proved: the same rule as the proof
suite's (anything but a proof fails).  A mutant whose process does not end
within ``--timeout-s`` is recorded as ``timeout`` and counted as refuted by
neither set (nothing was shown).  The report splits the obligations into the
CALC-1/CALC-4 set and the CALC-2/CALC-3 set, so it says what the second set
adds.  Results are appended to a JSON-lines file, so a run can be resumed;
the report says how many of the mutants were scored (a partial run is a
sample of the first mutants in name order, never the whole).

Usage: ``python -m tools.calculator_proof_mutants --out out/calc-mutants.jsonl [--limit N] [--processes 2]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.table import Table

from property_tests.mutation_apply import Generated, generate, mutated_source

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ("calculate", "settle", "_per_unit", "iob_numerator", "_bit")
"""The functions ``calculate`` runs (mutmut's mangled names are ``kernel.calculator.x_<name>``)."""
SECOND_SET_PREFIXES = ("CALC2/", "CALC3/")
"""The obligations added on 4 December 2026 (CALC-2, CALC-3); the others are the CALC-1/CALC-4 set."""

_CHILD = """
import json
from proofs.context import Context, describe
from proofs.families import calculator as family
from proofs.framework import run_query

statuses = {}
for ob in family.obligations():
    try:
        statuses[ob.id] = run_query(ob, ob.build(Context()), describe).status
    except Exception:  # a build that raises fails the obligation, as in the proof suite
        statuses[ob.id] = "error"
print(json.dumps(statuses))
"""


def calculator_mutants(generated: Generated) -> list[str]:
    """The mutants of the functions ``calculate`` runs, in name order."""
    wanted = {f"kernel.calculator.x_{name}" for name in FUNCTIONS}
    return sorted(name for name in generated.mutants if name.rpartition("__mutmut_")[0] in wanted)


def score(generated: Generated, mutant: str, timeout_s: float) -> dict[str, object]:
    """Run every calculator obligation on ``mutant`` in a scratch tree (see module docstring)."""
    relative, source = mutated_source(generated, mutant)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="calc-mutant-") as scratch:
        tree = Path(scratch)
        shutil.copytree(ROOT / "kernel", tree / "kernel")
        (tree / relative).write_text(source, "utf-8")
        for package in ("specs", "proofs"):
            (tree / package).symlink_to(ROOT / package)
        try:
            done = subprocess.run(
                [sys.executable, "-c", _CHILD], cwd=tree, capture_output=True, text=True, timeout=timeout_s
            )
        except subprocess.TimeoutExpired:
            return {"mutant": mutant, "result": "timeout", "seconds": round(time.perf_counter() - started, 1)}
    seconds = round(time.perf_counter() - started, 1)
    if done.returncode != 0:  # importing the mutated kernel raised: every obligation's build would
        return {"mutant": mutant, "result": "import-error", "seconds": seconds, "detail": done.stderr[-300:]}
    return {"mutant": mutant, "result": "scored", "seconds": seconds, "statuses": json.loads(done.stdout)}


def summary(rows: list[dict[str, object]]) -> dict[str, int]:
    """Counts: refuted by the first set, by the second, by the second only, by neither; timeouts."""
    counts = {"scored": 0, "first": 0, "second": 0, "second_only": 0, "neither": 0, "timeout": 0, "import_error": 0}
    for row in rows:
        if row["result"] == "timeout":
            counts["timeout"] += 1
            continue
        counts["scored"] += 1
        if row["result"] == "import-error":
            counts["import_error"] += 1
            counts["first"] += 1
            counts["second"] += 1
            continue
        statuses = row["statuses"]
        assert isinstance(statuses, dict)
        second = any(s != "proved" for o, s in statuses.items() if o.startswith(SECOND_SET_PREFIXES))
        first = any(s != "proved" for o, s in statuses.items() if not o.startswith(SECOND_SET_PREFIXES))
        counts["first"] += first
        counts["second"] += second
        counts["second_only"] += second and not first
        counts["neither"] += not first and not second
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, required=True, help="results, one JSON line per mutant (resumable)")
    parser.add_argument("--limit", type=int, default=None, help="score at most this many more mutants now")
    parser.add_argument("--processes", type=int, default=2, help="mutants scored at a time (default 2)")
    parser.add_argument("--timeout-s", type=float, default=600.0, help="per mutant (default 600)")
    args = parser.parse_args(argv)
    generated = generate(ROOT, ROOT / "build" / "mutation-apply")
    mutants = calculator_mutants(generated)
    done: list[dict[str, object]] = []
    if args.out.exists():
        done = [json.loads(line) for line in args.out.read_text("utf-8").splitlines() if line.strip()]
    seen = {row["mutant"] for row in done}
    todo = [m for m in mutants if m not in seen][: args.limit]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(args.processes) as pool, args.out.open("a", encoding="utf-8") as out:
        for row in pool.map(lambda m: score(generated, m, args.timeout_s), todo):
            out.write(json.dumps(row) + "\n")
            out.flush()
            done.append(row)
    counts = summary(done)
    table = Table(
        title=f"calculator mutants: {len(done)} of {len(mutants)} scored (kernel {generated.kernel_sha256[:8]}…)"
    )
    for column in ("what", "mutants"):
        table.add_column(column)
    labels = {
        "scored": "scored",
        "first": "refuted by CALC-1/CALC-4 obligations",
        "second": "refuted by CALC-2/CALC-3 obligations",
        "second_only": "refuted only by CALC-2/CALC-3",
        "neither": "refuted by neither",
        "timeout": "timeout (not judged)",
        "import_error": "mutated kernel does not import (refuted by both)",
    }
    for key, label in labels.items():
        table.add_row(label, str(counts[key]))
    Console().print(table)
    if len(done) < len(mutants):
        print(f"PARTIAL: {len(done)} of {len(mutants)} mutants scored (the first in name order): not the whole")
    return 0


if __name__ == "__main__":
    sys.exit(main())
