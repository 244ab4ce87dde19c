"""``pumpkernel crosshair``: the CrossHair gate on the shipped kernel code."""

from __future__ import annotations

import argparse
import json
import pathlib

HELP = "check the kernel's contracts with CrossHair; pass only if every condition is confirmed over all paths"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=float, default=60.0, help="CPU seconds per condition (default 60)")
    parser.add_argument("--json", type=pathlib.Path, help="write the results as JSON to this file")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from proofs.crosshair_gate import CONFIRMED, run_gate
    from proofs.crosshair_targets import NOT_EXHAUSTED

    console = Console(width=None if Console().is_terminal else 150)
    with console.status("running CrossHair"):
        result = run_gate(args.timeout)
    table = Table(title=f"CrossHair gate: {len(result.conditions)} conditions, {result.seconds:.1f} s wall")
    for column in ("function", "line", "condition", "verdict"):
        table.add_column(column)
    for condition in result.conditions:
        verdict = result.verdict(condition) or "NOT REPORTED"
        style = "green" if verdict == CONFIRMED else "bold red"
        table.add_row(
            condition.function,
            f"{condition.file}:{condition.line}",
            condition.text[5:].strip()[:70],
            f"[{style}]{verdict}[/]",
        )
    console.print(table)
    for name, seconds in (result.seconds_per_file or {}).items():
        console.print(f"  {name}: {seconds} s (its contract functions' CrossHair runs, one process each, summed)")
    joint = len(result.together)
    console.print(
        f"  {joint} of the {len(result.conditions)} conditions were confirmed as part of their function's conjunction "
        "(one CrossHair condition per contract function; a conjunction holds on all paths exactly when each part does)"
    )
    for failed, verdict in result.unconfirmed:
        console.print(f"[bold red]{verdict}[/] {failed.function if failed else '?'}")
    console.print("Not exhausted by CrossHair (not part of the gate), covered instead by:")
    for name, reason in NOT_EXHAUSTED.items():
        console.print(f"  {name}: {reason}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "passed": result.passed,
                    "seconds": round(result.seconds, 2),
                    "seconds_per_file": result.seconds_per_file,
                    "returncode": result.returncode,
                    "conditions": [
                        {
                            "function": c.function,
                            "file": c.file,
                            "line": c.line,
                            "condition": c.text,
                            "verdict": result.verdict(c),
                            "checked_as_one_conjunction_of_lines": result.checked_with(c),
                        }
                        for c in result.conditions
                    ],
                    "not_exhausted": NOT_EXHAUSTED,
                },
                indent=1,
            )
        )
    console.print("[green]every condition confirmed over all paths[/]" if result.passed else "[bold red]FAILED[/]")
    return 0 if result.passed else 1
