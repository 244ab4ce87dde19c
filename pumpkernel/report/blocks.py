"""The body of the report as blocks: identification, steps, configuration, traceability, counterexamples, modes.

Theory of operation
-------------------
``body_blocks(doc)`` lays out, in reading order after the reviewer's first
page (``report.reviewer``): what was verified (commit, kernel and
configuration SHA-256, profile, the command that regenerates the bundle), the
steps with their status, the configuration in internal and human units, the
traceability matrix grouped by hazard (with every evidence item's status),
counterexamples, and the mode tables.  ``report.details`` adds the per-step
details.  Blocks are rendered by ``report.markup``.
"""

from __future__ import annotations

import pathlib
import re
from typing import Any

from pumpkernel.report.markup import Block
from pumpkernel.report.units import config_rows, human, internal


def _short(text: str, limit: int = 140) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def body_blocks(doc: dict[str, Any]) -> list[Block]:
    """The body of the report (after the reviewer's page, before the details), in reading order."""
    out: list[Block] = []
    src = doc["source"]
    cfg = doc["configuration"] or {}
    out.append(("h", 2, "What was verified"))
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
                ["date (UTC)", "see the [last section](#date-and-timings-not-part-of-the-content-comparison)"],
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
    return out


def source_blocks(doc: dict[str, Any]) -> list[Block]:
    """The exact source (every kernel file's SHA-256) and the tool versions."""
    src = doc["source"]
    return [
        ("h", 2, "Exact source and tools"),
        ("p", "SHA-256 of every kernel file (the code under verification):"),
        ("table", ["file", "sha256"], [[f"`{k}`", v] for k, v in src["kernel_files"].items()]),
        ("p", "Tool versions:"),
        ("table", ["tool", "version"], [[k, v] for k, v in doc["tool_versions"].items()]),
        (
            "p",
            f"The verification code itself ({len(src['verification_files'])} files of specs/, proofs/, "
            "property_tests/, pumpkernel/) is hashed file by file in evidence.json (`source.verification_files`).",
        ),
    ]


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
    out.append(
        (
            "p",
            "Each value in the kernel's internal unit (pulses of `pulse_mu` mU, one-minute ticks) and in human units "
            "(1 U = 1000 mU).",
        )
    )
    out.append(("table", ["field", "internal value", "human units"], config_rows(cfg["values"])))
    rules = cfg.get("rules", [])
    if rules:
        out.append(("h", 3, "Configuration rules"))
        out.append(
            (
                "p",
                "Structural rules are what the proofs assume about a configuration; clinical rules add the "
                "catalogue's ranges and hard ceilings (no proof needs them).",
            )
        )
        out.append(
            (
                "table",
                ["rule", "kind", "holds"],
                [[f"`{r['rule']}`", r["kind"], "PASSED" if r["holds"] else "FAILED"] for r in rules],
            )
        )
    return out


EVIDENCE_MARK = {"passed": "✓", "failed": "✗ FAILED", "unknown": "? UNKNOWN", "not run": "– not run"}


def _evidence_cell(row: dict[str, Any], kinds: tuple[str, ...]) -> str:
    items = [e for e in row.get("evidence", []) if e["kind"] in kinds]
    if not items:
        return "none"
    parts = []
    for e in items:
        name = pathlib.Path(e["name"]).name if e["kind"] == "tests" else e["name"]
        count = f" ({e['detail'].split(' ')[0]})" if e["kind"] == "z3" else ""
        parts.append(f"`{name}`{count} {EVIDENCE_MARK.get(e['status'], e['status'])}")
    return ", ".join(parts)


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
            "Each evidence item shows what happened to it in this run (✓ passed, ✗ failed, ? unknown, – not run). "
            "A requirement is *proved* when every Z3 obligation covering it (directly, or through an invariant "
            "proved inductive) ran and passed; *tested* when no proof covers it but tests that name it ran here and "
            "passed; *open* otherwise, with the reason. Results: "
            + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            + ".",
        ),
    ]
    hazards: dict[str, str] = doc["hazards"]
    for hazard, meaning in hazards.items():
        members = [row for row in rows if hazard in row["hazards"]]
        out.append(("h", 3, f"{hazard}: {meaning} ({len(members)} requirements)"))
        table_rows = []
        for row in members:
            tests = _evidence_cell(row, ("tests",))
            result = row["result"].upper() + (f" ({row['reason']})" if row["reason"] else "")
            if row.get("state") == "failed":
                result = "FAILED: " + result
            table_rows.append(
                [
                    f"**{row['id']}** " + _short(row["statement"]),
                    _evidence_cell(row, ("invariant",)),
                    _evidence_cell(row, ("z3",)),
                    _evidence_cell(row, ("crosshair",)),
                    tests,
                    result,
                ]
            )
        out.append(
            ("table", ["requirement", "invariants", "proof obligations", "contracts", "tests", "result"], table_rows)
        )
    scoped = [row for row in rows if row["scope"] or row.get("not_covered") or row.get("assumptions")]
    if scoped:
        out.append(("p", "Scope notes, assumptions and what a proof does not cover, per requirement:"))
        items = []
        for row in scoped:
            text = f"**{row['id']}**: " + (row["scope"] or "")
            if row.get("not_covered"):
                text += f" Not covered: {row['not_covered']}"
            if row.get("assumptions"):
                text += " Assumptions: " + "; ".join(row["assumptions"])
            items.append(text.strip())
        out.append(("list", items))
    return out


def _in_units(name: str, before: str, after: str, pulse_mu: int) -> str:
    """``before → after`` in human units when the field's name gives its unit and both values are integers."""
    field = name.rsplit(".", 1)[-1]
    if not (before.lstrip("-").isdigit() and after.lstrip("-").isdigit()) or not pulse_mu:
        return ""
    said = human(field, int(before), pulse_mu), human(field, int(after), pulse_mu)
    return "" if said[1] == internal(field, int(after)) else f"{said[0]} → {said[1]}"


def _counterexample_blocks(cxs: list[dict[str, Any]]) -> list[Block]:
    out: list[Block] = [("h", 2, "Counterexamples")]
    if not cxs:
        out.append(("p", "None: no proof obligation failed."))
        return out
    for cx in cxs:
        out.append(("h", 3, f"{cx['obligation']} (requirements {', '.join(cx['requirements'])})"))
        out.append(("p", f"Obligation: {cx['statement']}"))
        out.append(("p", f"Event: `{cx['event']}`. The real kernel takes the same step: {cx['kernel_agrees']}."))
        pulse = re.search(r"\bpulse_mu=(\d+)", cx.get("config", ""))
        rows = [
            [f"`{n}`", a, b, _in_units(n, a, b, int(pulse.group(1)) if pulse else 0)] for n, a, b in cx["changes"][:60]
        ]
        out.append(("table", ["state field", "before", "after", "in human units (before → after)"], rows))
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
