"""The CrossHair gate: run CrossHair on the contracts and demand "Confirmed over all paths."

CrossHair's exit code is 0 even when a condition is only "Not confirmed", so the
gate reads its report: every reported condition must say ``Confirmed over all
paths.``, every contract in the targets files must be reported, and the exit
code must be 0.  Anything else (``Not confirmed``, an error, a counterexample,
``Unable to meet precondition``, a missing condition) fails.

The targets are ``proofs/crosshair_targets.py`` (helpers of the kernel) and
``proofs/crosshair_steps.py`` (every handler through ``kernel.core.transition``,
and ``kernel.step.step``).  Each contract function is checked by its own
CrossHair process (target ``FILE:LINE``, CrossHair's smallest target; its
conditions are joined, see below), at most ``jobs`` at a time (two cores: two at once), taken in file
order as workers free up, and the verdicts are merged; a condition is named by
its file and line.  One process per file left one core idle for most of the
run: the steps file alone took 285 s, its contracts 1 to 59 s each.

CrossHair explores a function's paths once per ``post:`` line (one checkable
per condition), so each function's conditions are checked as *one*
conjunction: the gate writes a copy of the targets file (same name, same line
numbers, in a temporary directory) in which each function's ``post:`` lines
become one ``post: (p1) and (p2) and ...`` on the first of them, runs
CrossHair on that copy, and gives the conjunction's verdict to every condition
it stands for (a conjunction holds on all paths exactly when each of its parts
does).  A function whose conjunction is not confirmed is run again as written,
one condition at a time, so each condition gets its own verdict and
counterexample, exactly as without the combination.  The per-condition timeout
then bounds the whole conjunction: never more time for a condition than
before.  Measured: ``tick_delivers_only_when_delivering`` (8 conditions)
57.8 s as written, 9.0 s combined.

CrossHair's per-condition timeout does not bound a single path that never
ends, so each run also has a wall-clock limit (by default the one its whole
file would get: never less for one of its functions); a run cut off by it
fails (its conditions count as missing, and ``timed_out`` says why).
"""

from __future__ import annotations

import ast
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

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
    together: dict[tuple[str, int], tuple[int, ...]] = field(default_factory=dict)
    """For a condition confirmed as part of its function's conjunction, the lines of that conjunction."""

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

    def checked_with(self, condition: Condition) -> list[int]:
        """The lines of the conjunction ``condition`` was confirmed in, or its own line alone."""
        return list(self.together.get(condition.key, (condition.line,)))


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


def combined_source(source: str) -> tuple[str, dict[int, list[int]]]:
    """``source`` with each contract function's ``post:`` lines as one conjunction on the line of the first (the
    others left blank, so every line keeps its number), and, for each function with two or more (by the line of
    its ``def``), the lines the conjunction stands for."""
    lines = source.splitlines()
    stands_for: dict[int, list[int]] = {}
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.FunctionDef) and ast.get_docstring(node)):
            continue
        start = node.body[0].lineno
        end = node.body[0].end_lineno or start
        posts = [n for n in range(start, end + 1) if lines[n - 1].strip().startswith("post:")]
        if len(posts) < 2:
            continue
        first = lines[posts[0] - 1]
        indent = first[: len(first) - len(first.lstrip())]
        parts = [lines[n - 1].strip()[len("post:") :].strip() for n in posts]
        lines[posts[0] - 1] = indent + "post: " + " and ".join(f"({part})" for part in parts)
        for n in posts[1:]:
            lines[n - 1] = ""
        stands_for[node.lineno] = posts
    return "\n".join(lines) + "\n", stands_for


Copy = tuple[pathlib.Path, dict[int, list[int]]]
"""A targets file's combined copy and ``combined_source``'s lines per function."""


def _combined_copy(path: pathlib.Path, directory: pathlib.Path) -> Copy | None:
    """Write ``path``'s combined copy into ``directory`` (same file name), if any function has two conditions."""
    text, stands_for = combined_source(path.read_text())
    if not stands_for:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    copy = directory / path.name
    copy.write_text(text)
    return copy, stands_for


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
        run = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=wall_limit_s, env=_environment()
        )
        output, returncode, timed_out = run.stdout + run.stderr, run.returncode, False
    except subprocess.TimeoutExpired as expired:
        output = _text(expired.stdout) + _text(expired.stderr) + f"\n(wall-clock limit {wall_limit_s:.0f} s reached)"
        returncode, timed_out = -1, True
    return _Run(path, output, returncode, timed_out, time.perf_counter() - started)


def _environment() -> dict[str, str]:
    """The repository's root on ``PYTHONPATH``: a targets file copied elsewhere imports ``kernel``, ``proofs``."""
    root = str(HERE.parent)
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": root if not path else root + os.pathsep + path}


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
    with tempfile.TemporaryDirectory(prefix="crosshair-combined-") as scratch:
        copies = {p: _combined_copy(p, pathlib.Path(scratch) / str(index)) for index, p in enumerate(paths)}

        def check(unit: tuple[pathlib.Path, str]) -> UnitCheck:
            return _check_unit(unit[0], unit[1], copies.get(unit[0]), timeout_per_condition, limit(unit[0]))

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            checked = list(pool.map(check, targets))
    verdicts: dict[tuple[str, int], str] = {}
    together: dict[tuple[str, int], tuple[int, ...]] = {}
    seconds: dict[str, float] = {}
    runs = [run for unit in checked for run in unit.runs]
    for (file, _), unit in zip(targets, checked, strict=True):
        seconds[file.name] = round(seconds.get(file.name, 0.0) + sum(run.seconds for run in unit.runs), 1)
        verdicts.update({(file.name, line): message for line, message in unit.verdicts.items()})
        together.update({(file.name, line): lines for line, lines in unit.together.items()})
    return GateResult(
        conditions,
        verdicts,
        max((abs(run.returncode) for run in runs), default=0),
        time.perf_counter() - started,
        "\n".join(run.output for run in runs),
        any(run.timed_out for run in runs),
        seconds,
        together,
    )


def verdicts_of(output: str, name: str) -> dict[int, str]:
    """CrossHair's message for each line of the file called ``name``."""
    found: dict[int, str] = {}
    for raw in output.splitlines():
        match = LINE.match(raw.strip())
        if match and pathlib.Path(match["file"]).name == name:
            found[int(match["line"])] = match["message"].strip()
    return found


@dataclass
class UnitCheck:
    """The runs one unit took, the verdict of each line of its file they reported, and the conditions confirmed
    as parts of a conjunction (line -> the conjunction's lines)."""

    runs: list[_Run]
    verdicts: dict[int, str]
    together: dict[int, tuple[int, ...]] = field(default_factory=dict)


def _check_unit(
    file: pathlib.Path,
    target: str,
    copy: Copy | None,
    timeout_per_condition: float,
    wall_limit_s: float,
) -> UnitCheck:
    """One run unit (a contract function ``FILE:LINE``, or a whole file): the conjunction of its conditions on
    the combined copy; if that is not confirmed, its conditions one at a time as written (module docstring).
    The runs made are all returned: a counterexample found by the conjunction fails the gate by its exit code."""
    def_line = int(target.rsplit(":", 1)[1]) if ":" in target else None
    posts = copy[1].get(def_line) if copy is not None and def_line is not None else None
    if copy is not None and posts:
        combined = _run_one(f"{copy[0]}:{def_line}", timeout_per_condition, wall_limit_s)
        found = verdicts_of(combined.output, file.name)
        if combined.timed_out:
            return UnitCheck([combined], found)
        if combined.returncode == 0 and found.get(posts[0]) == CONFIRMED:
            together = dict.fromkeys(posts, tuple(posts))
            return UnitCheck([combined], {**found, **dict.fromkeys(posts, CONFIRMED)}, together)
        alone = _run_one(target, timeout_per_condition, wall_limit_s)
        return UnitCheck([combined, alone], verdicts_of(alone.output, file.name))
    run = _run_one(target, timeout_per_condition, wall_limit_s)
    return UnitCheck([run], verdicts_of(run.output, file.name))


def check_function(path: pathlib.Path, target: str, timeout_per_condition: float, wall_limit_s: float) -> UnitCheck:
    """One contract function (``target`` = ``FILE:LINE`` of its ``def`` in ``path``) checked as the gate checks it:
    its conditions as one conjunction on a combined copy, then one at a time if that is not confirmed."""
    with tempfile.TemporaryDirectory(prefix="crosshair-combined-") as scratch:
        copy = _combined_copy(path, pathlib.Path(scratch))
        return _check_unit(path, target, copy, timeout_per_condition, wall_limit_s)


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
