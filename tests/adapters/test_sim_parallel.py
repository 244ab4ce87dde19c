"""Simulation runs are a function of their seed: bit-identical serially, in worker processes and on Dask."""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from adapters.simulation import sim_available

pytestmark = pytest.mark.skipif(not sim_available(), reason="the sim extra (simglucose) is not installed")


def _args(out: Path, **changes: Any) -> argparse.Namespace:
    from pumpkernel import simulate

    argv = ["--patients", "adolescent#002,child#004", "--hours", "3", "--seed", "3", "--no-plot", "--out", str(out)]
    args = simulate.arguments(argv)
    for key, value in changes.items():
        setattr(args, key, value)
    return args


def _outcome(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "summary.json").read_text())
    data.pop("timing")
    for key in ("processes", "dask"):
        data["run"].pop(key)
    return data


def test_serial_and_parallel_runs_are_bit_identical(tmp_path: Path) -> None:
    from pumpkernel import simulate

    serial = simulate.simulate_all(_args(tmp_path, jobs=1))
    parallel = simulate.simulate_all(_args(tmp_path, jobs=2))
    assert [r.patient for r in parallel] == ["adolescent#002", "child#004"]
    assert [r.outcome() for r in serial] == [r.outcome() for r in parallel]
    assert simulate.measure(_args(tmp_path), serial).outcome() == simulate.measure(_args(tmp_path), parallel).outcome()
    assert all(len(r.bg_mgdl) == 180 and r.readings and r.steps > 180 for r in serial)


@pytest.mark.skipif(importlib.util.find_spec("distributed") is None, reason="the dist extra (Dask) is not installed")
def test_dask_local_cluster_gives_the_local_summaries(tmp_path: Path) -> None:
    from distributed import LocalCluster

    from pumpkernel import simulate

    assert simulate.run(_args(tmp_path / "local", jobs=2)) == 0
    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None)  # type: ignore[no-untyped-call]
    with cluster:
        assert simulate.run(_args(tmp_path / "dask", dask=cluster.scheduler_address)) == 0
    local, on_dask = _outcome(tmp_path / "local"), _outcome(tmp_path / "dask")
    assert local == on_dask and local["patients"][0]["patient"] == "adolescent#002"


def test_pumpkernel_simulate_without_dask_does_not_import_it(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from pumpkernel.cli import main\n"
        f"assert main(['simulate', '--patients', 'adult#002', '--hours', '1', '--jobs', '1', '--no-plot', "
        f"'--out', {str(tmp_path)!r}]) == 0\n"
        "assert 'dask' not in sys.modules and 'distributed' not in sys.modules, 'dask imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    assert json.loads((tmp_path / "summary.json").read_text())["run"]["patients"] == ["adult#002"]
