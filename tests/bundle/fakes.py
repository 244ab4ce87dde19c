"""A synthetic verification run for the evidence tests: real configuration step, made-up proof and test results.

``fake_verification`` builds, in milliseconds, a run whose proof step proves
every requirement by one obligation each (``SAFE/fake/<id>``), except the
requirements in ``TESTED``, which the proof report marks *tested* (tests name
them).  ``results`` overrides obligation results (``failed``, ``unknown``);
``failing`` names property-test files with a failed test; ``extra_fields``
adds the proof report's newer fields (``assumptions``, ``not_covered``) to
some rows, so the tests see both today's and tomorrow's proof JSON.
"""

from __future__ import annotations

import pathlib
from typing import Any

from pumpkernel.suite.config_steps import step_configuration
from pumpkernel.suite.context import now_utc, source_context
from pumpkernel.suite.model import FAILED, PASSED, Case, Options, StepReport, Verification
from specs.requirements import REQUIREMENTS

TESTED = {
    "PER-1": ["property_tests/test_fuzz.py"],
    "SEC-1": ["tests/adapters/test_channel.py"],
}
"""Requirement -> the test files naming it (test_fuzz runs in the property-test step; test_channel does not)."""

PROPERTY_TEST_FILES = ("property_tests/test_fuzz.py", "property_tests/test_stateful.py")


def obligation_id(requirement_id: str) -> str:
    return f"SAFE/fake/{requirement_id}"


def proof_data(results: dict[str, str], extra_fields: bool) -> dict[str, Any]:
    obligations = []
    rows = []
    for req in REQUIREMENTS:
        row: dict[str, Any] = {"id": req.id, "statement": req.statement, "hazards": list(req.hazards)}
        if req.id in TESTED:
            row.update(status="tested", reason="tests name it", obligations=[], invariants=[], tests=TESTED[req.id])
        else:
            oid = obligation_id(req.id)
            result = results.get(oid, "proved")
            obligations.append({"id": oid, "kind": "safety", "requirements": [req.id], "result": result})
            status = "proved" if result == "proved" else "open"
            row.update(status=status, reason="", obligations=[oid], invariants=[], tests=[])
        if extra_fields and req.id == "CLK-1":
            row["assumptions"] = ["the adapter delivers one Tick per minute"]
            row["not_covered"] = "detecting missed and doubled ticks (the clock adapter's)"
        rows.append(row)
    proved = sum(o["result"] == "proved" for o in obligations)
    failed = sum(o["result"] == "failed" for o in obligations)
    return {
        "obligations": obligations,
        "requirements": rows,
        "invariants": {},
        "weakenings": [{"id": "W-fake", "description": "a weakened kernel", "caught_by": obligations[0]["id"]}],
        "summary": {
            "obligations": len(obligations),
            "proved": proved,
            "failed": failed,
            "unknown": len(obligations) - proved - failed,
            "weakenings": 1,
            "weakenings_caught": 1,
        },
        "counterexamples": [],
    }


def fake_verification(
    out: pathlib.Path,
    results: dict[str, str] | None = None,
    failing: tuple[str, ...] = (),
    extra_fields: bool = False,
) -> Verification:
    options = Options(out=out, steps=("configuration", "proofs", "property-tests"), profile="quick", browser=False)
    state: dict[str, Any] = {}
    configuration = step_configuration(options, state)
    data = proof_data(results or {}, extra_fields)
    proofs = StepReport("proofs", "Z3 proofs and weakened-model checks", PASSED, "synthetic", data)
    if data["summary"]["failed"] or data["summary"]["unknown"]:
        proofs.status = FAILED
    cases = []
    for path in PROPERTY_TEST_FILES:
        module = path.removesuffix(".py").replace("/", ".")
        status = FAILED if path in failing else PASSED
        cases += [Case(f"property-tests.{module}", "test_one", status), Case(f"property-tests.{module}", "test_two")]
    tests = StepReport(
        "property-tests", "Property tests", FAILED if failing else PASSED, "synthetic", {"files": []}, cases
    )
    return Verification(options, [configuration, proofs, tests], state.get("loaded"), now_utc(), source_context())
