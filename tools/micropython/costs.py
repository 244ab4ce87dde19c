"""What the portable alternatives cost under CPython: ``python -m tools.micropython.costs``.

Theory of operation
-------------------
Each row times one operation in the form the kernel uses today and in its
portable alternative (docs/micropython.md), with ``timeit``: the statement is
run in batches of about 0.05 s (a quarter of ``Timer.autorange``), the rows
interleaved round by round, ``--rounds`` times, and the *fastest* batch gives
nanoseconds per operation (the fastest is the least disturbed by other
processes; the machine is shared, so figures vary from run to run, ratios
less).  Records have 6 integer fields (like
``MotorState``); tuples have the kernel's sizes (14 notice slots, an IOB ring
of 49).  Not a test: prints a table and exits 0.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import enum
import json
import sys
import timeit
from typing import NamedTuple

FIELDS = ("seq", "pending_pulses", "pending_ticks", "uncertain", "undisplaced_pulses", "high_pressure_samples")


@dataclasses.dataclass(frozen=True)
class FrozenDataclass:
    seq: int
    pending_pulses: int
    pending_ticks: int
    uncertain: int
    undisplaced_pulses: int
    high_pressure_samples: int


class ClassNamedTuple(NamedTuple):
    seq: int
    pending_pulses: int
    pending_ticks: int
    uncertain: int
    undisplaced_pulses: int
    high_pressure_samples: int


class FunctionalNamedTuple(
    NamedTuple(
        "FunctionalNamedTuple",
        [
            ("seq", int),
            ("pending_pulses", int),
            ("pending_ticks", int),
            ("uncertain", int),
            ("undisplaced_pulses", int),
            ("high_pressure_samples", int),
        ],
    )
):
    __slots__ = ()


class CollectionsSubclass(collections.namedtuple("CollectionsSubclass", FIELDS)):  # type: ignore[misc]
    __slots__ = ()


class SlotsClass:
    __slots__ = FIELDS

    def __init__(
        self,
        seq: int,
        pending_pulses: int,
        pending_ticks: int,
        uncertain: int,
        undisplaced_pulses: int,
        high_pressure_samples: int,
    ) -> None:
        self.seq = seq
        self.pending_pulses = pending_pulses
        self.pending_ticks = pending_ticks
        self.uncertain = uncertain
        self.undisplaced_pulses = undisplaced_pulses
        self.high_pressure_samples = high_pressure_samples


class Reason(enum.IntEnum):
    ACCEPTED = 0
    NOT_AN_EVENT = 1
    SETTINGS_INVALID = 30


class PlainReason:
    ACCEPTED = 0
    NOT_AN_EVENT = 1
    SETTINGS_INVALID = 30


class AlarmKind(enum.IntEnum):
    A0, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11 = range(12)


N_ALARMS = 12
KWARGS = "seq=1, pending_pulses=2, pending_ticks=3, uncertain=0, undisplaced_pulses=5, high_pressure_samples=6"


def _canonical(value: object) -> str:
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    if type(value) is str:
        return json.dumps(value)
    if type(value) is list:
        return "[" + ",".join(_canonical(item) for item in value) + "]"
    assert isinstance(value, dict)
    return "{" + ",".join(_canonical(key) + ":" + _canonical(value[key]) for key in sorted(value)) + "}"


def _record_body() -> object:
    """The body of a real persistence record (``kernel.record.encode``) as plain JSON values."""
    from kernel.config import DEFAULT_CONFIG
    from kernel.record import encode
    from kernel.state import initial_state

    return json.loads(encode(DEFAULT_CONFIG, initial_state(DEFAULT_CONFIG)).split(b"\n", 1)[1])


ROWS: tuple[tuple[str, str, str], ...] = (
    ("record: construct (keywords)", "FrozenDataclass", f"FrozenDataclass({KWARGS})"),
    ("", "typing.NamedTuple (class syntax)", f"ClassNamedTuple({KWARGS})"),
    ("", "NamedTuple functional, subclassed", f"FunctionalNamedTuple({KWARGS})"),
    ("", "collections.namedtuple subclass", f"CollectionsSubclass({KWARGS})"),
    ("", "__slots__ class", f"SlotsClass({KWARGS})"),
    ("record: replace one field", "dataclasses.replace", "dataclasses.replace(fd, pending_ticks=4)"),
    ("", "typing.NamedTuple (class syntax)", "cn._replace(pending_ticks=4)"),
    ("", "NamedTuple functional, subclassed", "fn._replace(pending_ticks=4)"),
    (
        "",
        "__slots__ class, rebuilt by hand",
        "SlotsClass(sc.seq, sc.pending_pulses, 4, sc.uncertain, sc.undisplaced_pulses, sc.high_pressure_samples)",
    ),
    ("record: read one field", "FrozenDataclass", "fd.pending_ticks"),
    ("", "typing.NamedTuple (class syntax)", "cn.pending_ticks"),
    ("", "NamedTuple functional, subclassed", "fn.pending_ticks"),
    ("", "__slots__ class", "sc.pending_ticks"),
    ("enum: code -> member", "Reason(code) (IntEnum)", "Reason(code)"),
    ("", "int(code) (plain int)", "int(code)"),
    ("enum: read a member", "Reason.SETTINGS_INVALID (IntEnum)", "Reason.SETTINGS_INVALID"),
    ("", "PlainReason.SETTINGS_INVALID (int)", "PlainReason.SETTINGS_INVALID"),
    ("enum: loop over 12 kinds", "for k in AlarmKind", "for k in AlarmKind: pass"),
    ("", "for k in range(N_ALARMS)", "for k in range(N_ALARMS): pass"),
    ("tuple: replace slot 9 of 14", "(*t[:9], v, *t[10:])", "(*t14[:9], 7, *t14[10:])"),
    ("", "t[:9] + (v,) + t[10:]", "t14[:9] + (7,) + t14[10:]"),
    ("tuple: shift a ring of 49", "(0, *ring[:-1])", "(0, *ring[:-1])"),
    ("", "(0,) + ring[:-1]", "(0,) + ring[:-1]"),
    ("zip two tuples of 49", "zip(a, b, strict=True)", "for x, y in zip(ring, ring, strict=True): pass"),
    ("", "zip(a, b)", "for x, y in zip(ring, ring): pass"),
    (
        "record text (persistence)",
        "json.dumps(sort_keys, separators)",
        "json.dumps(body, sort_keys=True, separators=SEP)",
    ),
    ("", "hand-written canonical encoder", "_canonical(body)"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21, help="timed batches per row (default 21)")
    args = parser.parse_args(argv)
    namespace = {
        **globals(),
        "fd": FrozenDataclass(1, 2, 3, 0, 5, 6),
        "cn": ClassNamedTuple(1, 2, 3, 0, 5, 6),
        "fn": FunctionalNamedTuple(1, 2, 3, 0, 5, 6),
        "sc": SlotsClass(1, 2, 3, 0, 5, 6),
        "code": 30,
        "t14": tuple(range(14)),
        "ring": tuple(range(49)),
        "body": _record_body(),
        "SEP": (",", ":"),
    }
    timers = [timeit.Timer(statement, globals=namespace) for _, _, statement in ROWS]
    numbers = [max(1, timer.autorange()[0] // 4) for timer in timers]  # batches of about 0.05 s
    best = [float("inf")] * len(ROWS)
    for _ in range(args.rounds):  # rows interleaved round by round: a load change hits them alike
        for index, timer in enumerate(timers):
            best[index] = min(best[index], timer.timeit(numbers[index]) / numbers[index] * 1e9)
    print(f"CPython {sys.version.split()[0]}; fastest of {args.rounds} interleaved batches; ns per operation")
    print("| operation | form | ns | ratio to the first form |\n|---|---|---:|---:|")
    first = 0.0
    for (operation, form, _), ns in zip(ROWS, best, strict=True):
        if operation:
            first = ns
        print(f"| {operation} | {form} | {ns:,.0f} | {ns / first:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
