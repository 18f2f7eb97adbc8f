"""The Jinja2 environment that renders admin-written templates.

Admins write templates as data, so they render in a sandbox: no attribute
access to Python internals, strict undefined variables (a typo fails at load,
not in an email in March) and autoescape for HTML.
"""

from __future__ import annotations

import re
import time
import traceback
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, Template, TemplateError, UndefinedError, meta
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from workflow.errors import DefinitionError, Problem


def _autoescape(name: str | None) -> bool:
    return name is not None and ".htm" in name


MAX_POWER = 1000
"""The largest exponent a template may raise to: `10 ** 100000000` would take minutes and gigabytes."""
MAX_REPEAT = 100_000
"""The longest string or list a template may make by `*`."""
MAX_RANGE = 10_000
"""The longest `range` a template may loop over (the sandbox's own limit is 100,000)."""
MAX_OUTPUT = 2_000_000
"""Characters one rendering may produce: a reminder or record is a few thousand."""
RENDER_SECONDS = 2.0
"""How long one rendering may take: ours take milliseconds."""

_deadline: ContextVar[float | None] = ContextVar("template_deadline", default=None)


class TemplateLimit(SecurityError):
    """A template exceeded a bound on power, size, time or depth."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def _check_deadline() -> None:
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() > deadline:
        raise TemplateLimit(f"rendering took longer than {RENDER_SECONDS:g} seconds")


def _bounded_range(*args: int) -> range:
    _check_deadline()
    found = range(*args)
    if len(found) > MAX_RANGE:
        raise TemplateLimit(f"range() of {len(found)} items is more than the {MAX_RANGE} a template may loop over")
    return found


class BoundedTemplate(Template):
    """Renders under a time and size budget; running out of memory or stack becomes a TemplateLimit."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        token = _deadline.set(time.monotonic() + RENDER_SECONDS)
        try:
            parts: list[str] = []
            size = 0
            for chunk in self.generate(*args, **kwargs):
                size += len(chunk)
                if size > MAX_OUTPUT:
                    raise TemplateLimit(f"the output grew past {MAX_OUTPUT:,} characters")
                _check_deadline()
                parts.append(chunk)
            return "".join(parts)
        except MemoryError as exc:
            raise TemplateLimit("rendering ran out of memory", template_line(exc, self.name)) from None
        except RecursionError as exc:
            raise TemplateLimit("rendering recursed too deeply", template_line(exc, self.name)) from None
        except ValueError as exc:
            if "digits" in str(exc):  # Python's limit on converting huge integers to text
                raise TemplateLimit(f"a number is too large to print: {exc}", template_line(exc, self.name)) from None
            raise
        finally:
            _deadline.reset(token)


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, with bounds on arithmetic, repetition, loops, output and time."""

    template_class = BoundedTemplate
    # Intercepted, these are also never folded as constants when a template is compiled.
    intercepted_binops = frozenset({"**", "*"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _check_deadline()
        if operator == "**" and isinstance(right, int) and abs(right) > MAX_POWER and not (
                isinstance(left, int | float) and abs(left) <= 1):
            raise TemplateLimit(f"a power of {right} is larger than the {MAX_POWER} a template may raise to")
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(count, int) and len(seq) * count > MAX_REPEAT:
                    raise TemplateLimit(f"repeating by {count} makes more than {MAX_REPEAT:,} items")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _check_deadline()
        return super().call(__context, __obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        _check_deadline()
        return super().getattr(obj, attribute)


def template_line(exc: BaseException, name: str | None) -> int | None:
    """The line of template `name` an error was raised at (Jinja2 rewrites tracebacks to template lines)."""
    found = getattr(exc, "line", None) if isinstance(exc, TemplateLimit) else None
    if found is not None or not name:
        return found
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.replace("\\", "/").endswith("/" + name) or frame.filename == name:
            found = frame.lineno
    return found


def render_bounded(env: ImmutableSandboxedEnvironment, name: str, context: dict[str, Any]) -> str:
    """Render template `name` for sending; a bound it breaks is a definition error naming its file and line."""
    template = env.get_template(name)
    try:
        return template.render(**context)
    except TemplateLimit as exc:
        raise DefinitionError([Problem(template.filename or name, template_line(exc, name), "template",
                                       f"template '{name}' tries something the sandbox forbids: {exc}")]) from None


@lru_cache(maxsize=32)
def make_environment(templates_dir: Path) -> ImmutableSandboxedEnvironment:
    """One environment per folder, kept: it caches compiled templates and reloads edited ones."""
    env = BoundedSandbox(
        loader=FileSystemLoader(str(templates_dir)),
        undefined=StrictUndefined,
        autoescape=_autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["range"] = _bounded_range
    return env


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
    "papers": [{"title": "Annual Strategic Assessment", "sha256": "0" * 64, "filename": "assessment.pdf",
                "url": "https://cycle.example.org/papers/12"}],
    "meeting": {"title": "Risk Board (August)", "date": "2021-08-19", "date_text": "Thursday 19 August 2021",
                "start": "10:00", "end": "12:00", "venue": "Meeting Room 4, Civic Offices",
                "remote_link": "https://teams.example.org/l/meetup-join/risk-board"},
    # Addresses on the site (CYCLE_WEB_BASE_URL); each is "" and `actions` empty when it is not set.
    "links": {"my_work": "https://cycle.example.org/my-work",
              "actions": [{"text": "Record the Risk Board's decision on \u201cStrategic assessment\u201d",
                           "url": "https://cycle.example.org/cycles/community_safety_strategy-2021/decisions/new"
                                  "?board=risk_board&item=strategic_assessment"}]},
    # The case's declared fields by id (`case_fields.py`); the loader checks templates with each filled and empty.
    "fields": {},
}
NO_LINKS: dict[str, Any] = {"my_work": "", "actions": []}
"""`links` when the site's address is not configured: emails then say nothing of links."""


def reminder_samples() -> list[dict[str, Any]]:
    """Variants that between them take every branch a reminder template is likely to have."""
    overdue = {**REMINDER_CONTEXT, "reminder": {**REMINDER_CONTEXT["reminder"], "kind": "overdue", "overdue": True,
                                                 "escalated": True},
               "due": {**REMINDER_CONTEXT["due"], "working_days_left": 0, "working_days_overdue": 5}}
    bare = {**REMINDER_CONTEXT, "papers": [], "meeting": None, "board": {"name": ""}, "links": NO_LINKS,
            "recipient": {**REMINDER_CONTEXT["recipient"], "name": "", "voting": False, "member": False}}
    untimed = {**REMINDER_CONTEXT, "meeting": {**REMINDER_CONTEXT["meeting"], "start": "", "end": "", "venue": "",
                                                "remote_link": ""},
               "papers": [{**REMINDER_CONTEXT["papers"][0], "url": ""}], "links": NO_LINKS}
    return [REMINDER_CONTEXT, overdue, bare, untimed]


def check_template(env: ImmutableSandboxedEnvironment, name: str, samples: list[dict[str, Any]]) -> str | None:
    """Render `name` with each sample; say what is wrong, or return None."""
    found = template_problem(env, name, samples)
    return found[0] if found else None


def template_problem(env: ImmutableSandboxedEnvironment, name: str,
                     samples: list[dict[str, Any]]) -> tuple[str, int | None] | None:
    """What is wrong with `name` rendered with each sample, and the line of `name` it is on (if known)."""
    source, filename, _ = env.loader.get_source(env, name) if env.loader else ("", None, None)
    unknown = sorted(meta.find_undeclared_variables(env.parse(source, name, filename)) - set(samples[0]))
    if unknown:
        return (f"template '{name}' uses {', '.join(repr(u) for u in unknown)}, which it is not given; "
                f"it can use {', '.join(sorted(samples[0]))}", _first_use(source, unknown[0]))
    template = env.get_template(name)
    for sample in samples:
        try:
            template.render(**sample)
        except UndefinedError as exc:
            return f"template '{name}' uses something it is not given: {exc.message}", template_line(exc, name)
        except SecurityError as exc:
            line = template_line(exc, name)
            where = f" (line {line})" if line else ""
            return f"template '{name}'{where} tries something the sandbox forbids: {exc}", line
        except TemplateError as exc:
            return f"template '{name}' fails to render: {exc}", template_line(exc, name)
        except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
            return f"template '{name}' fails to render: {exc.__class__.__name__}: {exc}", template_line(exc, name)
    return None


def _first_use(source: str, variable: str) -> int | None:
    """The first line that names `variable`: where an author looks for a misspelt one."""
    word = re.compile(rf"\b{re.escape(variable)}\b")
    return next((n for n, text in enumerate(source.splitlines(), 1) if word.search(text)), None)


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
                 "resolution": "That the strategic assessment be signed off.", "private": "", "meeting_date_text": "Thursday 19 August 2021",
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
                   "resolution": "That the priorities be agreed.", "private": "",
                   "meeting_date_text": "Thursday 23 September 2021"}],
    "private": "",
    "provenance": {"document_id": "community_safety_strategy-2021/sign_off_record/12/public",
                   "cycle": "community_safety_strategy-2021", "definition_id": "community_safety_strategy",
                   "definition_version": 1, "template": "sign_off_record.html.j2", "template_sha256": "0" * 64,
                   "generated_at": "19 August 2021, 11:00 (UK time)", "html_sha256": "1" * 64},
    "sections": {"reasons": "The assessment meets the statutory duty.", "alternatives": "To defer.",
                 "implications": "None beyond existing budgets."},
    "contact": {"name": "Priya Shah", "title": "Head of Partnerships and Resilience",
                "email": "head.partnerships@example.org"},
    "board_date": "Risk Board, Thursday 19 August 2021",
    "fields": {},
    # A case's declared fields with a value, in the definition's order, personal ones `(withheld)` in a public version.
    "case_details": [],
}


def document_samples() -> list[dict[str, Any]]:
    bare = {**DOCUMENT_CONTEXT, "decision": None, "for_decision": False, "papers": [], "history": [],
            "sections": {"reasons": "", "alternatives": "", "implications": ""},
            "contact": {"name": "", "title": "", "email": ""},
            "priorities": [], "strands": [], "decisions": [], "milestones": [], "withheld": 2,
            "document": {**DOCUMENT_CONTEXT["document"], "version": "exempt", "exempt": True}}
    chairless = {**DOCUMENT_CONTEXT, "decision": {**DOCUMENT_CONTEXT["decision"], "chair": None},
                 "case_details": [{"id": "date_notified", "title": "Date the partnership was notified",
                                   "value": "6 April 2026", "personal": False}]}
    note = "This item was considered in private (Schedule 12A, paragraph 1: Information relating to any individual): " \
           "the resolution is in the exempt version of this record."
    private = {**DOCUMENT_CONTEXT, "private": note,
               "decision": {**DOCUMENT_CONTEXT["decision"], "resolution": note, "private": note},
               "decisions": [{**DOCUMENT_CONTEXT["decisions"][0], "resolution": note, "private": note}]}
    return [DOCUMENT_CONTEXT, bare, chairless, private]
