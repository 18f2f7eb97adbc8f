"""The notice templates: the emails that go with a published paper, a moved meeting and a sent document.

A definition does not name these: the senders (`notifications.publication`,
`.rescheduling` and `.documents`) find them by name in the definition's templates
folder, and send no notice of a kind whose files are absent. The loader renders
each one present against samples of the shape the senders pass (a test holds the
two together), so a misspelt variable or a broken tag is refused by `cycle validate`
with the template's file and line, not found in an email the night a meeting moves.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import TemplateError, TemplateSyntaxError

from workflow.definition.templating import (
    NO_LINKS,
    REMINDER_CONTEXT,
    make_environment,
    reminder_files,
    template_problem,
)
from workflow.errors import Problem

PAPERS_PUBLISHED = "papers_published"
MEETING_CHANGED = "meeting_changed"
DOCUMENT_SENT = "document_sent"

_CYCLE = {k: REMINDER_CONTEXT["cycle"][k] for k in ("title", "key", "year")}
_PERSON = {k: REMINDER_CONTEXT["recipient"][k] for k in ("person", "name", "title", "email")}
_UNTIMED = {**REMINDER_CONTEXT["meeting"], "start": "", "end": "", "venue": "", "remote_link": ""}
_LINKS = {"my_work": REMINDER_CONTEXT["links"]["my_work"], "actions": []}

PAPERS_PUBLISHED_CONTEXT: dict[str, Any] = {
    "cycle": _CYCLE,
    "stage": {"id": "assessment_sign_off", "title": "Strategic assessment signed off"},
    "board": {"name": "Risk Board"},
    "due": {k: REMINDER_CONTEXT["due"][k] for k in ("date", "date_text", "working_days_left")},
    "recipient": {**_PERSON, "voting": True},
    "paper": {"title": "Annual Strategic Assessment", "sha256": "0" * 64, "filename": "assessment.pdf",
              "exempt": False, "url": "https://cycle.example.org/papers/12"},
    "meeting": REMINDER_CONTEXT["meeting"],
    "links": _LINKS,
}

MEETING_CHANGED_CONTEXT: dict[str, Any] = {
    "cycle": _CYCLE,
    "board": {"name": "Risk Board"},
    "recipient": _PERSON,
    "meeting": REMINDER_CONTEXT["meeting"],
    "change": {"cancelled": False, "reason": "The chair is unwell.", "sequence": 1},
    "links": _LINKS,
}

DOCUMENT_SENT_CONTEXT: dict[str, Any] = {
    "cycle": {k: _CYCLE[k] for k in ("title", "key")},
    "recipient": {"name": "Priya Shah", "title": "Head of Partnerships and Resilience"},
    "document": {"kind": "Sign-off record", "step": "Risk Board signs off the strategic assessment", "exempt": False,
                 "pdf_sha256": "0" * 64, "html_sha256": "1" * 64, "docx_sha256": "2" * 64,
                 "url": "https://cycle.example.org/cycles/community_safety_strategy-2021/documents#document-7"},
    "links": _LINKS,
}


def _papers_published() -> list[dict[str, Any]]:
    ctx = PAPERS_PUBLISHED_CONTEXT
    return [ctx, {**ctx, "paper": {**ctx["paper"], "exempt": True, "url": ""}, "meeting": _UNTIMED,
                  "recipient": {**ctx["recipient"], "name": "", "voting": False}, "links": NO_LINKS}]


def _meeting_changed() -> list[dict[str, Any]]:
    ctx = MEETING_CHANGED_CONTEXT
    return [ctx, {**ctx, "change": {**ctx["change"], "cancelled": True, "sequence": 2}},
            {**ctx, "meeting": _UNTIMED, "recipient": {**ctx["recipient"], "name": ""}, "links": NO_LINKS}]


def _document_sent() -> list[dict[str, Any]]:
    ctx = DOCUMENT_SENT_CONTEXT
    return [ctx, {**ctx, "document": {**ctx["document"], "exempt": True, "url": ""},
                  "recipient": {**ctx["recipient"], "name": ""}, "links": NO_LINKS}]


NOTICES: dict[str, Callable[[], list[dict[str, Any]]]] = {
    PAPERS_PUBLISHED: _papers_published, MEETING_CHANGED: _meeting_changed, DOCUMENT_SENT: _document_sent}
"""Each notice, and the sample contexts that between them take the branches its templates have."""


def notice_files(directory: Path, notice: str) -> list[str] | None:
    """The notice's three template files, if the folder has them all (else nothing of that kind is sent)."""
    names = reminder_files(notice)
    return names if all((directory / name).is_file() for name in names) else None


def check_notices(directory: Path, required: tuple[str, ...] = ()) -> list[Problem]:
    """Every notice template present (and every one `required`), rendered with its samples; problems name
    the template's file and line."""
    problems: list[Problem] = []
    for notice, samples in NOTICES.items():
        names = reminder_files(notice)
        present = [name for name in names if (directory / name).is_file()]
        field = f"templates.{notice}"
        for name in names if present or notice in required else []:
            path = str(directory / name)
            if name not in present:
                why = "the definition's documents are sent with it" if notice in required else \
                    f"the {notice} email is written in all three of {', '.join(names)}"
                problems.append(Problem(path, None, field, f"template '{name}' is missing: {why}"))
                continue
            try:
                found = template_problem(make_environment(directory), name, samples())
            except TemplateSyntaxError as exc:  # in this file or one it includes
                where = exc.name if exc.name and (directory / exc.name).is_file() else name
                path = str(directory / where)
                found = f"template '{where}' does not parse: line {exc.lineno}: {exc.message}", exc.lineno
            except TemplateError as exc:  # an include that is not there
                found = f"template '{name}' cannot be read: {exc}", None
            except UnicodeDecodeError as exc:
                found = f"template '{name}' is not UTF-8 text: {exc.reason} at byte {exc.start}", None
            if found is not None:
                problems.append(Problem(path, found[1], field, found[0]))
    return problems
