"""The evidence bundle of ``pumpkernel verify``: JSON, HTML, Markdown and JUnit XML.

Theory of operation
-------------------
``document(verification)`` turns a run into one JSON-able document, the
single source of every file of the bundle:

* ``evidence.json``: the document itself (machine-readable);
* ``report.md`` and ``report.html``: the same content for people, rendered
  from one list of blocks (headings, paragraphs, tables, code) by two small
  renderers; the HTML is one self-contained file (inline CSS, no script, no
  external asset) that reads offline;
* ``junit.xml``: every step, obligation, weakening, contract, property test
  and survivor as a test case, for CI systems;
* ``counterexamples/test_cex_*.py``: a regression test per counterexample;
* ``config.toml``: the configuration verified, as a complete file;
* ``requirements.sdoc``: the requirements with their results, for StrictDoc.

Determinism: the same inputs give the same document apart from two keys,
``generated`` (the date) and ``timings`` (every duration); ``stable(doc)``
drops them, and the reports render them in a last, separate section.
Nothing else in the document depends on the clock, the host or the order of
a hash.
"""

from __future__ import annotations

import copy
import html
import json
import pathlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any

from pumpkernel.verify import PASSED, Case, Verification

FORMAT = "pumpkernel-evidence/1"
VOLATILE = ("generated", "timings")
"""Keys of the document that change from run to run (the date and the durations)."""


# ---------------------------------------------------------------- the document


def _tests_failed_by_file(verification: Verification) -> dict[str, list[str]]:
    """Test file -> failing test names, from the property-test step's JUnit cases."""
    step = verification.step("property-tests")
    failed: dict[str, list[str]] = {}
    if step is None:
        return failed
    for case in step.cases:
        if case.status in ("failed", "error"):
            module = case.classname.removeprefix("property-tests.")
            path = module.replace(".", "/") + ".py"
            failed.setdefault(path, []).append(f"{module}::{case.name}")
    return failed


def _family(obligation_id: str) -> str:
    from pumpkernel.prove import family

    return family(obligation_id)


def traceability(verification: Verification) -> list[dict[str, Any]]:
    """Hazard -> requirement -> invariants -> obligations, contracts and tests -> result, one row per requirement."""
    from proofs.report import tests_naming
    from specs.requirements import REQUIREMENTS

    proofs = verification.step("proofs")
    rows_by_id: dict[str, dict[str, Any]] = {}
    if proofs is not None and proofs.data.get("requirements"):
        rows_by_id = {row["id"]: row for row in proofs.data["requirements"]}
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
    failing = _tests_failed_by_file(verification)
    named = tests_naming([r.id for r in REQUIREMENTS]) if not rows_by_id else {}
    partial = bool(verification.options.obligations) or proofs is None
    rows = []
    for req in REQUIREMENTS:
        proof_row = rows_by_id.get(req.id)
        tests = proof_row["tests"] if proof_row else named.get(req.id, [])
        obligations = proof_row["obligations"] if proof_row else []
        invariants = proof_row["invariants"] if proof_row else []
        if proof_row is None:
            result, reason = "not verified", "the proof step did not run"
        else:
            result, reason = proof_row["status"], proof_row["reason"]
        req_contracts = sorted(contracts.get(req.id, []))
        broken = [c for c in req_contracts if not contract_ok.get(c, True)]
        failed_tests = [name for path in tests for name in failing.get(path, [])]
        if broken:
            result, reason = "open", "CrossHair contract not confirmed: " + ", ".join(broken)
        if failed_tests:
            result, reason = "open", "tests failed: " + ", ".join(failed_tests[:5])
        if partial and result == "proved":
            reason = "partial run: only some obligations ran"
        families = sorted({_family(o) for o in obligations})
        rows.append(
            {
                "id": req.id,
                "statement": req.statement,
                "hazards": list(req.hazards),
                "invariants": invariants,
                "obligations": obligations,
                "obligation_families": families,
                "crosshair_contracts": req_contracts,
                "tests": tests,
                "methods": list(req.methods),
                "result": result,
                "reason": reason,
                "scope": proof_row["scope"] if proof_row else "",
                "added": req.added,
            }
        )
    return rows


def modes_section() -> dict[str, Any]:
    from pumpkernel.modesdoc import alarm_rows, condition_rows, event_rows, mermaid, mode_meanings

    return {
        "modes": mode_meanings(),
        "event_transitions": [{"from": s, "event": e, "to": d} for s, e, d in event_rows()],
        "condition_transitions": [
            {"priority": p, "condition": c, "from": s, "to": d} for p, c, s, d in condition_rows()
        ],
        "any_mode_events": _any_mode_event_names(),
        "mermaid": mermaid(),
        "alarm_machine": [
            {"status": s, "condition_holds": h, "held_back": b, "new_status": n, "announce": a}
            for s, h, b, n, a in alarm_rows()
        ],
    }


def _any_mode_event_names() -> list[str]:
    from kernel.modes import ANY_MODE_EVENTS

    return [cls.__name__ for cls in ANY_MODE_EVENTS]


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
        "verdict": "PASSED" if verification.passed else "FAILED",
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


# ---------------------------------------------------------------- blocks

Block = tuple[Any, ...]
"""("h", level, text) | ("p", text) | ("table", headers, rows) | ("code", lang, text) | ("list", items)."""


def _short(text: str, limit: int = 140) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def blocks(doc: dict[str, Any]) -> list[Block]:
    """The human report as blocks, in reading order."""
    out: list[Block] = []
    src = doc["source"]
    out.append(("h", 1, f"pumpkernel verification evidence: {doc['verdict']}"))
    for why in doc["partial"]:
        out.append(("p", f"**PARTIAL RUN, not complete evidence**: {why}."))
    cfg = doc["configuration"] or {}
    out.append(
        (
            "table",
            ["item", "value"],
            [
                ["verdict", doc["verdict"]],
                [
                    "configuration",
                    f"{cfg.get('name', '?')} ({cfg.get('source', '?')}), sha256 {cfg.get('sha256', '?')}",
                ],
                [
                    "git commit",
                    f"{src['git_commit']}" + (" (uncommitted changes present)" if src.get("git_dirty") else ""),
                ],
                ["kernel files changed since commit", str(src.get("kernel_dirty"))],
                ["kernel sha256 (all kernel files)", src["kernel_sha256"]],
                ["profile", doc["profile"]],
                ["regenerate with", f"`{doc['command']}`"],
                ["date (UTC)", "see the last section (excluded from the content comparison)"],
            ],
        )
    )
    out.append(("h", 2, "Steps"))
    out.append(
        (
            "table",
            ["step", "status", "summary"],
            [[s["title"], s["status"].upper(), s["summary"]] for s in doc["steps"]],
        )
    )
    out += _configuration_blocks(cfg)
    out += _traceability_blocks(doc)
    out += _counterexample_blocks(doc["counterexamples"])
    out += _modes_blocks(doc["modes"])
    out += _details_blocks(doc)
    out += _mutation_blocks(doc["mutation"])
    out.append(("h", 2, "Exact source and tools"))
    out.append(("p", "SHA-256 of every kernel file (the code under verification):"))
    out.append(("table", ["file", "sha256"], [[f"`{k}`", v] for k, v in src["kernel_files"].items()]))
    out.append(("p", "Tool versions:"))
    out.append(("table", ["tool", "version"], [[k, v] for k, v in doc["tool_versions"].items()]))
    out.append(
        (
            "p",
            f"The verification code itself ({len(src['verification_files'])} files of specs/, proofs/, "
            "property_tests/, pumpkernel/) is hashed file by file in evidence.json (`source.verification_files`).",
        )
    )
    return out


def _configuration_blocks(cfg: dict[str, Any]) -> list[Block]:
    out: list[Block] = [("h", 2, "Configuration verified")]
    if not cfg:
        out.append(("p", "The configuration step did not run."))
        return out
    if cfg.get("file_problems"):
        out.append(("p", f"The file `{cfg['source']}` could not be read:"))
        out.append(("list", cfg["file_problems"]))
        return out
    out.append(("p", cfg["statement"]))
    broken = cfg.get("problems", [])
    out.append(("p", "Rules broken: " + (", ".join(f"`{b}`" for b in broken) if broken else "none") + "."))
    out.append(("p", f"Default therapy settings under this configuration: {cfg.get('default_settings') or 'n/a'}."))
    out.append(("table", ["field", "value"], [[f"`{k}`", str(v)] for k, v in cfg["values"].items()]))
    return out


def _traceability_blocks(doc: dict[str, Any]) -> list[Block]:
    rows = doc["traceability"]
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["result"]] = counts.get(row["result"], 0) + 1
    out: list[Block] = [
        ("h", 2, "Traceability matrix"),
        (
            "p",
            "Hazard → requirement → invariants → proof obligations, CrossHair contracts and tests → result. "
            "A requirement is *proved* when every Z3 obligation covering it (directly, or through an invariant "
            "proved inductive) passed; *tested* when no proof covers it but tests name it; *open* otherwise, "
            "with the reason. Results: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + ".",
        ),
    ]
    hazards: dict[str, str] = doc["hazards"]
    for hazard, meaning in hazards.items():
        members = [row for row in rows if hazard in row["hazards"]]
        out.append(("h", 3, f"{hazard}: {meaning} ({len(members)} requirements)"))
        table_rows = []
        for row in members:
            obligations = ", ".join(f"`{f}`" for f in row["obligation_families"]) or "none"
            if row["obligations"]:
                obligations = f"{len(row['obligations'])}: " + obligations
            tests = ", ".join(f"`{pathlib.Path(t).name}`" for t in row["tests"]) or "none"
            result = row["result"].upper() + (f" ({row['reason']})" if row["reason"] else "")
            table_rows.append(
                [
                    f"**{row['id']}** " + _short(row["statement"]),
                    ", ".join(f"`{i}`" for i in row["invariants"]) or "none",
                    obligations,
                    ", ".join(f"`{c}`" for c in row["crosshair_contracts"]) or "none",
                    tests,
                    result,
                ]
            )
        out.append(
            ("table", ["requirement", "invariants", "proof obligations", "contracts", "tests", "result"], table_rows)
        )
    scoped = [row for row in rows if row["scope"]]
    if scoped:
        out.append(("p", "Scope notes (where a proof covers the kernel's part and the adapters cover the rest):"))
        out.append(("list", [f"**{row['id']}**: {row['scope']}" for row in scoped]))
    return out


def _counterexample_blocks(cxs: list[dict[str, Any]]) -> list[Block]:
    out: list[Block] = [("h", 2, "Counterexamples")]
    if not cxs:
        out.append(("p", "None: no proof obligation failed."))
        return out
    for cx in cxs:
        out.append(("h", 3, f"{cx['obligation']} (requirements {', '.join(cx['requirements'])})"))
        out.append(("p", f"Obligation: {cx['statement']}"))
        out.append(("p", f"Event: `{cx['event']}`. The real kernel takes the same step: {cx['kernel_agrees']}."))
        out.append(("table", ["state field", "before", "after"], [[f"`{n}`", a, b] for n, a, b in cx["changes"][:60]]))
        out.append(("p", f"Regression test (`{cx['regression_file']}` in this bundle):"))
        out.append(("code", "python", cx["regression_test"]))
        out.append(("p", "Configuration, state before and state after, in full:"))
        out.append(
            ("code", "text", f"config = {cx['config']}\n\nbefore = {cx['state_before']}\n\nafter = {cx['state_after']}")
        )
    return out


def _modes_blocks(modes: dict[str, Any]) -> list[Block]:
    out: list[Block] = [
        ("h", 2, "Mode transitions"),
        ("p", "Generated from the tables of `kernel/modes.py`, which the code and the proofs read."),
        ("mermaid", modes["mermaid"]),
        ("matrix", modes),
        ("p", "Accepted in every mode, leaving it unchanged: " + ", ".join(f"`{e}`" for e in modes["any_mode_events"])),
        ("table", ["mode", "meaning"], [[f"`{k}`", v] for k, v in modes["modes"].items()]),
        ("h", 3, "Event-triggered"),
        (
            "table",
            ["from", "event", "to"],
            [[f"`{r['from']}`", f"`{r['event']}`", f"`{r['to']}`"] for r in modes["event_transitions"]],
        ),
        ("h", 3, "Condition-triggered (priority 1 first)"),
        (
            "table",
            ["priority", "condition", "from", "to"],
            [
                [str(r["priority"]), f"`{r['condition']}`", f"`{r['from']}`", f"`{r['to']}`"]
                for r in modes["condition_transitions"]
            ],
        ),
        ("h", 3, "Alarm status machine"),
        (
            "table",
            ["status", "condition holds", "held back", "new status", "announce"],
            [
                [
                    f"`{r['status']}`",
                    str(r["condition_holds"]),
                    str(r["held_back"]),
                    f"`{r['new_status']}`",
                    str(r["announce"]),
                ]
                for r in modes["alarm_machine"]
            ],
        ),
    ]
    return out


def _details_blocks(doc: dict[str, Any]) -> list[Block]:
    details = doc["details"]
    out: list[Block] = []
    proofs = details.get("proofs")
    if proofs:
        out.append(("h", 2, "Proof obligations"))
        s = proofs["summary"]
        out.append(
            (
                "p",
                f"{s['proved']} of {s['obligations']} obligations proved "
                f"({s['failed']} failed, {s['unknown']} unknown); "
                f"{s['weakenings_caught']} of {s['weakenings']} deliberately weakened kernels caught. "
                "Obligations are stated over every configuration that passes the structural rules.",
            )
        )
        out.append(
            (
                "table",
                ["obligation", "kind", "requirements", "result"],
                [
                    [f"`{o['id']}`", o["kind"], " ".join(o["requirements"]), o["result"].upper()]
                    for o in proofs["obligations"]
                ],
            )
        )
        if proofs["weakenings"]:
            out.append(
                (
                    "table",
                    ["weakened kernel", "description", "caught by"],
                    [[w["id"], w["description"], w["caught_by"] or "**MISSED**"] for w in proofs["weakenings"]],
                )
            )
        if proofs.get("unused_invariants"):
            out.append(("p", "Invariants no proof used: " + ", ".join(proofs["unused_invariants"]) + "."))
    cross = details.get("crosshair")
    if cross:
        out.append(("h", 2, "CrossHair contracts"))
        out.append(
            (
                "table",
                ["contract", "line", "condition", "verdict"],
                [[c["function"], str(c["line"]), f"`{c['condition']}`", c["verdict"]] for c in cross["conditions"]],
            )
        )
        out.append(("p", "Not exhausted by CrossHair (covered elsewhere):"))
        out.append(("list", [f"**{k}**: {v}" for k, v in cross["not_exhausted"].items()]))
    props = details.get("property-tests")
    if props:
        out.append(("h", 2, "Property tests"))
        if "counts" in props:
            c = props["counts"]
            out.append(
                (
                    "p",
                    f"Profile `{props['profile']}`: {c['passed']} passed, {c['failed']} failed, {c['error']} errors, "
                    f"{c['skipped']} skipped. Command: `{props['command']}`. JUnit XML: `{props['junit']}`.",
                )
            )
            out.append(("list", [f"`{f}`" for f in props["files"]]))
            if props["failures"]:
                out.append(("p", "Failures:"))
                out.append(("list", props["failures"]))
    scope = details.get("small-scope")
    if scope:
        out.append(("h", 2, "Small-scope exhaustive search"))
        out.append(
            (
                "p",
                f"{scope['states']} states and {scope['transitions']} transitions explored "
                f"(expected {scope['expected_states']} states); {len(scope['violations'])} violations. "
                + scope["scope"],
            )
        )
        if scope["violations"]:
            out.append(("list", scope["violations"]))
    exercise = details.get("exercise")
    if exercise:
        out.append(("h", 2, "Concrete exercise of the configuration"))
        out.append(("p", exercise["statement"]))
        out.append(
            (
                "p",
                f"Seed {exercise['seed']}: {exercise['steps']} steps, {exercise['accepted']} accepted, "
                f"{exercise['delivered_pulses']} pulses commanded; modes visited: {', '.join(exercise['modes_seen'])}.",
            )
        )
        out.append(("table", ["refusal reason", "count"], [[k, str(v)] for k, v in exercise["refusals"].items()]))
        problems = exercise["violations"] + exercise["scripted_day_problems"]
        out.append(("p", "Problems: " + ("none." if not problems else "")))
        if problems:
            out.append(("list", problems))
    for name, data in details.items():
        if data.get("traceback"):
            out.append(("h", 2, f"Error in step {name}"))
            out.append(("code", "text", data["traceback"]))
    return out


def _mutation_blocks(mutation: dict[str, Any] | None) -> list[Block]:
    out: list[Block] = [("h", 2, "Mutation testing")]
    if not mutation:
        out.append(("p", "Not available: no mutation report."))
        return out
    out.append(
        (
            "p",
            f"Score {mutation['score']}: {mutation['killed']} killed, {mutation['survived']} survived, "
            f"{mutation['timeout']} timed out, {mutation['suspicious']} suspicious, {mutation['skipped']} skipped, "
            f"of {mutation['total']} mutants. Source: {mutation['source']} (sha256 {mutation['report_sha256']}).",
        )
    )
    if mutation.get("stale"):
        out.append(
            ("p", "**Warning**: kernel files changed after this report was committed; re-run with `--mutation`.")
        )
    out.append(
        (
            "table",
            ["surviving mutant", "classification", "reason"],
            [[f"`{s['name']}`", s["classification"], s["reason"]] for s in mutation["survivors"]],
        )
    )
    return out


def volatile_blocks(doc: dict[str, Any]) -> list[Block]:
    """The date and the timings: the only part of the report that differs between equal runs."""
    timings = doc["timings"]
    out: list[Block] = [
        ("h", 2, "Date and timings (not part of the content comparison)"),
        ("p", f"Generated {doc['generated']['date']} (UTC)."),
        ("table", ["step", "seconds"], [[k, f"{v:.1f}"] for k, v in timings["steps_seconds"].items()]),
    ]
    return out


# ---------------------------------------------------------------- renderers


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(items: Iterable[Block]) -> str:
    out: list[str] = []
    for block in items:
        kind = block[0]
        if kind == "h":
            out.append("#" * block[1] + " " + block[2])
        elif kind == "p":
            out.append(block[1])
        elif kind == "list":
            out.append("\n".join(f"- {item}" for item in block[1]))
        elif kind == "table":
            headers, rows = block[1], block[2]
            lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
            lines += ["| " + " | ".join(_md_cell(cell) for cell in row) + " |" for row in rows]
            out.append("\n".join(lines))
        elif kind == "code":
            fence = "````" if "```" in block[2] else "```"
            out.append(f"{fence}{block[1]}\n{block[2].rstrip()}\n{fence}")
        elif kind == "mermaid":
            out.append(f"```mermaid\n{block[1]}\n```")
        elif kind == "matrix":
            continue  # the Markdown report shows the Mermaid diagram and the tables
        out.append("")
    return "\n".join(out)


_INLINE = re.compile(r"\*\*(.+?)\*\*|`([^`]+)`|\*([^*]+)\*")


def _inline_html(text: str) -> str:
    """Escape ``text`` and render the Markdown subset used in blocks (bold, code, emphasis)."""
    parts: list[str] = []
    last = 0
    for match in _INLINE.finditer(text):
        parts.append(html.escape(text[last : match.start()]))
        bold, code, em = match.groups()
        if bold is not None:
            parts.append(f"<strong>{_inline_html(bold)}</strong>")
        elif code is not None:
            parts.append(f"<code>{html.escape(code)}</code>")
        else:
            parts.append(f"<em>{html.escape(em)}</em>")
        last = match.end()
    parts.append(html.escape(text[last:]))
    return "".join(parts)


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:80em;padding:0 1em;
color:#1b1b1b;line-height:1.4}
h1{border-bottom:3px solid #333}h2{border-bottom:1px solid #999;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:.9em}
th,td{border:1px solid #bbb;padding:.25em .5em;vertical-align:top;text-align:left}
th{background:#eee}code{background:#f3f3f3;padding:0 .2em;font-size:.95em}
pre{background:#f6f6f6;border:1px solid #ddd;padding:.6em;overflow-x:auto;font-size:.85em}
.PASSED,.PROVED{color:#0a6b0a;font-weight:bold}.FAILED,.OPEN,.ERROR,.UNKNOWN,.MISSED{color:#b00000;font-weight:bold}
.TESTED,.NOT{color:#8a6100;font-weight:bold}
.matrix td{text-align:center;font-size:.8em}.matrix td.empty{background:#fafafa}
"""


def _cell_html(text: str) -> str:
    first = text.split(" ")[0].strip("*")
    klass = f' class="{first}"' if first in ("PASSED", "FAILED", "PROVED", "OPEN", "TESTED", "ERROR", "UNKNOWN") else ""
    return f"<td{klass}>{_inline_html(text)}</td>"


def _matrix_html(modes: dict[str, Any]) -> str:
    """The transition diagram as a from-by-to matrix (readable offline, no script)."""
    names = list(modes["modes"])
    cells: dict[tuple[str, str], list[str]] = {}
    for r in modes["event_transitions"]:
        if r["from"] != r["to"]:
            cells.setdefault((r["from"], r["to"]), []).append(r["event"])
    for r in modes["condition_transitions"]:
        cells.setdefault((r["from"], r["to"]), []).append(f"[{r['condition']}]")
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    rows = []
    for src in names:
        tds = []
        for dst in names:
            labels = cells.get((src, dst))
            tds.append(
                f"<td>{'<br>'.join(html.escape(x) for x in labels)}</td>" if labels else '<td class="empty"></td>'
            )
        rows.append(f"<tr><th>{html.escape(src)}</th>{''.join(tds)}</tr>")
    return (
        "<p>Transition matrix (row: from, column: to; events by name, conditions in brackets):</p>"
        f'<table class="matrix"><tr><th>from \\ to</th>{head}</tr>{"".join(rows)}</table>'
    )


def render_html(items: Iterable[Block], title: str) -> str:
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{CSS}</style></head><body>",
    ]
    for block in items:
        kind = block[0]
        if kind == "h":
            level = block[1]
            anchor = re.sub(r"[^a-z0-9]+", "-", block[2].lower()).strip("-")
            out.append(f'<h{level} id="{anchor}">{_inline_html(block[2])}</h{level}>')
        elif kind == "p":
            out.append(f"<p>{_inline_html(block[1])}</p>")
        elif kind == "list":
            out.append("<ul>" + "".join(f"<li>{_inline_html(item)}</li>" for item in block[1]) + "</ul>")
        elif kind == "table":
            head = "".join(f"<th>{html.escape(h)}</th>" for h in block[1])
            body = "".join("<tr>" + "".join(_cell_html(cell) for cell in row) + "</tr>" for row in block[2])
            out.append(f"<table><tr>{head}</tr>{body}</table>")
        elif kind == "code":
            out.append(f"<pre><code>{html.escape(block[2])}</code></pre>")
        elif kind == "mermaid":
            out.append(
                "<details><summary>Mermaid source of the state diagram (renders in GitHub and Mermaid tools)"
                f"</summary><pre><code>{html.escape(block[1])}</code></pre></details>"
            )
        elif kind == "matrix":
            out.append(_matrix_html(block[1]))
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def render_junit(verification: Verification) -> str:
    """JUnit XML: one test suite per step, the step itself and each of its cases as test cases."""
    suites = ET.Element("testsuites", name="pumpkernel verify")
    total = failures = errors = 0
    for step in verification.steps:
        cases = [Case(f"verify.{step.name}", "step", step.status, step.summary, step.seconds), *step.cases]
        suite = ET.SubElement(suites, "testsuite", name=step.name)
        s_fail = s_err = s_skip = 0
        for case in cases:
            element = ET.SubElement(
                suite, "testcase", classname=case.classname, name=case.name, time=f"{case.seconds:.3f}"
            )
            if case.status == PASSED:
                continue
            if case.status == "skipped":
                ET.SubElement(element, "skipped", message=case.message[:1000])
                s_skip += 1
            elif case.status == "error":
                ET.SubElement(element, "error", message=case.message[:1000])
                s_err += 1
            else:
                ET.SubElement(element, "failure", message=f"{case.status}: {case.message}"[:1000])
                s_fail += 1
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(s_fail))
        suite.set("errors", str(s_err))
        suite.set("skipped", str(s_skip))
        suite.set("time", f"{step.seconds:.3f}")
        total += len(cases)
        failures += s_fail
        errors += s_err
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    suites.set("errors", str(errors))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def write_bundle(verification: Verification, out: pathlib.Path) -> list[pathlib.Path]:
    """Write every file of the bundle into ``out``; the paths written."""
    from pumpkernel.configfile import to_toml

    out.mkdir(parents=True, exist_ok=True)
    doc = document(verification)
    title = f"pumpkernel verification evidence: {doc['verdict']}"
    items = [*blocks(doc), *volatile_blocks(doc)]
    written = []

    def put(name: str, text: str) -> None:
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)

    put("evidence.json", json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    put("report.md", render_markdown(items))
    put("report.html", render_html(items, title))
    put("junit.xml", render_junit(verification))
    from pumpkernel.reqexport import sdoc

    put("requirements.sdoc", sdoc({row["id"]: row for row in doc["traceability"]}))
    if verification.loaded is not None:
        put("config.toml", to_toml(verification.loaded.config, verification.loaded.name))
    for old in sorted((out / "counterexamples").glob("test_cex_*.py")):
        old.unlink()
    for cx in doc["counterexamples"]:
        if cx["regression_test"]:
            put(cx["regression_file"], cx["regression_test"])
    junit = out / "junit-property-tests.xml"
    if junit.exists():
        written.append(junit)
    return written
