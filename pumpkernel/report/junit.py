"""JUnit XML of a verification run, for CI systems.

One test suite per step; the step itself and each of its cases (obligations,
weakenings, configuration rules, contracts, property tests, survivors) as test
cases.  A failed case is a ``failure``, an ``error`` an error, a skipped test
``skipped``; an *incomplete* case or step is a failure too (a partial run is
never shown as passed).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from pumpkernel.suite.model import PASSED, Case, Verification


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
