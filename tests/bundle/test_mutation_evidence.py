"""Mutation evidence never overstates (issue 15, point 3).

* A sample run (the committed report: 325 of 6,030 mutants) is INCOMPLETE,
  never PASSED; the summary, the reports and JUnit say it is a sample and give
  its size; the verdict is INCOMPLETE and the exit code 3.
* The score shown is the one the numbers give (killed / (run - skipped)), even
  when the report file carries another; a reclassified figure is labelled as
  such.
* A report that does not say how many mutants were generated, or that was
  made on another kernel, is INCOMPLETE; a complete, current, classified run
  is PASSED.
* The per-layer report (``mutation_layers.json``) is rendered when present:
  module x layer -> killed / run, the 95 % interval, sample sizes, a chart.
"""

from __future__ import annotations

import json
import pathlib
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from pumpkernel.report.bundle import write_bundle
from pumpkernel.suite import mutation_step
from pumpkernel.suite.model import INCOMPLETE, PASSED, Options
from pumpkernel.suite.run import run_verify

SAMPLE = {
    "killed": 275,
    "survived": 50,
    "no_tests": 0,
    "timeout": 0,
    "suspicious": 0,
    "skipped": 0,
    "total": 325,
    "score": 98.77,
    "seconds": 1945.0,
    "generated": 6030,
    "not_run": 5705,
    "sample": "mutants numbered ...3 (deterministic sample)",
    "classification_counts": {"equivalent": 4, "gap": 0, "closed": 46, "unexplained": 0},
    "survivors": [
        {"name": f"kernel.x__mutmut_{i}", "status": "survived", "classification": "closed", "reason": "test added"}
        for i in range(46)
    ]
    + [
        {"name": f"kernel.y__mutmut_{i}", "status": "survived", "classification": "equivalent", "reason": "same"}
        for i in range(4)
    ],
}
"""The committed report's figures, but with a reclassified score (98.77) in the file: the step must not show it."""

LAYERS = {
    "format": "pumpkernel-mutation-layers/1",
    "kernel_sha256": "",
    "generated": 1700000000,
    "layers": ["z3", "crosshair", "property", "unit"],
    "sample": {"z3": {"size": 300, "method": "stratified by module, seed 1"}},
    "modules": {
        "kernel/tick.py": {"z3": {"run": 30, "killed": 12}, "unit": {"run": 200, "killed": 190}},
        "kernel/bolus.py": {"z3": {"run": 40, "killed": 31}, "property": {"run": 300, "killed": 280}},
    },
    "totals": {
        "z3": {"run": 70, "killed": 43, "low95": 0.49, "high95": 0.72},
        "unit": {"run": 200, "killed": 190, "low95": 0.91, "high95": 0.97},
        "property": {"run": 300, "killed": 280, "low95": 0.9, "high95": 0.96},
    },
}


def _step(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path, report: dict[str, Any], layers: Any = None) -> Any:
    path = tmp_path / "mutation_report.json"
    path.write_text(json.dumps(report))
    monkeypatch.setattr(mutation_step, "MUTATION_REPORT", path)
    monkeypatch.setattr(mutation_step, "MUTATION_LAYERS", tmp_path / "mutation_layers.json")
    if layers is not None:
        (tmp_path / "mutation_layers.json").write_text(json.dumps(layers))
    return run_verify(Options(steps=("mutation",), out=tmp_path / "bundle", browser=False))


def test_a_sample_is_incomplete_and_says_so_everywhere(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    report = {**SAMPLE, "kernel_sha256": mutation_step.mutated_kernel_sha256()}
    verification = _step(monkeypatch, tmp_path, report)
    [step] = verification.steps
    assert step.status == INCOMPLETE
    assert "PASSED" not in step.summary.upper().replace("INCOMPLETE", "")
    assert step.summary.startswith("INCOMPLETE: a sample of 325 of 6,030 generated mutants (5.4 %)")
    assert "measured score 84.62 %" in step.summary
    assert "98.77" not in step.summary, "the file's reclassified score is not the measured one"
    assert "46 closed (killed by tests added after the run, not re-measured)" in step.summary
    assert step.data["measured_score"] == 84.62 and step.data["is_sample"] and not step.data["complete"]
    assert verification.verdict == "INCOMPLETE" and verification.exit_code == 3

    write_bundle(verification, tmp_path / "bundle")
    md = (tmp_path / "bundle" / "report.md").read_text()
    section = md.split("## Mutation testing")[1].split("\n## ")[0]
    assert "**INCOMPLETE**: 325 of 6,030 generated mutants run (5,705 not run)" in section
    assert "Sample: 325 of 6,030 generated mutants. How it was drawn: mutants numbered ...3" in section
    assert "| measured score (killed / (run - skipped)) | 84.62 % |" in section
    assert "321 of 325 (98.77 %); that figure is a reclassification, not a measurement" in section
    junit = ET.parse(tmp_path / "bundle" / "junit.xml").getroot()
    [case] = [c for c in junit.iter("testcase") if c.get("name") == "every-mutant-run"]
    assert case.find("failure") is not None, "an incomplete run is not a passed test case"
    html = (tmp_path / "bundle" / "report.html").read_text()
    assert "INCOMPLETE" in html.split("For the reviewer")[1].split("What is claimed")[0]


def test_a_complete_current_classified_run_passes(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    report = {**SAMPLE, "generated": 325, "not_run": 0, "kernel_sha256": mutation_step.mutated_kernel_sha256()}
    [step] = _step(monkeypatch, tmp_path, report).steps
    assert step.status == PASSED, step.summary
    assert step.summary.startswith("every one of the 325 generated mutants: 275 killed")


def test_a_complete_run_with_a_gap_is_incomplete(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    """A gap is a known change no test notices: the run is complete, but mutation testing is not passed (EVD-2)."""
    earlier: list[Any] = SAMPLE["survivors"]  # type: ignore[assignment]
    survivors = [*earlier, {"name": "kernel.x.x_f__mutmut_1", "classification": "gap", "reason": "r"}]
    report = {
        **SAMPLE,
        "generated": 325,
        "not_run": 0,
        "kernel_sha256": mutation_step.mutated_kernel_sha256(),
        "survivors": survivors,
    }
    [step] = _step(monkeypatch, tmp_path, report).steps
    assert step.status == INCOMPLETE, step.summary
    assert "1 survivors are gaps: changes no test notices" in step.data["incomplete"]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"generated": None, "not_run": None}, "completeness cannot be told"),
        ({"generated": 325, "not_run": 0, "kernel_sha256": "0" * 64}, "the kernel changed after this report"),
    ],
)
def test_unknown_size_or_another_kernel_is_incomplete(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path, change: dict[str, Any], why: str
) -> None:
    report = {"kernel_sha256": mutation_step.mutated_kernel_sha256(), **SAMPLE, **change}
    report = {k: v for k, v in report.items() if v is not None}
    [step] = _step(monkeypatch, tmp_path, report).steps
    assert step.status == INCOMPLETE
    assert any(why in reason for reason in step.data["incomplete"]), step.data["incomplete"]


def test_the_per_layer_table_is_rendered_when_present(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    layers = {**LAYERS, "kernel_sha256": mutation_step.mutated_kernel_sha256()}
    verification = _step(
        monkeypatch, tmp_path, {**SAMPLE, "kernel_sha256": mutation_step.mutated_kernel_sha256()}, layers
    )
    assert verification.steps[0].data["layers"]["stale"] is False
    write_bundle(verification, tmp_path / "bundle")
    md = (tmp_path / "bundle" / "report.md").read_text()
    table = md.split("### Kill rate per verification layer")[1].split("\n## ")[0]
    assert "| module | z3 | crosshair | property | unit |" in table
    assert "| `kernel/tick.py` | 12/30 (40 %) | – | – | 190/200 (95 %) |" in table
    assert "**43/70 (61 %)**, 95 % interval 49.0–72.0 %" in table
    assert "`z3`: a sample of 300 mutants (stratified by module, seed 1)" in table
    html = (tmp_path / "bundle" / "report.html").read_text()
    assert 'id="chart-mutation-layers"' in html
    assert (tmp_path / "bundle" / "chart-mutation-layers.svg").exists()
    stale = _step(monkeypatch, tmp_path, SAMPLE, {**LAYERS, "kernel_sha256": "f" * 64})
    assert stale.steps[0].data["layers"]["stale"] is True


def test_the_layer_chart_gives_counts_and_marks_an_incomplete_layer() -> None:
    """EVD-1: each bar carries killed / run, the title the sample's size, and a partial layer says INCOMPLETE."""
    from pumpkernel.report import charts

    layers = {
        "generated": 7566,
        "layers": ["z3", "unit"],
        "sample": {"z3": {"planned": 320, "complete": False}, "unit": {"planned": 320, "complete": True}},
        "totals": {
            "z3": {"run": 267, "killed": 162, "low95": 0.547, "high95": 0.663},
            "unit": {"run": 320, "killed": 298, "low95": 0.898, "high95": 0.954},
        },
    }
    svg = charts.mutation_layers(layers)
    assert "162 / 267" in svg and "298 / 320" in svg
    assert svg.count("INCOMPLETE") == 1, "only the partial layer"
    assert "a sample of 320 of 7,566 mutants" in svg
    assert "STALE" not in svg
    assert "STALE: measured on another kernel" in charts.mutation_layers({**layers, "stale": True})
