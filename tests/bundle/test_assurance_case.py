"""The GSN assurance case goes red where the evidence is red, and never shows more than the evidence gives.

* Flipping one obligation result to ``failed`` (or ``unknown``) turns its
  requirement's goal, the requirement's hazard goal(s), the strategy over the
  hazards and the top goal red; the picture shows the red goal.
* Flipping one property test to failed does the same for a requirement that
  tests support.
* A requirement whose tests did not run in the verification is open, not tested.
* The proof report's newer fields (``assumptions``, ``not_covered``) become
  assumption nodes and an undeveloped goal; absent, nothing breaks.
* A configuration that breaks a structural rule violates assumption A-1 and
  the top goal is red.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from kernel.config import DEFAULT_CONFIG
from pumpkernel.assurance.case import ancestors, build_case
from pumpkernel.assurance.document import document
from pumpkernel.report import gsn
from pumpkernel.suite.config_steps import step_configuration
from pumpkernel.suite.model import Options
from specs.requirements import HAZARDS, REQUIREMENTS
from tests.bundle.fakes import fake_verification, obligation_id

HAZARDS_OF = {r.id: r.hazards for r in REQUIREMENTS}


def _case(tmp_path: pathlib.Path, **kwargs: Any) -> dict[str, Any]:
    return build_case(document(fake_verification(tmp_path, **kwargs)))


def _status(case: dict[str, Any], node_id: str) -> str:
    return str(next(n["status"] for n in case["nodes"] if n["id"] == node_id))


def test_all_evidence_green_gives_green_requirement_goals(tmp_path: pathlib.Path) -> None:
    case = _case(tmp_path)
    assert _status(case, "G-LIM-1") == "proved"
    assert _status(case, "G-PER-1") == "tested", "tested: its test file ran in this verification and passed"
    assert _status(case, "G-SEC-1") == "open", "its only test file did not run here: not tested, open"
    assert _status(case, "G-H-SEC") == "open"
    assert _status(case, "G0") == "open", "an open goal below keeps the top goal open"
    edges = {(e["from"], e["to"]) for e in case["edges"]}
    for req in REQUIREMENTS:
        for hazard in req.hazards:
            assert (f"S-{hazard}", f"G-{req.id}") in edges, "every requirement is argued under each of its hazards"
    assert {"A-1", "A-2", "A-3", "J-1", "C-3"} <= {n["id"] for n in case["nodes"]}
    assert json.loads(json.dumps(case)) == case, "the case is plain JSON"


@pytest.mark.parametrize("result", ["failed", "unknown"])
def test_one_red_obligation_turns_its_goal_and_every_parent_red(tmp_path: pathlib.Path, result: str) -> None:
    case = _case(tmp_path, results={obligation_id("LIM-1"): result})
    assert _status(case, "G-LIM-1") == "failed"
    chain = ancestors(case, "G-LIM-1")
    for hazard in HAZARDS_OF["LIM-1"]:
        assert f"G-{hazard}" in chain
        assert _status(case, f"G-{hazard}") == "failed"
    assert "G0" in chain
    for node in chain:
        assert _status(case, node) == "failed", node
    assert case["status"] == "failed"
    assert "H-OCC" not in HAZARDS_OF["LIM-1"]
    assert _status(case, "G-H-OCC") == "proved", "goals that do not depend on it stay as they were"


def test_one_failed_test_turns_a_tested_requirement_and_its_parents_red(tmp_path: pathlib.Path) -> None:
    case = _case(tmp_path, failing=("property_tests/test_fuzz.py",))
    assert _status(case, "G-PER-1") == "failed"
    for node in ancestors(case, "G-PER-1"):
        assert _status(case, node) == "failed", node


def test_newer_proof_fields_become_assumptions_and_undeveloped_goals(tmp_path: pathlib.Path) -> None:
    case = _case(tmp_path, extra_fields=True)
    nodes = {n["id"]: n for n in case["nodes"]}
    assert nodes["A-CLK-1-1"]["type"] == "assumption"
    rest = nodes["U-CLK-1"]
    assert rest["undeveloped"] and rest["out_of_scope"] and "missed and doubled ticks" in rest["text"]
    assert rest["status"] == "undeveloped"
    assert nodes["G-CLK-1"]["status"] == "proved", "what lies outside the kernel's claim is drawn, not counted"
    assert "U-CLK-1" in case["summary"]["undeveloped"]


def test_a_configuration_outside_the_structural_rules_violates_the_assumption(tmp_path: pathlib.Path) -> None:
    verification = fake_verification(tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_text('format = 1\nbase = "catalogue"\n[pump]\nreservoir_capacity_pulses = 0\n')
    state: dict[str, Any] = {}
    verification.steps[0] = step_configuration(Options(config_path=bad, out=tmp_path), state)
    assert verification.steps[0].data["proofs_apply"] is False
    case = build_case(document(verification))
    assert _status(case, "A-1") == "failed"
    assert _status(case, "G-CFG") == "failed"
    assert case["status"] == "failed"
    assert DEFAULT_CONFIG.reservoir_capacity_pulses > 0


def test_the_picture_shows_the_red_goal(tmp_path: pathlib.Path) -> None:
    assert gsn.available(), "Graphviz's dot and the graphviz binding are needed: make system-deps"
    case = _case(tmp_path, results={obligation_id("LIM-1"): "failed"})
    svgs = gsn.views(case)
    assert set(svgs) == {"overview", *HAZARDS}
    hazard = HAZARDS_OF["LIM-1"][0]
    node = svgs[hazard].split("<title>G&#45;LIM&#45;1</title>")[1].split("</g>")[0]
    assert gsn.FILL["failed"] in node, "the failed requirement goal is filled red"
    assert gsn.FILL["failed"] in svgs["overview"].split("<title>G0</title>")[1].split("</g>")[0]
    page = gsn.page(case, svgs, "case")
    assert 'id="view-H-OVER"' in page and "<script" not in page


def test_not_covered_is_text_without_a_repeat_of_the_scope() -> None:
    """The proof report lists what a proof leaves out; the evidence shows it as text, not a Python list (EVD-2)."""
    from pumpkernel.assurance.document import _not_covered

    row = {"scope": "The spreading is tested only.", "not_covered": ["The spreading is tested only.", "Python only."]}
    assert _not_covered(row) == "Python only."
    assert _not_covered({"not_covered": "the clock adapter's"}) == "the clock adapter's"
    assert _not_covered({}) == ""
