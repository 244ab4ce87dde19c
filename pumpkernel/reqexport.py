"""``pumpkernel requirements --format sdoc``: the ``specs/`` registry as a StrictDoc document.

StrictDoc (https://strictdoc.readthedocs.io) is a requirements tool used in
regulated projects; its ``.sdoc`` text format is what this module writes,
using only the fields of StrictDoc's default grammar (``UID``, ``STATUS``,
``TITLE``, ``STATEMENT``, ``RATIONALE``, ``COMMENT``), so no custom grammar is
needed:

* one section per requirement group (``U``, ``CFG``, ``BAS``, ...) in the
  catalogue's order, and a first section with the hazard classes;
* per requirement: its ID as ``UID``, its statement, the hazards it controls
  and its parameters as the rationale, the verification methods as the
  comment, a ``Parent`` relation to each hazard class it controls (so
  StrictDoc's traceability graph links hazard -> requirement), and, when an
  evidence bundle is given (``--evidence evidence/evidence.json``), the status
  derived by ``pumpkernel verify`` (proved, tested, open) with the covering
  invariants and obligations.

Both exports are built by their own tools in ``tests/bundle/test_exports.py``
(StrictDoc; Sphinx with sphinx-needs, warnings as errors).

``--format needs`` writes sphinx-needs ``req`` directives (reStructuredText;
IDs ``REQ_<ID>`` with ``_`` for ``-`` to fit the default ID pattern, hazards and methods as tags), ``--format markdown``
a Markdown table.  The evidence
bundle of ``pumpkernel verify`` contains ``requirements.sdoc``.  Sections use
StrictDoc's current ``[[SECTION]]`` syntax; ``--legacy-sections`` writes the
older ``[SECTION]`` form for StrictDoc releases before it.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
from typing import Any

from specs.requirements import HAZARDS, REQUIREMENTS, Requirement

HELP = "export the requirements registry (specs/) for requirements tools: StrictDoc, sphinx-needs or Markdown"


def _block(name: str, text: str) -> list[str]:
    text = text.strip().replace("<<<", "< < <")
    if not text:
        return []
    if "\n" not in text and len(text) < 100 and not text.startswith(">>>"):
        return [f"{name}: {text}"]
    return [f"{name}: >>>", text, "<<<"]


def _group(requirement: Requirement) -> str:
    return requirement.id.rsplit("-", 1)[0]


def sdoc(status: dict[str, dict[str, Any]] | None = None, legacy_sections: bool = False) -> str:
    """The registry as a StrictDoc document; ``status`` maps requirement ID -> traceability row."""
    open_section, close_section = ("[SECTION]", "[/SECTION]") if legacy_sections else ("[[SECTION]]", "[[/SECTION]]")
    out = [
        "[DOCUMENT]",
        "TITLE: pumpkernel safety requirements",
        "",
    ]
    out += [open_section, "TITLE: Hazard classes", ""]
    for hazard, meaning in HAZARDS.items():
        out += [
            "[REQUIREMENT]",
            f"UID: {hazard}",
            f"TITLE: {hazard}",
            *_block("STATEMENT", meaning.capitalize() + "."),
            "",
        ]
    out += [close_section, ""]
    groups: dict[str, list[Requirement]] = {}
    for requirement in REQUIREMENTS:
        groups.setdefault(_group(requirement), []).append(requirement)
    for group, members in groups.items():
        out += [open_section, f"TITLE: {group}", ""]
        for r in members:
            row = (status or {}).get(r.id)
            rationale = "Hazards: " + ", ".join(f"{h} ({HAZARDS.get(h, '?')})" for h in r.hazards) + "."
            if r.parameters:
                rationale += f"\nParameters: {r.parameters}."
            if r.added:
                rationale += "\nAdded by the project to the catalogue."
            comment = "Verification methods: " + ", ".join(r.methods) + "."
            if row is not None:
                comment += f"\nResult ({row['result']}): {row['reason'] or 'all covering evidence passed'}."
                if row["invariants"]:
                    comment += "\nInvariants: " + ", ".join(row["invariants"]) + "."
                if row["obligation_families"]:
                    comment += "\nProof obligations: " + ", ".join(row["obligation_families"]) + "."
                if row["tests"]:
                    comment += "\nTests: " + ", ".join(row["tests"]) + "."
            out.append("[REQUIREMENT]")
            out.append(f"UID: {r.id}")
            if row is not None:
                out.append(f"STATUS: {row['result'].capitalize()}")
            out.append(f"TITLE: {r.id}")
            out += _block("STATEMENT", r.statement)
            out += _block("RATIONALE", rationale)
            out += _block("COMMENT", comment)
            out.append("RELATIONS:")
            for hazard in r.hazards:
                out += ["- TYPE: Parent", f"  VALUE: {hazard}"]
            out.append("")
        out += [close_section, ""]
    return "\n".join(out)


def needs(status: dict[str, dict[str, Any]] | None = None) -> str:
    """The registry as sphinx-needs ``req`` directives (reStructuredText)."""
    title = "pumpkernel safety requirements"
    out = [title, "=" * len(title), ""]
    for r in REQUIREMENTS:
        row = (status or {}).get(r.id)
        out.append(f".. req:: {r.id}")
        out.append(f"   :id: REQ_{r.id.replace('-', '_')}")
        if row is not None:
            out.append(f"   :status: {row['result'].replace(' ', '_')}")
        out.append(f"   :tags: {';'.join([*r.hazards, *r.methods])}")
        out.append("")
        out.append(f"   {r.statement}")
        out.append("")
        if r.parameters:
            out += [f"   Parameters: {r.parameters}.", ""]
        if row is not None and row["reason"]:
            out += [f"   Result: {row['reason']}.", ""]
    return "\n".join(out)


def markdown(status: dict[str, dict[str, Any]] | None = None) -> str:
    lines = ["| ID | statement | hazards | methods | status |", "|---|---|---|---|---|"]
    for r in REQUIREMENTS:
        row = (status or {}).get(r.id)
        result = row["result"] if row else ""
        statement = r.statement.replace("|", "\\|")
        lines.append(f"| {r.id} | {statement} | {', '.join(r.hazards)} | {', '.join(r.methods)} | {result} |")
    return "\n".join(lines) + "\n"


def statuses_from(evidence: pathlib.Path) -> dict[str, dict[str, Any]]:
    """Requirement ID -> traceability row, from a bundle's ``evidence.json``."""
    doc = json.loads(evidence.read_text())
    return {row["id"]: row for row in doc["traceability"]}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", choices=("sdoc", "needs", "markdown"), default="sdoc", help="output format (default sdoc)"
    )
    parser.add_argument("--evidence", type=pathlib.Path, help="an evidence.json whose results become STATUS")
    parser.add_argument("--out", type=pathlib.Path, help="write to this file (default: standard output)")
    parser.add_argument("--legacy-sections", action="store_true", help="[SECTION] instead of [[SECTION]]")


def run(args: argparse.Namespace) -> int:
    status = statuses_from(args.evidence) if args.evidence else None
    if args.format == "markdown":
        text = markdown(status)
    elif args.format == "needs":
        text = needs(status)
    else:
        text = sdoc(status, args.legacy_sections)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text)
        print(f"wrote {args.out}")
    return 0
