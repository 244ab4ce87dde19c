"""The evidence document: one JSON-able dict per run, the single source of every file of the bundle.

Theory of operation
-------------------
``document(verification)`` gathers the run's steps into one document:
verdict, configuration, source, tools, the traceability matrix (hazard ->
requirement -> invariants, obligations, contracts, tests -> result), the mode
tables, counterexamples, mutation figures and per-step details.

Traceability is derived, never declared.  Each requirement row lists its
*evidence items* (Z3 obligation families, invariants proved inductive,
CrossHair contracts, test files), each with what happened to it in *this* run:
``passed``, ``failed``, ``unknown`` or ``not run``.  The row's ``result`` is
one of ``proved``, ``tested``, ``open``:

* ``proved``: the proof report says proved, every covering obligation ran,
  and no evidence item failed;
* ``tested``: no proof covers it, and some test file naming it ran here and
  passed (tests that did not run in this verification do not count);
* ``open``: anything else, with the reason.

``state`` adds ``failed`` (an evidence item failed or was unknown) to those
three; the assurance case colours goals by it.  The proof report's fields are
read defensively: ``assumptions``, ``not_covered`` and ``status`` of a
requirement row, ``result`` of an obligation (proved, failed, unknown); absent
fields are empty.

Determinism: the same inputs give the same document apart from ``generated``
(the date) and ``timings``; ``stable(doc)`` drops them.
"""

from __future__ import annotations

import copy
from typing import Any

from pumpkernel.suite.model import Verification

FORMAT = "pumpkernel-evidence/2"
VOLATILE = ("generated", "timings")
"""Keys of the document that change from run to run (the date and the durations)."""

PASSED_ITEM, FAILED_ITEM, UNKNOWN_ITEM, NOT_RUN_ITEM = "passed", "failed", "unknown", "not run"


def _family(obligation_id: str) -> str:
    from pumpkernel.prove import family

    return family(obligation_id)


def _tests_run(verification: Verification) -> list[tuple[str, str, str]]:
    """(JUnit class name, test name, status) of every test the property-test step ran."""
    step = verification.step("property-tests")
    if step is None:
        return []
    return [(case.classname.removeprefix("property-tests."), case.name, case.status) for case in step.cases]


def _cases_of(path: str, ran: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """The tests of one test file among those run: the class name is the module, or the module and a class."""
    module = path.removesuffix(".py").replace("/", ".")
    return [
        (f"{classname}::{name}", status)
        for classname, name, status in ran
        if classname == module or classname.startswith(module + ".")
    ]


def _obligation_items(obligations: list[str], results: dict[str, str]) -> list[dict[str, Any]]:
    """One evidence item per obligation family: passed only when every obligation of it ran and was proved."""
    families: dict[str, list[str]] = {}
    for oid in obligations:
        families.setdefault(_family(oid), []).append(oid)
    items = []
    for fam, members in sorted(families.items()):
        outcomes = [results.get(oid, NOT_RUN_ITEM) for oid in members]
        proved = outcomes.count("proved")
        if "failed" in outcomes:
            status = FAILED_ITEM
        elif "unknown" in outcomes or any(o not in ("proved", NOT_RUN_ITEM) for o in outcomes):
            status = UNKNOWN_ITEM
        elif NOT_RUN_ITEM in outcomes:
            status = NOT_RUN_ITEM
        else:
            status = PASSED_ITEM
        bad = [oid for oid, o in zip(members, outcomes, strict=True) if o != "proved"]
        detail = f"{proved}/{len(members)} obligations proved" + (": not " + ", ".join(bad[:4]) if bad else "")
        items.append({"kind": "z3", "name": fam, "status": status, "detail": detail, "members": members})
    return items


def _invariant_items(invariants: list[str], proof: dict[str, Any], results: dict[str, str]) -> list[dict[str, Any]]:
    known = proof.get("invariants", {}) or {}
    items = []
    for inv in invariants:
        info = known.get(inv, {}) or {}
        needed = list(info.get("obligations", []))
        ran = [oid for oid in needed if oid in results]
        if not info or (needed and len(ran) < len(needed)):
            status, detail = NOT_RUN_ITEM, f"{len(ran)}/{len(needed)} of its initiation and consecution obligations ran"
        elif info.get("inductive"):
            status, detail = PASSED_ITEM, f"proved inductive ({len(needed)} obligations)"
        else:
            status, detail = FAILED_ITEM, "not proved inductive"
        items.append({"kind": "invariant", "name": inv, "status": status, "detail": detail})
    return items


def traceability(verification: Verification) -> list[dict[str, Any]]:
    """Hazard -> requirement -> evidence items -> result, one row per requirement (see module docstring)."""
    from proofs.report import tests_naming
    from specs.requirements import REQUIREMENTS

    proofs = verification.step("proofs")
    proof: dict[str, Any] = proofs.data if proofs is not None else {}
    rows_by_id = {row["id"]: row for row in proof.get("requirements", []) or []}
    results = {o["id"]: str(o.get("result", "unknown")) for o in proof.get("obligations", []) or []}
    crosshair = verification.step("crosshair")
    contracts: dict[str, list[str]] = {}
    contract_ok: dict[str, bool] = {}
    if crosshair is not None:
        for function, ids in crosshair.data.get("requirements", {}).items():
            for rid in ids:
                contracts.setdefault(rid, []).append(function)
        for condition in crosshair.data.get("conditions", []):
            ok = condition["verdict"] == "Confirmed over all paths."
            contract_ok[condition["function"]] = contract_ok.get(condition["function"], True) and ok
    ran = _tests_run(verification)
    named = tests_naming([r.id for r in REQUIREMENTS]) if not rows_by_id else {}
    rows = []
    for req in REQUIREMENTS:
        proof_row = rows_by_id.get(req.id, {})
        tests = list(proof_row.get("tests", named.get(req.id, [])))
        obligations = list(proof_row.get("obligations", []))
        invariants = list(proof_row.get("invariants", []))
        evidence = _obligation_items(obligations, results) + _invariant_items(invariants, proof, results)
        for function in sorted(contracts.get(req.id, [])):
            if crosshair is None:
                status = NOT_RUN_ITEM
            else:
                status = PASSED_ITEM if contract_ok.get(function, False) else FAILED_ITEM
            evidence.append({"kind": "crosshair", "name": function, "status": status, "detail": "CrossHair contract"})
        for path in tests:
            if not path.rsplit("/", 1)[-1].startswith("test_"):
                continue  # a helper module that names the requirement (oracle.py, world.py) is not a test
            cases = _cases_of(path, ran)
            if not cases:
                evidence.append(
                    {"kind": "tests", "name": path, "status": NOT_RUN_ITEM, "detail": "not run by this verification"}
                )
                continue
            failed = [name for name, status in cases if status in ("failed", "error")]
            passed = sum(status == "passed" for _, status in cases)
            status = FAILED_ITEM if failed else PASSED_ITEM if passed else NOT_RUN_ITEM
            detail = f"{passed}/{len(cases)} tests passed" + (": failed " + ", ".join(failed[:3]) if failed else "")
            evidence.append({"kind": "tests", "name": path, "status": status, "detail": detail})
        result, state, reason = _judge(proofs is not None, proof_row, evidence)
        rows.append(
            {
                "id": req.id,
                "statement": req.statement,
                "hazards": list(req.hazards),
                "invariants": invariants,
                "obligations": obligations,
                "obligation_families": sorted({_family(o) for o in obligations}),
                "crosshair_contracts": sorted(contracts.get(req.id, [])),
                "tests": tests,
                "methods": list(req.methods),
                "evidence": evidence,
                "result": result,
                "state": state,
                "reason": reason,
                "proof_status": str(proof_row.get("status", "")),
                "scope": str(proof_row.get("scope", "") or ""),
                "not_covered": _not_covered(proof_row),
                "assumptions": [str(a) for a in proof_row.get("assumptions", []) or []],
                "added": req.added,
            }
        )
    return rows


def _judge(proofs_ran: bool, proof_row: dict[str, Any], evidence: list[dict[str, Any]]) -> tuple[str, str, str]:
    """(result, state, reason) of one requirement from its proof status and evidence items."""
    bad = [f"{e['name']} {e['status']}" for e in evidence if e["status"] in (FAILED_ITEM, UNKNOWN_ITEM)]
    if bad:
        return "open", "failed", "evidence failed: " + ", ".join(bad[:5])
    if not proofs_ran:
        return "open", "open", "not verified: the proof step did not run in this bundle"
    status = str(proof_row.get("status", "open"))
    proof_items = [e for e in evidence if e["kind"] in ("z3", "invariant")]
    if status == "proved":
        missing = [e["name"] for e in proof_items if e["status"] == NOT_RUN_ITEM]
        if missing or not proof_items:
            return "open", "open", "partial run: covering obligations did not run: " + ", ".join(missing[:5])
        return "proved", "proved", ""
    if status == "tested":
        if any(e["kind"] == "tests" and e["status"] == PASSED_ITEM for e in evidence):
            return "tested", "tested", "no proof obligation states it; tests that name it ran here and passed"
        return "open", "open", "tests name it, but none of them ran in this verification (run with --unit-tests)"
    return "open", "open", str(proof_row.get("reason", "")) or "not covered by any proof or test yet"


def modes_section() -> dict[str, Any]:
    from kernel.modes import ANY_MODE_EVENTS
    from pumpkernel.modesdoc import alarm_rows, condition_rows, event_rows, mermaid, mode_meanings

    return {
        "modes": mode_meanings(),
        "event_transitions": [{"from": s, "event": e, "to": d} for s, e, d in event_rows()],
        "condition_transitions": [
            {"priority": p, "condition": c, "from": s, "to": d} for p, c, s, d in condition_rows()
        ],
        "any_mode_events": [cls.__name__ for cls in ANY_MODE_EVENTS],
        "mermaid": mermaid(),
        "alarm_machine": [
            {"status": s, "condition_holds": h, "held_back": b, "new_status": n, "announce": a}
            for s, h, b, n, a in alarm_rows()
        ],
    }


def document(verification: Verification) -> dict[str, Any]:
    """The whole bundle as data (see module docstring)."""
    from specs.requirements import HAZARDS

    options = verification.options
    details = {step.name: step.data for step in verification.steps}
    config_step = verification.step("configuration")
    proofs = verification.step("proofs")
    mutation = verification.step("mutation")
    return {
        "format": FORMAT,
        "verdict": verification.verdict,
        "partial": options.partial,
        "command": options.command(),
        "profile": options.profile,
        "generated": {"date": verification.date},
        "source": {k: v for k, v in verification.context.items() if k != "tool_versions"},
        "tool_versions": verification.context.get("tool_versions", {}),
        "configuration": config_step.data if config_step is not None else None,
        "steps": [
            {"name": s.name, "title": s.title, "status": s.status, "summary": s.summary} for s in verification.steps
        ],
        "hazards": HAZARDS,
        "traceability": traceability(verification),
        "modes": modes_section(),
        "counterexamples": proofs.data.get("counterexamples", []) if proofs is not None else [],
        "mutation": mutation.data if mutation is not None else None,
        "details": {k: v for k, v in details.items() if k not in ("configuration", "mutation")},
        "timings": {
            "steps_seconds": {s.name: round(s.seconds, 3) for s in verification.steps},
            "detail_seconds": {
                s.name: {k: round(v, 4) for k, v in sorted(s.timings.items())} for s in verification.steps
            },
        },
    }


def stable(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` without its volatile keys (the date and the timings): equal for equal inputs."""
    return {k: copy.deepcopy(v) for k, v in doc.items() if k not in VOLATILE}


def _not_covered(proof_row: dict[str, Any]) -> str:
    """What the proofs leave out: the proof report's items, without those that repeat its scope, as one text."""
    items = proof_row.get("not_covered") or []
    if isinstance(items, str):
        items = [items]
    scope = str(proof_row.get("scope", "") or "")
    return " ".join(str(item) for item in items if str(item) not in scope)
