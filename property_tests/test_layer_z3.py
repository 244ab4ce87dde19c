"""The incremental Z3 layer's machinery: mutmut names of traced code, canonical query texts, the skip rule.

These check the tool, not the kernel: a toy module under a ``kernel/``
directory is traced; small Z3 queries are fingerprinted.  Left out of the
mutation test selection and (like the other machinery tests) of the
property layer.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import z3

from property_tests import layer_z3
from property_tests.layer_z3 import affected_units, check_tree
from property_tests.layer_z3_trace import KernelTracer, attribute_caches, canonical, fingerprint
from property_tests.mutmut_names import mutated_function

TOY = """
def helper(x):
    return x + 1


def at_import():
    return 3


VALUE = at_import()


class Box:
    def add(self, a):
        inner = lambda b: helper(b)  # noqa: E731
        return [inner(i) for i in range(a)]


def unused():
    return 0
"""


def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location("layer_z3_toy", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    tracer = KernelTracer(path.parent)
    with tracer.section() as imported:
        spec.loader.exec_module(module)
    return module, tracer, imported


def test_mutated_function_drops_the_mutant_number() -> None:
    assert mutated_function("kernel.windows.x_shift__mutmut_3") == "kernel.windows.x_shift"
    assert (
        mutated_function("kernel.calculator.xǁRecommendationǁ_mu__mutmut_12")
        == "kernel.calculator.xǁRecommendationǁ_mu"
    )


def test_the_tracer_names_functions_methods_and_nested_code_as_mutmut_does(tmp_path: Path) -> None:
    kernel = tmp_path / "kernel"
    kernel.mkdir()
    (kernel / "toy.py").write_text(TOY)
    module, tracer, imported = _load(kernel / "toy.py")
    assert imported == {"kernel.toy.x_at_import"}
    assert tracer.imported == {"kernel.toy.x_at_import"}
    with tracer.section() as called:
        module.Box().add(2)
    assert called == {"kernel.toy.xǁBoxǁadd", "kernel.toy.x_helper"}  # the lambda and list belong to add
    assert tracer.imported == {"kernel.toy.x_at_import"}  # nothing imported while add ran


def test_code_outside_the_kernel_is_not_recorded(tmp_path: Path) -> None:
    other = tmp_path / "specs"
    other.mkdir()
    (other / "toy.py").write_text(TOY)
    module, tracer, _ = _load(other / "toy.py")
    tracer.prefix = str((tmp_path / "kernel").resolve()) + "/"
    with tracer.section() as called:
        module.Box().add(2)
    assert called == set()


def test_canonical_text_ignores_counter_names_but_not_structure() -> None:
    def text(*formulas: Any) -> str:
        solver = z3.Solver()
        solver.add(*formulas)
        return canonical(solver.sexpr())

    x, y, p3, p7 = z3.Int("x"), z3.Int("y"), z3.Bool("pick!3"), z3.Bool("pick!7")
    assert text(p3 == (x < y), p3) == text(p7 == (x < y), p7)
    assert text(x < y, x > 0) != text(x < y, y > 0)
    assert text(x < y) != text(x <= y)
    assert text(z3.Bool("b")) != text(z3.Int("b") > 0)  # declarations (sorts) are part of the text


def test_canonical_text_ignores_layout() -> None:
    # Z3's printer wraps lines by width, so pick!9 and pick!10 lay the same query out differently.
    wrapped = "(declare-fun pick!10 () Bool)\n(assert (and pick!10\n     (not pick!10)))\n"
    flat = "(declare-fun pick!9 () Bool)\n(assert (and pick!9 (not pick!9)))\n"
    assert canonical(wrapped) == canonical(flat)


@dataclass
class _Obligation:
    budget_s: float = 60.0


@dataclass
class _Query:
    tracked: list[tuple[str, Any]] = field(default_factory=list)
    plain: list[Any] = field(default_factory=list)
    goal: Any = True
    premise: Any | None = None
    witness: bool = False


def test_the_fingerprint_reads_everything_the_verdict_reads() -> None:
    x = z3.Int("x")
    query = _Query(tracked=[("INV-1", x > 0)], goal=[("g", x > -1)])
    same = fingerprint(_Obligation(), query)
    assert fingerprint(_Obligation(), _Query(tracked=[("INV-1", x > 0)], goal=[("g", x > -1)])) == same
    assert fingerprint(_Obligation(30.0), query) != same  # the budget
    assert fingerprint(_Obligation(), _Query(tracked=[("INV-2", x > 0)], goal=[("g", x > -1)])) != same
    assert fingerprint(_Obligation(), _Query(plain=[x > 0], goal=[("g", x > -1)])) != same  # tracked vs plain
    assert fingerprint(_Obligation(), _Query(tracked=[("INV-1", x > 0)], goal=[("g", x > -1)], witness=True)) != same
    premised = _Query(tracked=[("INV-1", x > 0)], goal=[("g", x > -1)], premise=x > 5)
    assert fingerprint(_Obligation(), premised) != same


def _data() -> dict[str, Any]:
    return {
        "order": ["A", "B", "C"],
        "import_functions": ["kernel.modes.x__event_rows"],
        "units": {
            "A": {"deps": ["kernel.core.x_transition"]},
            "B": {"deps": []},
            "C": {"deps": ["kernel.core.x_transition"]},
        },
    }


def test_affected_units_are_those_that_call_the_function_or_all_for_an_import_time_function() -> None:
    assert affected_units(_data(), "kernel.core.x_transition") == ["A", "C"]
    assert affected_units(_data(), "kernel.modes.x__event_rows") == ["A", "B", "C"]
    assert affected_units(_data(), "kernel.builder.x_config_from_units") == []


def test_a_mutant_no_obligation_reaches_survives_without_building(capsys: Any) -> None:
    lines: list[str] = []
    assert layer_z3.run(_data(), "kernel.builder.x_config_from_units__mutmut_17", None, lines.append) == 0
    stats = json.loads(lines[-1].removeprefix("LAYER-STATS "))
    assert (stats["units"], stats["affected"], stats["run"], stats["skipped"]) == (3, 0, 0, 3)


def _tree(root: Path) -> None:
    for directory in ("kernel", "specs", "proofs"):
        (root / directory).mkdir(parents=True)
        (root / directory / "m.py").write_text(f"# {directory}\n")


def test_only_the_mutated_file_may_differ_from_the_baseline(tmp_path: Path) -> None:
    _tree(tmp_path)
    data = {"kernel_sha256": "k" * 64, "files": layer_z3.file_hashes(tmp_path)}
    assert check_tree(data, tmp_path, "kernel.m.x_f__mutmut_1", None) is None
    (tmp_path / "kernel" / "m.py").write_text("# mutated\n")
    assert check_tree(data, tmp_path, "kernel.m.x_f__mutmut_1", None) is None
    assert check_tree(data, tmp_path, "kernel.other.x_f__mutmut_1", None) is not None
    assert check_tree(data, tmp_path, "kernel.m.x_f__mutmut_1", "0" * 64) is not None
    (tmp_path / "proofs" / "m.py").write_text("# changed\n")
    assert "proofs/m.py" in str(check_tree(data, tmp_path, "kernel.m.x_f__mutmut_1", None))


def test_file_hashes_are_sha256_of_the_bytes(tmp_path: Path) -> None:
    _tree(tmp_path)
    assert layer_z3.file_hashes(tmp_path)["specs/m.py"] == hashlib.sha256(b"# specs\n").hexdigest()


CACHED = """
class Ctx:
    def __init__(self, compute):
        self.compute = compute
        self.memo = {}

    def get(self, key):
        if key not in self.memo:
            self.memo[key] = self.compute(key)
        return self.memo[key]
"""


def test_a_cache_hit_counts_what_the_cache_miss_called(tmp_path: Path, monkeypatch: Any) -> None:
    kernel = tmp_path / "kernel"
    kernel.mkdir()
    (kernel / "toy.py").write_text(TOY)
    toy, tracer, _ = _load(kernel / "toy.py")
    (tmp_path / "layer_z3_cachetoy.py").write_text(CACHED)
    monkeypatch.syspath_prepend(str(tmp_path))
    cached = importlib.import_module("layer_z3_cachetoy")
    unwrapped = cached.Ctx(toy.helper)
    with tracer.section() as first:
        unwrapped.get(1)
    with tracer.section() as second:
        unwrapped.get(1)
    assert (first, second) == ({"kernel.toy.x_helper"}, set())  # what a warm cache hides
    monkeypatch.setattr(cached.Ctx, "get", cached.Ctx.get)  # restored after the test
    attribute_caches(tracer, (("layer_z3_cachetoy", "Ctx", "get"),))
    ctx = cached.Ctx(toy.helper)
    with tracer.section() as first:
        ctx.get(1)
    with tracer.section() as second:
        ctx.get(1)
    with tracer.section() as other:
        ctx.get(2)
    assert first == second == other == {"kernel.toy.x_helper"}
