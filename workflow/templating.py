"""The Jinja2 environment that renders admin-written templates.

Admins write templates as data, so they render in a sandbox: no attribute
access to Python internals, strict undefined variables (a typo fails at load,
not in an email in March) and autoescape for HTML.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, UndefinedError, meta
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment


def _autoescape(name: str | None) -> bool:
    return name is not None and ".htm" in name


@lru_cache(maxsize=32)
def make_environment(templates_dir: Path) -> ImmutableSandboxedEnvironment:
    """One environment per folder, kept: it caches compiled templates and reloads edited ones."""
    return ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(str(templates_dir)),
        undefined=StrictUndefined,
        autoescape=_autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


REMINDER_PARTS = ("subject.j2", "txt.j2", "html.j2")
"""A reminder template named `x` is the three files x.subject.j2, x.txt.j2, x.html.j2."""


def reminder_files(name: str) -> list[str]:
    return [f"{name}.{part}" for part in REMINDER_PARTS]


# What a reminder template can use. The notifications layer builds real contexts of
# exactly this shape (a test holds the two together); the loader renders every
# reminder template against these samples so a misspelt variable fails at load.
REMINDER_CONTEXT: dict[str, Any] = {
    "cycle": {"title": "Community Safety Strategy", "key": "community_safety_strategy-2021", "year": 2021,
              "owner_title": "Head of Partnerships and Resilience", "owner_name": "Priya Shah"},
    "stage": {"id": "assessment_sign_off", "title": "Strategic assessment signed off",
              "next_step": "Risk Board signs off the strategic assessment"},
    "board": {"name": "Risk Board"},
    "due": {"date": "2021-08-19", "date_text": "Thursday 19 August 2021", "working_days_left": 10,
            "working_days_overdue": 0},
    "reminder": {"kind": "before", "overdue": False, "escalated": False, "rule": "board_decision"},
    "recipient": {"person": "head_of_partnerships", "name": "Priya Shah", "title": "Head of Partnerships and Resilience",
                  "email": "head.partnerships@example.org", "voting": True, "member": True},
    "papers": [{"title": "Annual Strategic Assessment", "sha256": "0" * 64, "filename": "assessment.pdf"}],
    "meeting": {"title": "Risk Board (August)", "date": "2021-08-19", "date_text": "Thursday 19 August 2021",
                "start": "10:00", "end": "12:00", "venue": "Meeting Room 4, Civic Offices",
                "remote_link": "https://teams.example.org/l/meetup-join/risk-board"},
}


def reminder_samples() -> list[dict[str, Any]]:
    """Variants that between them take every branch a reminder template is likely to have."""
    overdue = {**REMINDER_CONTEXT, "reminder": {**REMINDER_CONTEXT["reminder"], "kind": "overdue", "overdue": True,
                                                 "escalated": True},
               "due": {**REMINDER_CONTEXT["due"], "working_days_left": 0, "working_days_overdue": 5}}
    bare = {**REMINDER_CONTEXT, "papers": [], "meeting": None, "board": {"name": ""},
            "recipient": {**REMINDER_CONTEXT["recipient"], "name": "", "voting": False, "member": False}}
    untimed = {**REMINDER_CONTEXT, "meeting": {**REMINDER_CONTEXT["meeting"], "start": "", "end": "", "venue": "",
                                                "remote_link": ""}}
    return [REMINDER_CONTEXT, overdue, bare, untimed]


def check_template(env: ImmutableSandboxedEnvironment, name: str, samples: list[dict[str, Any]]) -> str | None:
    """Render `name` with each sample; say what is wrong, or return None."""
    source = env.loader.get_source(env, name)[0] if env.loader else ""
    unknown = sorted(meta.find_undeclared_variables(env.parse(source)) - set(samples[0]))
    if unknown:
        return (f"template '{name}' uses {', '.join(repr(u) for u in unknown)}, which it is not given; "
                f"it can use {', '.join(sorted(samples[0]))}")
    template = env.get_template(name)
    for sample in samples:
        try:
            template.render(**sample)
        except UndefinedError as exc:
            return f"template '{name}' uses something it is not given: {exc.message}"
        except SecurityError as exc:
            return f"template '{name}' tries something the sandbox forbids: {exc}"
        except TemplateError as exc:
            return f"template '{name}' fails to render: {exc}"
        except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
            return f"template '{name}' fails to render: {exc.__class__.__name__}: {exc}"
    return None


# What a document template can use: the same shape for every document kind, so a
# sign-off record and a strategy pack are checked alike (lists a kind does not fill are empty).
_MEMBER = {"title": "Chief Executive (Milton Keynes Council)", "name": "Jonathan Ellery", "membership": "voting",
           "chair": False, "vote": "for", "interest": ""}
DOCUMENT_CONTEXT: dict[str, Any] = {
    "document": {"id": "sign_off_record", "title": "Sign-off record", "version": "public", "exempt": False,
                 "date_text": "Thursday 19 August 2021"},
    "cycle": {"title": "Community Safety Strategy", "key": "community_safety_strategy-2021", "year": 2021,
              "owner_title": "Head of Partnerships and Resilience", "definition_version": 1,
              "description": "The statutory annual strategic assessment and strategy."},
    "board": {"name": "Risk Board"},
    "transition": {"trigger": "sign_off_assessment", "title": "Risk Board signs off the strategic assessment",
                   "from_stage": "Strategic assessment signed off", "to_stage": "Strategic assessment presented"},
    "purpose": "To record the Risk Board's decision.",
    "for_decision": True,
    "decision": {"board": "Risk Board", "item": "strategic_assessment", "outcome": "carried",
                 "resolution": "That the strategic assessment be signed off.", "meeting_date_text": "Thursday 19 August 2021",
                 "votes_for": 4, "votes_against": 0, "abstentions": 0, "voting_present": 4, "quorum": 3, "id": 3,
                 "chair": {**_MEMBER, "membership": "voting chair", "chair": True},
                 "present": [_MEMBER], "non_voting_present": [_MEMBER], "apologies": [_MEMBER], "interests": [_MEMBER]},
    "milestones": [{"date_text": "Thursday 19 August 2021", "title": "Strategic assessment signed off",
                    "status": "Complete"}],
    "papers": [{"title": "Annual Strategic Assessment", "sha256": "0" * 64, "filename": "assessment.pdf",
                "exempt": False, "exempt_reason": ""}],
    "withheld": 0,
    "history": [{"at": "2021-08-19 10:00", "actor": "Head of Partnerships and Resilience", "summary": "started",
                 "sha256": ""}],
    "priorities": [{"title": "Serious violence", "recommendation": "remain a priority"}],
    "strands": [{"title": "Online survey", "state": "closed", "notes": ["1,024 responses"]}],
    "decisions": [{"board": "Risk Board", "item": "priorities", "outcome": "carried",
                   "resolution": "That the priorities be agreed.", "meeting_date_text": "Thursday 23 September 2021"}],
    "provenance": {"document_id": "community_safety_strategy-2021/sign_off_record/12/public",
                   "cycle": "community_safety_strategy-2021", "definition_id": "community_safety_strategy",
                   "definition_version": 1, "template": "sign_off_record.html.j2", "template_sha256": "0" * 64,
                   "generated_at": "19 August 2021, 11:00 (UK time)", "html_sha256": "1" * 64},
    "sections": {"reasons": "The assessment meets the statutory duty.", "alternatives": "To defer.",
                 "implications": "None beyond existing budgets."},
    "contact": {"name": "Priya Shah", "title": "Head of Partnerships and Resilience",
                "email": "head.partnerships@example.org"},
    "board_date": "Risk Board, Thursday 19 August 2021",
}


def document_samples() -> list[dict[str, Any]]:
    bare = {**DOCUMENT_CONTEXT, "decision": None, "for_decision": False, "papers": [], "history": [],
            "sections": {"reasons": "", "alternatives": "", "implications": ""},
            "contact": {"name": "", "title": "", "email": ""},
            "priorities": [], "strands": [], "decisions": [], "milestones": [], "withheld": 2,
            "document": {**DOCUMENT_CONTEXT["document"], "version": "exempt", "exempt": True}}
    chairless = {**DOCUMENT_CONTEXT, "decision": {**DOCUMENT_CONTEXT["decision"], "chair": None}}
    return [DOCUMENT_CONTEXT, bare, chairless]
