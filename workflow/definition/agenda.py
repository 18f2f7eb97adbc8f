"""What a board's agenda holds besides its business, as the definition says (`boards.<id>.agenda:`).

    boards:
      safer_mk:
        agenda:
          standard: [apologies, minutes, interests, next_meeting]   # the default: all four
          items:                                                    # fixed items at every meeting
            - {title: Overview of Partnership Activity, purpose: For information}
          information: [consultation_plan]  # papers that are their own item "For information"
          notice: 5 working days            # clear working days before the meeting the agenda is issued by

Pure values: no database, broker or clock.
"""

from __future__ import annotations

from dataclasses import dataclass

STANDARD_ITEMS = ("apologies", "minutes", "interests", "next_meeting")
"""The standard items a definition may list, in the order an agenda has them; the default is all four.
The exclusion item is never listed: it is added when there is exempt business."""

OPENING = ("apologies", "minutes", "interests")
"""Standard items before the business; the others come after it."""

PURPOSES = ("For decision", "For information")

DEFAULT_NOTICE = 5
"""Clear working days between the issue of the agenda and the meeting (Local Government Act 1972, s.100B)."""


@dataclass(frozen=True)
class FixedItem:
    """An item the board has at every meeting, in the definition's words."""

    title: str
    purpose: str = ""  # one of PURPOSES, or "" for an item without one
    description: str = ""


@dataclass(frozen=True)
class BoardAgenda:
    """A board's standard items, fixed items, papers shown for information, and notice period."""

    standard: tuple[str, ...] = STANDARD_ITEMS
    items: tuple[FixedItem, ...] = ()
    information: tuple[str, ...] = ()  # paper ids
    notice: int = DEFAULT_NOTICE  # clear working days
