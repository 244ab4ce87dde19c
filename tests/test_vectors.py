"""Conformance vectors (``pumpkernel vectors``): coverage, and replay through the kernel reproduces them.

The vectors are written to a JSON-lines file and read back before replay, so
the test checks what another implementation would read, not Python objects.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from kernel.events import EVENT_CLASSES
from kernel.modes import CONDITION_TRANSITIONS, EVENT_TRANSITIONS
from pumpkernel import vectors
from specs.requirements import REQUIREMENTS


@pytest.fixture(scope="module")
def exported_path(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    path = tmp_path_factory.mktemp("vectors") / "vectors.jsonl"
    vectors.write(path)
    return path


@pytest.fixture(scope="module")
def exported(exported_path: pathlib.Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    lines = [json.loads(line) for line in exported_path.read_text().splitlines()]
    assert len(lines) > 1
    return lines[0], lines[1:]


def test_header_names_every_code(exported: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    header, _ = exported
    assert header["format"] == vectors.FORMAT
    for name in ("Mode", "Reason", "NoticeKind", "AlarmKind", "Purpose"):
        assert header["enums"][name], name
    assert set(header["events"]) == {cls.__name__ for cls in EVENT_CLASSES}


def test_every_mode_transition_has_a_vector(exported: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    _, vs = exported
    covered = {t for v in vs for t in v["transitions"]}
    for src, row in EVENT_TRANSITIONS.items():
        for cls, dst in row.items():
            assert f"event:{src.name}:{cls.__name__}:{dst.name}" in covered
    for condition, modes in CONDITION_TRANSITIONS.items():
        for before, after in modes.items():
            assert f"condition:{condition.name}:{before.name}:{after.name}" in covered


def test_every_requirement_has_a_vector_or_a_reason(exported: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    _, vs = exported
    named = {rid for v in vs for rid in v["requirements"]}
    ids = {r.id for r in REQUIREMENTS}
    assert named <= ids, named - ids
    assert set(vectors.NOT_IN_VECTORS) <= ids
    assert not named & set(vectors.NOT_IN_VECTORS), "a requirement with vectors is not excused"
    assert ids - named == set(vectors.NOT_IN_VECTORS)


def test_replaying_every_vector_reproduces_it(exported: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    _, vs = exported
    problems = [p for v in vs for p in vectors.replay(v)]
    assert problems == []
    assert len({v["id"] for v in vs}) == len(vs), "vector IDs are unique"


def test_replay_notices_a_difference(exported: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    _, vs = exported
    vector = json.loads(json.dumps(next(v for v in vs if v["id"] == "req/bolus-max")))
    vector["steps"][-1]["outcome"]["reason"] = -1
    assert vectors.replay(vector)


def test_export_is_deterministic(exported_path: pathlib.Path, tmp_path: pathlib.Path) -> None:
    vectors.write(tmp_path / "again.jsonl")
    assert (tmp_path / "again.jsonl").read_bytes() == exported_path.read_bytes()


def _changes_path_by_path(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The definition ``vectors.changes`` keeps: every leaf of ``after`` compared with ``before``'s leaf at its path."""
    out: dict[str, Any] = {}
    if before.get("log") != after.get("log"):
        out["log"] = after.get("log")
    old = dict(vectors.flatten({k: v for k, v in before.items() if k != "log"}))
    for path, value in vectors.flatten({k: v for k, v in after.items() if k != "log"}):
        if old.get(path, object()) != value:
            out[path] = value
    return out


def test_changes_skips_equal_subtrees_and_keeps_every_differing_leaf_in_order() -> None:
    """The recorder compares states subtree by subtree; the leaves and their order are those of the path-by-path
    comparison, on random JSON data of the record's shapes (lists that grow or shrink, keys that come and go)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    leaves = st.one_of(st.integers(-3, 3), st.booleans(), st.none(), st.sampled_from(["a", "b"]))
    keys = st.sampled_from(["p", "q", "r", "log"])
    trees = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=3))

    @settings(max_examples=150, deadline=None)
    @given(st.dictionaries(keys, trees, max_size=4), st.dictionaries(keys, trees, max_size=4))
    def check(before: dict[str, Any], after: dict[str, Any]) -> None:
        expected = _changes_path_by_path(before, after)
        found = vectors.changes(before, after)
        assert list(found.items()) == list(expected.items())
        assert vectors.changes(after, after) == {}

    check()
