"""Reference specification of command emission: which commands a step's effects must become.

Theory of operation
-------------------
A step's decision is its fixed-shape effects (``kernel.commands.Effects``);
the pump then emits commands.  What it must emit, stated plainly:

* one ``Deliver`` exactly when the effects command a positive number of
  pulses, carrying the effects' sequence number, pulses, purpose, and basal
  and bolus parts (DLV-1);
* one ``Alarm`` for each alarm kind the effects announce, in ``AlarmKind``
  order, with that kind's priority (ALM-1) and the effects' repetition count
  (0 for a new alarm, 1..3 when unacknowledged alarms are announced again;
  when that count is due is ``specs.reference_safety``'s, proved by
  ``proofs.families.alarm_burden``);
* one ``Notice`` for each notice slot shown, in ``NoticeKind`` order, with the
  slot's three values;
* in that order: the ``Deliver`` first, then alarms, then notices.

``expected_commands`` gives that list as ``(present, key, fields)`` with
``key`` naming the command (``("deliver",)``, ``("alarm", kind)``,
``("notice", kind)``); ``emitted_as_expected`` compares it with the emitted
command slots: the same commands present, in the same order, with the same
fields.  The priority table ``kernel.alarms.PRIORITY`` is data, read here as
the definition of each kind's priority.  ``split_ok`` is the meaning of the
basal and bolus parts: for therapy they add up to the pulses; priming and
cannula fill carry neither (RES-3).

Units: ``_pulses``.
"""

from __future__ import annotations

from typing import Any

from kernel.alarms import PRIORITY, AlarmKind
from kernel.commands import CommandKind, Effects, NoticeKind, Purpose
from kernel.logic import Logic

Key = tuple[Any, ...]


def expected_commands(fx: Effects, L: Logic) -> list[tuple[Any, Key, tuple[Any, ...]]]:
    """Every command the effects call for, in emission order, with whether it is present."""
    expected: list[tuple[Any, Key, tuple[Any, ...]]] = [
        (
            fx.deliver_pulses > 0,
            ("deliver",),
            (fx.deliver_seq, fx.deliver_pulses, fx.deliver_purpose, fx.deliver_basal_pulses, fx.deliver_bolus_pulses),
        )
    ]
    for kind in AlarmKind:
        expected.append((fx.announce[kind], ("alarm", int(kind)), (int(kind), int(PRIORITY[kind]), fx.alarm_repeat)))
    for notice_kind in NoticeKind:
        shown, a, b, c = fx.notices[notice_kind]
        expected.append((shown, ("notice", int(notice_kind)), (int(notice_kind), a, b, c)))
    return expected


def _key(kind: int, fields: tuple[Any, ...]) -> Key:
    if kind == CommandKind.DELIVER:
        return ("deliver",)
    return ("alarm" if kind == CommandKind.ALARM else "notice", int(fields[0]))


def emitted_as_expected(slots: tuple[tuple[Any, int, tuple[Any, ...]], ...], fx: Effects, L: Logic) -> Any:
    """The emitted slots are exactly the expected commands (present alike, same order, same fields)."""
    expected = expected_commands(fx, L)
    order = [key for _, key, _ in expected]
    emitted: dict[Key, tuple[Any, tuple[Any, ...]]] = {}
    positions: list[int] = []
    for present, kind, fields in slots:
        key = _key(kind, fields)
        if key in emitted or key not in order:
            return False
        emitted[key] = (present, fields)
        positions.append(order.index(key))
    if positions != sorted(positions):
        return False
    conds = []
    for present, key, fields in expected:
        if key not in emitted:
            conds.append(L.not_(present))
            continue
        out_present, out_fields = emitted[key]
        if len(out_fields) != len(fields):
            return False
        conds.append(out_present == present)
        conds.append(L.either(L.not_(present), L.all(*(x == y for x, y in zip(out_fields, fields, strict=True)))))
    return L.all(*conds)


def split_ok(purpose: Any, pulses: Any, basal: Any, bolus: Any, L: Logic) -> Any:
    """Therapy: basal and bolus parts non-negative and adding up to the pulses; priming, cannula: neither."""
    therapy = L.all(basal >= 0, bolus >= 0, basal + bolus == pulses)
    priming = L.both(basal == 0, bolus == 0)
    return L.ite(purpose == int(Purpose.THERAPY), therapy, priming)
