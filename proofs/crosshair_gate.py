"""The CrossHair gate: run CrossHair on the contracts and demand "Confirmed over all paths."

CrossHair's exit code is 0 even when a condition is only "Not confirmed", so the
gate reads its report: every reported condition must say ``Confirmed over all
paths.``, every contract in ``proofs.crosshair_targets`` must be reported, and
the exit code must be 0.  Anything else (``Not confirmed``, an error, a
counterexample, ``Unable to meet precondition``, a missing condition) fails.

CrossHair's per-condition timeout does not bound a single path that never
ends, so the whole run also has a wall-clock limit; a run cut off by it fails
(its conditions count as missing, and ``timed_out`` says why).
"""

from __future__ import annotations

import ast
import pathlib
import re
import subprocess
import sys
import time
from dataclasses import dataclass

TARGETS = pathlib.Path(__file__).with_name("crosshair_targets.py")
LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<level>\w+): (?P<message>.*)$")
CONFIRMED = "Confirmed over all paths."


@dataclass(frozen=True)
class Condition:
    function: str
    line: int
    text: str


@dataclass
class GateResult:
    conditions: list[Condition]
    verdicts: dict[int, str]
    returncode: int
    seconds: float
    output: str
    timed_out: bool = False

    @property
    def missing(self) -> list[Condition]:
        return [c for c in self.conditions if c.line not in self.verdicts]

    @property
    def unconfirmed(self) -> list[tuple[Condition | None, str]]:
        by_line = {c.line: c for c in self.conditions}
        return [(by_line.get(line), verdict) for line, verdict in self.verdicts.items() if verdict != CONFIRMED]

    @property
    def passed(self) -> bool:
        return (
            self.returncode == 0
            and not self.timed_out
            and not self.missing
            and not self.unconfirmed
            and bool(self.conditions)
        )


def postconditions(path: pathlib.Path = TARGETS) -> list[Condition]:
    """Every ``post:`` line of every contract in the targets file, with its line number."""
    source = path.read_text()
    tree = ast.parse(source)
    lines = source.splitlines()
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and ast.get_docstring(node):
            start = node.body[0].lineno
            end = node.body[0].end_lineno or start
            for number in range(start, end + 1):
                text = lines[number - 1].strip()
                if text.startswith("post:"):
                    found.append(Condition(node.name, number, text))
    return found


def run_gate(
    timeout_per_condition: float = 60.0, path: pathlib.Path = TARGETS, wall_limit_s: float | None = None
) -> GateResult:
    """Run CrossHair on ``path`` and judge its report (see module docstring).

    ``wall_limit_s`` caps the whole run; by default twice the per-condition
    budget for every condition, plus a minute.
    """
    started = time.perf_counter()
    conditions = postconditions(path)
    if wall_limit_s is None:
        wall_limit_s = 2 * timeout_per_condition * max(1, len(conditions)) + 60
    command = [
        sys.executable,
        "-m",
        "crosshair",
        "check",
        "--report_all",
        "--analysis_kind",
        "PEP316",
        "--per_condition_timeout",
        str(timeout_per_condition),
        str(path),
    ]
    try:
        run = subprocess.run(command, capture_output=True, text=True, check=False, timeout=wall_limit_s)
        output, returncode, timed_out = run.stdout + run.stderr, run.returncode, False
    except subprocess.TimeoutExpired as expired:
        output = _text(expired.stdout) + _text(expired.stderr) + f"\n(wall-clock limit {wall_limit_s:.0f} s reached)"
        returncode, timed_out = -1, True
    verdicts: dict[int, str] = {}
    for raw in output.splitlines():
        match = LINE.match(raw.strip())
        if match and pathlib.Path(match["file"]).name == path.name:
            verdicts[int(match["line"])] = match["message"].strip()
    return GateResult(conditions, verdicts, returncode, time.perf_counter() - started, output, timed_out)


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode(errors="replace")
