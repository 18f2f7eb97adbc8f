"""A decision on private business (its item's papers all exempt, Schedule 12A) on the web: its resolution, reason and
the comment recorded with it reach only those entitled to the item's exempt papers, through the API and the pages,
as through `cycle status` and `cycle history` (tests/test_reads.py); everyone else reads that they are withheld."""

from __future__ import annotations

import html

from tests.integration.web.conftest import Site
from workflow.time.clock import local_date

CYCLE = "community_safety_strategy-2021"
HTML = {"Accept": "text/html"}
VOTES = ["director_policy", "director_childrens_services", "police_area_commander"]
RESOLUTION, COMMENT, REASON = "That Operation KINGFISHER be referred", "the family were told", "the suspects were named"
SECRETS = (RESOLUTION, COMMENT, REASON)


def decided_in_private(web: Site) -> None:
    officer = web.token("head_of_partnerships")
    assert web.client().post("/api/v1/cycles", headers=officer,
                             json={"definition": "community_safety_strategy", "year": 2021}).status_code == 201
    attached = web.client().post(f"/api/v1/cycles/{CYCLE}/papers", headers=officer,
                                 data={"paper": "early_findings", "exempt": "2"},
                                 files={"file": ("f.txt", b"findings", "text/plain")})
    assert attached.status_code == 201, attached.text
    today = local_date(web.engine.clock.now())
    first = web.engine.decide(CYCLE, "mk_together", "early_findings", "committee_manager", votes_for=VOTES,
                              meeting_date=today, resolution=f"{RESOLUTION}.", comment=COMMENT)
    web.engine.decide(CYCLE, "mk_together", "early_findings", "committee_manager", votes_for=VOTES,
                      meeting_date=today, resolution=f"{RESOLUTION} again.", amends=first.decision_id, reason=REASON)


def test_a_private_decisions_resolution_comment_and_reason_reach_only_those_entitled(web: Site) -> None:
    decided_in_private(web)
    member = web.client()  # votes on MK Together, whose private business it is
    member.headers.update(web.token("director_policy"))
    status = member.get(f"/api/v1/cycles/{CYCLE}").json()
    assert [d["withheld"] for d in status["decisions"]] == [None, None]
    assert RESOLUTION in status["decisions"][0]["resolution"] and status["decisions"][1]["reason"] == REASON
    history = member.get(f"/api/v1/cycles/{CYCLE}/history").text
    assert COMMENT in history and REASON in history
    browser, _ = web.sign_in("director_policy")
    assert all(s in html.unescape(browser.get(f"/cycles/{CYCLE}/decisions", headers=HTML).text)
               for s in (RESOLUTION, REASON))
    assert COMMENT in html.unescape(browser.get(f"/cycles/{CYCLE}/history", headers=HTML).text)

    outsider = web.client()  # on the directory, in no private session of MK Together
    outsider.headers.update(web.token("fire_group_commander"))
    api = outsider.get(f"/api/v1/cycles/{CYCLE}")
    assert api.status_code == 200
    assert [(d["resolution"], d["reason"], d["withheld"]) for d in api.json()["decisions"]] == \
        [(None, None, "private business")] * 2
    history = outsider.get(f"/api/v1/cycles/{CYCLE}/history")
    assert history.status_code == 200 and not any(s in history.text for s in SECRETS)
    assert [h["data"]["withheld"] for h in history.json() if h["action"] == "decide"] == ["private business"] * 2
    browser, _ = web.sign_in("fire_group_commander")
    register = html.unescape(browser.get(f"/cycles/{CYCLE}/decisions", headers=HTML).text)
    assert not any(s in register for s in SECRETS)
    assert register.count("Withheld: private business, shown only to those entitled to it.") == 2
    trail = html.unescape(browser.get(f"/cycles/{CYCLE}/history", headers=HTML).text)
    assert not any(s in trail for s in SECRETS)
    assert "(its comment and reason withheld from you: private business)" in trail
