# Type aliases and typing-only imports under a local TYPE_CHECKING (mypy treats the name as true).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    NoticeSlot = tuple[bool, int, int, int]
    Command = Deliver | Alarm


class Deliver:
    pass


class Alarm:
    pass


def first(slots: "Sequence[NoticeSlot]", extra: "Any") -> "Command | None":
    return None


print(first(((True, 1, 2, 3),), 0))
