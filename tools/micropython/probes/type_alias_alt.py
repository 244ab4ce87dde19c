# Type aliases and typing-only imports under a local TYPE_CHECKING (mypy treats the name as true),
# used in quoted annotations.
TYPE_CHECKING = False


class Deliver:
    pass


class Alarm:
    pass


if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    NoticeSlot = tuple[bool, int, int, int]
    Command = Deliver | Alarm


def first(slots: "Sequence[NoticeSlot]", extra: "Any") -> "Command | None":
    return None


print(first(((True, 1, 2, 3),), 0))
