"""What stands between kernel/ and MicroPython 1.27, measured: ``python -m tools.micropython.check``.

Theory of operation
-------------------
``make micropython`` installs the pinned npm package (``npm ci`` in this
directory) and runs this module, which:

1. runs ``hour.run()`` under CPython and writes the result to
   ``build/micropython/expected.json``;
2. runs ``node run.mjs kernel`` three times: the kernel as it is; with the
   shims (``shims/``: stand-ins for ``__future__``, ``typing``, ``enum``,
   ``dataclasses``, ``collections.abc``) first on MicroPython's ``sys.path``;
   and with the shims on a copy whose star displays ``transform.py`` rewrote
   (to see past the compile error they cause).  Each run reports, per kernel
   module in dependency order, the first error, and, only when every import
   succeeded, whether the scripted hour equals CPython's;
3. runs every probe of ``catalogue.CATALOGUE`` under MicroPython and CPython
   and compares the verdicts with the recorded ones; counts each construct's
   uses in ``kernel/`` (``scan.py``);
4. prints the findings as Markdown tables (docs/micropython.md quotes them) and
   writes them to ``build/micropython/findings.json``.

Exit status: 0 when the harness ran and every finding matches the catalogue
(and any hour that ran equals CPython's), 1 otherwise, 2 when ``node`` or the
npm package is missing (``make micropython`` installs it).
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
from typing import Any

from tools.micropython.catalogue import CATALOGUE
from tools.micropython.scan import scan, summary
from tools.micropython.transform import write_kernel_without_star_displays

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BUILD = ROOT / "build" / "micropython"
PROBES = HERE / "probes"
PACKAGE = HERE / "node_modules" / "@micropython" / "micropython-webassembly-pyscript" / "package.json"
RUNS = ("as is", "with shims", "shims, no star displays")


def unavailable() -> str | None:
    """Why the harness cannot run here, or ``None``."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not PACKAGE.exists():
        return f"the npm package is not installed: run `npm ci` in {HERE} (make micropython does)"
    return None


def _node(*args: str) -> str:
    result = subprocess.run(
        ["node", str(HERE / "run.mjs"), *args], capture_output=True, text=True, timeout=300, check=False
    )
    return result.stdout + result.stderr


def _cpython_hour(kernel_parent: pathlib.Path) -> Any:
    """``hour.run()`` under this CPython with the ``kernel`` package found in ``kernel_parent``."""
    code = (
        "import json, pathlib, sys, kernel; from tools.micropython import hour; "
        f"assert pathlib.Path(kernel.__file__).parent.parent == pathlib.Path({str(kernel_parent)!r}), kernel.__file__; "
        "json.dump(hour.run(), sys.stdout)"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join((str(kernel_parent), str(ROOT))))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True, cwd=BUILD, env=env
    )
    return json.loads(result.stdout)


def _kernel_run(expected: pathlib.Path, *options: str) -> dict[str, Any]:
    output = _node("kernel", "--expected", str(expected), *options)
    for line in output.splitlines():
        if line.startswith("@@REPORT "):
            report: dict[str, Any] = json.loads(line[len("@@REPORT ") :])
            return report
    raise RuntimeError(f"the MicroPython driver printed no report:\n{output}")


def _probe_outputs() -> dict[str, dict[str, Any]]:
    """Per probe file: MicroPython's and CPython's (ok, stdout, error) and the verdict."""
    files = sorted(PROBES.glob("*.py"))
    micropython = {}
    for line in _node("probe", *map(str, files)).splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            micropython[pathlib.Path(entry["file"]).name] = entry
    results: dict[str, dict[str, Any]] = {}
    for path in files:
        cpython = subprocess.run(
            [sys.executable, str(path)], capture_output=True, text=True, timeout=60, check=False, cwd=BUILD
        )
        mp = micropython[path.name]
        cp_out = cpython.stdout.strip()
        verdict = "fails" if not mp["ok"] else "works" if mp["stdout"].strip() == cp_out else "differs"
        results[path.name] = {
            "verdict": verdict,
            "micropython": mp["stdout"].strip() if mp["ok"] else mp["error"],
            "cpython": cp_out if cpython.returncode == 0 else "CPython failed: " + cpython.stderr.strip()[-200:],
            "cpython_ok": cpython.returncode == 0,
        }
    return results


def _observed(probe: dict[str, Any]) -> str:
    """What MicroPython did with one probe, in words."""
    if probe["verdict"] == "fails":
        text: str = probe["micropython"]
        return f"{text[:-1]} (no message)" if text.endswith(":") else text
    if probe["verdict"] == "differs":
        return f"prints `{probe['micropython']}` (CPython `{probe['cpython']}`)"
    return "same output as CPython"


def collect() -> dict[str, Any]:
    """Run everything (see module docstring) and return the findings."""
    BUILD.mkdir(parents=True, exist_ok=True)
    expected_path = BUILD / "expected.json"
    expected = _cpython_hour(ROOT)
    expected_path.write_text(json.dumps(expected))
    nostar_parent = BUILD / "nostar"
    shutil.rmtree(nostar_parent, ignore_errors=True)
    rewritten = write_kernel_without_star_displays(ROOT / "kernel", nostar_parent / "kernel")
    runs = {
        RUNS[0]: _kernel_run(expected_path),
        RUNS[1]: _kernel_run(expected_path, "--shims"),
        RUNS[2]: _kernel_run(expected_path, "--shims", "--kernel", str(nostar_parent / "kernel")),
    }
    probes = _probe_outputs()
    uses = scan(ROOT / "kernel")
    catalogue = []
    for entry in CATALOGUE:
        observed = [probes[name]["verdict"] for name in entry.probes]
        verdict = "fails" if "fails" in observed else "differs" if "differs" in observed else "works"
        catalogue.append(
            {
                "key": entry.key,
                "construct": entry.construct,
                "expected": entry.expected,
                "observed": verdict,
                "micropython": "; ".join(dict.fromkeys(_observed(probes[name]) for name in entry.probes)),
                "uses": {key: uses.get(key, {}) for key in entry.scan},
                "alternative": entry.alternative,
                "alternative_verdicts": {name: probes[name]["verdict"] for name in entry.alternative_probes},
            }
        )
    return {
        "micropython": runs[RUNS[0]]["implementation"],
        "runs": runs,
        "rewritten_modules": rewritten,
        "rewritten_equal_in_cpython": _cpython_hour(nostar_parent) == expected,
        "catalogue": catalogue,
        "probes": probes,
    }


def problems(findings: dict[str, Any]) -> list[str]:
    """Everything that does not match the catalogue or CPython (empty: all as recorded)."""
    found = []
    for name, probe in findings["probes"].items():
        if not probe["cpython_ok"]:
            found.append(f"probe {name} fails under CPython: {probe['cpython']}")
    for entry in findings["catalogue"]:
        if entry["observed"] != entry["expected"]:
            found.append(f"{entry['key']}: MicroPython {entry['observed']}, catalogue says {entry['expected']}")
        for name, verdict in entry["alternative_verdicts"].items():
            if verdict != "works":
                found.append(f"{entry['key']}: alternative {name} {verdict} under MicroPython")
    kernel_modules = {f"kernel.{path.stem}" for path in (ROOT / "kernel").glob("*.py") if path.stem != "__init__"}
    for run, report in findings["runs"].items():
        if {entry["module"] for entry in report["imports"]} != kernel_modules | {"kernel (package __init__)"}:
            found.append(f"{run}: not every kernel module was tried")
        hour = report["hour"]
        if hour is not None and not hour["equal"]:
            found.append(f"{run}: the hour under MicroPython differs from CPython's: {hour}")
    if not findings["rewritten_equal_in_cpython"]:
        found.append("the star-display rewrite changed the hour under CPython (transform.py is wrong)")
    return found


def _cell(entry: dict[str, Any]) -> str:
    if entry["ok"]:
        return "imports"
    if entry.get("blocked_by"):
        return f"blocked by `{entry['blocked_by']}`"
    raised = f" (raised in `{entry['raised_in']}`)" if entry.get("raised_in") else ""
    return f"`{entry['file']}:{entry['line']}` {entry['type']}: {entry['message']}{raised}"


def render(findings: dict[str, Any]) -> str:
    """The findings as Markdown."""
    runs = findings["runs"]
    lines = [f"MicroPython: {findings['micropython']} (WebAssembly port, npm, pinned in package.json)", ""]
    lines += ["| module (dependency order) | " + " | ".join(RUNS) + " |", "|---" * (len(RUNS) + 1) + "|"]
    for index, entry in enumerate(runs[RUNS[0]]["imports"]):
        lines.append(f"| {entry['module']} | " + " | ".join(_cell(runs[run]["imports"][index]) for run in RUNS) + " |")
    lines.append("")
    for run in RUNS:
        hour = runs[run]["hour"]
        text = "not run (not every module imports)" if hour is None else json.dumps(hour)
        imported = sum(entry["ok"] for entry in runs[run]["imports"])
        lines.append(f"- {run}: {imported} of {len(runs[run]['imports'])} import; scripted hour: {text}")
    lines.append(
        f"- star displays rewritten by the harness in: {', '.join(findings['rewritten_modules'])} "
        f"(CPython's hour unchanged by the rewrite: {findings['rewritten_equal_in_cpython']})"
    )
    lines += [
        "",
        "| construct | uses in kernel/ | MicroPython 1.27 | portable alternative (verified) |",
        "|---|---|---|---|",
    ]
    for entry in findings["catalogue"]:
        uses = "; ".join(f"{key}: {summary(places)}" for key, places in entry["uses"].items()) or "-"
        checked = ", ".join(f"{name} {verdict}" for name, verdict in entry["alternative_verdicts"].items())
        alternative = entry["alternative"] + (f" ({checked})" if checked else "")
        lines.append(
            f"| {entry['construct']} | {uses} | **{entry['observed']}**: {entry['micropython']} | {alternative} |"
        )
    return "\n".join(lines)


def main() -> int:
    reason = unavailable()
    if reason is not None:
        print(f"MicroPython harness unavailable: {reason}")
        return 2
    findings = collect()
    (BUILD / "findings.json").write_text(json.dumps(findings, indent=1))
    print(render(findings))
    found = problems(findings)
    print("\n" + ("\n".join(f"MISMATCH: {problem}" for problem in found) if found else "All findings as catalogued."))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
