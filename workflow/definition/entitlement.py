"""Who may see what: the one rule for exempt information (Schedule 12A), read and sent.

A paper is considered at the stage it was attached for and at every later stage
that names it (`considering_stages`): the strategic assessment attached for the
Risk Board's sign-off is also what Safer MK decides on in September. A public
paper may be seen by anyone the cycle's directory lists. An exempt paper may be
seen only by, for each stage that considers it,

- that stage board's members who take part in its business in private session:
  its voting members, its chair (voting or not) and its officers (the committee
  manager, the report author where they serve the board, ...); never its
  advisors or observers, who sit in public session only;
- the people who hold that stage's owner role (the report author who wrote it).

Nobody else, whatever their roles: a board that does not decide on the paper,
an officer of another board, an admin or a
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

from workflow.definition.case_fields import FIELDS_PERMISSION
from workflow.definition.derived import kept
from workflow.definition.model import (
    COMMANDS,
    DecisionGate,
    Definition,
    Membership,
    PapersGate,
    Stage,
)

PRIVATE_SESSION = (Membership.VOTING, Membership.VOTING_CHAIR, Membership.CHAIR, Membership.OFFICER)
"""Memberships entitled to a board's exempt papers; advisors and observers are not."""


class PaperLike(Protocol):
    """What the rule reads of a paper: its paper id, whether it is exempt, and the stage it was attached for."""

    @property
    def paper(self) -> str: ...

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
    """What the rule reads of an email: the address it was sent to (and `to_contact`, its `person` if it has one)."""

    @property
    def recipient(self) -> str: ...


CONTACT = "contact:"
"""How an email to a cycle's contact outside the directory names its addressee (`notifications.outside`)."""


def to_contact(mail: MailLike) -> bool:
    """Was this email written to a cycle's contact outside the directory (its `person` 'contact:<id>')?"""
    return str(getattr(mail, "person", "") or "").startswith(CONTACT)


def may_manage_contacts(definition: Definition, person: str | None) -> bool:
    """May `person` see a cycle's outside parties and what is sent to them? The roles under `permissions.contacts`."""
    found = definition.people.get(person or "")
    return found is not None and bool(set(definition.permissions.get("contacts", ())) & set(found.roles))


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


def names_paper(definition: Definition, stage: str, paper: str) -> bool:
    """Does a transition leaving `stage` name `paper`: in a `papers` gate, or as the item a board decides on?"""
    return any((isinstance(gate, PapersGate) and paper in gate.papers)
               or (isinstance(gate, DecisionGate) and gate.item == paper)
               for transition in definition.transitions_from(stage) for gate in transition.gates)


def considering_stages(definition: Definition, paper: str, stage: str | None) -> tuple[str, ...]:
    """The stages whose business a paper attached for `stage` under the id `paper` is: that stage, then each
    later one (in the definition's order, as `attach --stage` reads "later") that names the paper.

    An earlier stage that names it is not one: a paper attached for September is not February's. A stage
    unknown to the definition is considered nowhere, so its exempt papers entitle nobody (the rule fails closed).
    """
    if stage is None or stage not in definition.stages:
        return ()

    def work() -> tuple[str, ...]:
        order = list(definition.stages)
        return (stage, *(later for later in order[order.index(stage) + 1:] if names_paper(definition, later, paper)))

    # Kept per parsed definition (`derived`): lists ask it for every paper, person and cycle.
    return kept.get(definition, ("considering", paper, stage), work)


def paper_readers(definition: Definition, paper: PaperLike) -> set[str]:
    """Everyone in the directory entitled to this exempt paper (everyone, if it is public), for listing or testing."""
    return {person for person in definition.people if may_see_paper(definition, paper, person)}


def may_see_paper(definition: Definition, paper: PaperLike, person: str | None) -> bool:
    """May `person` (None: nobody in particular, the public) see this paper's title, file and comment?

    A public paper: anyone. An exempt one: whoever is entitled to the exempt papers of a stage that considers
    it, each stage's rule applied to its own board and owners.
    """
    if not paper.exempt:
        return True
    return person is not None and any(entitled_to_stage(definition, stage, person)
                                      for stage in considering_stages(definition, paper.paper, paper.stage))


def may_see_paper_at(definition: Definition, paper: PaperLike, stage: str, person: str | None) -> bool:
    """May `person` see this paper as the business of `stage` (on its board's meeting papers, in its emails)?

    Only if the stage considers the paper; an exempt one only if they are entitled to that stage's exempt
    papers. Each board's rule for its own members: an advisor of Safer MK who votes on the Risk Board may see
    the Risk Board's exempt annex as the Risk Board's business, and is not sent it as Safer MK's.
    """
    if stage not in considering_stages(definition, paper.paper, paper.stage):
        return False
    return not paper.exempt or (person is not None and entitled_to_stage(definition, stage, person))


def visible_papers(definition: Definition, papers: Iterable[P], person: str | None) -> list[P]:
    """The papers `person` may see, in the order given."""
    return [paper for paper in papers if may_see_paper(definition, paper, person)]


def may_see_document(definition: Definition, document: DocumentLike, person: str | None) -> bool:
    """May `person` see this document? An exempt version names the exempt papers of the stage it records."""
    if document.version == "public":
        return True
    return person is not None and entitled_to_stage(definition, document.stage, person)


def private_business(definition: Definition, papers: Iterable[PaperLike], stage: str) -> bool:
    """Was `stage`'s decision taken wholly in private: does it consider at least one paper, every one exempt?

    Then a public version of its record says only that the item was considered in private, under which
    paragraph of Schedule 12A: its resolution, which may restate the exempt papers, is for the exempt version.
    Where a stage also considers a public paper, the item was debated in public and its resolution is public.
    """
    considered = [paper for paper in papers if stage in considering_stages(definition, paper.paper, paper.stage)]
    return bool(considered) and all(paper.exempt for paper in considered)


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
    When the definition declares personal case fields, an email is read only by those who may see them
    (`may_see_personal`), or by its own addressee when it was written without them: an officer not
    entitled to the subject's name does not read it in a reminder sent to the board.
    """
    if to_contact(mail) and not may_manage_contacts(definition, person):
        return False  # personal data of someone outside the directory
    if declares_personal(definition) and not may_see_personal(definition, person) \
            and (carries_personal(mail) or not is_addressee(definition, mail, person)):
        return False  # a case's personal fields may be in it: for those entitled to them, or its own addressee
    return (all(may_see_paper(definition, paper, person) for paper in papers)
            and all(may_see_document(definition, document, person) for document in documents))


PERSONAL, EXEMPT = "personal", "exempt"
"""Why an email is withheld from a reader: it carries a case's personal data, or exempt papers or records."""


def withheld_because(definition: Definition, mail: MailLike, person: str | None, *,
                     papers: Iterable[PaperLike] = (), documents: Iterable[DocumentLike] = ()) -> str | None:
    """None when `person` may read this email (`may_see_mail`); else PERSONAL when only its personal data (a
    case's personal fields, an outside party's own email) keeps it from them, EXEMPT when exempt material does."""
    papers, documents = list(papers), list(documents)
    if may_see_mail(definition, mail, person, papers=papers, documents=documents):
        return None
    exempt = not (all(may_see_paper(definition, paper, person) for paper in papers)
                  and all(may_see_document(definition, document, person) for document in documents))
    return EXEMPT if exempt else PERSONAL


def declares_personal(definition: Definition) -> bool:
    """Does the definition declare any personal case field (so its email may carry personal values)?"""
    return any(spec.personal for spec in definition.fields.values())


PERSONAL_MAIL = "personal"
"""The key in an email's attachments saying it was written with a case's personal values in it."""


def carries_personal(mail: MailLike) -> bool:
    """Was this email written with personal values in it (for a reader entitled to them when it was written)?"""
    return bool((getattr(mail, "attachments", None) or {}).get(PERSONAL_MAIL))


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


def may_see_personal(definition: Definition, person: str | None) -> bool:
    """May `person` read a case's personal fields (the subject's name, a family's address)?

    Those who run the case: the holders of a role granted `start` or `fields`; and those entitled to a stage's
    exempt business (its board in private session, its owners). Nobody else: not an advisor or observer, not
    another board, not the public, and never a public document or the public history view.
    """
    found = definition.people.get(person or "")
    if found is None:
        return False
    runners = set(definition.permissions.get("start", ())) | set(definition.permissions.get(FIELDS_PERMISSION, ()))
    return bool(runners & set(found.roles)) or any(entitled_to_stage(definition, stage, found.id)
                                                   for stage in definition.stages.values())
