"""Benchmark: what the dose journal costs per shell step, with and without ``fsync``.

Run as ``python -m tools.bench_journal [--ticks N] [--dir PATH]``.  Not a
test: it prints a table and exits 0.

What is measured.  Two shells run the same delivering pump (1 pulse a minute
of basal: one motor command, hence one journal append, per tick) for N ticks
with a ``FileStore`` in a fresh directory under ``--dir``: one without a
dose journal, one with a ``FileJournal``.  For each, the wall time per tick
(kernel step, record save, journal append, simulated motor) is the median of
batches of 20 ticks; the journal's own cost is the difference, and the time
inside ``FileJournal.append`` alone is timed directly too.  Both with
``fsync`` (as on a pump) and without (the cost of the code alone).  The
figures depend on the storage and on the machine's load.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from adapters.journal import FileJournal, JournalEntry
from adapters.motor import SimulatedMotor
from adapters.persistence import FileStore
from adapters.shell import PumpShell, RecordingDisplay
from kernel import events as ev
from kernel.config import DEFAULT_CONFIG as C
from kernel.settings import make_settings

BATCH = 20


class TimedJournal(FileJournal):
    """A ``FileJournal`` that adds up the time spent in ``append``."""

    spent_s = 0.0

    def append(self, entry: JournalEntry) -> None:
        started = time.perf_counter()
        super().append(entry)
        self.spent_s += time.perf_counter() - started


def run(directory: Path, ticks: int, *, journal: bool, fsync: bool) -> tuple[float, float]:
    """Median seconds per tick, and mean seconds per journal append (0 without a journal)."""
    doses = TimedJournal(directory, fsync=fsync) if journal else None
    store = FileStore(directory, fsync=fsync)
    shell = PumpShell.start(C, motor=SimulatedMotor(), display=RecordingDisplay(), store=store, journal=doses)
    therapy = make_settings(C, basal_segments_mu_per_hour=((0, 3000),), auto_off_hours=0, lgs_enabled=False)
    for event in (
        ev.SettingsChange(0, therapy),
        ev.FillReservoir(0, 4000),
        ev.PrimeTubing(0, 20),
        ev.FillCannula(0, 10),
        ev.Resume(0),
    ):
        shell.submit(event)
    if doses is not None:
        doses.spent_s = 0.0
    appends_before = shell.counters.journal_appends
    batches = []
    for _ in range(ticks // BATCH):
        started = time.perf_counter()
        for _ in range(BATCH):
            shell.tick()
        batches.append((time.perf_counter() - started) / BATCH)
    appends = shell.counters.journal_appends - appends_before
    per_append = doses.spent_s / appends if doses is not None and appends else 0.0
    return statistics.median(batches), per_append


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench_journal", description=__doc__.split("\n")[0])
    parser.add_argument("--ticks", type=int, default=400)
    parser.add_argument("--dir", type=Path, default=None, help="where the stores go (default: a temporary directory)")
    args = parser.parse_args(argv)
    print(f"{args.ticks} ticks per case, median of batches of {BATCH}; one journal append per tick")
    print(f"{'fsync':<6} {'no journal ms/tick':>19} {'journal ms/tick':>16} {'difference ms':>14} {'append ms':>10}")
    with tempfile.TemporaryDirectory(dir=args.dir) as scratch:
        root = Path(scratch)
        for fsync in (True, False):
            without, _ = run(root / f"plain-{fsync}", args.ticks, journal=False, fsync=fsync)
            with_journal, append_s = run(root / f"journal-{fsync}", args.ticks, journal=True, fsync=fsync)
            print(
                f"{'yes' if fsync else 'no':<6} {without * 1e3:>19.3f} {with_journal * 1e3:>16.3f} "
                f"{(with_journal - without) * 1e3:>14.3f} {append_s * 1e3:>10.3f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
