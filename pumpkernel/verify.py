"""``pumpkernel verify``: the verification suite, in order, with its evidence bundle and assurance case.

Theory of operation
-------------------
The command line of the suite.  It reads the options, runs the steps
(``pumpkernel.suite.run.run_verify``: configuration, exercise, proofs,
CrossHair, property tests, small-scope search, mutation), prints each step's
status as it ends and a summary table, writes the evidence bundle
(``pumpkernel.report.bundle.write_bundle``: report with the reviewer's first
page, evidence JSON, the GSN assurance case as JSON and SVG, JUnit, the
requirement exports), and opens the bundle's HTML pages in headless Chromium
when it is installed (``pumpkernel.report.browser``; screenshots in the
bundle; ``--no-browser`` skips it).

The verdict (``suite.model``) is PASSED only when every step of the full
suite ran completely and passed (exit 0); FAILED when a step failed, was
unknown, timed out, could not run or raised (exit 1); INCOMPLETE when nothing
failed but something did not cover everything: a step restricted by
``--steps`` or ``--obligations``, a mutation sample, a stale mutation report,
skipped tests (exit 3).  Modules import downwards only: this one imports
``suite`` (gathers) and ``report`` (renders), ``report`` imports
``assurance`` (argues), which imports ``suite.model``.
"""

from __future__ import annotations

import argparse
import pathlib
from typing import Any

from pumpkernel.suite.model import (
    FAILED,
    INCOMPLETE,
    NOT_AVAILABLE,
    PASSED,
    PROFILES,
    STEP_NAMES,
    TIMEOUT,
    UNKNOWN,
    Options,
    StepReport,
    Verification,
)
from pumpkernel.suite.run import run_verify

HELP = "run the whole verification suite on a configuration and write the evidence bundle"

__all__ = ["FAILED", "INCOMPLETE", "NOT_AVAILABLE", "PASSED", "Options", "Verification", "add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=pathlib.Path, help="a pump builder's configuration (.toml or .json)")
    parser.add_argument("--profile", choices=PROFILES, default="ci", help="Hypothesis profile (default ci)")
    parser.add_argument(
        "--out", type=pathlib.Path, default=pathlib.Path("evidence"), help="bundle folder (default evidence)"
    )
    parser.add_argument(
        "--steps",
        help="comma-separated subset of steps (a partial run): " + ",".join(STEP_NAMES),
    )
    parser.add_argument(
        "--obligations",
        action="append",
        default=[],
        help="run only obligations whose ID starts with this (repeatable; a partial run, no weakenings)",
    )
    parser.add_argument("--no-weakened", action="store_true", help="skip the weakened-model checks (a partial run)")
    parser.add_argument("--proof-timeout", type=float, default=60.0, help="Z3 seconds per obligation (default 60)")
    parser.add_argument(
        "--crosshair-timeout", type=float, default=60.0, help="CrossHair seconds per condition (default 60)"
    )
    parser.add_argument(
        "--mutation", action="store_true", help="re-run mutation testing instead of the committed report"
    )
    parser.add_argument("--unit-tests", action="store_true", help="also run tests/ in the pytest step")
    parser.add_argument(
        "--workers", type=int, default=2, help="pytest-xdist workers for the property tests (default 2)"
    )
    parser.add_argument(
        "--no-browser", action="store_true", help="do not open the report in headless Chromium (no screenshots)"
    )


def options_from(args: argparse.Namespace) -> Options:
    steps = STEP_NAMES
    if args.steps:
        wanted = [s.strip() for s in args.steps.split(",") if s.strip()]
        unknown = [s for s in wanted if s not in steps]
        if unknown:
            raise SystemExit(f"unknown step(s): {', '.join(unknown)} (steps: {', '.join(steps)})")
        steps = tuple(s for s in steps if s in wanted)
    return Options(
        config_path=args.config,
        profile=args.profile,
        out=args.out,
        steps=steps,
        obligations=tuple(args.obligations),
        weakenings=not args.no_weakened,
        proof_timeout_s=args.proof_timeout,
        crosshair_timeout_s=args.crosshair_timeout,
        mutation=args.mutation,
        workers=args.workers,
        unit_tests=args.unit_tests,
        browser=not args.no_browser,
    )


STYLE = {
    PASSED: "green",
    INCOMPLETE: "bold yellow",
    FAILED: "bold red",
    UNKNOWN: "bold red",
    TIMEOUT: "bold red",
    NOT_AVAILABLE: "bold yellow",
}
VERDICT_STYLE = {"PASSED": "green", "INCOMPLETE": "bold yellow", "FAILED": "bold red"}


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from pumpkernel.report.bundle import write_bundle

    options = options_from(args)
    console = Console(width=None if Console().is_terminal else 150)
    console.print(f"[bold]pumpkernel verify[/]: {options.command()}")
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        overall = bar.add_task("verification", total=len(options.steps))
        inner = bar.add_task("", total=None, visible=False)

        def on_step(name: str, title: str) -> None:
            bar.update(overall, description=f"[bold]{title}")
            bar.update(inner, description="", visible=name == "proofs", completed=0, total=None)

        def on_done(report: StepReport) -> None:
            bar.update(inner, visible=False)
            bar.advance(overall)
            style = STYLE.get(report.status, "bold red")
            bar.console.print(
                f"  [{style}]{report.status:>13}[/] {report.title} ({report.seconds:.1f} s): {report.summary}"
            )

        def tell(name: str, index: int, count: int) -> None:
            bar.update(inner, description=f"  {name}", completed=index, total=count)

        verification = run_verify(options, on_step, on_done, tell)
        bar.update(overall, description="verification done")

    table = Table(title=f"pumpkernel verify: {verification.verdict}")
    for column in ("step", "status", "summary", "time s"):
        table.add_column(column)
    for step in verification.steps:
        style = STYLE.get(step.status, "bold red")
        table.add_row(step.title, f"[{style}]{step.status}[/]", step.summary, f"{step.seconds:.1f}")
    console.print(table)
    for why in options.partial:
        console.print(f"[bold yellow]partial run[/]: {why}")
    paths = write_bundle(verification, options.out)
    console.print(f"evidence bundle: {options.out}/ (" + ", ".join(p.name for p in paths) + ")")
    proofs = verification.step("proofs")
    if proofs is not None:
        for cx in proofs.data.get("counterexamples", []):
            console.print(
                f"[bold red]counterexample[/] {cx['obligation']} ({', '.join(cx['requirements'])}): event {cx['event']}"
            )
    _browser_check(options, console)
    verdict = verification.verdict
    meaning = {
        "PASSED": "every step of the full suite ran completely and passed",
        "INCOMPLETE": "nothing failed, but not everything was covered (see above); this is not a pass",
        "FAILED": "some step failed, was unknown, timed out or could not run",
    }[verdict]
    console.print(f"[{VERDICT_STYLE[verdict]}]{verdict}[/]: {meaning} (exit code {verification.exit_code})")
    return verification.exit_code


def _browser_check(options: Options, console: Any) -> None:
    """Open the bundle's HTML pages in headless Chromium, when installed (screenshots into the bundle)."""
    from pumpkernel.report.browser import check_pages, chromium_available, write_check
    from pumpkernel.report.bundle import HTML_PAGES

    if not options.browser:
        return
    if not chromium_available():
        console.print("browser check not run: Chromium, chromedriver or selenium not installed (make system-deps)")
        return
    try:
        checks = check_pages(options.out, HTML_PAGES)
    except Exception as problem:  # the check is about the report's rendering, not the kernel: say so, go on
        console.print(f"[bold yellow]browser check could not run[/]: {type(problem).__name__}: {problem}")
        return
    write_check(options.out, checks)
    for check in checks:
        state = "[green]ok[/]" if not check.problems else "[bold red]" + "; ".join(check.problems[:5]) + "[/]"
        console.print(f"  browser: {check.page}: {check.links_checked} links, {check.images_checked} images, {state}")
