"""A cycle's papers, documents and mail in the browser: an officer attaches an exempt paper through the form,
a board member sees their board's papers but not another board's exempt one, and each page passes axe."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.pages import looked_at, signed_in
from tests.browser.served import LiveSite
from tests.helpers import AUTHOR, paper_file
from workflow.store.models import Paper


def test_an_officer_attaches_an_exempt_paper_through_the_form_and_sees_it_listed(
        page: Page, site: LiveSite, tmp_path: Path) -> None:
    signed_in(page, site.people.officer)
    page.goto(f"/cycles/{site.cycle}/papers/new?paper=strategic_assessment")
    expect(page.get_by_role("heading", level=1)).to_have_text("Attach a paper")
    expect(page.get_by_label("Which paper is it?")).to_have_value("strategic_assessment")
    looked_at(page, "attach-paper")

    # Forgetting the file and whether it is exempt: both sentences at once, the paper still chosen.
    page.get_by_role("button", name="Attach the paper").click()
    expect(page.get_by_role("alert").get_by_role("link")).to_have_text([
        "Choose the paper's file to upload.", "Say whether the paper is exempt from publication."])
    expect(page.get_by_label("Which paper is it?")).to_have_value("strategic_assessment")
    looked_at(page, "attach-paper-refused")

    # The paragraphs of Schedule 12A show only once "exempt" is chosen, without a script.
    paragraph = page.get_by_label("Paragraph 3", exact=True)
    expect(paragraph).to_be_hidden()
    page.get_by_label("Upload the file").set_input_files(str(paper_file(tmp_path, "assessment")))
    page.get_by_label("Yes, it is exempt information").check()
    expect(paragraph).to_be_visible()
    page.get_by_label("No, it can be published").check()
    expect(paragraph).to_be_hidden()
    page.get_by_label("Yes, it is exempt information").check()
    page.get_by_label("Paragraph 3", exact=True).check()
    page.get_by_role("button", name="Attach the paper").click()
    expect(page).to_have_url(re.compile(rf"/cycles/{site.cycle}/papers$"))
    expect(page.get_by_role("alert")).to_contain_text("'Annual Strategic Assessment' is attached as exempt information.")
    row = page.get_by_role("row").filter(has_text="Annual Strategic Assessment")
    expect(row).to_contain_text("Exempt (paragraph 3 of Schedule 12A)")
    expect(row).to_contain_text("Risk Board")
    looked_at(page, "papers")


def test_a_board_member_sees_their_boards_papers_and_not_another_boards_exempt_paper(
        page: Page, site: LiveSite, tmp_path: Path) -> None:
    engine = site.app.engine
    engine.attach(site.cycle, "recommended_priorities", paper_file(tmp_path, "risks"), AUTHOR, exempt=7,
                  title="Risk Board: named offenders", stage="priorities")
    # MK Together's alone: Safer MK (on which the Risk Board member also votes) adopts the strategy on the final
    # draft, not on the consultation findings.
    engine.attach(site.cycle, "consultation_report", paper_file(tmp_path, "mk"), AUTHOR, exempt=1,
                  title="MK Together: named families", stage="final_draft_agreed")
    with engine.sessions() as session:
        hidden_id = next(p.id for p in session.query(Paper).filter(Paper.title == "MK Together: named families"))

    signed_in(page, site.people.risk_board_member)
    page.goto(f"/cycles/{site.cycle}/papers")
    expect(page.get_by_role("row").filter(has_text="Risk Board: named offenders")).to_contain_text(
        "Exempt (paragraph 7 of Schedule 12A)")
    expect(page.get_by_role("link", name=re.compile("Strategic assessment - early findings"))).to_be_visible()
    expect(page.get_by_text("MK Together: named families")).to_have_count(0)
    expect(page.get_by_role("link", name="Attach a paper")).to_have_count(0)
    looked_at(page, "papers-board-member")
    missing = page.goto(f"/papers/{hidden_id}")
    assert missing is not None and missing.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")

    page.context.clear_cookies()
    signed_in(page, site.people.other_board_member)  # MK Together's chair
    page.goto(f"/cycles/{site.cycle}/papers")
    expect(page.get_by_text("MK Together: named families")).to_be_visible()
    expect(page.get_by_text("Risk Board: named offenders")).to_have_count(0)


def test_the_officer_finds_the_sign_off_records_and_the_mail_of_the_cycle(page: Page, site: LiveSite) -> None:
    signed_in(page, site.people.officer)
    page.goto(f"/cycles/{site.cycle}/documents")
    expect(page.get_by_role("heading", level=1)).to_have_text("Documents")
    # The board's decision in the seed makes its sign-off record in a worker: wait for it to be listed.
    for _ in range(30):
        if page.get_by_role("link", name=re.compile("^PDF")).count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    pdf = page.get_by_role("link", name=re.compile("^PDF")).first
    expect(pdf).to_be_visible()
    with page.expect_download() as download:
        pdf.click()
    assert download.value.suggested_filename.endswith(".pdf")
    looked_at(page, "documents")

    page.get_by_role("navigation", name="This cycle").get_by_role("link", name="Mail").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mail")
    expect(page.get_by_text("Every email sent for this cycle")).to_be_visible()
    looked_at(page, "mail")
