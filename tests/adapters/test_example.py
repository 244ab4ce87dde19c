"""The embedding guide's shell example (examples/shell_pump.py) runs."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def test_shell_pump_example(tmp_path: Path) -> None:
    path = Path(__file__).resolve().parents[2] / "examples" / "shell_pump.py"
    spec = importlib.util.spec_from_file_location("shell_pump", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    figures = module.main(tmp_path)
    assert figures["tick"] == 120 and 190 < figures["reservoir_units"] < 200
