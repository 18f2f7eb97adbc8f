"""Who may see what: the one rule for exempt information (Schedule 12A), read and sent.

A paper belongs to the stage it was attached for, and so to that stage's board.
A public paper may be seen by anyone the cycle's directory lists. An exempt
paper may be seen only by

- the board's members who take part in its business in private session: its
  voting members, its chair (voting or not) and its officers (the committee
  manager, the report author where they serve the board, ...); never its
  advisors or observers, who sit in public session only;
- the people who hold the stage's owner role (the report author who wrote it).

Nobody else, whatever their roles: an officer of another board, an admin or a
system process reads the public version. Every output (reminders, sign-off
records, the emails that carry them) and every entry point that shows or
exports information (the CLI, the web API and pages) calls these functions;
none keeps a rule of its own.

Pure: no database, broker or clock. Rows are read through the small protocols
below, which the `workflow.store.models` rows satisfy.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from workflow.definition.model import COMMANDS, Definition, Membership, Stage

PRIVATE_SESSION = (Membership.VOTING, Membership.VOTING_CHAIR, Membership.CHAIR, Membership.OFFICER)
"""Memberships entitled to a board's exempt papers; advisors and observers are not."""


class PaperLike(Protocol):
    """What the rule reads of a paper: whether it is exempt, and the stage it was attached for."""

    @property
    def exempt(self) -> bool: ...

    @property
    def stage(self) -> str | None: ...


class DocumentLike(Protocol):
    """What the rule reads of a document: its version (public or exempt) and the stage it records."""

    @property
    def version(self) -> str: ...

    @property
    def stage(self) -> str: ...


class MailLike(Protocol):
    """What the rule reads of an email: the address it was sent to."""

    @property
    def recipient(self) -> str: ...


P = TypeVar("P", bound=PaperLike)


def entitled_to_stage(definition: Definition, stage: Stage | str | None, person: str) -> bool:
    """May `person` see the exempt papers attached for `stage`?

    True for the stage board's voting members, chair and officers, and for the holders of the
    stage's owner role. A stage unknown to the definition entitles nobody (the rule fails closed).
    """
    found = definition.stages.get(stage or "") if isinstance(stage, str) or stage is None else stage
    if found is None or person not in definition.people:
        return False
    if found.owner and found.owner in definition.people[person].roles:
        return True
    board = definition.boards.get(found.board or "")
    return board is not None and any(member == person and kind in PRIVATE_SESSION
                                     for member, kind in board.members)


def entitled_people(definition: Definition, stage: Stage | str | None) -> set[str]:
    """Everyone entitled to the exempt papers of `stage`, for listing or testing."""
    return {person for person in definition.people if entitled_to_stage(definition, stage, person)}


def may_see_paper(definition: Definition, paper: PaperLike, person: str | None) -> bool:
    """May `person` (None: nobody in particular, the public) see this paper's title, file and comment?"""
    if not paper.exempt:
        return True
    return person is not None and entitled_to_stage(definition, paper.stage, person)


def visible_papers(definition: Definition, papers: Iterable[P], person: str | None) -> list[P]:
    """The papers `person` may see, in the order given."""
    return [paper for paper in papers if may_see_paper(definition, paper, person)]


def may_see_document(definition: Definition, document: DocumentLike, person: str | None) -> bool:
    """May `person` see this document? An exempt version names the exempt papers of the stage it records."""
    if document.version == "public":
        return True
    return person is not None and entitled_to_stage(definition, document.stage, person)


def is_addressee(definition: Definition, mail: MailLike, person: str | None) -> bool:
    """Was this email sent to `person`, as the definition lists them now?

    By address, not by directory id: a migration may give an id to someone else, or a person a new
    address, and an email belongs to the mailbox it went to.
    """
    found = definition.people.get(person or "")
    return found is not None and found.email.strip().lower() == mail.recipient.strip().lower()


def may_see_mail(definition: Definition, mail: MailLike, person: str | None, *,
                 papers: Iterable[PaperLike] = (), documents: Iterable[DocumentLike] = ()) -> bool:
    """May `person` read this email's subject, body and attachments?

    Only if they may see, now, every paper and document it carries: being its addressee is no
    exemption, since entitlement is read from the definition version the cycle runs on today (a
    board member made an observer by `cycle migrate` reads no more of the board's exempt email).
    Whose email it is (`is_addressee`) decides who may list it; this decides who may read it.
    """
    return (all(may_see_paper(definition, paper, person) for paper in papers)
            and all(may_see_document(definition, document, person) for document in documents))


def is_officer(definition: Definition, person: str) -> bool:
    """Does `person` run the cycle (hold a role the definition grants `start`, `decide` or `attach` to)?

    Officers may list every email and queue a failed one again. Being an officer entitles nobody to
    an exempt paper: that is `entitled_to_stage`'s business alone.
    """
    found = definition.people.get(person)
    if found is None:
        return False
    granted = {role for command in COMMANDS for role in definition.permissions.get(command, ())}
    return bool(granted & set(found.roles))


def may_manage_mail(definition: Definition, person: str) -> bool:
    """May `person` queue a failed or uncertain email again? Those who start cycles or attach papers."""
    found = definition.people.get(person)
    allowed = set(definition.permissions.get("start", ())) | set(definition.permissions.get("attach", ()))
    return found is not None and bool(allowed & set(found.roles))
