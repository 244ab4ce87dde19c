"""``pumpkernel prove``: run every Z3 proof obligation and every weakened-model check.

Prints a table (obligation family, requirement IDs, result, time) and exits
non-zero if any obligation failed, was unknown or timed out, or if any
weakened kernel went uncaught.  ``--json FILE`` writes the same as data,
including each requirement's derived status (proved, tested, open).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
from collections import OrderedDict

HELP = "run the Z3 proofs over every valid configuration and print the obligations and requirement statuses"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=pathlib.Path, help="write the full report as JSON to this file")
    parser.add_argument("--full", action="store_true", help="one row per obligation instead of per family")
    parser.add_argument("--no-weakened", action="store_true", help="skip the weakened-model checks")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per obligation (default 60)")
    parser.add_argument(
        "--write-regressions", type=pathlib.Path, help="write a pytest module per failed obligation into this folder"
    )


def family(obligation_id: str) -> str:
    """Group per-event obligations: 'SAFE/hour-window/Tick' -> 'SAFE/hour-window/*'."""
    from kernel.events import EVENT_CLASSES

    names = {cls.__name__ for cls in EVENT_CLASSES}
    head, _, tail = obligation_id.rpartition("/")
    if head and tail in names:
        return head + "/*"
    if obligation_id.startswith("INIT/"):
        return "INIT/*"
    return obligation_id


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from proofs.report import regression_test_source, run_all, to_json

    console = Console(width=None if Console().is_terminal else 150)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("proving", total=None)

        def tell(name: str, index: int, count: int) -> None:
            progress.update(task, description=name, completed=index, total=count)

        report = run_all(weakenings=not args.no_weakened, timeout_ms=int(args.timeout * 1000), progress=tell)

    groups: OrderedDict[str, list] = OrderedDict()  # type: ignore[type-arg]
    for result in report.results:
        key = result.obligation.id if args.full else family(result.obligation.id)
        groups.setdefault(key, []).append(result)
    table = Table(title=f"pumpkernel prove: {len(report.results)} obligations, {report.seconds:.1f} s")
    for column in ("obligation", "kind", "requirements", "result", "time s"):
        table.add_column(column)
    for key, results in groups.items():
        passed = sum(r.passed for r in results)
        verdict = "proved" if passed == len(results) else ", ".join(sorted({r.status for r in results if not r.passed}))
        count = f" ({passed}/{len(results)})" if len(results) > 1 else ""
        style = "green" if passed == len(results) else "bold red"
        table.add_row(
            key,
            results[0].obligation.kind,
            " ".join(results[0].obligation.requirements)[:60],
            f"[{style}]{verdict}{count}[/]",
            f"{sum(r.seconds for r in results):.2f}",
        )
    console.print(table)

    if report.weakenings:
        weak = Table(title="weakened kernels (each must be caught by some obligation)")
        for column in ("weakening", "caught by", "obligations run", "time s"):
            weak.add_column(column)
        for w in report.weakenings:
            caught = w.caught_by or "[bold red]MISSED[/]"
            weak.add_row(w.weakening.id, caught, str(w.obligations_run), f"{w.seconds:.2f}")
        console.print(weak)

    data = to_json(report)
    statuses = [r["status"] for r in data["requirements"]]
    console.print(
        f"requirements: {statuses.count('proved')} proved, {statuses.count('tested')} tested, "
        f"{statuses.count('open')} open, of {len(statuses)}"
    )
    for row in data["requirements"]:
        if row["status"] == "open":
            console.print(f"  open {row['id']}: {row['reason']}")
    if data["unused_invariants"]:
        console.print(f"invariants no proof used: {', '.join(data['unused_invariants'])}")
    slow = sorted(report.results, key=lambda r: r.seconds, reverse=True)[:5]
    console.print("slowest: " + ", ".join(f"{r.obligation.id} {r.seconds:.2f}s" for r in slow))
    for failure in report.failures:
        console.print(f"[bold red]{failure.status}[/] {failure.obligation.id}: {failure.detail}")
        cx = failure.counterexample
        if cx is not None:
            console.print(f"  event: {cx.event!r}  (kernel agrees with its Z3 interpretation: {cx.kernel_agrees})")
            for name, before, after in cx.changes[:40]:
                console.print(f"  {name}: {before!r} -> {after!r}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data, indent=1, sort_keys=True))
        console.print(f"wrote {args.json}")
    if args.write_regressions:
        args.write_regressions.mkdir(parents=True, exist_ok=True)
        for failure in report.failures:
            source = regression_test_source(failure)
            if source:
                name = re.sub(r"\W+", "_", failure.obligation.id).strip("_").lower()
                path = args.write_regressions / f"test_cex_{name}.py"
                path.write_text(source)
                console.print(f"wrote {path}")
    console.print("[green]all obligations proved, every weakening caught[/]" if report.ok else "[bold red]FAILED[/]")
    return 0 if report.ok else 1
