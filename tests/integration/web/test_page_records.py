"""A cycle's Papers, attach form, Documents and Mail pages, through a real HTTP client against uvicorn and
PostgreSQL: attaching through the form, a refusal that keeps what was chosen and writes nothing, exempt papers
kept from another board, and the lists showing a person what the API shows them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from urllib.parse import unquote

import httpx
import pytest
from sqlalchemy import func, select

from tests.integration.web.conftest import Site
from workflow.store.models import Document, Mail, Paper

CYCLE = "community_safety_strategy-2021"
HTML = {"Accept": "text/html"}
NOW = dt.datetime(2021, 7, 20, 9, tzinfo=dt.UTC)


def started(web: Site) -> dict[str, str]:
    officer = web.token("head_of_partnerships")
    assert web.client().post("/api/v1/cycles", headers=officer,
                             json={"definition": "community_safety_strategy", "year": 2021}).status_code == 201
    return officer


def signed_in(web: Site, person: str) -> tuple[httpx.Client, str]:
    """`person` signed in for the module (`Site.signed_in`), their account made first if need be."""
    web.token(person)
    return web.signed_in(person)


def paper_count(web: Site) -> int:
    with web.engine.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Paper)) or 0)


def attach_form(client: httpx.Client, csrf: str, *, content: bytes = b"the early findings", **fields: str
                ) -> httpx.Response:
    data = {"csrf_token": csrf, "paper": "early_findings", "exempt": "no", "paragraph": "", "stage": ""} | fields
    return client.post(f"/cycles/{CYCLE}/papers/new", headers=HTML, data=data,
                       files={"file": ("findings.txt", content, "text/plain")})


@pytest.fixture
def small_limit(web: Site) -> Iterator[None]:
    """The largest paper made 10 bytes for one test, as CYCLE_MAX_PAPER_BYTES would."""
    before = web.engine.max_paper_bytes
    web.engine.max_paper_bytes = 10
    yield
    web.engine.max_paper_bytes = before


def test_an_officer_attaches_a_paper_through_the_form_and_sees_it_listed(web: Site) -> None:
    started(web)
    officer, csrf = signed_in(web, "head_of_partnerships")
    form = officer.get(f"/cycles/{CYCLE}/papers/new?paper=early_findings", headers=HTML)
    assert form.status_code == 200
    assert '<option value="early_findings" selected>Strategic assessment - early findings</option>' in form.text
    assert 'enctype="multipart/form-data"' in form.text and "a browser cannot keep it" in form.text
    assert "Information relating to any action taken or to be taken in connection with the prevention" in form.text
    attached = attach_form(officer, csrf)
    assert attached.status_code == 303 and attached.headers["location"] == f"/cycles/{CYCLE}/papers"
    assert unquote(attached.cookies["cycle_notice"]) == "'Strategic assessment - early findings' is attached."
    listed = officer.get(f"/cycles/{CYCLE}/papers", headers=HTML).text
    assert "govuk-notification-banner--success" in listed
    assert "Strategic assessment - early findings" in listed and "findings.txt" in listed
    assert "by Priya Shah, Head of Partnerships" in listed and "Tuesday 20 July 2021 at" in listed
    assert "MK Together Management Board" in listed and "18 bytes" in listed and "Exempt" not in listed
    with web.engine.sessions() as session:
        paper_id = session.scalars(select(Paper.id)).one()
    assert f'href="/papers/{paper_id}"' in listed
    assert officer.get(f"/papers/{paper_id}", headers=HTML).content == b"the early findings"


def test_an_exempt_paper_is_attached_with_its_paragraph_and_tagged(web: Site) -> None:
    started(web)
    officer, csrf = signed_in(web, "head_of_partnerships")
    attached = attach_form(officer, csrf, exempt="yes", paragraph="7")
    assert attached.status_code == 303
    assert "as exempt information" in unquote(attached.cookies["cycle_notice"])
    listed = officer.get(f"/cycles/{CYCLE}/papers", headers=HTML).text
    assert "Exempt (paragraph 7 of Schedule 12A)" in listed


def test_exempt_without_a_paragraph_is_refused_beside_the_field_keeping_the_choices(web: Site) -> None:
    started(web)
    officer, csrf = signed_in(web, "head_of_partnerships")
    refused = attach_form(officer, csrf, exempt="yes", stage="assessment_sign_off")
    assert refused.status_code == 422
    assert 'href="#paragraph">Choose the paragraph of Schedule 12A that makes the paper exempt.</a>' in refused.text
    assert 'id="paragraph-error"' in refused.text
    assert '<option value="early_findings" selected>' in refused.text
    assert 'value="yes" checked' in refused.text and '<option value="assessment_sign_off" selected>' in refused.text
    assert paper_count(web) == 0


def test_every_question_left_unanswered_is_listed_at_once_each_linked_to_its_field(web: Site) -> None:
    started(web)
    officer, csrf = signed_in(web, "head_of_partnerships")
    blank = officer.post(f"/cycles/{CYCLE}/papers/new", headers=HTML,
                         data={"csrf_token": csrf, "paper": "", "exempt": "", "paragraph": "", "stage": ""},
                         files={"file": ("", b"", "application/octet-stream")})
    assert blank.status_code == 422
    summary = blank.text.split('govuk-error-summary__list">')[1].split("</ul>")[0]
    assert re.findall(r'href="#([^"]+)"', summary) == ["paper", "file", "exempt"]
    assert "Choose which paper this file is." in summary and "Say whether the paper is exempt" in summary
    for field in ("paper", "file", "exempt"):
        assert f'id="{field}-error"' in blank.text
    exempt = attach_form(officer, csrf, paper="", exempt="yes")
    summary = exempt.text.split('govuk-error-summary__list">')[1].split("</ul>")[0]
    assert exempt.status_code == 422 and re.findall(r'href="#([^"]+)"', summary) == ["paper", "paragraph"]
    assert paper_count(web) == 0


def test_a_board_member_without_the_attach_role_is_refused_with_the_engines_sentence(web: Site) -> None:
    started(web)
    member, csrf = signed_in(web, "director_policy")
    assert "Attach a paper</a>" not in member.get(f"/cycles/{CYCLE}/papers", headers=HTML).text
    refused = attach_form(member, csrf)
    assert refused.status_code == 403
    assert 'id="paper-error"' in refused.text and "director_policy" in refused.text
    assert "attach" in refused.text.split('id="paper-error"')[1].split("</p>")[0]
    assert paper_count(web) == 0


def test_a_file_over_the_largest_size_is_refused_and_nothing_is_written(web: Site, small_limit: None) -> None:
    started(web)
    officer, csrf = signed_in(web, "head_of_partnerships")
    refused = attach_form(officer, csrf, content=b"x" * 100)
    assert refused.status_code == 422
    assert 'id="file-error"' in refused.text and "larger than" in refused.text
    assert "/tmp" not in refused.text
    assert paper_count(web) == 0


def test_an_empty_file_is_refused_by_its_own_name_not_the_servers_path(web: Site) -> None:
    started(web)
    officer, csrf = signed_in(web, "head_of_partnerships")
    refused = attach_form(officer, csrf, content=b"")
    assert refused.status_code == 422
    assert "&#39;findings.txt&#39; is empty; attach the paper itself." in refused.text
    assert "/tmp" not in refused.text
    assert paper_count(web) == 0


def test_another_boards_member_sees_neither_the_exempt_paper_nor_its_download(web: Site) -> None:
    officer = started(web)
    exempt = web.client().post(f"/api/v1/cycles/{CYCLE}/papers", headers=officer,
                               data={"paper": "early_findings", "exempt": "7", "title": "Named offenders"},
                               files={"file": ("named.txt", b"names", "text/plain")})
    public = web.client().post(f"/api/v1/cycles/{CYCLE}/papers", headers=officer,
                               data={"paper": "early_findings", "title": "Public findings"},
                               files={"file": ("public.txt", b"public", "text/plain")})
    assert exempt.status_code == public.status_code == 201
    with web.engine.sessions() as session:
        exempt_id = session.scalars(select(Paper.id).where(Paper.exempt)).one()
    other, _ = signed_in(web, "probation_manager")  # the Risk Board's, not MK Together's
    listed = other.get(f"/cycles/{CYCLE}/papers", headers=HTML).text
    assert "Public findings" in listed and "Named offenders" not in listed and "named.txt" not in listed
    hidden = other.get(f"/papers/{exempt_id}", headers=HTML)
    assert hidden.status_code == 404 and "Page not found" in hidden.text and "names" not in hidden.text
    entitled, _ = signed_in(web, "director_policy")  # a voting member of MK Together
    shown = entitled.get(f"/cycles/{CYCLE}/papers", headers=HTML).text
    assert "Named offenders" in shown and "Exempt (paragraph 7 of Schedule 12A)" in shown
    assert entitled.get(f"/papers/{exempt_id}", headers=HTML).content == b"names"
    assert other.get(f"/api/v1/papers/{exempt_id}").status_code == 404  # as the API answers it


def records(web: Site) -> int:
    """A sign-off record in each version and three emails: one sent to a board member carrying the exempt paper,
    one failed to an officer, one to another board's member. Returns the exempt paper's id."""
    officer = started(web)
    web.client().post(f"/api/v1/cycles/{CYCLE}/papers", headers=officer, data={"paper": "early_findings", "exempt": "7"},
                      files={"file": ("named.txt", b"names", "text/plain")})
    with web.engine.sessions() as session:
        paper_id = int(session.scalars(select(Paper.id)).one())
    with web.engine.unit_of_work() as session:
        for n, (person, status, subject, papers) in enumerate([
                ("director_policy", "sent", "Exempt papers for MK Together", [paper_id]),
                ("head_of_partnerships", "failed", "Papers due for MK Together", []),
                ("probation_manager", "sent", "Risk Board reminder", [])], start=1):
            session.add(Mail(key=f"reminder:{n}", cycle_id=1, kind="reminder", person=person,
                             recipient=web.email(person), subject=subject, text_body="b", html_body="<p>b</p>",
                             attachments={"papers": papers}, message_id=f"<{n}@test>", dated=NOW, status=status,
                             attempts=1, next_attempt_at=NOW, created_at=NOW,
                             last_error="the mail server refused the connection" if status == "failed" else None))
        for version, title in (("public", "Sign-off record: early findings"),
                               ("exempt", "Sign-off record: early findings (exempt)")):
            session.add(Document(cycle_id=1, event_id=1, spec="sign_off_record", version=version, title=title,
                                 stage="early_findings", definition_version=1, template="t",
                                 template_sha256="0" * 64, html_sha256="0" * 64, pdf_sha256="0" * 64,
                                 docx_sha256="0" * 64, created_at=NOW))
    return paper_id


@pytest.mark.parametrize("person", ["director_policy", "probation_manager", "head_of_partnerships"])
def test_the_documents_page_lists_what_the_api_lists_for_the_same_person(web: Site, person: str) -> None:
    records(web)
    client, _ = signed_in(web, person)
    api = client.get(f"/api/v1/cycles/{CYCLE}/documents").json()
    page = client.get(f"/cycles/{CYCLE}/documents", headers=HTML).text
    assert api, "everyone sees the public version at least"
    for document in api:
        assert document["title"] in page
        for fmt in ("pdf", "docx", "html"):
            assert f'href="/documents/{document["id"]}/{fmt}"' in page
    shown_exempt = "(exempt)" in page
    assert shown_exempt == any(d["version"] == "exempt" for d in api)
    assert shown_exempt == (person != "probation_manager")
    assert "Early findings of the strategic assessment discussed" in page and "Tuesday 20 July 2021 at 10:00am" in page


@pytest.mark.parametrize("person", ["director_policy", "probation_manager", "head_of_partnerships",
                                    "community_safety_manager"])
def test_the_mail_page_lists_what_the_api_lists_for_the_same_person(web: Site, person: str) -> None:
    records(web)
    client, _ = signed_in(web, person)
    api = client.get(f"/api/v1/cycles/{CYCLE}/mail").json()
    page = client.get(f"/cycles/{CYCLE}/mail", headers=HTML).text
    with web.engine.sessions() as session:
        everything = list(session.scalars(select(Mail)))
    listed = {m["recipient"] for m in api}
    for row in everything:
        assert (row.recipient in page) == (row.recipient in listed)
    # Community Safety Manager is an officer, not entitled to MK Together's exempt paper: its subject is withheld.
    exempt_subject_shown = "Exempt papers for MK Together" in page
    assert exempt_subject_shown == (person in ("director_policy", "head_of_partnerships"))
    if person == "community_safety_manager":
        assert "Carries exempt information you may not see" in page
    assert ("Try again" in page) == (person in ("head_of_partnerships", "community_safety_manager"))


def test_an_officer_queues_a_failed_email_again_and_a_board_member_cannot(web: Site) -> None:
    records(web)
    with web.engine.sessions() as session:
        failed = session.scalars(select(Mail).where(Mail.status == "failed")).one()
    member, member_csrf = signed_in(web, "director_policy")
    refused = member.post(f"/cycles/{CYCLE}/mail/{failed.id}/retry", headers=HTML, data={"csrf_token": member_csrf})
    assert refused.status_code == 404
    officer, csrf = signed_in(web, "community_safety_manager")
    page = officer.get(f"/cycles/{CYCLE}/mail", headers=HTML).text
    assert "Failed" in page and "the mail server refused the connection" in page
    retried = officer.post(f"/cycles/{CYCLE}/mail/{failed.id}/retry", headers=HTML, data={"csrf_token": csrf})
    assert retried.status_code == 303 and retried.headers["location"] == f"/cycles/{CYCLE}/mail"
    with web.engine.sessions() as session:
        assert session.get(Mail, failed.id).status in ("pending", "sending", "sent", "retrying")  # type: ignore[union-attr]
    again = officer.post(f"/cycles/{CYCLE}/mail/{failed.id}/retry", headers=HTML, data={"csrf_token": csrf})
    assert again.status_code == 422
    assert f'id="retry-{failed.id}-error"' in again.text and "only failed, retrying or uncertain mail" in again.text


def agenda_packs(web: Site) -> dict[str, int]:
    """MK Together's July agenda issued, its packs kept as the AgendaIssued handler keeps them: the public pack, and
    two private packs (members entitled to different private items get different ones), each emailed to one member
    only, both recorded against a stage every MK Together voting member and officer is entitled to. Returns the
    private packs' ids by recipient."""
    started(web)
    ids = {}
    with web.engine.unit_of_work() as session:
        for version, person in (("public", ""), ("exempt", "director_policy"), ("exempt-2", "head_of_partnerships")):
            part = "" if version == "public" else f", private part {version}"
            row = Document(cycle_id=1, event_id=1, spec="agenda_pack", version=version,
                           title=f"Agenda pack: MK Together Management Board, 13 July 2021{part}",
                           stage="early_findings", definition_version=1, template="t", template_sha256="0" * 64,
                           html_sha256="0" * 64, pdf_sha256="0" * 64, docx_sha256="0" * 64, created_at=NOW)
            session.add(row)
            session.flush()
            ids[person or "public"] = row.id
        for person in ("director_policy", "head_of_partnerships"):
            key = f"agenda:mk_together:2021-07-13:v1:{person}"
            session.add(Mail(key=key, cycle_id=1, kind="agenda", person=person, recipient=web.email(person),
                             subject="MK Together: agenda pack", text_body="b", html_body="<p>b</p>",
                             attachments={"documents": [{"id": ids["public"], "format": "pdf"},
                                                        {"id": ids[person], "format": "pdf"}], "papers": []},
                             message_id=f"<{person}@test>", dated=NOW, status="sent", attempts=1,
                             next_attempt_at=NOW, created_at=NOW))
    return ids


def test_a_private_agenda_pack_is_served_only_to_those_it_was_sent_to(web: Site) -> None:
    ids = agenda_packs(web)
    sent, other = ids["director_policy"], ids["head_of_partnerships"]
    member = web.token("director_policy")  # a voting member of MK Together, entitled to the stage: sent 'exempt'
    client = web.client()
    unknown = client.get("/api/v1/documents/999/pdf", headers=member)
    refused = client.get(f"/api/v1/documents/{other}/pdf", headers=member)
    assert unknown.status_code == refused.status_code == 404
    assert refused.json()["detail"] == unknown.json()["detail"].replace("999", str(other))
    listed = [d["version"] for d in client.get(f"/api/v1/cycles/{CYCLE}/documents", headers=member).json()]
    assert listed == ["public", "exempt"]
    browser, _ = signed_in(web, "director_policy")
    page = browser.get(f"/cycles/{CYCLE}/documents", headers=HTML).text
    assert f'href="/documents/{sent}/pdf"' in page and f'href="/documents/{other}/pdf"' not in page
    assert browser.get(f"/documents/{other}/pdf", headers=HTML).status_code == 404
    # The officer sent the other private pack reads that one only; the committee manager reads both.
    officer = [d["version"] for d in client.get(f"/api/v1/cycles/{CYCLE}/documents",
                                                 headers=web.token("head_of_partnerships")).json()]
    manager = [d["version"] for d in client.get(f"/api/v1/cycles/{CYCLE}/documents",
                                                 headers=web.token("committee_manager")).json()]
    assert officer == ["public", "exempt-2"] and manager == ["public", "exempt", "exempt-2"]
