"""Attach a paper to a cycle for a stage, possibly exempt from publication (Schedule 12A)."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from sqlalchemy.orm.attributes import flag_modified

from workflow.commands.cycles import (
    acting,
)
from workflow.commands.results import Attached
from workflow.commands.rows import (
    add_event,
    add_history,
)
from workflow.definition.loader import suggest
from workflow.definition.model import Definition
from workflow.errors import InvalidInput
from workflow.store.attachment import read_paper, safe_filename
from workflow.store.models import Cycle, Paper
from workflow.store.unit import Store

TITLE_MAX = 300  # papers.title's length


SCHEDULE_12A = {
    1: "Information relating to any individual",
    2: "Information which is likely to reveal the identity of an individual",
    3: "Information relating to the financial or business affairs of any particular person "
       "(including the authority holding that information)",
    4: "Information relating to any consultations or negotiations, or contemplated consultations or "
       "negotiations, in connection with any labour relations matter",
    5: "Information in respect of which a claim to legal professional privilege could be maintained "
       "in legal proceedings",
    6: "Information which reveals that the authority proposes to give a notice or make an order or direction",
    7: "Information relating to any action taken or to be taken in connection with the prevention, "
       "investigation or prosecution of crime",
}


def attach(engine: Store, cycle_ref: str | int, paper: str, file: Path, actor: str, *, exempt: int | None = None,
           title: str | None = None, comment: str | None = None, stage: str | None = None) -> Attached:
    """Attach a paper for `stage` (default: the cycle's current stage), whose board it then belongs to.

    Role, cycle, paper and title are checked before the file is opened; see `attachment.read_paper`.
    """
    now = engine.clock.now()
    with engine.unit_of_work() as session:
        cycle, definition = acting(engine, session, cycle_ref, actor, "attach")
        if paper not in definition.papers:
            raise InvalidInput(f"'{definition.id}' names no paper '{paper}'{suggest(paper, definition.papers)}")
        if exempt is not None and exempt not in SCHEDULE_12A:
            raise InvalidInput(f"Schedule 12A has paragraphs 1 to 7; {exempt} is not one of them")
        for_stage = attach_stage(definition, cycle, stage)
        title = title if title is not None else definition.papers[paper]
        if not title.strip() or len(title) > TITLE_MAX or any(ch in title for ch in "\r\n\u2028\u2029"):
            raise InvalidInput(f"a paper's title is one line of 1 to {TITLE_MAX} characters; "
                               f"this one has {len(title)}{' and a line break' if len(title.splitlines()) > 1 else ''}")
        content = read_paper(file, engine.max_paper_bytes)
        filename = safe_filename(file.name)
        # Stored before the row that points at it; content-addressed, so a rolled-back
        # command leaves at most an unreferenced copy, never a row without its file.
        digest = engine.papers.put(content)
        reason = f"Schedule 12A, paragraph {exempt}: {SCHEDULE_12A[exempt]}" if exempt is not None else None
        row = Paper(cycle_id=cycle.id, paper=paper, stage=for_stage, title=title, filename=filename,
                    media_type=mimetypes.guess_type(filename)[0] or "application/octet-stream",
                    size=len(content), sha256=digest, exempt=exempt is not None, exempt_reason=reason,
                    attached_by=actor, attached_at=now)
        session.add(row)
        cycle.updated_at = now
        flag_modified(cycle, "updated_at")
        session.flush()
        summary = {"paper_id": row.id, "paper": paper, "stage": for_stage, "sha256": digest,
                   "size": len(content), "exempt": row.exempt}
        # An exempt paper's title stays out of the history and the events: both feed public outputs.
        if not row.exempt:
            summary["title"] = row.title
            summary["filename"] = filename
        add_history(engine, session, cycle, now, actor, "attach", trigger=None, from_state=cycle.state,
                    to_state=cycle.state, comment=comment, data=summary)
        add_event(session, cycle, now, "PaperAttached", **summary)
        return Attached(cycle.key, paper, row.title, digest, len(content), row.exempt)


def attach_stage(definition: Definition, cycle: Cycle, stage: str | None) -> str:
    """The current stage, or a later one named with --stage (a paper sent ahead for a later board)."""
    if stage is None:
        return cycle.state
    order = list(definition.stages)
    if stage not in definition.stages:
        raise InvalidInput(f"'{definition.id}' has no stage '{stage}'{suggest(stage, order)}")
    if order.index(stage) < order.index(cycle.state):
        raise InvalidInput(f"the cycle has passed '{stage}'; attach for the current stage '{cycle.state}' "
                           "or a later one")
    return stage
