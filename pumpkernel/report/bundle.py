"""Write the evidence bundle: every file, from one evidence document and the assurance case built from it.

Theory of operation
-------------------
``write_bundle(verification, out)`` builds the document
(``assurance.document``) and the GSN case (``assurance.case``), lays out the
report (``reviewer`` first page, ``blocks`` body, ``details``, the exact
source, then the date and timings last) and writes:

* ``evidence.json`` (the document), ``report.md``, ``report.html`` (one
  self-contained file: inline CSS and SVG, no script, no external asset);
* ``assurance-case.json`` (the GSN case as data), ``assurance-case.html``
  (every view), ``assurance-case.svg`` (the overview) and
  ``assurance-case-<hazard>.svg`` (one per hazard class), when Graphviz's
  ``dot`` is installed;
* ``chart-*.svg`` (the charts, for ``report.md``);
* ``junit.xml``, ``requirements.sdoc`` (StrictDoc), ``requirements-needs.rst``
  (sphinx-needs), ``config.toml``, and ``counterexamples/test_cex_*.py``.

The browser check (``report.browser``) runs afterwards, from ``pumpkernel
verify`` and from the tests, and adds ``screenshots/`` and
``browser-check.json``.
"""

from __future__ import annotations

import json
import pathlib
import re
from typing import Any

from pumpkernel.assurance.case import build_case
from pumpkernel.assurance.document import document
from pumpkernel.report import gsn
from pumpkernel.report.blocks import body_blocks, source_blocks
from pumpkernel.report.details import detail_blocks, volatile_blocks
from pumpkernel.report.junit import render_junit
from pumpkernel.report.markup import Block, render_html, render_markdown
from pumpkernel.report.reviewer import reviewer_blocks
from pumpkernel.suite.model import Verification

HTML_PAGES = ("report.html", "assurance-case.html")
"""The HTML pages of a bundle (the browser check opens each)."""


def content_blocks(doc: dict[str, Any], case: dict[str, Any], overview_svg: str | None) -> list[Block]:
    """The report in reading order without its volatile last section: equal for equal inputs."""
    return [*reviewer_blocks(doc, case, overview_svg), *body_blocks(doc), *detail_blocks(doc), *source_blocks(doc)]


def report_blocks(doc: dict[str, Any], case: dict[str, Any], overview_svg: str | None) -> list[Block]:
    """The whole report in reading order, the volatile section (date and timings) last."""
    return [*content_blocks(doc, case, overview_svg), *volatile_blocks(doc)]


def write_bundle(verification: Verification, out: pathlib.Path) -> list[pathlib.Path]:
    """Write every file of the bundle into ``out``; the paths written."""
    from pumpkernel.configfile import to_toml
    from pumpkernel.reqexport import needs, sdoc

    out.mkdir(parents=True, exist_ok=True)
    doc = document(verification)
    case = build_case(doc)
    svgs = gsn.views(case)
    title = f"pumpkernel verification evidence: {doc['verdict']}"
    items = report_blocks(doc, case, svgs.get("overview"))
    written: list[pathlib.Path] = []

    def put(name: str, text: str) -> None:
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)

    for old in [*out.glob("assurance-case*.svg"), *out.glob("chart-*.svg")]:
        old.unlink()
    put("evidence.json", json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    put("assurance-case.json", json.dumps(case, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    put("report.md", render_markdown(items))
    put("report.html", render_html(items, title))
    put("assurance-case.html", gsn.page(case, svgs, "pumpkernel safety assurance case (GSN)"))
    for name, svg in svgs.items():
        put("assurance-case.svg" if name == "overview" else f"assurance-case-{name}.svg", svg)
    for block in items:
        if block[0] == "svg" and block[1].startswith("chart-"):
            put(f"{block[1]}.svg", block[2])
    put("junit.xml", render_junit(verification))
    rows = {row["id"]: row for row in doc["traceability"]}
    put("requirements.sdoc", sdoc(rows))
    put("requirements-needs.rst", needs(rows))
    if verification.loaded is not None:
        put("config.toml", to_toml(verification.loaded.config, verification.loaded.name))
    for old_cx in sorted((out / "counterexamples").glob("test_cex_*.py")):
        old_cx.unlink()
    for cx in doc["counterexamples"]:
        if cx["regression_test"]:
            put(cx["regression_file"], cx["regression_test"])
    junit = out / "junit-property-tests.xml"
    if junit.exists():
        written.append(junit)
    return written


def markdown_image_links(text: str) -> list[str]:
    """The targets of Markdown image links (``![alt](target)``) in ``text``."""
    return re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", text)
