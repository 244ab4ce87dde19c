"""The CrossHair gate: run CrossHair on the contracts and demand "Confirmed over all paths."

CrossHair's exit code is 0 even when a condition is only "Not confirmed", so the
gate reads its report: every reported condition must say ``Confirmed over all
paths.``, every contract in the targets files must be reported, and the exit
code must be 0.  Anything else (``Not confirmed``, an error, a counterexample,
``Unable to meet precondition``, a missing condition) fails.

The targets are ``proofs/crosshair_targets.py`` (helpers of the kernel) and
``proofs/crosshair_steps.py`` (every handler through ``kernel.core.transition``,
and ``kernel.step.step``).  Each contract function is checked by its own
CrossHair process (target ``FILE:LINE``, CrossHair's smallest target; each
``post:`` line is still its own condition with its own per-condition
timeout), at most ``jobs`` at a time (two cores: two at once), taken in file
order as workers free up, and the verdicts are merged; a condition is named by
its file and line.  One process per file left one core idle for most of the
run: the steps file alone took 285 s, its contracts 1 to 59 s each.

CrossHair's per-condition timeout does not bound a single path that never
ends, so each run also has a wall-clock limit (by default the one its whole
file would get: never less for one of its functions); a run cut off by it
fails (its conditions count as missing, and ``timed_out`` says why).
"""

from __future__ import annotations

import ast
import pathlib
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

HERE = pathlib.Path(__file__).parent
TARGETS = HERE / "crosshair_targets.py"
STEPS = HERE / "crosshair_steps.py"
ALL_TARGETS: tuple[pathlib.Path, ...] = (STEPS, TARGETS)
LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<level>\w+): (?P<message>.*)$")
CONFIRMED = "Confirmed over all paths."


@dataclass(frozen=True)
class Condition:
    function: str
    line: int
    text: str
    file: str = ""

    @property
    def key(self) -> tuple[str, int]:
        return self.file, self.line


@dataclass
class GateResult:
    conditions: list[Condition]
    verdicts: dict[tuple[str, int], str]
    returncode: int
    seconds: float
    output: str
    timed_out: bool = False
    seconds_per_file: dict[str, float] | None = None
    """Seconds of the CrossHair runs of each file, summed over its contract functions' runs."""

    @property
    def missing(self) -> list[Condition]:
        return [c for c in self.conditions if c.key not in self.verdicts]

    @property
    def unconfirmed(self) -> list[tuple[Condition | None, str]]:
        by_key = {c.key: c for c in self.conditions}
        return [(by_key.get(key), verdict) for key, verdict in self.verdicts.items() if verdict != CONFIRMED]

    @property
    def passed(self) -> bool:
        return (
            self.returncode == 0
            and not self.timed_out
            and not self.missing
            and not self.unconfirmed
            and bool(self.conditions)
        )

    def verdict(self, condition: Condition) -> str | None:
        return self.verdicts.get(condition.key)


def postconditions(path: pathlib.Path = TARGETS) -> list[Condition]:
    """Every ``post:`` line of every contract in a targets file, with its line number."""
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
                    found.append(Condition(node.name, number, text, path.name))
    return found


@dataclass
class _Run:
    path: pathlib.Path | str
    output: str
    returncode: int
    timed_out: bool
    seconds: float


def _run_one(path: pathlib.Path | str, timeout_per_condition: float, wall_limit_s: float) -> _Run:
    """One ``crosshair check`` of ``path`` (a file, or ``FILE:LINE`` for the function at that line)."""
    started = time.perf_counter()
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
    return _Run(path, output, returncode, timed_out, time.perf_counter() - started)


def run_gate(
    timeout_per_condition: float = 60.0,
    path: pathlib.Path | tuple[pathlib.Path, ...] = ALL_TARGETS,
    wall_limit_s: float | None = None,
    jobs: int = 2,
) -> GateResult:
    """Run CrossHair on the targets file(s) and judge the report (see module docstring).

    ``wall_limit_s`` caps each run; by default twice the per-condition budget
    for every condition of the run's file, plus a minute.
    """
    started = time.perf_counter()
    paths = (path,) if isinstance(path, pathlib.Path) else tuple(path)
    per_file = {p: postconditions(p) for p in paths}
    conditions = [c for p in paths for c in per_file[p]]

    def limit(p: pathlib.Path) -> float:
        if wall_limit_s is not None:
            return wall_limit_s
        return 2 * timeout_per_condition * max(1, len(per_file[p])) + 60

    # A file without contracts is run whole: CrossHair reports what it finds, and the gate judges it.
    targets = [(p, t) for p in paths for t in (list(contract_targets(p, per_file[p]).values()) or [str(p)])]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        runs = list(pool.map(lambda unit: _run_one(unit[1], timeout_per_condition, limit(unit[0])), targets))
    verdicts: dict[tuple[str, int], str] = {}
    seconds: dict[str, float] = {}
    for (file, _), run in zip(targets, runs, strict=True):
        seconds[file.name] = round(seconds.get(file.name, 0.0) + run.seconds, 1)
        for raw in run.output.splitlines():
            match = LINE.match(raw.strip())
            if match and pathlib.Path(match["file"]).name == file.name:
                verdicts[(file.name, int(match["line"]))] = match["message"].strip()
    return GateResult(
        conditions,
        verdicts,
        max((abs(run.returncode) for run in runs), default=0),
        time.perf_counter() - started,
        "\n".join(run.output for run in runs),
        any(run.timed_out for run in runs),
        seconds,
    )


def contract_targets(path: pathlib.Path, conditions: list[Condition] | None = None) -> dict[str, str]:
    """Each contract function of a targets file (a top-level function with a ``post:``; ``conditions`` are the
    file's ``postconditions`` if already read) -> its CrossHair target ``FILE:LINE`` (its ``def``), in file
    order.  The gate runs each alone; so does the CrossHair mutation layer (``property_tests.layer_crosshair``)."""
    lines = {node.name: node.lineno for node in ast.parse(path.read_text()).body if isinstance(node, ast.FunctionDef)}
    found = postconditions(path) if conditions is None else conditions
    return {c.function: f"{path}:{lines[c.function]}" for c in found}


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode(errors="replace")
