"""The reviewer's first page: what is claimed, on what grounds, what is not covered, in one minute.

Theory of operation
-------------------
``reviewer_blocks(doc, case, overview_svg)`` opens the report: the verdict
(and, when it is not PASSED, every step that is not, with its summary); the
claim (the assurance case's top goal) and what it is made for (configuration,
kernel SHA-256, commit); how many requirements are proved, tested and open,
with what each word means; the assumptions; what is out of scope and what the
proofs leave to the adapters; the evidence at a glance, one line per step in
the numbers the step measured; the charts (requirements by status per hazard
class, kill rate per verification layer when it exists); the overview of the
assurance case (``assurance-case.html`` has all of it).  Proof and test times
are in the report's last section (they change from run to run).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pumpkernel.assurance.case import OUT_OF_SCOPE, PROVED_MEANS, TOP_CLAIM, TRUSTED_BASE
from pumpkernel.report import charts
from pumpkernel.report.markup import Block, slug

TIMINGS_ANCHOR = "#" + slug("Date and timings (not part of the content comparison)")
MEANINGS = [
    PROVED_MEANS,
    "Tested: no proof obligation states it; tests that name it ran in this verification and passed. "
    "Tests never count as proof.",
    "Open: neither of the above (nothing covers it yet, its tests did not run here, a covering proof did not run, "
    "or some evidence failed); the reason is given.",
]


def _verdict_box(doc: dict[str, Any]) -> Block:
    verdict = doc["verdict"]
    if verdict == "PASSED":
        return ("box", "ok", "**PASSED**: every step of the full suite ran completely and passed.")
    not_passed = [
        f"{s['title']}: {s['status'].upper()} ({s['summary'].removeprefix('INCOMPLETE: ')})"
        for s in doc["steps"]
        if s["status"] != "passed"
    ]
    why = "; ".join([*not_passed, *(f"partial run: {p}" for p in doc["partial"])])
    kind = "bad" if verdict == "FAILED" else "warn"
    meaning = "some step failed" if verdict == "FAILED" else "nothing failed, but not everything was covered"
    return ("box", kind, f"**{verdict}** ({meaning}): {why}.")


def _glance(doc: dict[str, Any]) -> list[list[str]]:
    details = doc.get("details", {})
    steps = {s["name"]: s for s in doc["steps"]}
    rows = []
    for name, label in (
        ("configuration", "configuration rules"),
        ("exercise", "concrete exercise"),
        ("proofs", "Z3 proofs"),
        ("crosshair", "CrossHair contracts"),
        ("property-tests", "property tests"),
        ("small-scope", "small-scope search"),
        ("mutation", "mutation testing"),
    ):
        step = steps.get(name)
        if step is None:
            rows.append([label, "NOT RUN", "this step did not run in this verification"])
            continue
        rows.append([label, step["status"].upper(), step["summary"]])
    proofs = details.get("proofs") or {}
    if proofs.get("summary"):
        s = proofs["summary"]
        rows.append(
            [
                "obligations by result",
                "",
                f"{s.get('proved', 0)} proved, {s.get('failed', 0)} failed, {s.get('unknown', 0)} unknown "
                f"of {s.get('obligations', 0)} (unknown never counts as proved)",
            ]
        )
    return rows


def reviewer_blocks(doc: dict[str, Any], case: dict[str, Any], overview_svg: str | None) -> list[Block]:
    """The first page of the report (see module docstring)."""
    cfg = doc.get("configuration") or {}
    src = doc["source"]
    rows = doc["traceability"]
    out: list[Block] = [("h", 1, f"pumpkernel verification evidence: {doc['verdict']}")]
    for why in doc["partial"]:
        out.append(("box", "warn", f"**PARTIAL RUN, not complete evidence**: {why}."))
    out.append(("h", 2, "For the reviewer"))
    out.append(_verdict_box(doc))
    out.append(("h", 3, "What is claimed"))
    out.append(
        (
            "p",
            f"**{TOP_CLAIM}** For the configuration *{cfg.get('name', '?')}* "
            f"(sha256 `{str(cfg.get('sha256', '?'))[:16]}…`) "
            f"and the kernel source with sha256 `{src['kernel_sha256'][:16]}…` (commit `{src['git_commit'][:12]}`). "
            f"The claim is argued in the [assurance case](assurance-case.html) (GSN); its top goal is "
            f"**{case['status'].upper()}** in this bundle.",
        )
    )
    counts = Counter(row["result"] for row in rows)
    out.append(("h", 3, "Requirements: proved, tested, open"))
    out.append(
        (
            "p",
            f"Of {len(rows)} requirements: **{counts.get('proved', 0)} proved**, **{counts.get('tested', 0)} tested**, "
            f"**{counts.get('open', 0)} open**"
            + (
                f" ({sum(r.get('state') == 'failed' for r in rows)} of them with failed evidence)"
                if counts.get("open")
                else ""
            )
            + ".",
        )
    )
    out.append(("list", MEANINGS))
    by_reason: dict[str, list[str]] = {}
    for row in rows:
        if row["result"] == "open":
            by_reason.setdefault(row["reason"], []).append(row["id"])
    if by_reason:
        out.append(("p", "Open requirements and why:"))
        out.append(("list", [f"{', '.join(f'**{i}**' for i in ids)}: {why}" for why, ids in by_reason.items()]))
    table = []
    for hazard, meaning in doc["hazards"].items():
        members = [row for row in rows if hazard in row["hazards"]]
        c = Counter(row["result"] for row in members)
        table.append([f"{hazard} ({meaning})", str(len(members)), str(c["proved"]), str(c["tested"]), str(c["open"])])
    out.append(("table", ["hazard class", "requirements", "proved", "tested", "open"], table))
    out.append(("svg", "chart-hazards", charts.requirements_by_hazard(doc), "Requirements by status per hazard class"))
    out.append(("h", 3, "Assumptions"))
    tools = doc.get("tool_versions", {})
    assumptions = [
        "The configuration passes the structural rules of `kernel.config.structural_checks`: the proofs are stated "
        "over exactly those configurations"
        + (" (this one does)." if cfg.get("proofs_apply") else " (**this one does NOT, or was not checked**)."),
        TRUSTED_BASE.format(z3=tools.get("z3-solver", "?"), crosshair=tools.get("crosshair-tool", "?")),
        "The adapters deliver events faithfully and carry out the commands the kernel emits.",
    ]
    per_requirement = sum(len(row.get("assumptions", [])) for row in rows)
    if per_requirement:
        assumptions.append(f"{per_requirement} assumptions of single requirements (listed in the traceability matrix).")
    out.append(("list", assumptions))
    out.append(("h", 3, "Out of scope"))
    out.append(("p", "Not claimed here: " + OUT_OF_SCOPE + "."))
    rest = [row for row in rows if row.get("not_covered") or row.get("scope")]
    if rest:
        out.append(("p", "Parts of requirements that the kernel's proofs leave to others:"))
        out.append(("list", [f"**{row['id']}**: {row.get('not_covered') or row['scope']}" for row in rest]))
    out.append(("h", 3, "Evidence at a glance"))
    out.append(("table", ["evidence", "status", "as measured"], _glance(doc)))
    layers = (doc.get("mutation") or {}).get("layers") or {}
    if layers.get("totals"):
        out.append(
            (
                "svg",
                "chart-mutation-layers",
                charts.mutation_layers(layers),
                "Mutation kill rate per verification layer, 95 % interval; table: "
                "[kill rate per verification layer](#kill-rate-per-verification-layer)",
            )
        )
    out.append(("p", f"Proof and test times: see the [last section]({TIMINGS_ANCHOR}) (they vary from run to run)."))
    out.append(("h", 3, "The assurance case at a glance"))
    if overview_svg:
        out.append(
            (
                "svg",
                "assurance-case",
                overview_svg,
                "Top of the GSN assurance case (green proved, light green tested, amber open, red failed). "
                "Every goal down to the evidence: [assurance-case.html](assurance-case.html); as data: "
                "`assurance-case.json`.",
                "wide",
            )
        )
    else:
        out.append(
            ("p", "The picture needs Graphviz's `dot` (Debian package graphviz); the data is in `assurance-case.json`.")
        )
    return out
