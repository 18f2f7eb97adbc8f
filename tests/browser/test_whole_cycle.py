"""The product's promise, end to end in Debian's chromium at a phone's width (375 px): the report author starts a
Community Safety Strategy cycle on the Start page, attaches every paper through the attach form and fires every step
(the consultation's strands included) through the cycle page's buttons; the committee manager records every board's
decision through the decision form (the Risk Board's priorities in its priorities field) and moves a meeting through
the meetings page; a Safer MK member finds each paper under each meeting at which Safer MK decides on it. Nothing is
done through the CLI or the engine except moving the shared simulated clock to the days the boards meet. No page
visited scrolls sideways or shows an internal id of the definition.

The cycle is the strategy's own for 2025, a year no other browser test uses."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.pages import looked_at, signed_in
from tests.browser.served import LiveSite
from tests.helpers import meet, paper_file
from tests.integration.workers import wait_until
from web.accounts import Accounts
from web.config import WebSettings
from web.pages.words import person_title
from workflow.definition.calendar import Timeline
from workflow.definition.model import Definition
from workflow.time.clock import at_local

SHIPPED = "community_safety_strategy"
YEAR = 2025
TITLE = "Community Safety Strategy, 2025 to 2026"
PHONE = {"width": 375, "height": 812}
MOVED_TO = dt.date(2026, 3, 18)  # the Safer MK Partnership (March) meeting, a week after its second Wednesday


def internal_ids(definition: Definition) -> set[str]:
    """The definition's ids a person must never read: stages, steps, strands and their steps, boards, papers,
    decision items, meetings, people, documents. Ids that are plain words (no underscore) read as English."""
    ids: set[str] = {*definition.stages, *definition.boards, *definition.papers, *definition.meetings,
                     *definition.people, *definition.documents}
    for transition in definition.transitions:
        ids.add(transition.trigger)
        ids.update(getattr(gate, "item", "") for gate in transition.gates)
    for stage in definition.stages.values():
        ids.update(strand.id for strand in stage.strands)
    for lifecycle in definition.lifecycles.values():
        ids.update(t.trigger for t in lifecycle.transitions)
    return {i for i in ids if "_" in i}


class Walk:
    """What every page visited is checked for: no sideways scroll at 375 px, no internal id in what it says."""

    def __init__(self, definition: Definition) -> None:
        self.ids = internal_ids(definition)
        self.pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, self.ids), key=len, reverse=True)) + r")\b")

    def check(self, page: Page, what: str) -> None:
        page.wait_for_load_state()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the {what} page ({page.url}) is {width} px wide at {PHONE['width']} px"
        shown = sorted(set(self.pattern.findall(page.inner_text("main"))))
        assert not shown, f"the {what} page ({page.url}) shows internal ids: {', '.join(shown)}"

    def looked_at(self, page: Page, name: str) -> None:
        """A key page: the checks above, then both widths, axe and a screenshot (walk-`name`)."""
        self.check(page, name)
        looked_at(page, f"walk-{name}")


@pytest.fixture
def phones(browser: Browser, site: LiveSite) -> Iterator[Callable[[str], Page]]:
    """Pages of their own (one browser profile each, so each person stays signed in) at a phone's width."""
    made: list[BrowserContext] = []

    def person(email: str) -> Page:
        context = browser.new_context(base_url=site.url, viewport=PHONE, locale="en-GB",
                                      timezone_id="Europe/London")
        context.set_default_timeout(15_000)
        made.append(context)
        return signed_in(context.new_page(), email, through_form=True)  # each signs in on their phone

    yield person
    for context in made:
        context.close()


@pytest.fixture
def clock_put_back(site: LiveSite) -> Iterator[None]:
    """The shared clock back where it was after the walk, so the other tests see the 2021 cycle's days."""
    clock = site.app.engine.clock
    was = clock.now()
    try:
        yield
    finally:
        clock.set(was)  # type: ignore[attr-defined]


def on(site: LiveSite, day: dt.date) -> None:
    """Test set-up, not a person's action: the shared clock (never back) to 10:00 on `day`."""
    clock = site.app.engine.clock
    if at_local(day, 10) > clock.now():
        clock.set(at_local(day, 10))  # type: ignore[attr-defined]


def cycle_page(page: Page, walk: Walk, key: str) -> None:
    page.goto(f"/cycles/{key}")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    walk.check(page, "cycle")


def attach(page: Page, walk: Walk, key: str, title: str, folder: Path) -> None:
    """The author follows the cycle page's link for a paper the stage waits for and attaches it, not exempt."""
    cycle_page(page, walk, key)
    page.get_by_role("link", name=f"Attach ‘{title}’").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Attach a paper")
    walk.check(page, "attach a paper")
    page.get_by_label("Upload the file").set_input_files(str(paper_file(folder, title.replace(" ", "-"))))
    page.get_by_label("No, it can be published").check()
    page.get_by_role("button", name="Attach the paper").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(f"'{title}' is attached")
    walk.check(page, "papers")


def fire(page: Page, walk: Walk, key: str, step: str, now_at: str) -> None:
    """The author presses the step's button on the cycle page; the cycle moves on to `now_at`."""
    cycle_page(page, walk, key)
    page.get_by_role("button", name=step, exact=True).click()
    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text(f"{step}: done;")
    expect(banner).to_contain_text(now_at)
    walk.check(page, "cycle")


def decide(page: Page, walk: Walk, key: str, definition: Definition, board: str, resolution: str, *,
           priorities: str = "", meeting_day: dt.date | None = None, name: str = "") -> None:
    """The committee manager follows the cycle page's link to the board's decision form and records a decision
    carried by every voting member present, the other members absent."""
    spec = definition.boards[board]
    cycle_page(page, walk, key)
    page.get_by_role("link", name=f"Record the {spec.name}’s decision").click()
    expect(page.get_by_role("heading", name="Record a decision")).to_be_visible()
    if meeting_day is not None:
        expect(page.locator("#meeting-date-day")).to_have_value(str(meeting_day.day))
        expect(page.locator("#meeting-date-month")).to_have_value(str(meeting_day.month))
    page.get_by_role("button", name="All voting members present").click()
    page.get_by_role("button", name="All present voted for").click()
    for person, _ in spec.members:
        if person not in spec.voting:
            page.get_by_role("group", name=f"Attendance of {person_title(definition, person)}").get_by_label(
                "Absent").check()
    if priorities:
        page.get_by_label("Priorities agreed").fill(priorities)
    page.get_by_label("Resolution").fill(resolution)
    if name:
        walk.looked_at(page, name)
    else:
        walk.check(page, "record a decision")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check the decision before saving it")).to_be_visible()
    expect(page.locator("#outcome")).to_contain_text("Carried")
    walk.check(page, "check the decision")
    page.get_by_role("button", name="Save the decision").click()
    expect(page.get_by_role("alert")).to_contain_text(f"recorded: the {spec.name} carried")
    walk.check(page, "decisions")


def papers_at(page: Page, meeting: str) -> list[str]:
    """The papers My boards lists under `meeting` of this cycle."""
    section = page.locator("section").filter(has_text=TITLE)
    card = section.locator(".govuk-summary-card").filter(
        has=page.get_by_role("heading", name=meeting, exact=True))
    expect(card).to_have_count(1)
    return card.locator(".govuk-summary-list__row").filter(has_text="Papers").get_by_role("link").all_inner_texts()


@pytest.mark.usefixtures("clock_put_back")
def test_a_cycle_from_start_to_adoption_on_a_phone_without_the_cli_or_an_internal_id(
        phones: Callable[[str], Page], site: LiveSite, tmp_path: Path) -> None:
    engine = site.app.engine
    definition = engine.catalog.load(SHIPPED)
    walk = Walk(definition)
    papers = definition.papers
    scrutiny_officer = definition.people["scrutiny_officer"].email
    Accounts(engine, WebSettings(secure_cookies=False, password_cost="test")).add(
        scrutiny_officer, password=site.password, admin=False, by="test")  # the scrutiny committee's comments

    on(site, dt.date(YEAR, 7, 1))
    author = phones(site.people.officer)
    clerk = phones(site.people.committee_manager)
    member = phones(site.people.other_board_member)  # Safer MK (and MK Together), not the Risk Board
    for person in (author, clerk, member):
        walk.check(person, "first after signing in")

    # The author starts the cycle on the Start page.
    author.goto("/cycles")
    walk.check(author, "cycles")
    author.get_by_role("button", name="Start a cycle").click()
    author.get_by_label("Strategy").select_option(label=definition.title)
    author.get_by_label("Cycle year").fill(str(YEAR))
    walk.looked_at(author, "start")
    author.get_by_role("button", name="Start the cycle").click()
    expect(author.locator(".govuk-notification-banner--success")).to_contain_text("has started")
    expect(author.get_by_role("heading", level=1)).to_have_text(TITLE)
    key = next(c["cycle"] for c in engine.list_cycles() if c["definition"] == SHIPPED and c["year"] == YEAR)
    assert author.url.endswith(f"/cycles/{key}")
    walk.looked_at(author, "cycle-started")

    # July: MK Together discusses the early findings.
    attach(author, walk, key, papers["early_findings"], tmp_path)
    meet(site.app, "mk_together", "early_findings", key)
    decide(clerk, walk, key, definition, "mk_together", "That the early findings be noted.")
    fire(author, walk, key, "Early findings discussed at MK Together Management Board", "Strategic assessment signed off")

    # August: the Risk Board signs off the assessment, which Safer MK's member already finds under September.
    attach(author, walk, key, papers["strategic_assessment"], tmp_path)
    member.goto("/my-boards")
    assert papers["strategic_assessment"] in papers_at(member, "Safer MK Partnership (September)")
    walk.check(member, "my boards")
    meet(site.app, "risk_board", "strategic_assessment", key)
    decide(clerk, walk, key, definition, "risk_board", "That the Annual Strategic Assessment be signed off.")
    fire(author, walk, key, "Risk Board signs off the strategic assessment", "Strategic assessment presented")

    # September: Safer MK receives it; the Risk Board agrees the priorities.
    meet(site.app, "safer_mk", "strategic_assessment", key)
    decide(clerk, walk, key, definition, "safer_mk", "That the Annual Strategic Assessment be received.",
           name="decision-safer-mk")
    fire(author, walk, key, "Strategic assessment presented to Safer MK",
         "Priorities agreed, informed by the strategic assessment")
    attach(author, walk, key, papers["recommended_priorities"], tmp_path)
    attach(author, walk, key, papers["consultation_plan"], tmp_path)
    meet(site.app, "risk_board", "priorities", key)
    decide(clerk, walk, key, definition, "risk_board", "That the recommended priorities be agreed.",
           priorities="Anti-social behaviour: remain a priority\nCyber crime: new priority\nHate crime: further work",
           name="decision-priorities")
    expect(clerk.get_by_role("row").filter(has_text="That the recommended priorities")).to_contain_text(
        "Cyber crime: new priority")
    fire(author, walk, key, "Risk Board agrees the priorities and the consultation opens",
         "Key stakeholders consulted on the draft strategy")

    # December: each strand of the consultation moved on with its own buttons, then the consultation closes.
    on(site, dt.date(YEAR, 12, 1))
    scrutiny = phones(scrutiny_officer)
    walk.check(scrutiny, "first after signing in")
    consultation = definition.stages["consultation"]
    lifecycles = definition.lifecycles
    for strand in consultation.strands:
        # The scrutiny committee's comments are the scrutiny officer's to record; the rest the consultation lead's.
        by = scrutiny if strand.owner == "scrutiny_officer" else author
        for step in lifecycles[strand.lifecycle].transitions:
            cycle_page(by, walk, key)
            row = by.get_by_role("row").filter(has=by.get_by_role("cell", name=strand.title, exact=True))
            row.get_by_role("button", name=step.title).click()
            expect(by.locator(".govuk-notification-banner--success")).to_contain_text("done")
            walk.check(by, "cycle")
    cycle_page(author, walk, key)
    expect(author.get_by_role("heading", name="Strands of this stage")).to_be_visible()
    walk.looked_at(author, "consultation-strands")
    # The consultation closes on the date the definition sets: the page says so, and the scheduler moves the cycle
    # on at the end of that day, with no button to press.
    closing = next(t for t in definition.transitions if t.trigger == "close_consultation")
    assert closing.at is not None
    closes = Timeline(definition, YEAR).resolve(closing.at)
    expect(author.get_by_role("button", name="Consultation closes")).to_have_count(0)
    expect(author.get_by_text("‘Consultation closes’ needs no button")).to_contain_text(
        "at the end of Friday 30 January 2026")
    on(site, closes + dt.timedelta(days=1))
    # The day jumped to also makes the shared site's other cycles overdue: the sweep sends their reminders too,
    # which on a busy 2-core machine has taken over a minute.
    wait_until(lambda: engine.status(key).stage != "consultation", "the scheduler to close the consultation", 240)
    cycle_page(author, walk, key)
    expect(author.locator(".govuk-summary-list").first).to_contain_text("Final draft signed off")

    # February: the final draft, signed off by the Risk Board and agreed by MK Together; Safer MK's member finds
    # it under MK Together's February meeting and Safer MK's March meeting, both of which decide on it.
    attach(author, walk, key, papers["consultation_report"], tmp_path)
    attach(author, walk, key, papers["final_draft_strategy"], tmp_path)
    member.goto("/my-boards")
    assert papers["final_draft_strategy"] in papers_at(member, "Safer MK Partnership (March)")
    assert papers["final_draft_strategy"] in papers_at(member, "MK Together Management Board (February)")
    walk.looked_at(member, "my-boards")
    meet(site.app, "risk_board", "final_draft", key)
    decide(clerk, walk, key, definition, "risk_board", "That the final draft strategy be signed off.")
    fire(author, walk, key, "Risk Board signs off the final draft", "Final draft agreed")
    meet(site.app, "mk_together", "final_draft", key)
    decide(clerk, walk, key, definition, "mk_together", "That the final draft strategy be agreed.")
    fire(author, walk, key, "MK Together Management Board agrees the final draft", "Strategy adopted")

    # The committee manager moves Safer MK's March meeting a week on, through the meetings page.
    cycle_page(clerk, walk, key)
    clerk.get_by_role("link", name="Move or cancel a board meeting").click()
    expect(clerk.get_by_role("heading", level=1)).to_have_text("Board meetings")
    walk.looked_at(clerk, "meetings")
    clerk.get_by_role("link", name="Move or cancel the Safer MK Partnership (March)").click()
    walk.check(clerk, "move or cancel a meeting")
    clerk.get_by_label("Move it to another day or time").check()
    clerk.get_by_label("Day", exact=True).fill(str(MOVED_TO.day))
    clerk.get_by_label("Month", exact=True).fill(str(MOVED_TO.month))
    clerk.get_by_label("Year", exact=True).fill(str(MOVED_TO.year))
    clerk.get_by_label("Reason").fill("The Cabinet Member chairs the Police and Crime Panel that day")
    clerk.get_by_role("button", name="Continue").click()
    expect(clerk.get_by_role("heading", level=1)).to_have_text("Check the change before telling the members")
    walk.check(clerk, "check the meeting change")
    clerk.get_by_role("button", name="Move the meeting and tell the members").click()
    expect(clerk.locator(".govuk-notification-banner--success")).to_contain_text(
        "The Safer MK Partnership (March) moves to Wednesday 18 March 2026")
    walk.check(clerk, "meetings")

    # March: Safer MK adopts the strategy at the meeting's new date.
    on(site, MOVED_TO)
    decide(clerk, walk, key, definition, "safer_mk", "That the Community Safety Strategy be adopted.",
           meeting_day=MOVED_TO)
    fire(author, walk, key, "Safer MK adopts the strategy", "Strategy adopted and published")

    cycle_page(author, walk, key)
    stands = author.locator(".govuk-summary-list").first
    expect(stands).to_contain_text("Strategy adopted and published")
    expect(stands).to_contain_text("Complete")
    walk.looked_at(author, "cycle-adopted")
    assert engine.status(key).stage == "adopted"
