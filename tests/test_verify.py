"""Tests of the verification suite itself (``pumpkernel verify``).

The main one injects a deliberately broken kernel in-process (the max-IOB
check of a controller bolus off by one) and runs the proof step on the
obligations about insulin on board (LIM-4): the step must fail, and the bundle must name the requirement
and show the counterexample with its regression test.  Nothing broken is
shipped: the patch lives for the duration of the test only.

The other tests check that a step that cannot run (a missing mutation report)
fails the run instead of passing, that an invalid configuration is refused
with every reason, and that the command-line entry point exits 0 only when
every step it ran passed.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from kernel import core
from kernel import events as ev
from kernel.handling import Handled
from kernel.iob import committed_pulses
from kernel.reasons import Reason
from kernel.state import evolve
from pumpkernel import cli
from pumpkernel.report.bundle import write_bundle
from pumpkernel.suite import mutation_step, testing_steps
from pumpkernel.suite.model import FAILED, INCOMPLETE, NOT_AVAILABLE, PASSED, Options
from pumpkernel.suite.run import run_verify

IOB_OBLIGATIONS = ("LIM-4/",)
MAX_IOB_REQUIREMENT = "LIM-4"


def _max_iob_off_by_one(original: Any) -> Any:
    """A ``BolusRequest`` handler whose max-IOB check admits one pulse too many for a controller bolus."""

    def broken(c: Any, s: Any, e: Any, logic: Any) -> Handled:
        handled: Handled = original(c, s, e, logic)
        whole = e.immediate_pulses + e.extended_pulses
        loose = logic.either(
            e.source != ev.Source.CONTROLLER,
            committed_pulses(s.settings, s.windows, s.bolus, logic) + whole <= s.settings.max_iob_pulses + 1,
        )
        checks = tuple(
            (loose, reason) if reason == Reason.MAX_IOB else (holds, reason) for holds, reason in handled.checks
        )
        return evolve(handled, checks=checks)

    return broken


def test_broken_kernel_fails_verify_and_the_report_names_the_requirement(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    monkeypatch.setitem(core.HANDLERS, ev.BolusRequest, _max_iob_off_by_one(core.HANDLERS[ev.BolusRequest]))
    options = Options(steps=("proofs",), obligations=IOB_OBLIGATIONS, out=tmp_path)
    verification = run_verify(options)
    [proofs] = verification.steps
    assert proofs.status == FAILED
    assert not verification.passed
    assert MAX_IOB_REQUIREMENT in proofs.summary
    cxs = proofs.data["counterexamples"]
    assert cxs, "a failed obligation comes with a counterexample"
    cx = cxs[0]
    assert MAX_IOB_REQUIREMENT in cx["requirements"]
    assert "BolusRequest" in cx["event"]
    assert cx["kernel_agrees"], "the broken kernel takes exactly the step Z3 found"
    assert "def test_" in cx["regression_test"]

    write_bundle(verification, tmp_path)
    doc = json.loads((tmp_path / "evidence.json").read_text())
    assert doc["verdict"] == "FAILED"
    assert doc["partial"], "a run of some obligations says so"
    [row] = [r for r in doc["traceability"] if r["id"] == MAX_IOB_REQUIREMENT]
    assert row["result"] == "open"
    assert "LIM-4/controller-bolus" in row["reason"]
    report = (tmp_path / "report.md").read_text()
    assert "## Counterexamples" in report
    section = report.split("## Counterexamples")[1].split("\n## ")[0]
    assert MAX_IOB_REQUIREMENT in section and "BolusRequest(" in section and "def test_" in section
    html = (tmp_path / "report.html").read_text()
    assert MAX_IOB_REQUIREMENT in html and "BolusRequest(" in html
    assert (tmp_path / cx["regression_file"]).exists()
    junit = (tmp_path / "junit.xml").read_text()
    assert 'name="LIM-4/controller-bolus"' in junit and "<failure" in junit


def test_the_same_obligations_pass_on_the_shipped_kernel_but_a_subset_is_incomplete(tmp_path: pathlib.Path) -> None:
    verification = run_verify(Options(steps=("proofs",), obligations=IOB_OBLIGATIONS, out=tmp_path))
    [proofs] = verification.steps
    assert proofs.status == INCOMPLETE, proofs.summary
    assert "INCOMPLETE" in proofs.summary and "planted-defect checks not run" in proofs.summary
    assert proofs.data["counterexamples"] == []
    assert all(case.status == PASSED for case in proofs.cases)
    assert verification.verdict == "INCOMPLETE" and verification.exit_code == 3


def test_a_step_that_cannot_run_fails_the_run(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    monkeypatch.setattr(mutation_step, "MUTATION_REPORT", tmp_path / "missing.json")
    verification = run_verify(Options(steps=("mutation",), out=tmp_path))
    [mutation] = verification.steps
    assert mutation.status == NOT_AVAILABLE
    assert not verification.passed


def test_unclassified_survivors_fail_the_mutation_step(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    report = tmp_path / "mutation_report.json"
    counts = {"killed": 9, "survived": 1, "timeout": 0, "suspicious": 0, "skipped": 0, "total": 10, "score": 0.9}
    survivor = {"name": "kernel.x__mutmut_1", "classification": "", "reason": ""}
    report.write_text(json.dumps({**counts, "seconds": 1.0, "survivors": [survivor]}))
    monkeypatch.setattr(mutation_step, "MUTATION_REPORT", report)
    monkeypatch.setattr(mutation_step, "ROOT", tmp_path)
    [mutation] = run_verify(Options(steps=("mutation",), out=tmp_path)).steps
    assert mutation.status == FAILED
    assert mutation.data["unclassified"] == ["kernel.x__mutmut_1"]


def test_invalid_configuration_fails_with_every_reason(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        'format = 1\nbase = "catalogue"\n[pump]\nmax_bolus_ceiling_pulses = 100000\nlgs_max_ticks = 600\n'
        "controller_temp_max_ticks = 0\n"
    )
    verification = run_verify(Options(config_path=path, steps=("configuration", "exercise"), out=tmp_path))
    config, exercise = verification.steps
    assert config.status == FAILED
    problems = config.data["problems"]
    for rule in (
        "MAX_BOLUS_CEILING_ABOVE_HARD_CEILING",
        "LGS_LONGER_THAN_2_H",
        "CONTROLLER_TEMP_RANGE_INVALID",
        "BOLUS_CEILING_ABOVE_ARITHMETIC_BOUND",
    ):
        assert rule in problems, problems
    assert config.data["proofs_apply"] is False
    assert exercise.status == NOT_AVAILABLE


def test_unreadable_configuration_file_lists_every_problem(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"pump": {"pulse_mu": 50.0, "max_bolus": 3, "lgs_max_ticks": True}, "colour": "red"}))
    [config] = run_verify(Options(config_path=path, steps=("configuration",), out=tmp_path)).steps
    assert config.status == FAILED
    text = " ".join(config.data["file_problems"])
    for expected in ("colour", "pump.max_bolus", "pump.pulse_mu", "pump.lgs_max_ticks", "missing fields"):
        assert expected in text, text


def test_cli_exit_code_and_bundle(tmp_path: pathlib.Path) -> None:
    config = pathlib.Path(__file__).resolve().parent.parent / "examples" / "config.toml"
    out = tmp_path / "bundle"
    args = ["verify", "--config", str(config), "--steps", "configuration,exercise", "--profile", "quick"]
    code = cli.main([*args, "--out", str(out), "--no-browser"])
    assert code == 3, "a run of some steps is INCOMPLETE, never PASSED"
    for name in ("evidence.json", "report.md", "report.html", "junit.xml", "config.toml"):
        assert (out / name).exists(), name
    doc = json.loads((out / "evidence.json").read_text())
    assert doc["configuration"]["source"] == str(config)
    assert [s["status"] for s in doc["steps"]] == [PASSED, PASSED]
    assert doc["verdict"] == "INCOMPLETE"
    bad = tmp_path / "bad.toml"
    bad.write_text("format = 1\n[pump]\npulse_mu = 50\n")
    assert (
        cli.main(["verify", "--config", str(bad), "--steps", "configuration", "--out", str(out), "--no-browser"]) == 1
    )


FAKE_SMALL_SCOPE = """
from dataclasses import dataclass, field

EXPECTED_STATES = 7


@dataclass
class SmallScopeResult:
    states: int
    transitions: int
    violations: list[str] = field(default_factory=list)
    seconds: float = 0.5


def explore(max_states=None):
    return SmallScopeResult(7, 20, VIOLATIONS)
"""


@pytest.mark.parametrize(("violations", "status"), [([], PASSED), (["INV-X broken in state 3"], FAILED)])
def test_small_scope_step_reads_the_search(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path, violations: list[str], status: str
) -> None:
    package = tmp_path / "property_tests"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "small_scope.py").write_text(FAKE_SMALL_SCOPE.replace("VIOLATIONS", repr(violations)))
    monkeypatch.setattr(testing_steps, "ROOT", tmp_path)
    [search] = run_verify(Options(steps=("small-scope",), out=tmp_path / "out")).steps
    assert search.status == status, search.summary
    assert search.data["states"] == 7 and search.data["violations"] == violations
