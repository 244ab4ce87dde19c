"""The mutation-testing machinery itself: the trampoline bypass, applying a mutant, the sample, the reports.

These check the tools, not the kernel: a toy module is mutated with mutmut's
own generator, and every mutant's behaviour is compared across the three
ways of running it (mutmut's trampolines, the bypass, the mutant applied as
source).  Left out of the mutation test selection and of the property layer.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from property_tests import mutation_layers, mutation_trampoline
from property_tests.mutation_apply import Generated, mutated_source
from property_tests.mutation_layers import stratified_sample, summarize, wilson, write_output
from property_tests.mutation_report import build_report, module_of, per_module, read_source_scored, reclassify

TOY = """
def double(x: int) -> int:
    return x * 2


class Box:
    def add(self, a: int, b: int = 1) -> int:
        return a + b


TABLE = {"double": double}


def use(x: int) -> int:
    return TABLE["double"](x) + Box().add(x)
"""

USER = "from toykernel.toy import Box, double, use\n\n\ndef call(x):\n    return use(x) * 10 + double(x)\n"


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Any]:
    from mutmut.mutation.file_mutation import mutate_file_contents

    mutated = mutate_file_contents("toykernel/toy.py", TOY)
    package = tmp_path / "toykernel"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "toy.py").write_text(mutated.code)
    (tmp_path / "toyuser.py").write_text(USER)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path, mutated


def _fresh_call(x: int) -> int:
    for name in ("toyuser", "toykernel.toy", "toykernel"):
        sys.modules.pop(name, None)
    module = importlib.import_module("toyuser")
    result: int = module.call(x)
    return result


def test_the_bypass_makes_mutmuts_choice_for_every_mutant(
    toy: tuple[Path, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each toy mutant: same result with trampolines and after the bypass, and the trampolines are gone."""
    _, mutated = toy
    seen = set()
    for name in mutated.mutant_names:
        mutant = f"toykernel.toy.{name}"
        monkeypatch.setenv("MUTANT_UNDER_TEST", mutant)
        try:
            expected: object = _fresh_call(3)
        except Exception as problem:
            expected = type(problem)
        replaced = mutation_trampoline.bypass(mutant, ("toykernel",), ("toykernel", "toyuser"))
        assert replaced >= 3
        user, toy_module = sys.modules["toyuser"], sys.modules["toykernel.toy"]
        assert not hasattr(user.use, "__wrapped__") and not hasattr(toy_module.TABLE["double"], "__wrapped__")
        assert not hasattr(toy_module.Box.add, "__wrapped__")
        try:
            got: object = user.call(3)
        except Exception as problem:
            got = type(problem)
        assert got == expected, mutant
        seen.add(got)
    assert len(seen) >= 4  # the mutants differ from each other: the comparison can fail
    monkeypatch.setenv("MUTANT_UNDER_TEST", "")
    assert mutation_trampoline.bypass("") == 0


def test_a_mutant_applied_as_source_behaves_as_under_mutmut(
    toy: tuple[Path, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``mutated_source`` replaces exactly the mutated function; the module then computes what mutmut's choice does."""
    _, mutated = toy
    relative = "toykernel/toy.py"
    spans = {n: (s.start, s.end) for n, s in mutated.line_span_by_function_name.items()}
    names = {f"toykernel.toy.{n}": relative for n in mutated.mutant_names}
    generated = Generated("sha", {relative: TOY}, {relative: mutated.code}, {relative: spans}, names)
    for mutant in names:
        monkeypatch.setenv("MUTANT_UNDER_TEST", mutant)
        try:
            expected: object = _fresh_call(4)
        except Exception as problem:
            expected = type(problem)
        _, source = mutated_source(generated, mutant)
        assert source != TOY and source.count("def ") == TOY.count("def ")
        namespace: dict[str, Any] = {}
        exec(compile(source, relative, "exec"), namespace)
        try:
            got: object = namespace["use"](4) * 10 + namespace["double"](4)
        except Exception as problem:
            got = type(problem)
        assert got == expected, mutant


def test_the_sample_is_seeded_stratified_and_covers_every_module() -> None:
    names = [f"kernel.m{m}.x_f__mutmut_{i}" for m in range(6) for i in range(1, 10 + 60 * m)]
    first = stratified_sample(names, 100, seed=1)
    assert first == stratified_sample(names, 100, seed=1) and first != stratified_sample(names, 100, seed=2)
    assert len(first) == 100 and len(set(first)) == 100 and set(first) <= set(names)
    per = {m: sum(module_of(n) == m for n in first) for m in {module_of(n) for n in names}}
    assert min(per.values()) >= 3
    assert per["kernel/m5.py"] > per["kernel/m1.py"] > per["kernel/m0.py"]
    assert stratified_sample(names, 10_000, seed=1) == sorted(names)


def test_wilson_interval() -> None:
    assert wilson(0, 0) == (0.0, 1.0)
    assert wilson(0, 10) == (0.0, 0.2775)
    assert wilson(10, 10) == (0.7225, 1.0)
    assert wilson(50, 100) == (0.4038, 0.5962)


def test_the_layers_output_has_the_agreed_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``pumpkernel-mutation-layers/1``: exact keys; timeouts count as killed; errors are not counted."""
    monkeypatch.setattr(mutation_layers, "OUTPUT", tmp_path / "out.json")
    monkeypatch.setattr(mutation_layers, "RESULTS", tmp_path / "results.jsonl")
    plan = ["kernel.tick.x_on_tick__mutmut_1", "kernel.bolus.x_on_bolus__mutmut_2"]
    rows = [
        {"mutant": plan[0], "layer": "z3", "status": "killed"},
        {"mutant": plan[1], "layer": "z3", "status": "timeout"},
        {"mutant": plan[0], "layer": "unit", "status": "survived"},
        {"mutant": plan[1], "layer": "unit", "status": "error"},
    ]
    (tmp_path / "results.jsonl").write_text("".join(json.dumps({**r, "kernel_sha256": "abc"}) + "\n" for r in rows))
    generated = Generated("abc", mutants={name: module_of(name) for name in plan})
    output = write_output(generated, plan, ["z3", "unit"], seed=5, size=2)
    keys = ["format", "kernel_sha256", "generated", "layers", "sample", "modules", "totals", "complete"]
    assert list(output) == keys and output["complete"] is False
    assert output["format"] == "pumpkernel-mutation-layers/1"
    assert output["layers"] == ["z3", "crosshair", "property", "unit"]
    assert output["totals"]["z3"] == {"run": 2, "killed": 2, "low95": 0.3424, "high95": 1.0}
    assert output["totals"]["unit"]["run"] == 1 and output["totals"]["unit"]["killed"] == 0
    assert output["modules"]["kernel/tick.py"]["z3"] == {"run": 1, "killed": 1}
    assert output["sample"]["z3"]["size"] == 2 and "INCOMPLETE" not in output["sample"]["z3"]["method"]
    assert output["sample"]["z3"]["complete"] is True and output["sample"]["unit"]["complete"] is False
    assert "INCOMPLETE" in output["sample"]["unit"]["method"] and output["sample"]["crosshair"]["method"] == "not run"
    assert json.loads((tmp_path / "out.json").read_text()) == output
    assert summarize([], plan, ["z3"])["totals"]["z3"] == {"run": 0, "killed": 0, "low95": 0.0, "high95": 1.0}


def test_the_mutation_report_counts_what_ran_and_says_when_not_everything_did() -> None:
    codes: dict[str, int | None] = {
        "kernel.tick.x_a__mutmut_1": 1,
        "kernel.tick.x_a__mutmut_2": 0,
        "kernel.tick.x_a__mutmut_3": 36,
        "kernel.bolus.x_b__mutmut_1": None,
    }
    report = build_report(codes, {"kernel.tick.x_a__mutmut_1": 0.5}, {}, 10.0, "every mutant", "sha")
    assert (report["killed"], report["survived"], report["timeout"], report["total"]) == (1, 1, 1, 3)
    assert report["not_run"] == 1 and report["complete"] is False and report["score"] == 33.33
    assert [s["classification"] for s in report["survivors"]] == ["unexplained", "unexplained"]
    table = per_module(codes, {})
    assert table["kernel/tick.py"]["killed"] == 1 and table["kernel/tick.py"]["survived"] == 2
    assert table["kernel/bolus.py"] == {**table["kernel/bolus.py"], "generated": 1, "run": 0}


LOOPING_TESTS = """
def test_finishes() -> None:
    assert sum(range(1000)) == 499500


def test_loops_for_ever() -> None:
    while True:
        pass
"""


def test_the_time_guard_ends_a_looping_test_as_a_timeout(tmp_path: Path) -> None:
    """In a mutant's process a test past its CPU allowance ends the process with mutmut's timeout code (36)."""
    from property_tests.mutation_order import GUARD_FACTOR, GUARD_FLOOR_S, TIMEOUT_EXIT_CODE

    (tmp_path / "test_looping.py").write_text(LOOPING_TESTS, "utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", "utf-8")
    durations = {"test_looping.py::test_finishes": 0.01, "test_looping.py::test_loops_for_ever": 0.01}
    (tmp_path / "mutmut-stats.json").write_text(json.dumps({"duration_by_test": durations}), "utf-8")
    env = {**os.environ, "MUTANT_UNDER_TEST": "kernel.nowhere.x_f__mutmut_1", "PYTHONPATH": str(Path.cwd())}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "property_tests.mutation_order"]
    done = subprocess.run([*command, "test_looping.py"], cwd=tmp_path, env=env, capture_output=True, timeout=300)
    assert done.returncode == TIMEOUT_EXIT_CODE, done.stdout.decode()[-2000:]
    mutant, test, allowed = (tmp_path / "mutation-guard.txt").read_text("utf-8").split("\t")
    assert (mutant, test) == ("kernel.nowhere.x_f__mutmut_1", "test_looping.py::test_loops_for_ever")
    assert float(allowed) == pytest.approx(GUARD_FACTOR * 0.01 + GUARD_FLOOR_S, abs=0.05)


def test_source_scored_verdicts_replace_no_tests_only_in_the_configured_modules(tmp_path: Path) -> None:
    """mutation_builder's results replace "no tests" for kernel.builder; other statuses and modules stay as mutmut's."""
    codes: dict[str, int | None] = {
        "kernel.builder.x_pump_mode__mutmut_1": 33,
        "kernel.builder.x_pump_mode__mutmut_2": 33,
        "kernel.builder.x_pump_mode__mutmut_3": 33,
        "kernel.builder.x_pump_mode__mutmut_4": 33,
        "kernel.builder.x_pump_mode__mutmut_5": 33,
        "kernel.builder.x_pump_mode__mutmut_6": 1,
        "kernel.tick.x_a__mutmut_1": 33,
        "kernel.tick.x_a__mutmut_2": 1,
    }
    results = {
        "kernel.builder.x_pump_mode__mutmut_1": {"status": "killed", "seconds": 1.5},
        "kernel.builder.x_pump_mode__mutmut_2": {"status": "survived", "seconds": 3.0},
        "kernel.builder.x_pump_mode__mutmut_3": {"status": "timeout", "seconds": 30.0},
        "kernel.builder.x_pump_mode__mutmut_4": {"status": "error", "seconds": 0.5},
        "kernel.builder.x_pump_mode__mutmut_6": {"status": "survived", "seconds": 3.0},
        "kernel.tick.x_a__mutmut_1": {"status": "killed", "seconds": 1.0},
    }
    source = {"kernel_sha256": "sha", "tests": ["tests/test_builder.py"], "clean_seconds": 2.9, "timeout_s": 30.0}
    (tmp_path / "mutation-source.json").write_text(json.dumps({**source, "results": results}), "utf-8")
    assert read_source_scored(tmp_path, "other sha") is None  # made on another kernel: not merged
    found = read_source_scored(tmp_path, "sha")
    report = build_report(codes, {}, {}, 10.0, "every mutant", "sha", None, found, ("kernel.builder",))
    by_source = report["scored_by_source"]
    assert (by_source["killed"], by_source["survived"], by_source["timeout"]) == (1, 1, 1)
    assert (by_source["scored"], by_source["not_scored"]) == (3, 2)  # the error and the one without a result
    assert by_source["modules"] == ["kernel.builder"] and by_source["tests"] == ["tests/test_builder.py"]
    assert (by_source["clean_seconds"], by_source["timeout_s"]) == (2.9, 30.0)
    # mutmut's kill of _6 stands; the tick mutant stays "no tests" though a result names it.
    assert (report["killed"], report["survived"], report["timeout"], report["no_tests"]) == (3, 1, 1, 3)
    assert report["total"] == 8 and report["score"] == 37.5
    statuses = {s["name"]: s["status"] for s in report["survivors"]}
    assert statuses["kernel.builder.x_pump_mode__mutmut_2"] == "survived"
    assert statuses["kernel.builder.x_pump_mode__mutmut_3"] == "timeout"
    assert statuses["kernel.builder.x_pump_mode__mutmut_4"] == "no tests"
    assert statuses["kernel.tick.x_a__mutmut_1"] == "no tests"
    assert "kernel.builder.x_pump_mode__mutmut_1" not in statuses
    # Seconds per mutant come from the results file; mutmut's own kill (_6) had none in this test.
    assert report["modules"]["kernel/builder.py"]["seconds_killed"] == {"count": 1, "mean": 1.5, "total": 2}
    unscored = build_report(codes, {}, {}, 10.0, "every mutant", "sha", None, None, ("kernel.builder",))
    assert unscored["no_tests"] == 6 and unscored["scored_by_source"]["not_scored"] == 5
    assert reclassify(report, {})["scored_by_source"] == by_source


def test_the_builder_scorer_picks_configured_no_tests_mutants_and_reads_exit_codes(tmp_path: Path) -> None:
    """Only kernel.builder's "no tests" mutants are picked; exit 0 survives, 1-3 kill, None timed out, others: error."""
    from property_tests.mutation_builder import no_tests_mutants, tests_for, verdict

    meta = {
        "exit_code_by_key": {
            "kernel.builder.x_glucose_use__mutmut_2": 33,
            "kernel.builder.x_glucose_use__mutmut_1": 5,
            "kernel.builder.x_glucose_use__mutmut_3": 1,
            "kernel.builder.x_glucose_use__mutmut_4": None,
            "kernel.tick.x_a__mutmut_1": 33,
        }
    }
    (tmp_path / "kernel").mkdir()
    (tmp_path / "kernel" / "builder.py.meta").write_text(json.dumps(meta), "utf-8")
    assert no_tests_mutants(tmp_path) == [
        "kernel.builder.x_glucose_use__mutmut_1",
        "kernel.builder.x_glucose_use__mutmut_2",
    ]
    assert tests_for(["kernel.builder.x_glucose_use__mutmut_1"]) == ["tests/test_builder.py", "tests/test_examples.py"]
    assert tests_for(["kernel.tick.x_a__mutmut_1"]) == []
    assert [verdict(code) for code in (0, 1, 2, 3, 4, 5, None, -9)] == [
        "survived",
        "killed",
        "killed",
        "killed",
        "error",
        "error",
        "timeout",
        "error",
    ]


def test_the_machinerys_own_tests_are_left_out_of_every_selection_and_of_the_suite_hash() -> None:
    """Three consumers list the machinery's test files (mutmut's selection in pyproject.toml, the property layer's
    ``MACHINERY_TESTS``, the suite hash's ``MACHINERY`` prefixes): they must name the same files."""
    import tomllib

    from property_tests.mutation_layer_run import MACHINERY_TESTS

    root = Path(__file__).resolve().parent.parent
    selection = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["tool"]["mutmut"][
        "pytest_add_cli_args_test_selection"
    ]
    ignored = {str(arg).split("=", 1)[1] for arg in selection if str(arg).startswith("--ignore=")}
    listed = {f"property_tests/{name}" for name in MACHINERY_TESTS}
    by_prefix = {
        path.relative_to(root).as_posix()
        for path in (root / "property_tests").glob("test_*.py")
        if path.relative_to(root).as_posix().startswith(mutation_layers.MACHINERY)
    }
    assert listed == by_prefix
    assert listed <= ignored
