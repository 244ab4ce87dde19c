"""Every HTML page of the bundle, opened in headless Chromium: no JavaScript error, no broken link, no missing image.

The bundle comes from a short real run (configuration, exercise and mutation
steps) plus the assurance case; every picture ``report.md`` shows is a file
of the bundle; ``report.browser.check_pages`` opens
``report.html`` and ``assurance-case.html`` in Debian's Chromium through
Selenium, and stores a screenshot of each in the bundle.  A second test shows
that the check does find each kind of problem on a page made to have them.
Chromium, chromedriver and Graphviz are Debian packages (``make system-deps``,
which CI runs); without them these tests fail rather than skip.
"""

from __future__ import annotations

import pathlib

import pytest

from pumpkernel.report import gsn
from pumpkernel.report.browser import check_pages, chromium_available, write_check
from pumpkernel.report.bundle import HTML_PAGES, markdown_image_links, write_bundle
from pumpkernel.suite.model import Options
from pumpkernel.suite.run import run_verify

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _system_packages() -> None:
    assert chromium_available(), "Chromium and chromedriver are needed: make system-deps (Debian packages)"
    assert gsn.available(), "Graphviz's dot is needed: make system-deps (Debian package graphviz)"


def test_every_page_of_the_bundle_renders_cleanly(tmp_path: pathlib.Path) -> None:
    options = Options(steps=("configuration", "exercise", "mutation"), profile="quick", out=tmp_path, browser=False)
    write_bundle(run_verify(options), tmp_path)
    checks = check_pages(tmp_path, HTML_PAGES)
    write_check(tmp_path, checks)
    assert [c.page for c in checks] == list(HTML_PAGES)
    for check in checks:
        assert check.problems == [], check.page
        assert check.external_links == [], "a bundle reads offline"
        assert check.title.startswith("pumpkernel")
        assert check.links_checked > 0
        [shot] = check.screenshots
        assert (tmp_path / shot).read_bytes().startswith(PNG_MAGIC)
    report, case = checks
    assert report.links_checked >= 8, "the overview of the assurance case links to every hazard view"
    assert case.height_px > report.height_px / 20
    assert (tmp_path / "browser-check.json").exists()
    pictures = markdown_image_links((tmp_path / "report.md").read_text())
    assert "assurance-case.svg" in pictures and "chart-hazards.svg" in pictures
    for picture in pictures:
        assert (tmp_path / picture).read_text().lstrip().startswith("<svg"), f"report.md shows {picture}"


BROKEN_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>pumpkernel broken</title></head><body>
<p id="here">text</p>
<a href="#here">fine</a> <a href="#nowhere">missing anchor</a> <a href="missing.html">missing file</a>
<a href="other.html#nope">missing anchor elsewhere</a> <a href="other.html#there">fine elsewhere</a>
<img src="missing.png" alt="missing">
<script>undefined_function_of_the_report();</script>
</body></html>
"""


def test_the_check_finds_errors_broken_links_and_missing_images(tmp_path: pathlib.Path) -> None:
    (tmp_path / "broken.html").write_text(BROKEN_PAGE)
    (tmp_path / "other.html").write_text('<!DOCTYPE html><html><body><p id="there">x</p></body></html>')
    [check] = check_pages(tmp_path, ("broken.html",), screenshots=False)
    assert any("undefined_function_of_the_report" in e for e in check.console_errors), check.console_errors
    broken = " ".join(check.broken_links)
    assert "#nowhere" in broken and "missing.html" in broken and "other.html#nope" in broken
    assert "#here" not in broken and "other.html#there" not in broken
    assert check.missing_images == ["missing.png"]
