"""Recovery after an unreadable record: rebuild the last 24 hours from the dose journal, or assume the worst (PER-4).

Theory of operation
-------------------
When the record is unreadable the shell locks (PER-3); the user's action
(``PumpShell.replace_unreadable_record``) builds a replacement state with
``kernel.recovery.replacement_state``.  This module decides what that state
is told about the past, from what the dose journal (``adapters.journal``)
says, and words the reason the user is shown.

The decision table (``plan_recovery``), in order; the first row that applies
decides:

=====================================================  ===========================
dose journal                                           replacement state
=====================================================  ===========================
the record is of another device configuration          worst case assumed
(its journal counts another pulse size)
not kept by this shell, missing, or unreadable         worst case assumed
(damaged header or a damaged whole line)
last line cut short and does not parse                 worst case assumed
started less than 24 h before now (``since`` later     worst case assumed
than now - 24 h): the hours before are unknown
a gap in one motor session's sequence numbers          worst case assumed
(an entry lost)
otherwise                                              rebuilt from the journal
=====================================================  ===========================

"Rebuilt": every entry of the last 24 hours (the cut-short last line too,
when it parses: a command written to the journal counts as delivered, like
an uncertain delivery, LIM-5), one per ``(session, seq)`` with the larger
pulse count if it was written twice (a step run again after a restart), as
``(ticks_ago, pulses)`` with ``ticks_ago = (now_s - at_s) // 60`` (rounded
down: a delivery looks more recent, so it stays in the windows longer) and
entries dated after now counted as now.  If ``replacement_state`` still
refuses the history (more than the hourly or daily limit of the settings
given: the user lowered them, or duplicates from crashes added up), the
shell falls back to the worst case and says so.

"Worst case assumed": ``replacement_state`` with no history: hour and day
windows full, insulin on board at max IOB, automated dosing refused with
``HISTORY_UNKNOWN`` for 24 hours (``kernel.recovery``).

Units: ``_s`` seconds, ``_ticks``, ``_pulses``.  Requirements served: PER-4,
PER-3, LIM-5.  The dosing consequences are the kernel's.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from adapters.clock import TICK_S
from adapters.journal import (
    KEEP_S,
    DoseJournal,
    JournalEntry,
    JournalMissing,
    JournalRead,
    JournalState,
    JournalUnreadable,
)
from kernel.config import PumpConfig
from kernel.recovery import replacement_state
from kernel.settings import TherapySettings
from kernel.state import PumpState
from kernel.units import TICKS_PER_DAY


class ShellNotice(enum.Enum):
    """What the shell tells the user about the dose history (``Display.shell_notice``)."""

    HISTORY_REBUILT = "the last 24 hours of delivery were rebuilt from the dose journal"
    HISTORY_ASSUMED = (
        "the last 24 hours of delivery are unknown: the worst case is assumed (limits reached, "
        "insulin on board at its maximum, automated dosing off for 24 hours)"
    )
    JOURNAL_RESTARTED = (
        "the dose journal was restarted: if the record is lost within 24 hours, the worst case will be assumed"
    )


@dataclass(frozen=True)
class RecoveryPlan:
    """The history for ``replacement_state`` (``None``: assume the worst) and why."""

    notice: ShellNotice
    deliveries: tuple[tuple[int, int], ...] | None
    reason: str

    @property
    def message(self) -> str:
        """What the user is told."""
        return f"{self.notice.value} ({self.reason})"


def worst_case(reason: str) -> RecoveryPlan:
    """The plan when nothing about the last 24 hours can be trusted."""
    return RecoveryPlan(ShellNotice.HISTORY_ASSUMED, None, reason)


def _gap(entries: tuple[JournalEntry, ...]) -> JournalEntry | None:
    """The first entry that does not follow the previous one of its motor session (same or next ``seq``)."""
    last_seq: dict[int, int] = {}
    for entry in entries:
        previous = last_seq.get(entry.session)
        if previous is not None and entry.seq not in (previous, previous + 1):
            return entry
        last_seq[entry.session] = entry.seq
    return None


def plan_recovery(journal: JournalState | None, now_s: int) -> RecoveryPlan:
    """Decide what the replacement state is told about the last 24 hours (decision table above).

    ``journal`` is what the dose journal read back (``None``: this shell keeps
    none); ``now_s`` the real-time-clock second of the replacement.
    """
    if journal is None:
        return worst_case("this pump keeps no dose journal")
    if isinstance(journal, JournalMissing):
        return worst_case("the dose journal is missing")
    if isinstance(journal, JournalUnreadable):
        return worst_case(journal.reason)
    assert isinstance(journal, JournalRead)
    if journal.torn_unparsed:
        return worst_case("the dose journal's last entry was cut short and cannot be read")
    if journal.since_s is not None and journal.since_s > now_s - KEEP_S:
        return worst_case("the dose journal covers less than the last 24 hours")
    entries = journal.entries + ((journal.torn,) if journal.torn is not None else ())
    gap = _gap(entries)
    if gap is not None:
        return worst_case(f"the dose journal misses commands before session {gap.session} command {gap.seq}")
    pulses: dict[tuple[int, int], tuple[int, int]] = {}
    for entry in entries:
        ticks_ago = max(0, now_s - entry.at_s) // TICK_S
        if ticks_ago < TICKS_PER_DAY and entry.therapy_pulses > 0:
            key = (entry.session, entry.seq)
            earlier = pulses.get(key, (ticks_ago, 0))
            pulses[key] = (min(earlier[0], ticks_ago), max(earlier[1], entry.therapy_pulses))
    deliveries = tuple(pulses[key] for key in sorted(pulses))
    torn = " (its last entry was cut short: counted as delivered)" if journal.torn is not None else ""
    total = sum(p for _, p in deliveries)
    return RecoveryPlan(
        ShellNotice.HISTORY_REBUILT,
        deliveries,
        f"{len(deliveries)} deliveries, {total} pulses in the last 24 hours{torn}",
    )


def journal_on_start(journal: DoseJournal, now_s: int, new_pump: bool) -> str | None:
    """Ready the journal when the record is good (or new); the reason if it had to be restarted.

    A new pump starts a journal that knows everything (``since`` new).  With a
    readable record, a torn last line is made whole or cut off (the record is
    the truth: a line written before a save the record does not hold belongs
    to a step that is run again), and a missing or unreadable journal is put
    aside and started again, complete only from now.
    """
    if new_pump:
        journal.start(None)
        return None
    read = journal.read()
    if isinstance(read, JournalRead):
        journal.repair()
        return None
    reason = "the dose journal is missing" if isinstance(read, JournalMissing) else read.reason
    journal.quarantine()
    journal.start(now_s)
    return reason


def replacement(
    config: PumpConfig,
    settings: TherapySettings,
    journal: DoseJournal | None,
    now_s: int,
    time_of_day_ticks: int,
    unusable: str | None = None,
) -> tuple[RecoveryPlan, PumpState]:
    """The plan and the replacement state (kernel time 0 at ``now_s``); falls back to the worst case if the
    kernel refuses the rebuilt history, and takes it at once when ``unusable`` says why the journal cannot
    be used.  Raises ``ValueError`` for invalid settings."""
    plan = worst_case(unusable) if unusable else plan_recovery(journal.read() if journal else None, now_s)
    try:
        state = replacement_state(config, settings, time_of_day_ticks=time_of_day_ticks, deliveries=plan.deliveries)
    except ValueError as problem:
        if plan.deliveries is None:
            raise
        plan = worst_case(f"the dose journal cannot be used: {problem}")
        state = replacement_state(config, settings, time_of_day_ticks=time_of_day_ticks, deliveries=None)
    return plan, state


def carry_on(journal: DoseJournal, plan: RecoveryPlan, now_s: int) -> None:
    """After the replacement: keep the journal that rebuilt the history, or put it aside and start again."""
    if plan.deliveries is None:
        journal.quarantine()
        journal.start(now_s)
    else:
        journal.repair()
