"""The mutation report: mutmut's per-mutant results read back, scored, classified, per module, timed.

Theory of operation
-------------------
mutmut 3 (3.8.1) keeps each mutant's exit code and wall-clock duration in
``mutants/<file>.meta`` (``exit_code_by_key``, ``durations_by_key``; an exit
code of ``None`` is a mutant generated but not run).  ``read_results`` reads
them; ``build_report`` turns them into the report written to
``property_tests/mutation_report.json``:

* the counts by mutmut's own status table (``STATUS_BY_EXIT_CODE``), the
  number generated and the number not run, and ``complete`` (every generated
  mutant ran): a run that is not complete is a sample or was cut short, and
  says which in ``sample``;
* ``score`` = ``100 * killed / (run - skipped)``: timeouts, suspicious
  results and mutants no test reaches count against it, and it is the score
  the run's numbers give (survivors classified later do not change it);
* ``modules``: per kernel module, mutants generated, run, killed, survived
  (every status that is not a kill), and ``seconds``: the mean and total
  wall-clock seconds per mutant, killed and not killed apart;
* ``cpu``: CPU seconds of the processes that tested the mutants
  (``mutants/mutation-cpu.txt``, written by ``property_tests.mutation_order``),
  killed and not killed apart, and the tests each ran: the cost on an idle
  core, whatever else ran on the machine;
* ``scored_by_source``: the "no tests" mutants of the modules configured in
  ``property_tests.mutation_builder`` (``kernel.builder``, whose tests cannot
  run under mutmut's trampolines) scored by applying each as plain source and
  running that module's tests (``mutants/mutation-source.json``, made on the
  same kernel): such a mutant's status is the one found there (killed,
  survived, timeout) instead of "no tests", and this field counts them, with
  the tests, the clean run's seconds and the per-mutant limit; ``not_scored``
  counts the configured "no tests" mutants without a result;
* ``survivors``: each surviving mutant with its classification and one-line
  reason from ``property_tests/survivors.toml`` (``equivalent``: it cannot
  change behaviour; ``gap``: no test notices it yet; ``closed``: a gap a
  named test now kills), ``unexplained`` when it has none.
"""

from __future__ import annotations

import json
import tomllib
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
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


def module_name(mutant: str) -> str:
    """``kernel.windows.x_shift__mutmut_3`` -> ``kernel.windows``."""
    head = mutant.rsplit("__mutmut_", 1)[0]
    return head[: head.rfind(".x")]


def module_of(mutant: str) -> str:
    """``kernel.windows.x_shift__mutmut_3`` -> ``kernel/windows.py``."""
    return module_name(mutant).replace(".", "/") + ".py"


def read_results(mutants: Path) -> tuple[dict[str, int | None], dict[str, float]]:
    """Every mutant's exit code (``None``: generated, not run) and wall-clock seconds, from ``mutants/**/*.meta``."""
    codes: dict[str, int | None] = {}
    seconds: dict[str, float] = {}
    for meta in sorted(mutants.rglob("*.py.meta")):
        data = json.loads(meta.read_text("utf-8"))
        codes.update(data.get("exit_code_by_key", {}))
        seconds.update({k: float(v) for k, v in data.get("durations_by_key", {}).items()})
    return codes, seconds


def read_cpu(mutants: Path) -> dict[str, tuple[float, int]]:
    """Mutant -> (CPU seconds, tests run), from ``mutants/mutation-cpu.txt`` (empty if absent)."""
    path = mutants / "mutation-cpu.txt"
    if not path.exists():
        return {}
    found: dict[str, tuple[float, int]] = {}
    for line in path.read_text("utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            found[parts[0]] = (float(parts[1]), int(parts[2]))
    return found


def cpu_summary(codes: dict[str, int | None], cpu: dict[str, tuple[float, int]]) -> dict[str, dict[str, float]]:
    """CPU seconds and tests run per mutant, killed and not killed apart (count, mean, total)."""
    summary: dict[str, dict[str, float]] = {}
    for label, wanted in (("killed", True), ("not_killed", False)):
        names = [n for n, c in codes.items() if c is not None and n in cpu and (status(c) in ("killed",)) == wanted]
        seconds = [cpu[n][0] for n in names]
        tests = [cpu[n][1] for n in names]
        summary[label] = {
            "count": len(names),
            "mean_s": round(sum(seconds) / len(names), 3) if names else 0.0,
            "total_s": round(sum(seconds), 1),
            "mean_tests": round(sum(tests) / len(names), 1) if names else 0.0,
        }
    return summary


def no_tests_in(codes: dict[str, int | None], modules: tuple[str, ...]) -> list[str]:
    """The mutants recorded as "no tests" whose module is one of ``modules``, sorted."""
    found = (n for n, code in codes.items() if code is not None and status(code) == "no tests")
    return sorted(n for n in found if module_name(n) in modules)


SOURCE_EXIT_CODE = {"killed": 1, "survived": 0, "timeout": 36}
"""A source-scored verdict as the mutmut exit code of the same status (``error`` keeps "no tests")."""


def read_source_scored(mutants: Path, kernel_sha256: str) -> dict[str, Any] | None:
    """``mutants/mutation-source.json`` when it was made on this kernel (else ``None``: stale, not merged)."""
    path = mutants / "mutation-source.json"
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data if data.get("kernel_sha256") == kernel_sha256 else None


def merge_source_scored(
    codes: dict[str, int | None],
    seconds: dict[str, float],
    source: dict[str, Any] | None,
    modules: tuple[str, ...],
) -> tuple[dict[str, int | None], dict[str, float], dict[str, Any]]:
    """Codes and seconds with the source-scored verdicts in place of "no tests", and the ``scored_by_source`` field.

    Only a mutant mutmut recorded as "no tests" whose module is in ``modules`` is replaced; any other
    "no tests" mutant stays as it is.
    """
    results: dict[str, dict[str, Any]] = (source or {}).get("results", {})
    eligible = no_tests_in(codes, modules)
    merged, timed = dict(codes), dict(seconds)
    counts = dict.fromkeys(SOURCE_EXIT_CODE, 0)
    for name in eligible:
        found = results.get(name, {}).get("status")
        if found in SOURCE_EXIT_CODE:
            merged[name] = SOURCE_EXIT_CODE[found]
            timed[name] = float(results[name].get("seconds", 0.0))
            counts[found] += 1
    field: dict[str, Any] = {
        "modules": list(modules),
        "method": "each applied as plain source, its module's tests run with -x (property_tests.mutation_builder)",
        "tests": list((source or {}).get("tests", [])),
        **counts,
        "scored": sum(counts.values()),
        "not_scored": len(eligible) - sum(counts.values()),
        "clean_seconds": (source or {}).get("clean_seconds"),
        "timeout_s": (source or {}).get("timeout_s"),
    }
    return merged, timed, field


def load_classifications(path: Path = SURVIVORS) -> dict[str, dict[str, str]]:
    """``survivors.toml``: ``[survivors."<mutant>"]`` tables with ``classification`` and ``reason``."""
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text("utf-8"))
    table = data.get("survivors", {})
    return {name: {"classification": str(v["classification"]), "reason": str(v["reason"])} for name, v in table.items()}


def _timing(names: list[str], seconds: dict[str, float]) -> dict[str, float]:
    measured = [seconds[n] for n in names if n in seconds]
    total = sum(measured)
    return {"count": len(measured), "mean": round(total / len(measured), 3) if measured else 0.0, "total": round(total)}


def per_module(codes: dict[str, int | None], seconds: dict[str, float]) -> dict[str, dict[str, Any]]:
    """Module -> generated, run, killed, survived (every other status run), and timing of kills and survivals."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for name in codes:
        grouped[module_of(name)].append(name)
    table: dict[str, dict[str, Any]] = {}
    for module in sorted(grouped):
        names = grouped[module]
        run = [n for n in names if codes[n] is not None]
        killed = [n for n in run if status(codes[n]) in ("killed", "caught by type check")]
        others = [n for n in run if n not in set(killed)]
        table[module] = {
            "generated": len(names),
            "run": len(run),
            "killed": len(killed),
            "survived": len(others),
            "seconds_killed": _timing(killed, seconds),
            "seconds_not_killed": _timing(others, seconds),
        }
    return table


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


def build_report(
    codes: dict[str, int | None],
    seconds_by_mutant: dict[str, float],
    classifications: dict[str, dict[str, str]],
    seconds: float,
    sample: str,
    kernel_sha256: str = "",
    cpu: dict[str, tuple[float, int]] | None = None,
    source: dict[str, Any] | None = None,
    source_modules: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The report written to ``mutation_report.json`` (see module docstring).

    ``source`` is ``read_source_scored``'s data for the mutants of ``source_modules`` (see ``merge_source_scored``).
    """
    codes, seconds_by_mutant, scored_by_source = merge_source_scored(codes, seconds_by_mutant, source, source_modules)
    counts = Counter(status(code) for code in codes.values())
    run = {name: code for name, code in codes.items() if code is not None}
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
        "generated": len(codes),
        "not_run": counts["not checked"],
        "complete": counts["not checked"] == 0 and len(codes) > 0,
        "sample": sample,
        "kernel_sha256": kernel_sha256,
        "modules": per_module(codes, seconds_by_mutant),
        "cpu": cpu_summary(codes, cpu or {}),
        "scored_by_source": scored_by_source,
        "classification_counts": classification_counts,
        "survivors": survivors,
    }


def reclassify(report: dict[str, Any], classifications: dict[str, dict[str, str]]) -> dict[str, Any]:
    """``report`` with its survivors classified again from ``survivors.toml`` (no mutmut run)."""
    survivors, counts = classify(report["survivors"], classifications)
    kept = {key: value for key, value in report.items() if key not in ("classification_counts", "survivors")}
    return {**kept, "classification_counts": counts, "survivors": survivors}


def print_report(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    state = "complete: every generated mutant ran" if report.get("complete") else "INCOMPLETE: not every mutant ran"
    table = Table(title=f"Mutation testing of kernel/ ({report['sample']}; {state})")
    for column in ("killed", "survived", "no tests", "timed out", "suspicious", "skipped", "run", "score %"):
        table.add_column(column, justify="right")
    keys = ("killed", "survived", "no_tests", "timeout", "suspicious", "skipped", "total", "score")
    table.add_row(*(str(report[key]) for key in keys))
    console.print(table)
    modules = Table(title="Per module (killed / run of generated; mean seconds per mutant killed, not killed)")
    for column in ("module", "generated", "run", "killed", "not killed", "s killed", "s not killed"):
        modules.add_column(column, justify="right" if column != "module" else "left")
    for module, row in report.get("modules", {}).items():
        modules.add_row(
            module,
            *(str(row[k]) for k in ("generated", "run", "killed", "survived")),
            str(row["seconds_killed"]["mean"]),
            str(row["seconds_not_killed"]["mean"]),
        )
    console.print(modules)
    console.print(
        f"{report['generated']} mutants generated, {report['total']} run, {report['not_run']} not run; "
        f"{report['seconds']} s wall-clock"
    )
    by_source = report.get("scored_by_source", {})
    if by_source.get("scored") or by_source.get("not_scored"):
        console.print(
            f"Scored by applying each mutant as source ({', '.join(by_source['modules'])}: mutmut found no tests): "
            f"{by_source['killed']} killed, {by_source['survived']} survived, {by_source['timeout']} timed out; "
            f"{by_source['not_scored']} not scored (still 'no tests')"
        )
    cpu = report.get("cpu", {})
    if cpu.get("killed", {}).get("count") or cpu.get("not_killed", {}).get("count"):
        k, n = cpu["killed"], cpu["not_killed"]
        console.print(
            f"CPU per mutant: killed {k['mean_s']} s ({k['mean_tests']} tests, {k['count']} mutants), "
            f"not killed {n['mean_s']} s ({n['mean_tests']} tests, {n['count']} mutants); "
            f"all mutants {k['total_s'] + n['total_s']:.0f} CPU s = {(k['total_s'] + n['total_s']) / 2 / 60:.1f} min "
            "on two idle cores, plus mutmut's generation, stats and clean runs"
        )
    by_class = Counter(s["classification"] for s in report["survivors"])
    console.print(f"Survivors: {len(report['survivors'])} ({dict(by_class)})")
    unexplained = [s for s in report["survivors"] if s["classification"] == "unexplained"]
    for survivor in unexplained[:40]:
        console.print(f"  [red]unexplained[/red] {survivor['name']} ({survivor['status']})")
    if len(unexplained) > 40:
        console.print(f"  ... and {len(unexplained) - 40} more unexplained")
