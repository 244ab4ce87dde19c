"""The evidence bundle: deterministic content, self-contained HTML, valid JUnit, generated docs.

* Determinism: two runs of the same steps on the same inputs give the same
  document once the date and the timings (``assurance.document.VOLATILE``) are dropped,
  and the same Markdown and HTML apart from the last section (date, timings).
* The HTML report reads offline: no script, no external asset.
* ``docs/modes.md`` is exactly what ``pumpkernel modes`` generates from the
  mode tables, and ``examples/config.toml`` is the documented default.
"""

from __future__ import annotations

import pathlib
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from kernel.config import DEFAULT_CONFIG
from kernel.state import evolve
from pumpkernel.assurance.case import build_case
from pumpkernel.assurance.document import document, stable
from pumpkernel.configfile import load
from pumpkernel.modesdoc import DOC, markdown
from pumpkernel.report import gsn
from pumpkernel.report.bundle import content_blocks, write_bundle
from pumpkernel.report.junit import render_junit
from pumpkernel.report.markup import Block, render_html, render_markdown
from pumpkernel.suite.model import Options, Verification
from pumpkernel.suite.run import run_verify
from specs.requirements import REQUIREMENTS

ROOT = pathlib.Path(__file__).resolve().parent.parent
QUICK = Options(steps=("configuration", "exercise"), profile="quick", browser=False)


def blocks(doc: dict[str, Any]) -> list[Block]:
    """The report's blocks without the volatile last section (date and timings), with the assurance case picture."""
    case = build_case(doc)
    return content_blocks(doc, case, gsn.views(case).get("overview"))


def _run(tmp_path: pathlib.Path) -> Verification:
    return run_verify(evolve(QUICK, out=tmp_path))


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> Verification:
    return _run(tmp_path_factory.mktemp("bundle"))


def test_same_inputs_give_the_same_report_apart_from_date_and_timings(tmp_path: pathlib.Path) -> None:
    first, second = _run(tmp_path / "bundle"), _run(tmp_path / "bundle")
    second.date = "1999-01-01T00:00:00+00:00"
    second.steps[0].seconds += 5.0
    doc1, doc2 = document(first), document(second)
    assert doc1 != doc2, "the date and timings differ"
    assert stable(doc1) == stable(doc2)
    assert render_markdown(blocks(doc1)) == render_markdown(blocks(doc2))
    assert render_html(blocks(doc1), "t") == render_html(blocks(doc2), "t")
    write_bundle(first, tmp_path / "a")
    write_bundle(second, tmp_path / "b")
    md1 = (tmp_path / "a" / "report.md").read_text()
    md2 = (tmp_path / "b" / "report.md").read_text()
    marker = "## Date and timings"
    assert md1.split(marker)[0] == md2.split(marker)[0]
    assert md1 != md2


def test_html_report_is_self_contained(quick_run: Verification, tmp_path: pathlib.Path) -> None:
    write_bundle(quick_run, tmp_path)
    text = (tmp_path / "report.html").read_text()
    assert "<script" not in text.lower()
    assert "<svg" in text, "charts and the assurance case are inline SVG"
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text, re.IGNORECASE)
    assert "<style>" in text
    for requirement in REQUIREMENTS:
        assert f"{requirement.id}</strong>" in text, f"every requirement has a row: {requirement.id}"


def test_junit_is_valid_and_counts_every_case(quick_run: Verification) -> None:
    verification = quick_run
    root = ET.fromstring(render_junit(verification))
    cases = list(root.iter("testcase"))
    assert int(root.get("tests", "0")) == len(cases)
    assert int(root.get("tests", "0")) == sum(len(s.cases) + 1 for s in verification.steps)
    assert {suite.get("name") for suite in root.iter("testsuite")} == {"configuration", "exercise"}


def test_docs_modes_md_is_generated_from_the_tables() -> None:
    assert DOC.read_text() == markdown(), "run: pumpkernel modes --write"


def test_example_configuration_is_the_documented_default() -> None:
    loaded = load(ROOT / "examples" / "config.toml")
    assert loaded.config == DEFAULT_CONFIG
    assert "examples/config.toml" in (ROOT / "docs" / "configuration.md").read_text()


def test_strictdoc_export_has_every_requirement_with_its_result(
    quick_run: Verification, tmp_path: pathlib.Path
) -> None:
    from pumpkernel.reqexport import sdoc

    write_bundle(quick_run, tmp_path)
    text = (tmp_path / "requirements.sdoc").read_text()
    assert text == sdoc({row["id"]: row for row in document(quick_run)["traceability"]})
    assert text.startswith("[DOCUMENT]")
    for requirement in REQUIREMENTS:
        assert f"\nUID: {requirement.id}\n" in text
    assert text.count(">>>") == text.count("<<<")
    assert text.count("[[SECTION]]") == text.count("[[/SECTION]]")
    assert "STATUS: Open" in text and "STATUS: Proved" not in text, "the proof step did not run in this bundle"
    assert "not verified: the proof step did not run in this bundle" in text


def test_sphinx_needs_export_has_every_requirement() -> None:
    from pumpkernel.reqexport import needs

    text = needs()
    for requirement in REQUIREMENTS:
        assert f".. req:: {requirement.id}\n   :id: REQ_{requirement.id.replace('-', '_')}\n" in text
