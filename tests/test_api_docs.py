"""The API reference builds (pdoc, ``make api-docs``) and names the builder API; the kernel ships ``py.typed``."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tools.api_docs import build

ROOT = Path(__file__).resolve().parent.parent


def test_api_reference_builds_and_names_the_builder_api(tmp_path: Path) -> None:
    pages, _seconds = build(tmp_path)
    start = (tmp_path / "kernel.html").read_text(encoding="utf-8")
    for name in (
        "step",
        "initial_state",
        "start_state",
        "config_from_units",
        "settings_from_units",
        "calculator_settings_from_units",
        "insulin_on_board_mu",
        "reservoir_room_mu",
        "limit_room_mu",
        "glucose_use",
        "LgsEnd",
        "GlucoseUse",
        "BuildProblem",
        "RecordProblem",
        "encode",
        "decode",
    ):
        assert f'id="{name}"' in start, name
    builder = (tmp_path / "kernel" / "builder.html").read_text(encoding="utf-8")
    assert "never raises" in builder
    assert (tmp_path / "adapters" / "shell.html").is_file()
    assert not (tmp_path / "adapters" / "simulation.html").exists()
    assert pages >= 40


def test_kernel_is_typed_for_its_users() -> None:
    """PEP 561: ``kernel/py.typed`` exists and is package data (a wheel carries it)."""
    assert (ROOT / "kernel" / "py.typed").is_file()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in project["tool"]["setuptools"]["package-data"]["kernel"]
