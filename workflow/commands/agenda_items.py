"""The items of a board meeting's agenda before the committee manager's changes: standard items, fixed items and
each cycle's business, in the order the seed pack has them.

Business: for each cycle at the meeting, for each stage signed off there, one item "For decision" per decision
gate of the board (titled by the gate), holding the papers that stage considers
(`entitlement.considering_stages`: attached for it, or for an earlier stage and named by it), the latest of
each; a paper the board's `agenda.information` names is an item of its own, "For information". An item whose
papers are all exempt is private; one with some exempt papers stays public with its public papers and gets a
private companion ("<title>: exempt information") with the others. A private item's title is the definition's
words (its gate's title, the paper's name in the definition), never an attached paper's own title. The author
is who attached the item's paper, else the first person holding the stage's owner role.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from workflow.definition import entitlement
from workflow.definition.agenda import OPENING
from workflow.definition.formatting import written_date
from workflow.definition.model import DecisionGate, Definition, Person, Stage
from workflow.store.models import Paper

from .agenda_values import FOR_DECISION, FOR_INFORMATION, AgendaItem, AgendaPaper
from .board_meeting import BoardMeeting

Entitled = Callable[[str | None], bool]
"""Given a person's email (None: the public), may they see the item's exempt papers?"""

STANDARD_TITLES = {
    "apologies": "Welcome, Introductions and Apologies",
    "minutes": "Minutes",
    "interests": "Disclosure of Interests",
    "next_meeting": "Date of Next Meeting",
    "exclusion": "Exclusion of Public and Press",
}
INTERESTS = ("Members to declare any disclosable pecuniary interests, or personal interests (including other "
             "pecuniary interests), they may have in the business to be transacted, and officers to disclose any "
             "interests they may have in any contract to be considered.")
PARAGRAPH = re.compile(r"paragraph (\d)", re.IGNORECASE)


@dataclass(frozen=True)
class Drafted:
    """An item before numbering, with who may see its exempt papers."""

    item: AgendaItem
    entitled: Entitled


def everyone(_: str | None) -> bool:
    return True


def paragraph_of(paper: Paper) -> int | None:
    """The Schedule 12A paragraph of an exempt paper (the attach command writes it into the reason), else None."""
    if not paper.exempt:
        return None
    found = PARAGRAPH.search(paper.exempt_reason or "")
    return int(found.group(1)) if found else 1  # an exempt paper without its paragraph is still kept private


def opening(meeting: BoardMeeting) -> list[Drafted]:
    """Apologies, minutes and interests, as the board's definition lists them."""
    board = meeting.home.boards[meeting.board]
    found = []
    for kind in (k for k in OPENING if k in board.agenda.standard):
        description = ""
        if kind == "minutes":
            held = f"held on {written_date(meeting.previous)}" if meeting.previous else "at its previous meeting"
            description = (f"To approve, and the Chair to sign as a correct record, the Minutes of the {board.name} "
                           f"{held}.")
        elif kind == "interests":
            description = INTERESTS
        found.append(Drafted(AgendaItem(0, f"std:{kind}", STANDARD_TITLES[kind], standard=kind,  # type: ignore[arg-type]
                                        description=description), everyone))
    for n, fixed in enumerate(board.agenda.items, start=1):
        found.append(Drafted(AgendaItem(0, f"fixed:{n}", fixed.title, purpose=fixed.purpose,  # type: ignore[arg-type]
                                        description=fixed.description), everyone))
    return found


def closing(meeting: BoardMeeting) -> list[Drafted]:
    """The date of the next meeting, if the board's definition lists it."""
    board = meeting.home.boards[meeting.board]
    if "next_meeting" not in board.agenda.standard:
        return []
    start = f" at {spoken_time(meeting.next_start)}" if meeting.next_start else ""
    description = (f"To note the next scheduled meeting of the {board.name} will be held on "
                   f"{meeting.next:%A} {written_date(meeting.next)}{start}." if meeting.next
                   else "To note the date of the next meeting, when it is set.")
    return [Drafted(AgendaItem(0, "std:next_meeting", STANDARD_TITLES["next_meeting"], standard="next_meeting",
                               description=description), everyone)]


def spoken_time(at: dt.time) -> str:
    """'2.00 pm', as the council writes a meeting's time."""
    return f"{(at.hour - 1) % 12 + 1}.{at.minute:02d} {'am' if at.hour < 12 else 'pm'}"


def exclusion(paragraphs: tuple[int, ...], board: str) -> AgendaItem:
    named = " and ".join(str(p) for p in paragraphs)
    description = (f"The public and press may be excluded from the remainder of the meeting by virtue of "
                   f"Paragraph{'s' if len(paragraphs) > 1 else ''} {named} of Part 1 of Schedule 12A of the Local "
                   f"Government Act 1972, in order that the {board} may consider the items that follow.")
    return AgendaItem(0, "std:exclusion", STANDARD_TITLES["exclusion"], standard="exclusion",
                      description=description)


def business(meeting: BoardMeeting, papers: dict[int, list[Paper]]) -> list[Drafted]:
    """Each cycle's items, in cycle order then the definition's stage order."""
    found: list[Drafted] = []
    for at in meeting.cycles:
        for stage in at.stages:
            found.extend(_stage_items(meeting, at.cycle.id, at.cycle.key, at.definition, stage,
                                      papers.get(at.cycle.id, [])))
    return found


def _stage_items(meeting: BoardMeeting, cycle_id: int, key: str, definition: Definition, stage: Stage,
                 rows: list[Paper]) -> list[Drafted]:
    gates: list[DecisionGate] = []
    for transition in definition.transitions_from(stage.id):
        gates.extend(g for g in transition.gates if isinstance(g, DecisionGate) and g.board == meeting.board
                     and g.item not in {x.item for x in gates})
    # The latest public and the latest exempt paper of each of the definition's papers: a public report and its
    # exempt annex attached for the same stage are both the board's business, one in public and one in private.
    latest: dict[tuple[str, bool], Paper] = {}
    for paper in rows:
        if stage.id in entitlement.considering_stages(definition, paper.paper, paper.stage):
            latest[(paper.paper, paper.exempt)] = paper
    information = definition.boards[meeting.board].agenda.information
    found: list[Drafted] = []
    for gate in gates:
        mine = [p for p in latest.values() if p.paper not in information
                and (p.paper == gate.item or (gate is gates[0] and p.paper not in {g.item for g in gates}))]
        title = gate.title or definition.item_title(meeting.board, gate.item)
        found.extend(_split(definition, stage, f"cycle:{cycle_id}:{gate.item}", title, FOR_DECISION, cycle_id, key,
                            mine, _author(definition, stage, mine, gate.item)))
    for paper_id in information:
        kept = [latest[(paper_id, exempt)] for exempt in (False, True) if (paper_id, exempt) in latest]
        if kept:
            found.extend(_split(definition, stage, f"cycle:{cycle_id}:info:{paper_id}",
                                definition.papers.get(paper_id, paper_id), FOR_INFORMATION, cycle_id, key, kept,
                                _author(definition, stage, kept, paper_id)))
    return found


def _split(definition: Definition, stage: Stage, item_key: str, title: str, purpose: str, cycle_id: int, key: str,
           papers: list[Paper], author: Person | None) -> list[Drafted]:
    """The item, public with its public papers; and its exempt papers as a private item (all of it if all are)."""
    public = [p for p in papers if not p.exempt]
    exempt = [p for p in papers if p.exempt]
    name, role = ((author.name or author.title), author.title) if author else ("", "")
    found = []
    if public or not exempt:
        found.append(Drafted(AgendaItem(0, item_key, title, purpose, cycle_id=cycle_id, reference=key,  # type: ignore[arg-type]
                                        author_name=name, author_title=role, papers=tuple(_paper(p) for p in public)),
                             everyone))
    if exempt:
        paragraph = min(p for p in (paragraph_of(x) for x in exempt) if p is not None)
        private_key, private_title = (item_key, title) if not public else \
            (f"{item_key}:exempt", f"{title}: exempt information")

        def entitled(email: str | None, rows: list[Paper] = exempt) -> bool:
            person = entitlement_person(definition, email)
            return person is not None and all(entitlement.may_see_paper_at(definition, p, stage.id, person)
                                              for p in rows)

        found.append(Drafted(AgendaItem(0, private_key, private_title, purpose, cycle_id=cycle_id, reference=key,  # type: ignore[arg-type]
                                        author_name=name, author_title=role, papers=tuple(_paper(p) for p in exempt),
                                        exempt_paragraph=paragraph),
                             entitled))
    return found


def entitlement_person(definition: Definition, email: str | None) -> str | None:
    """The person id of `email` in this definition's directory (None: the public, or someone it does not list)."""
    if email is None:
        return None
    wanted = email.strip().lower()
    return next((p.id for p in definition.people.values() if p.email.lower() == wanted), None)


def _paper(paper: Paper) -> AgendaPaper:
    return AgendaPaper(paper.id, paper.title, paper.filename, paper.media_type, paragraph_of(paper))


def _author(definition: Definition, stage: Stage, papers: list[Paper], item: str) -> Person | None:
    chosen = next((p for p in papers if p.paper == item), papers[0] if papers else None)
    if chosen is not None and chosen.attached_by in definition.people:
        return definition.people[chosen.attached_by]
    return next((p for p in definition.people.values() if stage.owner in p.roles), None) if stage.owner else None
