"""The requirement exports are built by their own tools, warnings as errors.

* ``requirements.sdoc`` (``pumpkernel requirements --format sdoc``) is read
  and exported by StrictDoc (pinned in the ``evidence`` extra): exit 0, no
  warning or error in its output, every requirement with its status and a
  ``Parent`` relation to each of its hazard classes (StrictDoc refuses a
  relation to an unknown UID).
* ``requirements-needs.rst`` (``--format needs``) is built by Sphinx with
  sphinx-needs, ``-W --keep-going -n``: every requirement is a need with its
  ID, status and tags.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
from typing import Any

from pumpkernel.assurance.document import document
from pumpkernel.reqexport import needs, sdoc
from specs.requirements import HAZARDS, REQUIREMENTS
from tests.bundle.fakes import fake_verification, obligation_id

BIN = pathlib.Path(sys.executable).parent


def _rows(tmp_path: pathlib.Path) -> dict[str, dict[str, Any]]:
    verification = fake_verification(tmp_path / "run", results={obligation_id("LIM-1"): "failed"})
    return {row["id"]: row for row in document(verification)["traceability"]}


def _run(command: list[str], cwd: pathlib.Path) -> str:
    run = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, timeout=300)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    return output


def _walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for child in node.get("NODES", []):
        found += [child, *_walk(child)]
    return found


def test_strictdoc_builds_the_export(tmp_path: pathlib.Path) -> None:
    rows = _rows(tmp_path)
    source = tmp_path / "sdoc"
    source.mkdir()
    (source / "requirements.sdoc").write_text(sdoc(rows))
    output = _run(
        [str(BIN / "strictdoc"), "export", ".", "--formats", "json", "--output-dir", str(tmp_path / "out")], source
    )
    lowered = output.lower()
    assert "warning" not in lowered and "error" not in lowered, output[-3000:]
    [doc] = json.loads((tmp_path / "out" / "json" / "index.json").read_text())["DOCUMENTS"]
    nodes = {n["UID"]: n for n in _walk(doc) if n.get("_NODE_TYPE") == "REQUIREMENT"}
    assert set(nodes) == {r.id for r in REQUIREMENTS} | set(HAZARDS)
    for req in REQUIREMENTS:
        node = nodes[req.id]
        assert node["STATUS"] == rows[req.id]["result"].capitalize()
        assert node["STATEMENT"].strip() == req.statement
        assert {r["VALUE"] for r in node["RELATIONS"] if r["TYPE"] == "Parent"} == set(req.hazards)
    assert nodes["LIM-1"]["STATUS"] == "Open" and "SAFE/fake/LIM-1 failed" in nodes["LIM-1"]["COMMENT"]


def test_sphinx_needs_builds_the_export(tmp_path: pathlib.Path) -> None:
    rows = _rows(tmp_path)
    source = tmp_path / "rst"
    source.mkdir()
    (source / "index.rst").write_text(needs(rows))
    (source / "conf.py").write_text(
        'project = "pumpkernel"\nextensions = ["sphinx_needs"]\nneeds_build_json = True\nhtml_theme = "alabaster"\n'
    )
    out = tmp_path / "html"
    _run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-b", "html", ".", str(out)], source)
    data = json.loads((out / "needs.json").read_text())
    [version] = data["versions"].values()
    built = {need["title"]: need for need in version["needs"].values()}
    assert set(built) == {r.id for r in REQUIREMENTS}
    for req in REQUIREMENTS:
        need = built[req.id]
        assert need["id"] == "REQ_" + req.id.replace("-", "_")
        assert need["status"] == rows[req.id]["result"]
        assert set(req.hazards) <= set(need["tags"])
