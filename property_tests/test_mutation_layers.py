"""The per-layer mutation orchestrator: sample, resumption, budget, fallback, parsing, test selection.

These check the tools, not the kernel (toy trees, fake layer modules, fake
tasks); left out of the mutation test selection and of the property layer.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from property_tests import mutation_layers
from property_tests.mutation_apply import Generated
from property_tests.mutation_layer_prepare import LayerSetup, prepare_layers
from property_tests.mutation_layer_run import parse_output, pytest_ran
from property_tests.mutation_layer_select import Coverage, killer_counts, load_coverage, run_trace, select
from property_tests.mutation_layers import (
    compare,
    read_results,
    run,
    score,
    shuffled,
    stratified_sample,
    write_output,
)
from property_tests.mutation_report import module_of

PLAN = [f"kernel.m{m}.x_f__mutmut_{i}" for m in range(3) for i in range(1, 5)]
TAGS = {"kernel_sha256": "k", "suite_sha256": "s", "mode": "incremental"}


@pytest.fixture
def results_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(mutation_layers, "RESULTS", tmp_path / "results.jsonl")
    monkeypatch.setattr(mutation_layers, "OUTPUT", tmp_path / "out.json")
    monkeypatch.setattr(mutation_layers, "make_tree", lambda index: tmp_path)
    return tmp_path / "results.jsonl"


def _fake_task(job: tuple[str, list[str]]) -> list[dict[str, Any]]:
    time.sleep(0.05)
    mutant, layers = job
    return [{"mutant": mutant, "layer": la, "status": "killed", "seconds": 0.05} for la in layers]


def test_the_sample_is_stratified_and_the_order_is_a_seeded_shuffle_of_it() -> None:
    names = [f"kernel.m{m}.x_f__mutmut_{i}" for m in range(4) for i in range(1, 5 + 40 * m)]
    plan = stratified_sample(names, 50, seed=3)
    per = Counter(module_of(n) for n in plan)
    assert 50 <= len(plan) <= 50 + 3 * 4 and min(per.values()) >= 3  # the minimum per module may add a few
    assert per["kernel/m3.py"] > per["kernel/m1.py"]
    assert shuffled(plan) == shuffled(list(plan)) and sorted(shuffled(plan)) == plan and shuffled(plan) != plan


def test_a_run_resumes_where_it_stopped_and_never_merges_another_kernel(
    results_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mutation_layers, "_task", _fake_task)
    setups = {la: LayerSetup(la, True, 10.0, "m") for la in ("z3", "unit")}
    generated = Generated("k", mutants={name: module_of(name) for name in PLAN})
    results_file.write_text(
        json.dumps({"mutant": PLAN[0], "layer": "z3", "status": "killed", **TAGS, "kernel_sha256": "old"}) + "\n"
    )
    assert run(PLAN, setups, 1, generated, TAGS, limit=3) is False
    first = read_results("k", "s", "incremental")
    assert len(first) == 6 and {r["mutant"] for r in first} == set(shuffled(PLAN)[:3])
    run(PLAN, setups, 2, generated, TAGS)
    done = read_results("k", "s", "incremental")
    assert len(done) == 2 * len(PLAN) and len({(r["mutant"], r["layer"]) for r in done}) == len(done)
    assert read_results("k", "other suite", "incremental") == [] and read_results("k", "s", "whole") == []
    output = write_output(generated, PLAN, ["z3", "unit"], 1, len(PLAN), {"z3": "the z3 method"}, done)
    assert output["totals"]["z3"]["run"] == len(PLAN) and output["sample"]["z3"]["complete"] is True
    assert "the z3 method" in output["sample"]["z3"]["method"] and output["complete"] is False


def test_a_budget_stops_scheduling_and_the_output_says_incomplete(
    results_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mutation_layers, "_task", _fake_task)
    setups = {"unit": LayerSetup("unit", True, 10.0, "m")}
    generated = Generated("k", mutants={name: module_of(name) for name in PLAN})
    ticks = iter(range(1000))  # a clock that advances one second per reading: the budget ends at the third
    assert run(PLAN, setups, 1, generated, TAGS, budget_min=3 / 60, clock=lambda: float(next(ticks))) is True
    done = read_results("k", "s", "incremental")
    assert len(done) == 2 and [r["mutant"] for r in done] == shuffled(PLAN)[: len(done)]
    output = write_output(generated, PLAN, ["unit"], 1, len(PLAN), None, done)
    sample = output["sample"]["unit"]
    assert sample["complete"] is False and sample["size"] == len(done) and sample["planned"] == len(PLAN)
    assert f"INCOMPLETE: {len(done)} of the {len(PLAN)} planned" in sample["method"] and output["complete"] is False


def test_without_mutmut_stats_of_this_kernel_the_pytest_layers_run_whole_and_say_so(tmp_path: Path) -> None:
    generated = Generated("k", codes={"kernel/a.py": "def f():\n    return 1\n"})
    coverage, why = load_coverage(tmp_path / "mutmut-stats.json", generated)
    assert coverage is None and "no mutmut stats" in why
    (tmp_path / "kernel").mkdir()
    (tmp_path / "kernel" / "a.py").write_text("def f():\n    return 2\n")
    stats = {"tests_by_mangled_function_name": {"kernel.a.x_f": ["tests/t.py::a"]}, "duration_by_test": {}}
    (tmp_path / "mutmut-stats.json").write_text(json.dumps(stats))
    coverage, why = load_coverage(tmp_path / "mutmut-stats.json", generated)
    assert coverage is None and "another kernel" in why
    (tmp_path / "kernel" / "a.py").write_text("def f():\n    return 1\n")
    coverage, why = load_coverage(tmp_path / "mutmut-stats.json", generated)
    assert coverage is not None and coverage.tests_by_function == {"kernel.a.x_f": {"tests/t.py::a"}}
    cache = {"unit:incremental": {"seconds": 10.0, "tests": ["tests/t.py::a"], "import_time": {}}}
    (tmp_path / "baselines-s.json").write_text(json.dumps(cache))
    setups = prepare_layers(["unit"], generated, False, tmp_path / "missing.json", "s", tmp_path, run=False)
    assert setups["unit"].coverage is None and "every test per mutant (no mutmut stats at" in setups["unit"].method
    assert setups["unit"].timeout_s == 120.0
    setups = prepare_layers(["unit"], generated, False, tmp_path / "mutmut-stats.json", "s", tmp_path, run=False)
    assert setups["unit"].coverage is not None and "assumed" in setups["unit"].method


def test_killed_by_layer_stats_and_pytest_counts_are_parsed() -> None:
    output = 'noise\nKILLED-BY ob.tick.limit\nLAYER-STATS {"units": 9, "affected": 2, "run": 1, "skipped": 7}\n'
    assert parse_output(output, 1) == ("ob.tick.limit", {"units": 9, "affected": 2, "run": 1, "skipped": 7})
    assert parse_output("LAYER-STATS [1]\nLAYER-STATS {bad\nTraceback\nBoom", 1) == ("exit 1: Boom", None)
    pytest_output = (
        "F\n!!! stopping after 1 failures !!!\nFAILED tests/t.py::a - assert 1\n1 failed, 3 passed in 0.1s\n"
    )
    assert parse_output(pytest_output, 1)[0] == "tests/t.py::a" and pytest_ran(pytest_output) == 4


def test_the_tests_of_a_mutant_are_those_that_can_observe_it_killers_first() -> None:
    tests = ["t/a.py::x", "t/a.py::y", "t/b.py::z", "t/new.py::n", "t/c.py::w"]
    coverage = Coverage(
        {"kernel.m.x_f": {"t/a.py::x", "t/b.py::z"}},
        {"t/a.py::x": 2.0, "t/a.py::y": 1.0, "t/b.py::z": 1.0, "t/c.py::w": 0.1},
        "stats",
        {"kernel.m.x_g": {"t/c.py"}, "kernel.m.x_h": {""}},
    )
    assert select("kernel.m.x_f__mutmut_1", tests, coverage)[0] == ["t/b.py::z", "t/a.py::x", "t/new.py::n"]
    killers = killer_counts([{"mutant": "kernel.m.x_f__mutmut_9", "status": "killed", "by": "t/a.py::x"}])
    assert select("kernel.m.x_f__mutmut_1", tests, coverage, killers)[0][0] == "t/a.py::x"
    assert select("kernel.m.x_g__mutmut_1", tests, coverage)[0] == ["t/c.py::w", "t/new.py::n"]
    assert sorted(select("kernel.m.x_h__mutmut_1", tests, coverage)[0]) == sorted(tests)


FAKE_LAYER = """
import sys
args = sys.argv[1:]
mutant = args[args.index("--mutant") + 1]
order = open(args[args.index("--order") + 1]).read().split()
print("LAYER-STATS " + '{"units": 3, "affected": 1, "run": 1, "skipped": 2, "seconds": 0.1, "order": %d}' % len(order))
if mutant.endswith("_1"):
    print("KILLED-BY ob.one")
    sys.exit(1)
sys.exit(2 if mutant.endswith("_2") else 0)
"""


def test_a_proof_layer_module_is_called_per_mutant_and_its_verdict_recorded(tmp_path: Path) -> None:
    (tmp_path / "property_tests").mkdir()
    (tmp_path / "property_tests" / "__init__.py").write_text("")
    (tmp_path / "property_tests" / "layer_z3.py").write_text(FAKE_LAYER)
    setup = LayerSetup("z3", True, 60.0, "m", baseline=str(tmp_path / "b.json"))
    earlier = [{"mutant": "kernel.m.x_f__mutmut_7", "layer": "z3", "status": "killed", "by": "ob.two"}]
    killed = score("z3", "kernel.m.x_f__mutmut_1", tmp_path, setup, earlier)
    assert killed["status"] == "killed" and killed["by"] == "ob.one" and killed["stats"]["affected"] == 1
    assert killed["stats"]["order"] == 1 and (tmp_path / ".order-z3.txt").read_text() == "ob.two\n"
    assert score("z3", "kernel.m.x_f__mutmut_2", tmp_path, setup, [])["status"] == "error"
    assert score("z3", "kernel.m.x_f__mutmut_3", tmp_path, setup, [])["status"] == "survived"


TOY_KERNEL = "def f():\n    return 1\n\n\ndef g():\n    return 2\n\n\ndef h():\n    return 3\n\n\nONE = f()\n"
TOY_TESTS_A = (
    "from kernel.toy import g, h\n\nTWO = g()\n\n\ndef test_h():\n    assert h() == 3\n\n\n"
    "def test_two():\n    assert TWO == 2\n"
)
TOY_TESTS_B = "from kernel.toy import ONE\n\n\ndef test_one():\n    assert ONE == 1\n"


def test_the_trace_finds_the_tests_and_who_calls_what_at_import_and_a_pytest_layer_runs_the_selection(
    tmp_path: Path,
) -> None:
    (tmp_path / "kernel").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "kernel" / "__init__.py").write_text("")
    (tmp_path / "kernel" / "toy.py").write_text(TOY_KERNEL)
    (tmp_path / "tests" / "test_a.py").write_text(TOY_TESTS_A)
    (tmp_path / "tests" / "test_b.py").write_text(TOY_TESTS_B)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{tmp_path}:{Path(__file__).resolve().parent.parent}"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    found = run_trace(tmp_path, ["tests"], env)
    assert found["tests"] == ["tests/test_a.py::test_h", "tests/test_a.py::test_two", "tests/test_b.py::test_one"]
    assert found["import_time"] == {"kernel.toy.x_f": [""], "kernel.toy.x_g": ["tests/test_a.py"]}
    ran = run_trace(tmp_path, ["tests/test_b.py::test_one", "tests/test_a.py::test_h"], env, run=True)
    assert ran["per_test"] == {"tests/test_b.py::test_one": [], "tests/test_a.py::test_h": ["kernel.toy.x_h"]}
    assert set(ran["seconds"]) == set(ran["per_test"])
    coverage = Coverage({"kernel.toy.x_h": {"tests/test_a.py::test_h"}}, dict.fromkeys(found["tests"], 0.1), "s")
    coverage.import_time = {k: set(v) for k, v in found["import_time"].items()}
    setup = LayerSetup("unit", True, 600.0, "m", tests=found["tests"], coverage=coverage)
    (tmp_path / "kernel" / "toy.py").write_text(TOY_KERNEL.replace("return 3", "return 4"))
    result = score("unit", "kernel.toy.x_h__mutmut_1", tmp_path, setup, [])
    assert result["status"] == "killed" and result["by"] == "tests/test_a.py::test_h", result
    assert result["stats"] == {**result["stats"], "units": 3, "affected": 1, "run": 1, "skipped": 2}
    assert sys.executable


def test_whole_and_incremental_verdicts_are_compared_per_layer() -> None:
    rows = [
        {"mutant": "a", "layer": "unit", "status": "killed", "mode": "whole"},
        {"mutant": "a", "layer": "unit", "status": "timeout", "mode": "incremental"},
        {"mutant": "b", "layer": "unit", "status": "killed"},
        {"mutant": "b", "layer": "unit", "status": "survived", "mode": "incremental"},
        {"mutant": "c", "layer": "z3", "status": "survived", "mode": "incremental"},
        {"mutant": "d", "layer": "z3", "status": "error", "mode": "whole"},
        {"mutant": "d", "layer": "z3", "status": "killed", "mode": "incremental"},
    ]
    table = compare(rows)
    assert table["unit"] == {"both": 2, "agree": 1} and table["z3"] == {"both": 0, "agree": 0}


def test_a_test_file_that_cannot_be_collected_on_the_mutant_kills(tmp_path: Path) -> None:
    """pytest's exit 4 ("found no collectors") for node IDs collected on the unmutated kernel means their file
    failed to import on the mutant: the whole layer fails there (collection error), so the mutant is killed;
    a file that collects is no verdict (``None``: the run stays an error)."""
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_broken.py").write_text("raise TypeError('the kernel failed at import')\n\ndef test_a():\n    pass\n")
    (tests / "test_fine.py").write_text("def test_b():\n    pass\n")
    found = mutation_layers._collection_failure(
        ["tests/test_fine.py::test_b", "tests/test_broken.py::test_a"], tmp_path, 60
    )
    assert found is not None and found["status"] == "killed"
    assert found["by"].startswith("tests/test_broken.py")
    assert mutation_layers._collection_failure(["tests/test_fine.py::test_b"], tmp_path, 60) is None
