"""The incremental CrossHair layer's machinery: names, the judge, the selection, the refusal, the hook.

These check the tool, not the kernel (left out of the mutation test selection).
One test runs CrossHair on one small contract under the profile hook (a few
seconds): the hook must see kernel functions called with symbolic arguments
and CrossHair must still confirm.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mutmut.mutation.trampoline_templates import mangle_function_name
from mutmut.utils.format_utils import get_mutant_name

from proofs.crosshair_gate import ALL_TARGETS, CONFIRMED, postconditions
from property_tests import layer_crosshair as lc
from property_tests.mutmut_names import mutated_function

ROOT = Path(__file__).resolve().parent.parent


def test_code_objects_are_named_as_mutmut_names_functions() -> None:
    """Top-level functions, methods, nested functions and comprehensions; nothing outside ``kernel/``."""
    import kernel.logic
    import kernel.windows

    for name in ("advance", "record"):
        code = getattr(kernel.windows, name).__code__
        expected = get_mutant_name(Path("kernel/windows.py"), mangle_function_name(name=name, class_name=None))
        assert lc.mutmut_function(code.co_filename, code.co_qualname) == expected
    code = kernel.logic.PythonLogic.ite.__code__
    assert lc.mutmut_function(code.co_filename, code.co_qualname) == "kernel.logic.xǁPythonLogicǁite"
    windows = str(ROOT / "kernel" / "windows.py")
    assert lc.mutmut_function(windows, "advance.<locals>.inner.<locals>.<listcomp>") == "kernel.windows.x_advance"
    assert lc.mutmut_function(windows, "<module>") is None
    assert lc.mutmut_function(windows, "<lambda>") is None
    assert lc.mutmut_function(str(ROOT / "kernel" / "__init__.py"), "f") == "kernel.x_f"
    assert lc.mutmut_function(str(ROOT / "proofs" / "crosshair_gate.py"), "run_gate") is None


def test_a_mutant_names_its_function_and_file() -> None:
    assert mutated_function("kernel.windows.x_shift__mutmut_3") == "kernel.windows.x_shift"
    assert mutated_function("kernel.logic.xǁPythonLogicǁite__mutmut_12") == "kernel.logic.xǁPythonLogicǁite"
    assert lc.mutated_file("kernel.logic.xǁPythonLogicǁite") == "kernel/logic.py"
    with pytest.raises(ValueError):
        mutated_function("kernel.windows.x_shift")


def test_the_units_are_the_gates_contract_functions() -> None:
    """Every condition of the gate belongs to exactly one unit; a unit's wall limit is the gate's for its file."""
    units = lc.units()
    conditions = [(p.name, c.line) for p in ALL_TARGETS for c in postconditions(p)]
    assert sorted((u["file"], line) for u in units.values() for line in u["conditions"]) == sorted(conditions)
    for path in ALL_TARGETS:
        assert lc.wall_limit_s(path.name) == 2 * lc.TIMEOUT_PER_CONDITION_S * len(postconditions(path)) + 60


def _unit() -> dict[str, Any]:
    return {"file": "crosshair_steps.py", "target": "x", "conditions": [10, 11]}


def test_the_judge_demands_every_condition_confirmed() -> None:
    good = f"/t/proofs/crosshair_steps.py:10: info: {CONFIRMED}\n/t/proofs/crosshair_steps.py:11: info: {CONFIRMED}\n"
    assert lc.judge(_unit(), good, 0, False) == ""
    assert lc.judge(_unit(), good, 1, False) == "exit 1"
    assert lc.judge(_unit(), good, 0, True) == "wall-clock limit"
    unconfirmed = good.replace(f"11: info: {CONFIRMED}", "11: info: Not confirmed.")
    assert lc.judge(_unit(), unconfirmed, 0, False) == "line 11: Not confirmed."
    assert lc.judge(_unit(), good.splitlines()[0], 0, False) == "line 11: missing"
    error = good + "/t/proofs/crosshair_steps.py:12: error: false when calling f(0)\n"
    assert lc.judge(_unit(), error, 1, False) == "line 12: false when calling f(0)"


def _baseline() -> dict[str, Any]:
    return {
        "format": lc.FORMAT,
        "kernel_sha256": "k",
        "file_sha256": lc.file_hashes(),
        "import_time": ["kernel.settings.x_make_settings"],
        "conditions": 5,
        "units": {
            "a": {"conditions": [1, 2], "seconds": 5.0, "dependencies": ["kernel.windows.x_advance"]},
            "b": {"conditions": [3], "seconds": 1.0, "dependencies": ["kernel.windows.x_advance"]},
            "c": {"conditions": [4, 5], "seconds": 2.0, "dependencies": ["kernel.logic.x_first_refusal"]},
        },
    }


def test_only_units_reaching_the_function_run_killers_first_then_cheapest() -> None:
    data = _baseline()
    assert lc.affected(data, "kernel.windows.x_advance__mutmut_1", []) == ["b", "a"]
    assert lc.affected(data, "kernel.windows.x_advance__mutmut_1", ["a", "c"]) == ["a", "b"]
    assert lc.affected(data, "kernel.windows.x_advance__mutmut_1", ["c", "b", "a", "a"]) == ["a", "b"]
    assert lc.affected(data, "kernel.record.x_encode__mutmut_3", ["a"]) == []
    assert lc.affected(data, "kernel.settings.x_make_settings__mutmut_2", []) == ["b", "c", "a"]


def test_a_baseline_of_another_tree_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Exit 2 on another kernel or on a changed file other than the mutated one; 0 with nothing to run."""
    data = _baseline()
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(data))
    assert lc.run(path, "kernel.record.x_encode__mutmut_3", None, "k") == 0
    stats = json.loads(capsys.readouterr().out.split("LAYER-STATS ")[1])
    assert (stats["units"], stats["affected"], stats["run"], stats["skipped"]) == (3, 0, 0, 3)
    assert lc.run(path, "kernel.record.x_encode__mutmut_3", None, "other") == 2
    assert "REFUSED" in capsys.readouterr().out
    data["file_sha256"]["kernel/windows.py"] = "0" * 64
    path.write_text(json.dumps(data))
    assert lc.run(path, "kernel.record.x_encode__mutmut_3", None, "k") == 2
    assert "kernel/windows.py" in capsys.readouterr().out
    assert lc.refusal(data, "kernel.windows.x_advance__mutmut_1", "k") == ""
    data["failures"] = ["a: line 1: Not confirmed."]
    assert "cannot kill" in lc.refusal(data, "kernel.windows.x_advance__mutmut_1", "k")


def test_the_hook_sees_symbolic_calls_and_crosshair_still_confirms() -> None:
    """One contract under the profile hook: confirmed, and the kernel functions it calls with symbols are seen."""
    unit = lc.units()["first_failed_check_decides"]
    why, _, called = lc.trace_unit(unit)
    assert why == ""
    assert {"kernel.logic.x_first_refusal", "kernel.logic.xǁPythonLogicǁite"} <= set(called)
    assert "kernel.record.x_decode" not in called


def test_the_layer_imports_no_kernel_before_its_hook() -> None:
    """The hook is set before the kernel is first imported, so code the kernel runs at import time is seen."""
    import subprocess
    import sys

    probe = (
        "import sys, property_tests.layer_crosshair; print(sorted(m for m in sys.modules if m.startswith('kernel')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"
