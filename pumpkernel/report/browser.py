"""Open every HTML page of a bundle in headless Chromium: JavaScript errors, broken links, missing images, screenshots.

Theory of operation
-------------------
``check_pages(folder, pages)`` starts Debian's Chromium (``/usr/bin/chromium``)
through its ``chromedriver`` with Selenium, headless, with a fresh profile and
every background network feature off (this machine has no network: without
those flags Chromium waits on it), and for each page:

* loads it from ``file://`` and reads the browser's console log: any
  ``SEVERE`` entry (a JavaScript error, a resource that failed to load) is a
  problem;
* checks every ``<img>`` (loaded, non-zero natural width) and every SVG
  ``<image>``;
* checks every link: ``#id`` must name an element of the page; a relative
  link must name a file of the bundle (and its ``#id``, when it has one, an
  element of that page); ``http(s)`` links are listed (a bundle reads offline);
* stores a screenshot of the top of the page (PNG, 1280 x 1600 px) in
  ``<folder>/screenshots/<page>.png``.

It returns one ``PageCheck`` per page.  ``write_check(folder, checks)`` writes
``browser-check.json``.  ``chromium_available()`` says whether it can run.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import unquote, urlparse

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)
WINDOW = (1280, 1600)


@dataclass
class PageCheck:
    """What the browser found on one page."""

    page: str
    title: str = ""
    console_errors: list[str] = field(default_factory=list)
    broken_links: list[str] = field(default_factory=list)
    missing_images: list[str] = field(default_factory=list)
    external_links: list[str] = field(default_factory=list)
    links_checked: int = 0
    images_checked: int = 0
    screenshots: list[str] = field(default_factory=list)
    height_px: int = 0

    @property
    def problems(self) -> list[str]:
        return (
            [f"console: {e}" for e in self.console_errors]
            + [f"broken link: {b}" for b in self.broken_links]
            + [f"missing image: {m}" for m in self.missing_images]
        )


def chromium_available() -> bool:
    """Whether Chromium, its driver and Selenium are installed."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return False
    return pathlib.Path(CHROMIUM).exists() and pathlib.Path(CHROMEDRIVER).exists()


def _driver(profile: str) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={WINDOW[0]},{WINDOW[1]}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    return driver


_LINKS_JS = """
const out = {ids: [], links: [], images: []};
for (const e of document.querySelectorAll('[id]')) out.ids.push(e.id);
for (const a of document.querySelectorAll('a[href]')) out.links.push(a.getAttribute('href'));
for (const a of document.querySelectorAll('a')) {
  const x = a.getAttributeNS('http://www.w3.org/1999/xlink', 'href');
  if (x) out.links.push(x);
}
for (const i of document.images) out.images.push([i.getAttribute('src') || '', i.complete && i.naturalWidth > 0]);
for (const i of document.querySelectorAll('image')) {
  out.images.push([i.getAttribute('href') || i.getAttributeNS('http://www.w3.org/1999/xlink', 'href') || '', true]);
}
out.height = document.documentElement.scrollHeight;
return out;
"""


def _ids_of(driver: Any, folder: pathlib.Path, page: str, cache: dict[str, set[str]]) -> set[str]:
    if page not in cache:
        driver.get((folder / page).resolve().as_uri())
        cache[page] = set(driver.execute_script(_LINKS_JS)["ids"])
    return cache[page]


def check_pages(folder: pathlib.Path, pages: tuple[str, ...], screenshots: bool = True) -> list[PageCheck]:
    """Open each page of ``folder`` in headless Chromium (see module docstring)."""
    checks = []
    shots = folder / "screenshots"
    if screenshots:
        shots.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pumpkernel-chromium-") as profile:
        driver = _driver(profile)
        try:
            ids_cache: dict[str, set[str]] = {}
            for page in pages:
                check = PageCheck(page)
                driver.get((folder / page).resolve().as_uri())
                check.title = driver.title
                found = driver.execute_script(_LINKS_JS)
                check.height_px = int(found["height"])
                ids_cache[page] = set(found["ids"])
                check.console_errors = [
                    str(entry.get("message", ""))
                    for entry in driver.get_log("browser")
                    if entry.get("level") == "SEVERE"
                ]
                if screenshots:
                    target = shots / (pathlib.Path(page).stem + ".png")
                    driver.save_screenshot(str(target))
                    check.screenshots.append(str(target.relative_to(folder)))
                for src, loaded in found["images"]:
                    check.images_checked += 1
                    if not loaded or (src and not src.startswith("data:") and not _exists(folder, page, src)):
                        check.missing_images.append(src or "(no src)")
                links = list(found["links"])
                check.links_checked = len(links)
                for href in links:
                    problem = _link_problem(driver, folder, page, href, ids_cache)
                    if problem == "external":
                        check.external_links.append(href)
                    elif problem:
                        check.broken_links.append(f"{href} ({problem})")
                checks.append(check)
        finally:
            driver.quit()
    return checks


def _exists(folder: pathlib.Path, page: str, src: str) -> bool:
    parsed = urlparse(src)
    if parsed.scheme in ("http", "https"):
        return False
    path = unquote(parsed.path)
    return not path or ((folder / page).parent / path).resolve().exists()


def _link_problem(driver: Any, folder: pathlib.Path, page: str, href: str, cache: dict[str, set[str]]) -> str:
    parsed = urlparse(href)
    if parsed.scheme in ("http", "https", "mailto"):
        return "external"
    if parsed.scheme and parsed.scheme != "file":
        return f"unexpected scheme {parsed.scheme}"
    target_page = page
    if parsed.path:
        target = ((folder / page).parent / unquote(parsed.path)).resolve()
        if not target.exists():
            return "no such file in the bundle"
        try:
            target_page = str(target.relative_to(folder.resolve()))
        except ValueError:
            return "outside the bundle"
    if parsed.fragment:
        if not target_page.endswith(".html"):
            return ""
        if parsed.fragment not in _ids_of(driver, folder, target_page, cache):
            return f"no element with id {parsed.fragment!r} in {target_page}"
    return ""


def write_check(folder: pathlib.Path, checks: list[PageCheck]) -> pathlib.Path:
    """``browser-check.json``: every page with what was found (and the Chromium used)."""
    path = folder / "browser-check.json"
    data = {
        "browser": _version(),
        "pages": [{**asdict(c), "problems": c.problems} for c in checks],
    }
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def _version() -> str:
    import subprocess

    chromium = shutil.which("chromium") or CHROMIUM
    try:
        run = subprocess.run([chromium, "--version"], capture_output=True, text=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return run.stdout.strip() or "unknown"
