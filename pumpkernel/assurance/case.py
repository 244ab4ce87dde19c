"""The safety assurance case, in GSN (Goal Structuring Notation), generated from the evidence document.

Theory of operation
-------------------
``build_case(doc)`` argues from the document of ``assurance.document``:

* top goal ``G0``: the kernel commands insulin safely within its stated
  context and configuration rules; in the context of the configuration, the
  kernel source (SHA-256), the hazard classes and the meaning of "proved";
  under explicit assumptions (the structural configuration rules under which
  the proofs apply; the trusted base: Python's integer semantics, Z3, CrossHair
  and the ``kernel.logic`` primitives); with the out-of-scope items as a
  justification;
* strategy ``S0``: argue over the hazard classes (``specs.requirements.HAZARDS``);
  one goal per hazard, each argued over the requirements that control it
  (strategy ``S-<hazard>``), one goal per requirement (``G-<id>``) supported
  by its evidence items as solutions (``Sn-<id>-<n>``: obligation families,
  invariants, CrossHair contracts, test files, each with its status); a
  requirement's own assumptions (from the proof report) are assumption nodes,
  and what its proof does not cover is an *undeveloped* goal;
* ``G-CFG``: the configuration verified satisfies the rules under which the
  proofs hold (configuration validation and the concrete exercise);
* ``G-CONF``: the verification would notice a faulty kernel (weakened kernels
  caught, mutation figures: a sample is an open goal, never a supported one).

Every node has a status: ``proved`` and ``tested`` (supported), ``open`` (not
supported, nothing failed: undeveloped, not run, a sample), ``failed`` (some
evidence below is red); an undeveloped goal outside the kernel's claim is
``undeveloped``.  A goal takes the worst status of what supports it
(failed > open > tested > proved), so a red obligation or test turns its
requirement, its hazard and the top goal red.  Undeveloped goals for what a
proof leaves to the adapters (``not_covered``) lie outside the kernel's claim:
they are drawn and listed, and do not change their parent's status.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

FORMAT = "pumpkernel-gsn/1"
TOP_CLAIM = "The kernel commands insulin safely within its stated context and configuration rules."
PROVED_MEANS = (
    "Proved: a Z3 obligation over the commands the kernel emits holds for every structurally valid configuration "
    "and every event sequence (initiation and consecution of invariants, or a safety property of one step from any "
    "state satisfying them); unknown or timed-out obligations never count."
)
OUT_OF_SCOPE = (
    "the adapters (motor, sensor, persistence, command channel), the clinical adequacy of a configuration "
    "and of therapy settings, and timing on the target hardware"
)
TRUSTED_BASE = (
    "Trusted base: CPython's integer semantics for the shipped kernel; Z3 {z3} decides the obligations soundly; "
    "the kernel.logic primitives mean the same on Python integers and on Z3 terms (one source for code and proof); "
    "CrossHair {crosshair} explores the contracts; pytest and Hypothesis run the tests."
)
RANK = {"proved": 0, "tested": 1, "open": 2, "failed": 3}
ITEM_STATUS = {"passed": "proved", "failed": "failed", "unknown": "failed", "not run": "open"}
KIND_LABEL = {"z3": "Z3 obligations", "invariant": "invariant", "crosshair": "CrossHair contract", "tests": "tests"}


def worst(statuses: list[str], empty: str = "open") -> str:
    """The worst of ``statuses`` (failed > open > tested > proved); ``empty`` when there are none."""
    return max(statuses, key=lambda s: RANK[s]) if statuses else empty


class _Case:
    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: list[dict[str, str]] = []

    def node(self, node_id: str, kind: str, text: str, status: str = "open", **extra: Any) -> str:
        self.nodes[node_id] = {"id": node_id, "type": kind, "text": text, "status": status, **extra}
        return node_id

    def support(self, parent: str, child: str) -> None:
        self.edges.append({"from": parent, "to": child, "relation": "supported_by"})

    def context(self, parent: str, child: str) -> None:
        self.edges.append({"from": parent, "to": child, "relation": "in_context_of"})


def _requirement_goal(case: _Case, row: dict[str, Any]) -> str:
    goal = f"G-{row['id']}"
    if goal in case.nodes:
        return goal
    text = f"{row['id']}: {row['statement']}"
    case.node(goal, "goal", text, "open", requirement=row["id"], result=row["result"], reason=row["reason"])
    statuses = []
    for index, item in enumerate(row["evidence"], start=1):
        status = ITEM_STATUS.get(item["status"], "failed")
        label = f"{KIND_LABEL.get(item['kind'], item['kind'])} {item['name']}: {item['status']} ({item['detail']})"
        sn = case.node(
            f"Sn-{row['id']}-{index}",
            "solution",
            label,
            status,
            evidence_kind=item["kind"],
            name=item["name"],
            evidence_status=item["status"],
        )
        case.support(goal, sn)
        statuses.append(status)
    for index, assumption in enumerate(row.get("assumptions", []), start=1):
        case.context(goal, case.node(f"A-{row['id']}-{index}", "assumption", assumption, "proved"))
    if row.get("not_covered"):
        rest = case.node(
            f"U-{row['id']}",
            "goal",
            "Not covered by the kernel's evidence (outside this argument): " + row["not_covered"],
            "undeveloped",
            undeveloped=True,
            out_of_scope=True,
        )
        case.support(goal, rest)
    # The requirement's own judgement (document._judge) weighs its evidence (tests that did not run here do not
    # undo a proof); a failed item turns the goal red whatever the judgement.
    judged = row["state"] if row["state"] in RANK else "open"
    status = worst([judged, *(s for s in statuses if s == "failed")])
    if not row["evidence"]:
        case.nodes[goal]["undeveloped"] = True
    case.nodes[goal]["status"] = status
    return goal


def _configuration_goal(case: _Case, doc: dict[str, Any]) -> str:
    cfg = doc.get("configuration") or {}
    steps = {s["name"]: s for s in doc.get("steps", [])}
    goal = case.node(
        "G-CFG", "goal", "The configuration verified satisfies the rules under which the proofs hold.", "open"
    )
    statuses = []
    if "configuration" in steps:
        rules = cfg.get("rules", [])
        structural = [r for r in rules if r.get("kind") == "structural"]
        holding = sum(bool(r.get("holds")) for r in structural)
        ok = bool(cfg.get("proofs_apply")) and not cfg.get("problems")
        text = (
            f"Configuration validation: {holding}/{len(structural)} structural rules hold, "
            f"{len(cfg.get('problems', []))} rule(s) broken in all"
        )
        case.support(goal, case.node("Sn-CFG-1", "solution", text, "proved" if ok else "failed"))
        statuses.append("proved" if ok else "failed")
    if "exercise" in steps:
        step = steps["exercise"]
        status = {"passed": "tested", "not available": "open"}.get(step["status"], "failed")
        case.support(goal, case.node("Sn-CFG-2", "solution", f"Concrete exercise: {step['summary']}", status))
        statuses.append(status)
    if not statuses:
        case.nodes[goal]["undeveloped"] = True
    case.nodes[goal]["status"] = worst(statuses)
    return goal


def _confidence_goal(case: _Case, doc: dict[str, Any]) -> str:
    goal = case.node("G-CONF", "goal", "The verification would notice a faulty kernel.", "open")
    statuses = []
    proofs = (doc.get("details") or {}).get("proofs") or {}
    weakenings = proofs.get("weakenings") or []
    if weakenings:
        caught = sum(w.get("caught_by") is not None for w in weakenings)
        status = "proved" if caught == len(weakenings) else "failed"
        text = f"Weakened kernels: {caught}/{len(weakenings)} deliberately weakened kernels caught by a proof"
        case.support(goal, case.node("Sn-CONF-1", "solution", text, status))
        statuses.append(status)
    mutation = doc.get("mutation")
    if mutation:
        status = "failed" if mutation.get("unclassified") else "open" if mutation.get("incomplete") else "tested"
        run, generated = mutation.get("run"), mutation.get("generated")
        score = mutation.get("measured_score")
        text = f"Mutation testing: {mutation.get('killed')} killed of {run} run"
        text += f" (measured score {score} %)" if score is not None else ""
        if generated is not None and run != generated:
            text += f"; a sample: {run} of {generated} generated mutants"
        if mutation.get("incomplete"):
            text += "; INCOMPLETE: " + "; ".join(mutation["incomplete"])
        case.support(goal, case.node("Sn-CONF-2", "solution", text, status))
        statuses.append(status)
        layers = mutation.get("layers") or {}
        if layers.get("totals"):
            parts = [f"{k} {v.get('killed')}/{v.get('run')}" for k, v in layers["totals"].items()]
            stale = " (made on another kernel: stale)" if layers.get("stale") else ""
            status = "open" if layers.get("stale") else "tested"
            text = "Kill rate per verification layer, killed/run: " + ", ".join(parts) + stale
            case.support(goal, case.node("Sn-CONF-3", "solution", text, status))
            statuses.append(status)
    if not statuses:
        case.nodes[goal]["undeveloped"] = True
    case.nodes[goal]["status"] = worst(statuses)
    return goal


def build_case(doc: dict[str, Any]) -> dict[str, Any]:
    """The GSN assurance case of an evidence document (see module docstring)."""
    case = _Case()
    cfg = doc.get("configuration") or {}
    tools = doc.get("tool_versions", {})
    source = doc.get("source", {})
    top = case.node("G0", "goal", TOP_CLAIM, "open")
    case.context(
        top,
        case.node("C-1", "context", f"Configuration {cfg.get('name', '?')} (sha256 {cfg.get('sha256', '?')[:16]}…)"),
    )
    case.context(
        top,
        case.node(
            "C-2", "context", f"Kernel source: all kernel/ files, sha256 {source.get('kernel_sha256', '?')[:16]}…"
        ),
    )
    case.context(top, case.node("C-3", "context", PROVED_MEANS))
    rules_hold = bool(cfg.get("proofs_apply"))
    case.context(
        top,
        case.node(
            "A-1",
            "assumption",
            "The configuration passes the structural rules (kernel.config.structural_checks): the proofs are stated "
            "over exactly those configurations."
            + ("" if rules_hold or not cfg else " VIOLATED by this configuration."),
            "proved" if rules_hold else "failed",
        ),
    )
    trusted = TRUSTED_BASE.format(z3=tools.get("z3-solver", "?"), crosshair=tools.get("crosshair-tool", "?"))
    case.context(top, case.node("A-2", "assumption", trusted, "proved"))
    case.context(
        top,
        case.node(
            "A-3", "assumption", "The adapters deliver events faithfully and carry out the commands emitted.", "proved"
        ),
    )
    case.context(top, case.node("J-1", "justification", "Out of scope: " + OUT_OF_SCOPE + ".", "proved"))
    strategy = case.node("S0", "strategy", "Argument over the hazard classes of the infusion pump guidance.", "open")
    case.support(top, strategy)
    hazard_goals = []
    rows = doc.get("traceability", [])
    for hazard, meaning in (doc.get("hazards") or {}).items():
        members = [row for row in rows if hazard in row["hazards"]]
        goal = case.node(f"G-{hazard}", "goal", f"Hazard {hazard} ({meaning}) is controlled by the kernel.", "open")
        sub = case.node(
            f"S-{hazard}", "strategy", f"Argument over the {len(members)} requirements that control {hazard}."
        )
        case.support(strategy, goal)
        case.support(goal, sub)
        statuses = []
        for row in members:
            req_goal = _requirement_goal(case, row)
            case.support(sub, req_goal)
            statuses.append(case.nodes[req_goal]["status"])
        counts = Counter(row["result"] for row in members)
        case.nodes[goal]["counts"] = {k: counts.get(k, 0) for k in ("proved", "tested", "open")}
        case.nodes[goal]["hazard"] = hazard
        case.nodes[sub]["status"] = case.nodes[goal]["status"] = worst(statuses)
        if not members:
            case.nodes[goal]["undeveloped"] = True
        hazard_goals.append(goal)
    case.nodes[strategy]["status"] = worst([case.nodes[g]["status"] for g in hazard_goals])
    support = [strategy, _configuration_goal(case, doc), _confidence_goal(case, doc)]
    for goal in support[1:]:
        case.support(top, goal)
    assumptions_ok = "failed" if not rules_hold and cfg else "proved"
    case.nodes[top]["status"] = worst([*(case.nodes[g]["status"] for g in support), assumptions_ok])
    goal_statuses = Counter(n["status"] for n in case.nodes.values() if n["type"] == "goal")
    return {
        "format": FORMAT,
        "top": top,
        "claim": TOP_CLAIM,
        "status": case.nodes[top]["status"],
        "nodes": list(case.nodes.values()),
        "edges": case.edges,
        "summary": {
            "goals_by_status": dict(sorted(goal_statuses.items())),
            "undeveloped": sorted(n["id"] for n in case.nodes.values() if n.get("undeveloped")),
        },
    }


def ancestors(case: dict[str, Any], node_id: str) -> list[str]:
    """Every node above ``node_id`` through ``supported_by`` edges, nearest first."""
    parents: dict[str, list[str]] = {}
    for edge in case["edges"]:
        if edge["relation"] == "supported_by":
            parents.setdefault(edge["to"], []).append(edge["from"])
    found: list[str] = []
    frontier = list(parents.get(node_id, []))
    while frontier:
        current = frontier.pop(0)
        if current not in found:
            found.append(current)
            frontier += parents.get(current, [])
    return found
