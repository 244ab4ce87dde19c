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
from collections import OrderedDict
from typing import Any

HELP = "run the Z3 proofs over every valid configuration and print the obligations and requirement statuses"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=pathlib.Path, help="write the full report as JSON to this file")
    parser.add_argument("--full", action="store_true", help="one row per obligation instead of per family")
    parser.add_argument("--no-weakened", action="store_true", help="skip the planted-defect checks (a partial run)")
    parser.add_argument("--processes", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--only", default="", help="run only obligations whose id contains this (a partial run)")


def family(obligation_id: str) -> str:
    """Group per-event obligations: 'GHOST-CONS/HOUR/Tick' -> 'GHOST-CONS/HOUR/*'."""
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
    from rich.table import Table

    from proofs.report import run_all, to_json

    console = Console(width=None if Console().is_terminal else 150)
    only = args.only
    with console.status("proving") as status:
        report = run_all(
            weakenings=not args.no_weakened,
            processes=args.processes,
            select=(lambda ob: only in ob.id) if only else None,
            progress=lambda text: status.update(text),
        )
    data = to_json(report)
    groups: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
    for row in data["obligations"]:
        key = row["id"] if args.full else family(row["id"])
        groups.setdefault(key, []).append(row)
    table = Table(
        title=f"pumpkernel prove: {len(data['obligations'])} obligations, {report.seconds:.1f} s "
        f"on {report.suite.processes} processes"
    )
    for column in ("obligation", "family", "observes", "requirements", "result", "time s"):
        table.add_column(column)
    for key, rows in groups.items():
        passed = sum(r["result"] == "proved" for r in rows)
        verdict = "proved" if passed == len(rows) else ", ".join(sorted({r["result"] for r in rows} - {"proved"}))
        count = f" ({passed}/{len(rows)})" if len(rows) > 1 else ""
        style = "green" if passed == len(rows) else "bold red"
        table.add_row(
            key,
            rows[0]["family"],
            " ".join(rows[0]["observes"]) or "-",
            " ".join(rows[0]["requirements"])[:40],
            f"[{style}]{verdict}{count}[/]",
            f"{sum(r['seconds'] for r in rows):.2f}",
        )
    console.print(table)
    if data["weakenings"]:
        weak = Table(title="planted defects (each must be refuted by an obligation: failed with a counterexample)")
        for column in ("planted defect", "refuted by", "obligations run", "time s"):
            weak.add_column(column)
        for w in data["weakenings"]:
            weak.add_row(
                w["id"], w["caught_by"] or "[bold red]MISSED[/]", str(w["obligations_run"]), f"{w['seconds']:.2f}"
            )
        console.print(weak)
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
    console.print(
        f"time: {data['seconds']:.1f} s wall on {data['processes']} processes; summed over them, obligations "
        f"{sum(r['seconds'] for r in data['obligations']):.1f} s (their queries; building the shared symbolic "
        f"steps not counted), planted defects {sum(w['seconds'] for w in data['weakenings']):.1f} s (building "
        "included)"
    )
    console.print("slowest: " + ", ".join(f"{r['id']} {r['seconds']:.2f}s" for r in data["slowest"]))
    for row in data["obligations"]:
        if row["result"] == "proved":
            continue
        console.print(f"[bold red]{row['result']}[/] {row['id']}: {row['detail']}")
        cx = row["counterexample"]
        if cx is not None:
            console.print(f"  event: {cx['event']}  (kernel agrees with its Z3 interpretation: {cx['kernel_agrees']})")
            for name, before, after in cx["changes"][:40]:
                console.print(f"  {name}: {before} -> {after}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data, indent=1, sort_keys=True))
        console.print(f"wrote {args.json}")
    if not report.complete:
        console.print("[bold yellow]INCOMPLETE[/]: a partial run (selected obligations or no planted defects)")
        return 3
    console.print(
        "[green]all obligations proved, every planted defect refuted[/]" if report.ok else "[bold red]FAILED[/]"
    )
    return 0 if report.ok else 1
