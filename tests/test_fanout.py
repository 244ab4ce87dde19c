"""``pumpkernel.fanout``: the same results, in input order, serially and in worker processes; no Dask unless asked."""

from __future__ import annotations

import subprocess
import sys

from pumpkernel.fanout import fan_out


def square_and_pid(n: int) -> tuple[int, int]:
    import os

    return n * n, os.getpid()


def test_serial_and_processes_give_the_same_list_in_input_order() -> None:
    done: list[int] = []
    serial = fan_out(square_and_pid, list(range(7)), processes=1, on_done=done.append)
    parallel = fan_out(square_and_pid, list(range(7)), processes=2)
    assert [r for r, _ in serial] == [r for r, _ in parallel] == [n * n for n in range(7)]
    assert done == list(range(7))
    import os

    assert {pid for _, pid in serial} == {os.getpid()}
    assert os.getpid() not in {pid for _, pid in parallel}
    assert fan_out(square_and_pid, [], processes=2) == []


def test_dask_is_not_imported_without_an_address() -> None:
    code = (
        "import sys\n"
        "from pumpkernel import cli, fanout, simulate\n"
        "assert fanout.fan_out(abs, [-1, 2], processes=1) == [1, 2]\n"
        "dask = [m for m in sys.modules if m == 'dask' or m.startswith(('dask.', 'distributed'))]\n"
        "assert not dask, dask\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
