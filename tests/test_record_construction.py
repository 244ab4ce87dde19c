"""Every record the kernel builds with ``_new(Cls, (...))`` gets exactly its fields (issue 17).

The kernel builds its hot records with ``tuple.__new__`` (``kernel.state``, "Building
records"): a third of the cost of ``Cls(...)``, but neither Python nor mypy checks the number
of values then.  This test does, from the source: each ``_new`` call names a ``NamedTuple``
class of the kernel and passes a tuple display with one value per field; the one call that
is not a display (``kernel.step``: the state with its log replaced) is listed by name.
"""

from __future__ import annotations

import ast
import importlib
import pathlib

import pytest

KERNEL = pathlib.Path(__file__).resolve().parents[1] / "kernel"

NOT_A_DISPLAY = {("step", "new_state[:-1] + (append(new_state.log, new_state.now_ticks, records),)")}
"""``_new`` calls whose values are not a tuple display, by module and source: each keeps the length by construction."""


def _new_calls() -> list[tuple[str, int, str, ast.expr]]:
    calls = []
    for path in sorted(KERNEL.glob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_new":
                assert len(node.args) == 2 and not node.keywords, f"{path.name}:{node.lineno}: _new(Cls, values)"
                cls = node.args[0]
                assert isinstance(cls, ast.Name), f"{path.name}:{node.lineno}: the class must be named"
                calls.append((path.stem, node.lineno, cls.id, node.args[1]))
    return calls


CALLS = _new_calls()


def test_the_hot_records_are_built_with_new() -> None:
    """The rewrite is in place (a test that finds no call would check nothing)."""
    classes = {cls for _module, _line, cls, _values in CALLS}
    assert {"PumpState", "Windows", "Timers", "Totals", "BolusState", "Effects", "StepResult"} <= classes
    assert len(CALLS) >= 30


@pytest.mark.parametrize(("module", "line", "cls", "values"), CALLS, ids=[f"{m}:{n}:{c}" for m, n, c, _ in CALLS])
def test_each_new_record_gets_one_value_per_field(module: str, line: int, cls: str, values: ast.expr) -> None:
    record = getattr(importlib.import_module(f"kernel.{module}"), cls)
    fields = record._fields
    assert issubclass(record, tuple) and isinstance(fields, tuple)
    if isinstance(values, ast.Tuple):
        assert not any(isinstance(v, ast.Starred) for v in values.elts)
        assert len(values.elts) == len(fields), f"kernel/{module}.py:{line}: {cls} has {len(fields)} fields"
    else:
        assert (module, ast.unparse(values)) in NOT_A_DISPLAY, f"kernel/{module}.py:{line}: not a tuple display"


def test_new_is_tuple_new_wherever_it_is_used() -> None:
    for module in sorted({module for module, _line, _cls, _values in CALLS}):
        assert importlib.import_module(f"kernel.{module}")._new is tuple.__new__, module


def test_the_per_field_none_mutants_replace_one_value_each(tmp_path: pathlib.Path) -> None:
    """``tools.record_field_mutants`` makes one mutant per value of each ``_new`` display, that value (and only it)
    replaced by ``None``; other calls are left alone."""
    from tools.record_field_mutants import field_mutants

    (tmp_path / "kernel").mkdir()
    source = 'x = _new(Rec, (a + 1, "é", f(b, c)))\ny = Rec(a, b)\nz = _new(Rec, rest)\n'
    (tmp_path / "kernel" / "m.py").write_text(source, "utf-8")
    found = field_mutants(tmp_path)
    assert [(m.file, m.line, m.record, m.field, m.replaced) for m, _ in found] == [
        ("kernel/m.py", 1, "Rec", 0, "a + 1"),
        ("kernel/m.py", 1, "Rec", 1, '"é"'),
        ("kernel/m.py", 1, "Rec", 2, "f(b, c)"),
    ]
    assert [mutated.splitlines()[0] for _, mutated in found] == [
        'x = _new(Rec, (None, "é", f(b, c)))',
        "x = _new(Rec, (a + 1, None, f(b, c)))",
        'x = _new(Rec, (a + 1, "é", None))',
    ]
    assert all(mutated.splitlines()[1:] == source.splitlines()[1:] for _, mutated in found)


def test_every_value_of_every_new_display_has_its_none_mutant() -> None:
    """The kernel's own displays: as many per-field mutants as values in all of them (233 on kernel 98ee5e33)."""
    from tools.record_field_mutants import field_mutants

    values = sum(len(v.elts) for _, _, _, v in _new_calls() if isinstance(v, ast.Tuple))
    assert len(field_mutants()) == values > 0
