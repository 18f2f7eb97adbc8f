"""The REST API through a real HTTP client, against uvicorn on loopback and the real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import httpx
from sqlalchemy import func, select

from tests.integration.web.conftest import PASSWORD, Site
from workflow.store.models import HistoryEntry, Mail, SignInAttempt

CYCLE = "community_safety_strategy-2021"
MK_TOGETHER_VOTES = ["council_chief_executive", "director_childrens_services", "director_policy"]


def history_rows(web: Site) -> int:
    with web.engine.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(HistoryEntry)) or 0)


def start(web: Site) -> dict[str, str]:
    officer = web.token("head_of_partnerships")
    response = web.client().post("/api/v1/cycles", headers=officer,
                                 json={"definition": "community_safety_strategy", "year": 2021})
    assert response.status_code == 201, response.text
    return officer


def test_no_session_or_a_forged_one_is_401(web: Site) -> None:
    start(web)
    client = web.client()
    for headers, cookies in (({}, {}), ({"Authorization": "Bearer cyc_forged"}, {}),
                             ({}, {"cycle_session": "forged"})):
        client.cookies.clear()
        client.cookies.update(cookies)
        response = client.get(f"/api/v1/cycles/{CYCLE}", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]


def test_a_person_without_the_role_is_refused_with_403_and_nothing_is_written(web: Site) -> None:
    start(web)
    board_member = web.token("director_policy")
    before = history_rows(web)
    fired = web.client().post(f"/api/v1/cycles/{CYCLE}/fire", headers=board_member,
                              json={"trigger": "discuss_early_findings"})
    decided = web.client().post(f"/api/v1/cycles/{CYCLE}/decisions", headers=board_member,
                                json={"board": "mk_together", "item": "early_findings", "votes_for": MK_TOGETHER_VOTES})
    assert (fired.status_code, decided.status_code) == (403, 403)
    assert "director_policy cannot decide" in decided.json()["detail"]
    assert history_rows(web) == before


def test_a_cycle_outside_ones_directory_is_the_same_404_as_none(web: Site) -> None:
    start(web)
    web.accounts.add("admin@example.org", password=PASSWORD, admin=True, by="test")
    outsider = {"Authorization": f"Bearer {web.accounts.create_token('admin@example.org', 'x')}"}
    hidden = web.client().get(f"/api/v1/cycles/{CYCLE}", headers=outsider)
    missing = web.client().get("/api/v1/cycles/no_such-2021", headers=outsider)
    assert (hidden.status_code, missing.status_code) == (404, 404)
    assert hidden.json()["detail"] == f"there is no cycle '{CYCLE}'"
    assert web.client().get("/api/v1/cycles", headers=outsider).json() == []


def test_another_boards_exempt_paper_is_404_by_id(web: Site) -> None:
    officer = start(web)
    attached = web.client().post(
        f"/api/v1/cycles/{CYCLE}/papers", headers=officer,
        data={"paper": "early_findings", "exempt": "7", "title": "Named offenders"},
        files={"file": ("findings.txt", b"exempt content about named people", "text/plain")})
    assert attached.status_code == 201, attached.text
    with web.engine.sessions() as session:
        from workflow.store.models import Paper

        paper_id = session.scalars(select(Paper.id)).one()
    # The Risk Board's voting member does not sit on the MK Together board the paper is for.
    other_board = web.token("probation_manager")
    refused = web.client().get(f"/api/v1/papers/{paper_id}", headers=other_board)
    missing = web.client().get("/api/v1/papers/999999", headers=other_board)
    assert (refused.status_code, missing.status_code) == (404, 404)
    assert refused.json()["detail"] == f"there is no paper {paper_id}"
    listed = web.client().get(f"/api/v1/cycles/{CYCLE}/papers", headers=other_board).json()
    assert listed == []
    assert "Named offenders" not in web.client().get(f"/api/v1/cycles/{CYCLE}", headers=other_board).text
    entitled = web.client().get(f"/api/v1/papers/{paper_id}", headers=web.token("director_policy"))
    assert entitled.status_code == 200
    assert entitled.content == b"exempt content about named people"


def test_a_cookie_post_without_its_csrf_token_is_refused(web: Site) -> None:
    start(web)
    web.account("committee_manager")
    client, csrf = web.sign_in("committee_manager")
    body = {"board": "mk_together", "item": "early_findings", "votes_for": MK_TOGETHER_VOTES}
    before = history_rows(web)
    refused = client.post(f"/api/v1/cycles/{CYCLE}/decisions", json=body)
    wrong = client.post(f"/api/v1/cycles/{CYCLE}/decisions", json=body, headers={"X-CSRF-Token": "guess"})
    assert (refused.status_code, wrong.status_code) == (403, 403)
    assert "CSRF" in refused.json()["detail"]
    assert history_rows(web) == before
    accepted = client.post(f"/api/v1/cycles/{CYCLE}/decisions", json=body, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 201, accepted.text
    # The sign-in form is protected too: without its token, no session is made.
    fresh = web.client()
    no_token = fresh.post("/auth/login", data={"email": web.email("committee_manager"), "password": PASSWORD})
    assert no_token.status_code == 403
    assert "cycle_session" not in fresh.cookies


def test_wrong_passwords_slow_one_email_from_one_address_alike_for_unknown_emails(web: Site) -> None:
    web.account("committee_manager")
    client = web.client()
    token = client.get("/auth/login").cookies["cycle_form"]
    email = web.email("committee_manager")
    guesser = {"X-Forwarded-For": "203.0.113.9"}  # uvicorn takes the client address from its local proxy

    def answers(who: str, password: str, times: int) -> list[tuple[int, str]]:
        found = []
        for _ in range(times):
            reply = client.post("/auth/login", headers=guesser,
                                data={"email": who, "password": password, "csrf_token": token})
            found.append((reply.status_code, reply.json()["detail"]))
        return found

    real, unknown = answers(email, "not the password", 11), answers("nobody@example.org", "not the password", 11)
    # Whether the account exists cannot be told from the answers: ten 401s, then the same 429.
    assert real == unknown
    assert [status for status, _ in real] == [401] * 10 + [429]
    assert re.search(r"wait (29|30) seconds", real[-1][1]), real[-1][1]
    right = client.post("/auth/login", headers=guesser, data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert right.status_code == 429 and "cycle_session" not in client.cookies
    # The person, from their own address, signs in all the same: the guesser cannot lock them out.
    web.sign_in("committee_manager")
    # Each further wrong password doubles the wait (here: one more, dated as if the wait had passed).
    with web.engine.unit_of_work() as session:
        for attempt in session.scalars(select(SignInAttempt).where(SignInAttempt.client == "203.0.113.9")):
            attempt.at -= dt.timedelta(seconds=31)
    assert answers(email, "still not it", 1)[0][0] == 401
    assert re.search(r"wait (59|60) seconds", answers(email, "still not it", 1)[0][1])
    # A reset link resets nothing a guesser could use; it is emailed, its token masked in the mail table.
    web.accounts.send_link(email, "reset")
    with web.engine.sessions() as session:
        mail = session.scalars(select(Mail).where(Mail.kind == "account")).one()
    assert mail.recipient == email and mail.status == "sent"
    assert mail.text_body.count("/auth/set-password?token=[sent-once-not-kept]") == 1


def test_an_idempotent_post_repeated_fires_once(web: Site) -> None:
    officer = start(web)
    key = {"Idempotency-Key": str(uuid.uuid4()), **officer}
    before = history_rows(web)
    body = {"paper": "early_findings"}
    files = {"file": ("findings.txt", b"early findings", "text/plain")}
    first = web.client().post(f"/api/v1/cycles/{CYCLE}/papers", headers=key, data=body, files=files)
    second = web.client().post(f"/api/v1/cycles/{CYCLE}/papers", headers=key, data=body, files=files)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert second.headers.get("idempotent-replayed") == "true"
    assert history_rows(web) == before + 1
    # Another key is another request.
    other = web.client().post(f"/api/v1/cycles/{CYCLE}/papers", data=body, files=files,
                              headers={"Idempotency-Key": str(uuid.uuid4()), **officer})
    assert other.status_code == 201
    assert history_rows(web) == before + 2


def test_an_officer_signs_in_sees_their_work_and_moves_the_cycle_on(web: Site) -> None:
    start(web)  # the officer's account is made here, with a token
    web.account("committee_manager")
    officer, officer_csrf = web.sign_in("head_of_partnerships")
    manager, manager_csrf = web.sign_in("committee_manager")

    work = officer.get("/api/v1/mywork").json()  # a list of to-do items: the shape councils' scripts read
    assert [(w["kind"], w["paper"]) for w in work] == [("attach", "early_findings")]
    assert set(work[0]) == {"kind", "cycle", "cycle_id", "person", "title", "stage", "due", "working_days_left",
                            "overdue", "trigger", "paper", "board", "item", "strand"}
    assert work[0]["overdue"] is True and work[0]["working_days_left"] == -5

    attached = officer.post(f"/api/v1/cycles/{CYCLE}/papers", headers={"X-CSRF-Token": officer_csrf},
                            data={"paper": "early_findings"}, files={"file": ("f.txt", b"findings", "text/plain")})
    assert attached.status_code == 201, attached.text

    early = officer.post(f"/api/v1/cycles/{CYCLE}/fire", headers={"X-CSRF-Token": officer_csrf},
                         json={"trigger": "discuss_early_findings"})
    assert early.status_code == 422
    assert ("has not yet recorded its decision on 'Strategic assessment - early findings'; Helen Marsh "
            "(committee manager) records it") in early.json()["detail"]
    # What the officer's step waits for, and from whom: the committee manager records the board's decision.
    assert officer.get("/api/v1/mywork").json() == []
    [waited] = officer.get("/api/v1/mywork/waiting").json()
    assert waited["title"] == "the MK Together Management Board's decision on 'Strategic assessment - early findings'"
    assert waited["who"] == [{"person": "committee_manager", "name": "Helen Marsh", "role": "committee manager"}]
    assert waited["from_whom"] == "Helen Marsh (committee manager)"
    assert (waited["since"], waited["due"], waited["overdue"]) == ("2021-07-20", "2021-07-13", True)  # started late
    assert waited["step"] == "Early findings discussed at MK Together Management Board"

    todo = manager.get("/api/v1/mywork").json()
    assert ("decide", "mk_together", "early_findings") in [(w["kind"], w["board"], w["item"]) for w in todo]
    # The site's clock says 20 July 2021: a meeting in August has not been held, so nothing can be decided at it.
    unheld = manager.post(f"/api/v1/cycles/{CYCLE}/decisions", headers={"X-CSRF-Token": manager_csrf},
                          json={"board": "mk_together", "item": "early_findings", "votes_for": MK_TOGETHER_VOTES,
                                "meeting_date": "2021-08-10"})
    assert unheld.status_code == 422, unheld.text
    assert ("the MK Together Management Board has not met yet: the meeting date given is 10 August 2021 and today "
            "is 20 July 2021") in unheld.json()["detail"]
    decided = manager.post(f"/api/v1/cycles/{CYCLE}/decisions", headers={"X-CSRF-Token": manager_csrf},
                           json={"board": "mk_together", "item": "early_findings", "votes_for": MK_TOGETHER_VOTES,
                                 "apologies": ["police_area_commander"]})
    assert decided.status_code == 201, decided.text
    assert decided.json()["outcome"] == "carried"

    assert [w["trigger"] for w in officer.get("/api/v1/mywork").json() if w["kind"] == "fire"] == \
        ["discuss_early_findings"]
    assert officer.get("/api/v1/mywork/waiting").json() == []
    fired = officer.post(f"/api/v1/cycles/{CYCLE}/fire", headers={"X-CSRF-Token": officer_csrf},
                         json={"trigger": "discuss_early_findings", "comment": "discussed on 13 July"})
    assert fired.status_code == 200, fired.text
    assert fired.json()["to_state"] == "assessment_sign_off"

    status = officer.get(f"/api/v1/cycles/{CYCLE}").json()
    assert status["stage"] == "assessment_sign_off"
    history = officer.get(f"/api/v1/cycles/{CYCLE}/history").json()
    assert [(h["action"], h["actor"]) for h in history] == [
        ("start", "head_of_partnerships"), ("attach", "head_of_partnerships"), ("decide", "committee_manager"),
        ("fire", "head_of_partnerships")]
    # Signed in through the web, nobody's operating-system account is recorded.
    assert all("os_account" not in h["data"] for h in history)


def test_a_refusal_carries_the_cli_sentence(web: Site) -> None:
    officer = start(web)
    again = web.client().post("/api/v1/cycles", headers=officer,
                              json={"definition": "community_safety_strategy", "year": 2021})
    assert again.status_code == 422
    assert again.json()["detail"] == f"a cycle of 'community_safety_strategy' for 2021 already exists: {CYCLE}"
    unknown = web.client().post(f"/api/v1/cycles/{CYCLE}/fire", headers=officer, json={"trigger": "discuss_early_finding"})
    assert unknown.status_code == 422 and "did you mean" in unknown.json()["detail"]


def test_only_an_admin_manages_accounts(web: Site) -> None:
    officer = web.token("head_of_partnerships")
    web.accounts.add("admin@example.org", password=PASSWORD, admin=True, by="test")
    admin = {"Authorization": f"Bearer {web.accounts.create_token('admin@example.org', 'x')}"}
    invite = {"email": web.email("committee_manager")}
    refused = web.client().post("/api/v1/accounts", headers=officer, json=invite)
    assert refused.status_code == 403
    assert refused.json()["detail"] == f"{web.email('head_of_partnerships')} is not an admin; only an admin manages accounts"
    invited = web.client().post("/api/v1/accounts", headers=admin, json=invite)
    assert invited.status_code == 201, invited.text
    with web.engine.sessions() as session:
        assert session.scalars(select(Mail.recipient).where(Mail.kind == "account")).all() == [invite["email"]]
    assert web.client().post(f"/api/v1/accounts/{web.email('head_of_partnerships')}/disable",
                             headers=admin).status_code == 200
    assert web.client().get("/api/v1/mywork", headers=officer).status_code == 401
    assert web.client().get("/api/v1/mywork/waiting", headers=officer).status_code == 401


def test_an_invitation_link_sets_a_password_once(web: Site) -> None:
    email = web.email("committee_manager")
    web.accounts.add(email, password=None, admin=False, by="test")
    link = web.accounts.send_link(email, "invite")
    client = web.client()
    form = client.get(link.removeprefix(web.url))
    assert form.status_code == 200 and "Choose your password" in form.text
    token = link.split("token=", 1)[1]
    data = {"token": token, "password": "my own long password", "csrf_token": client.cookies["cycle_form"]}
    assert client.post("/auth/set-password", data=data).status_code == 303
    again = client.post("/auth/set-password", data=data)
    assert again.status_code == 422
    assert again.json()["detail"] == "this link has expired or has been used; ask an administrator for a new one"
    signed_in, _csrf = web.sign_in("committee_manager", "my own long password")
    assert signed_in.get("/api/v1/me").json()["email"] == email


def test_an_email_and_an_exempt_document_are_404_to_those_they_are_not_for(web: Site) -> None:
    import datetime as dt

    from workflow.store.models import Document

    start(web)
    now = dt.datetime(2021, 7, 20, 9, tzinfo=dt.UTC)
    with web.engine.unit_of_work() as session:
        session.add(Mail(key="reminder:1", cycle_id=1, kind="reminder", person="director_policy",
                         recipient=web.email("director_policy"), subject="Papers for MK Together",
                         text_body="The exempt paper is attached.", html_body="<p>x</p>", attachments={},
                         message_id="<1@test>", dated=now, status="sent", attempts=1, next_attempt_at=now,
                         created_at=now))
        session.add(Document(cycle_id=1, event_id=1, spec="sign_off_record", version="exempt", title="Exempt record",
                             stage="early_findings", definition_version=1, template="t", template_sha256="0" * 64,
                             html_sha256="0" * 64, pdf_sha256="0" * 64, docx_sha256="0" * 64, created_at=now))
    addressee, other_member = web.token("director_policy"), web.token("probation_manager")
    assert web.client().get("/api/v1/mail/1", headers=addressee).json()["text_body"] == "The exempt paper is attached."
    hidden = web.client().get("/api/v1/mail/1", headers=other_member)
    assert hidden.status_code == 404 and hidden.json()["detail"] == "there is no mail 1"
    assert web.client().get(f"/api/v1/cycles/{CYCLE}/mail", headers=other_member).json() == []
    refused = web.client().get("/api/v1/documents/1/pdf", headers=other_member)
    assert refused.status_code == 404 and refused.json()["detail"] == "there is no document 1"
    assert web.client().get(f"/api/v1/cycles/{CYCLE}/documents", headers=other_member).json() == []
    assert [d["title"] for d in web.client().get(f"/api/v1/cycles/{CYCLE}/documents", headers=addressee).json()] == \
        ["Exempt record"]


def test_a_browser_with_a_wrong_password_gets_the_form_again_with_the_sentence(web: Site) -> None:
    web.account("committee_manager")
    client = web.client()
    token = client.get("/auth/login").cookies["cycle_form"]
    refused = client.post("/auth/login", headers={"Accept": "text/html"},
                          data={"email": web.email("committee_manager"), "password": "wrong", "csrf_token": token})
    assert refused.status_code == 303
    form = client.get(refused.headers["location"])
    assert 'The email or password is not right.</a>' in form.text and 'govuk-error-summary' in form.text


def test_officers_firing_at_once_one_wins_and_the_others_are_told(web: Site) -> None:
    import threading

    officer = start(web)
    manager = web.token("committee_manager")
    web.client().post(f"/api/v1/cycles/{CYCLE}/papers", headers=officer, data={"paper": "early_findings"},
                      files={"file": ("f.txt", b"findings", "text/plain")})
    web.client().post(f"/api/v1/cycles/{CYCLE}/decisions", headers=manager,
                      json={"board": "mk_together", "item": "early_findings", "votes_for": MK_TOGETHER_VOTES})
    before = history_rows(web)
    clients = [web.client() for _ in range(6)]
    barrier = threading.Barrier(len(clients))
    answers: list[tuple[int, str]] = []

    def fire(client: httpx.Client) -> None:
        barrier.wait()
        response = client.post(f"/api/v1/cycles/{CYCLE}/fire", headers=officer,
                               json={"trigger": "discuss_early_findings"})
        answers.append((response.status_code, response.json().get("detail", "")))

    threads = [threading.Thread(target=fire, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(code for code, _ in answers)[0] == 200
    assert [code for code, _ in answers].count(200) == 1
    for code, detail in answers:
        assert code in (200, 409, 422)
        if code == 409:
            assert detail.startswith("the cycle changed while your command was running")
    assert history_rows(web) == before + 1


def test_priorities_sent_with_a_decision_are_read_by_the_clis_rule_and_listed_in_the_status(web: Site) -> None:
    start(web)
    manager = web.token("committee_manager")
    body = {"board": "mk_together", "item": "early_findings", "votes_for": MK_TOGETHER_VOTES,
            "priorities": ["Cyber crime: new priority", "Hate crime"]}
    before = history_rows(web)
    refused = web.client().post(f"/api/v1/cycles/{CYCLE}/decisions", headers=manager, json=body)
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("'Hate crime' should read 'priority: recommendation'")
    assert history_rows(web) == before
    body["priorities"] = ["Cyber crime: new priority", "Hate crime: further work"]
    assert web.client().post(f"/api/v1/cycles/{CYCLE}/decisions", headers=manager, json=body).status_code == 201
    status = web.client().get(f"/api/v1/cycles/{CYCLE}", headers=manager).json()
    assert status["decisions"][0]["priorities"] == [{"title": "Cyber crime", "recommendation": "new priority"},
                                                    {"title": "Hate crime", "recommendation": "further work"}]
