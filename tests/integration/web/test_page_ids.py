"""A page's address with an id no row can have (25 digits: more than an SQLite or PostgreSQL INTEGER holds)
is a page that is not there, in one sentence: before, converting it for the database crashed the page (500)."""

from __future__ import annotations

from tests.integration.web.conftest import Site
from tests.integration.web.test_api import CYCLE, start

HTML = {"Accept": "text/html"}
TOO_LARGE = "9" * 25
NO_PAGE = "There is no page at this address; check it, or start from My work."


def test_every_page_with_an_id_in_its_address_answers_404_for_one_too_large(web: Site) -> None:
    start(web)
    web.account("committee_manager", admin=True)
    admin, csrf = web.sign_in("committee_manager")
    routes = [
        ("get", f"/cycles/{CYCLE}/letters/{TOO_LARGE}/pdf"),
        ("post", f"/cycles/{CYCLE}/letters/{TOO_LARGE}/posted"),
        ("get", f"/cycles/{CYCLE}/contacts/{TOO_LARGE}"),
        ("post", f"/cycles/{CYCLE}/contacts/{TOO_LARGE}"),
        ("post", f"/cycles/{CYCLE}/contacts/{TOO_LARGE}/remove"),
        ("get", f"/cycles/{CYCLE}/decisions/{TOO_LARGE}/rescind"),
        ("post", f"/cycles/{CYCLE}/decisions/{TOO_LARGE}/rescind"),
        ("post", f"/cycles/{CYCLE}/mail/{TOO_LARGE}/retry"),
        ("post", f"/operations/mail/{TOO_LARGE}/retry"),
        ("post", f"/operations/deadline/{TOO_LARGE}/retry"),
        ("post", f"/tokens/{TOO_LARGE}/revoke"),
        ("get", f"/papers/{TOO_LARGE}"),
        ("get", f"/documents/{TOO_LARGE}/pdf"),
    ]
    for method, path in routes:
        if method == "get":
            answered = admin.get(path, headers=HTML)
        else:
            answered = admin.post(path, headers=HTML, data={"csrf_token": csrf})
        assert answered.status_code == 404, (path, answered.status_code, answered.text[:300])
        assert answered.headers["content-type"].startswith("text/html"), path
        assert NO_PAGE in answered.text, (path, answered.text[:300])
