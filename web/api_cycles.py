"""/api/v1/cycles: list, start, status, history, fire, decide, and "my work".

Every command is the engine's own, called with the signed-in person's id in the
cycle's directory, so the engine checks their roles exactly as it checks `--as`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from workflow.commands.decision_rules import priority_of
from workflow.definition.directory import find_person
from workflow.errors import NotFound
from workflow.reads.mywork import to_do_json, waiting_json, work_of
from workflow.reads.papers import visible_papers

from .access import DEFINITION_ID, engine_of, fire_seat, known_of, seat, starter
from .auth import AsCaller, Me, commands_of
from .cycle_pages import Filters, page_of_cycles
from .paging import API_LIMIT, Paging
from .problems import PROBLEM_RESPONSES
from .taking_part import cycles_taking_part

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)
T = TypeVar("T")
Limit = Annotated[int | None, Query(ge=1, le=API_LIMIT, description=(
    "At most this many rows, from `offset`; every row when neither is given. The number of rows in the whole "
    "list is in the X-Total-Count header of a limited answer."))]
Offset = Annotated[int, Query(ge=0, description="How many rows of the whole list to skip (0, the first row, when "
                                                "not given); past the last row is 404")]
CycleRef = Annotated[str, Path(description="The cycle's key (community_safety_strategy-2021) or id", max_length=120)]


class StrictBody(BaseModel):
    """A request body: a field it does not know is refused (422, naming it), never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class StartCycle(StrictBody):
    definition: str = Field(max_length=100, pattern=DEFINITION_ID,
                            description="The definition's id (never a path): its file in the definitions folder")
    year: int | None = Field(default=None, description="The year it begins; a case's defaults to this year")
    reference: str | None = Field(default=None, max_length=120,
                                  description="A case's reference, when its definition has the starter type it")
    comment: str | None = Field(default=None, max_length=2000)
    fields: dict[str, str] = Field(default_factory=dict, max_length=100,
                                   description="The case's fields by id, as `cycle start --field`")


class FireTrigger(StrictBody):
    trigger: str = Field(max_length=100)
    strand: str | None = Field(default=None, max_length=100)
    comment: str | None = Field(default=None, max_length=2000)


class RecordDecision(StrictBody):
    board: str = Field(max_length=100)
    item: str = Field(max_length=100)
    votes_for: list[str] = Field(default_factory=list, max_length=200)
    votes_against: list[str] = Field(default_factory=list, max_length=200)
    abstain: list[str] = Field(default_factory=list, max_length=200)
    present: list[str] = Field(default_factory=list, max_length=200)
    apologies: list[str] = Field(default_factory=list, max_length=200)
    interests: dict[str, str] = Field(default_factory=dict)
    resolution: str | None = Field(default=None, max_length=10000)
    meeting_date: dt.date | None = None
    defer: bool = False
    comment: str | None = Field(default=None, max_length=2000)
    amends: int | None = Field(default=None, ge=1, le=2**31 - 1,
                               description="The decision this one amends (needs a reason), as `cycle decide --amends`")
    reason: str | None = Field(default=None, max_length=2000,
                               description="Why a decision is amended, as the minutes say")
    priorities: list[Annotated[str, Field(max_length=2000)]] = Field(default_factory=list, max_length=100,
        description="The priorities agreed, each as 'priority: recommendation', as `cycle decide --priority`")


class FiredOut(BaseModel):
    cycle: str
    trigger: str
    from_state: str
    to_state: str
    strand: str | None
    version: int
    events: list[str]


class RecordedOut(BaseModel):
    cycle: str
    board: str
    item: str
    outcome: str
    votes_for: int
    votes_against: int
    abstentions: int
    voting_present: int
    quorum: int
    decision_id: int  # what a later decision's `amends` names
    supersedes: int | None = None


class CycleOut(BaseModel):
    id: int
    cycle: str
    definition: str
    version: int
    year: int
    stage: str
    stage_title: str
    status: str
    due: dt.date | None
    working_days_left: int | None
    overdue: bool


class WorkItemOut(BaseModel):
    kind: str
    cycle: str
    cycle_id: int
    person: str
    title: str
    stage: str
    due: dt.date | None
    working_days_left: int | None
    overdue: bool
    trigger: str | None = None
    paper: str | None = None
    board: str | None = None
    item: str | None = None
    strand: str | None = None


class AwaitedOut(BaseModel):
    person: str = Field(description="Their id in the cycle's directory")
    name: str = Field(description="Their name, or their title where the directory gives no name")
    role: str = Field(description="The role that lets them do it, in words: 'committee manager'")


class WaitingItemOut(BaseModel):
    kind: str = Field(description="decision, paper or strand")
    cycle: str
    cycle_id: int
    person: str = Field(description="You, by your id in the cycle's directory")
    title: str = Field(description="What is awaited: \"the Risk Board's decision on 'Annual Strategic Assessment'\"")
    stage: str
    since: dt.date = Field(description="The day the cycle entered the stage that waits")
    due: dt.date | None
    working_days_left: int | None
    overdue: bool
    trigger: str = Field(description="The step it holds back, which you may take once it is done")
    step: str = Field(description="That step's title")
    who: list[AwaitedOut] = Field(description="Who can do it; empty when no one in the directory holds the role")
    from_whom: str = Field(description="The same people as a sentence: 'Helen Marsh (committee manager)'")
    board: str | None = None
    item: str | None = None
    paper: str | None = None
    strand: str | None = None


@router.get("/cycles", response_model=list[CycleOut], summary="The cycles you take part in")
def list_cycles(request: Request, response: Response, me: Me, limit: Limit = None, offset: Offset = 0
                ) -> list[dict[str, Any]]:
    if limit is None and not offset:
        return cycles_taking_part(engine_of(request), known_of(request), me.email)
    found = page_of_cycles(engine_of(request), known_of(request), me.email, Filters(),
                           lambda total: Paging.at(offset, limit or API_LIMIT, total, "cycles"))
    response.headers["X-Total-Count"] = str(found.paging.total)
    return found.rows


@router.post("/cycles", response_model=FiredOut, status_code=201, summary="Start a cycle")
def start_cycle(request: Request, me: Me, body: StartCycle) -> Any:
    engine = engine_of(request)
    person = starter(engine, body.definition, me)
    return dataclasses.asdict(engine.start(body.definition, body.year, person, comment=body.comment,
                                           reference=body.reference, fields=body.fields))


@router.get("/cycles/{cycle}", summary="Where a cycle stands: what is due and who must act")
def cycle_status(request: Request, me: Me, cycle: CycleRef) -> dict[str, Any]:
    engine = engine_of(request)
    at = seat(known_of(request), me, cycle)
    status = dataclasses.asdict(engine.status(at.cycle.id, reader=at.person))
    status["overdue"] = status["working_days_left"] is not None and status["working_days_left"] < 0
    status["papers"] = visible_papers(engine, at.definition, at.cycle.id, at.person)
    status["you"] = at.person
    return status


@router.get("/cycles/{cycle}/history", summary="The cycle's append-only history")
def cycle_history(request: Request, me: Me, cycle: CycleRef) -> list[dict[str, Any]]:
    engine = engine_of(request)
    at = seat(known_of(request), me, cycle)
    return engine.history(at.cycle.id, reader=at.person)


@router.post("/cycles/{cycle}/fire", response_model=FiredOut, summary="Fire a trigger")
async def fire(request: Request, caller: AsCaller, cycle: CycleRef, body: FireTrigger) -> dict[str, Any]:
    engine = engine_of(request)

    def signed_in_and_fired() -> dict[str, Any]:
        # One move to the thread pool and one transaction: the sign-in lookup and the seat are one query in
        # the fire's transaction (`fire_seat`), which still reads the credential, so a revoked token is
        # refused at once; the engine does not read the cycle's row again.
        fired = engine.fire_seated(fire_seat(engine, caller, cycle), body.trigger, strand=body.strand,
                                   comment=body.comment)
        return dataclasses.asdict(fired)

    return await commands_of(request).run(signed_in_and_fired)


@router.post("/cycles/{cycle}/decisions", response_model=RecordedOut, status_code=201,
             summary="Record a board's decision")
def decide(request: Request, me: Me, cycle: CycleRef, body: RecordDecision) -> Any:
    engine = engine_of(request)
    at = seat(known_of(request), me, cycle)
    return dataclasses.asdict(engine.decide(
        at.cycle.id, body.board, body.item, at.person, votes_for=body.votes_for, votes_against=body.votes_against,
        abstain=body.abstain, present=body.present, apologies=body.apologies, interests=body.interests,
        resolution=body.resolution, meeting_date=body.meeting_date, defer=body.defer, comment=body.comment,
        amends=body.amends, reason=body.reason, priorities=[priority_of(p) for p in body.priorities]))


@router.get("/mywork", response_model=list[WorkItemOut], summary="What you must do now, overdue first")
def mywork(request: Request, response: Response, me: Me, limit: Limit = None, offset: Offset = 0
           ) -> list[dict[str, Any]]:
    # Only the rows answered are made JSON objects: the list is worked out (and kept) whole, the page is not.
    return to_do_json(paged(response, work_of(engine_of(request), me.email).to_do, limit, offset, "things to do"))


@router.get("/mywork/waiting", response_model=list[WaitingItemOut],
            summary="What your next steps wait for from others: what, from whom, since and due when, overdue first")
def mywork_waiting(request: Request, response: Response, me: Me, limit: Limit = None, offset: Offset = 0
                   ) -> list[dict[str, Any]]:
    return waiting_json(paged(response, work_of(engine_of(request), me.email).waiting_for, limit, offset,
                              "things you wait for"))


def paged(response: Response, found: list[T], limit: int | None, offset: int, noun: str) -> list[T]:
    """`limit` rows of `found` from `offset`, the whole list's length in `X-Total-Count`; all of it when
    neither is given (the answer callers written before paging expect)."""
    if limit is None and not offset:
        return found
    paging = Paging.at(offset, limit or API_LIMIT, len(found), noun)
    response.headers["X-Total-Count"] = str(paging.total)
    return paging.rows(found)


@router.get("/me", summary="Who you are signed in as, and the CSRF token of your browser session")
def whoami(request: Request, me: Me) -> dict[str, Any]:
    engine = engine_of(request)
    people = []
    for path in engine.catalog.files():
        try:
            definition = engine.catalog.load(str(path))
        except Exception:  # an invalid definition on disk lists nobody
            continue
        found = find_person(definition, me.email)
        if found is not None:
            people.append({"definition": definition.id, "person": found.id, "title": found.title,
                           "roles": list(found.roles)})
    if not people and not me.admin:
        raise NotFound("your account is in no definition's directory")
    return {"email": me.email, "admin": me.admin, "people": people, "csrf_token": me.csrf_token}
