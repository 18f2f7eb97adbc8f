"""Every response carries the pages' security headers, the API's included; nothing exempt is cached; an
uploaded paper is bytes to save, never a page; the API's reference loads nothing from elsewhere."""

from __future__ import annotations

import re

import httpx

from tests.integration.web.conftest import Site
from tests.integration.web.test_page_records import CYCLE, HTML, signed_in, started

SECURITY = {"x-content-type-options": "nosniff", "referrer-policy": "same-origin", "x-frame-options": "DENY"}


def assert_guarded(response: httpx.Response, *, cached: bool = False) -> None:
    where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
    for name, value in SECURITY.items():
        assert response.headers.get(name) == value, f"{where}: {name} is {response.headers.get(name)!r}"
    policy = response.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy, f"{where}: CSP {policy!r}"
    if not cached:
        assert response.headers.get("cache-control") == "no-store", f"{where}: {response.headers.get('cache-control')}"


def test_every_kind_of_response_carries_the_headers_and_no_store(web: Site) -> None:
    officer = started(web)
    client = web.client()
    paper = client.post(f"/api/v1/cycles/{CYCLE}/papers", headers=officer, data={"paper": "early_findings"},
                        files={"file": ("findings.pdf", b"%PDF-1.4 findings", "application/pdf")})
    assert paper.status_code == 201, paper.text
    member, _csrf = signed_in(web, "head_of_partnerships")
    answers = [
        client.get(f"/api/v1/cycles/{CYCLE}", headers=officer),  # JSON
        client.get(f"/api/v1/cycles/{CYCLE}/papers", headers=officer),
        client.get("/api/v1/papers/1", headers=officer),  # a download
        client.get("/api/v1/papers/999", headers=officer),  # a problem document
        client.get(f"/api/v1/cycles/{CYCLE}"),  # 401
        client.post(f"/api/v1/cycles/{CYCLE}/fire", headers=officer, json={"trigger": 3}),  # 422
        client.get("/api/v1/openapi.json"),
        client.get("/api/v1/docs"),
        member.get(f"/cycles/{CYCLE}/papers", headers=HTML),  # a page
        member.get("/papers/1", headers=HTML),
        member.get("/no-such-page", headers=HTML),  # the 404 page
        client.get("/auth/login"),
    ]
    for response in answers:
        assert_guarded(response)
    # A static asset may be cached: it carries nothing of anyone's.
    assert_guarded(client.get("/static/app.css"), cached=True)
    # The public site may be kept by a shared cache for five minutes: it shows only what anyone may read.
    for public in (client.get("/public"), client.get("/public/boards/mk_together"), client.get("/public/documents/paper-1")):
        assert public.status_code == 200, public.request.url
        assert_guarded(public, cached=True)
        assert public.headers["cache-control"] == "public, max-age=300"
    assert_guarded(client.get("/public/documents/paper-999", headers=HTML))  # refused: not kept


def test_a_paper_uploaded_as_html_is_served_as_bytes_to_save(web: Site) -> None:
    officer = started(web)
    client = web.client()
    hostile = b"<html><script>fetch('/api/v1/me')</script></html>"
    for name, kind in (("page.html", "text/html"), ("picture.svg", "image/svg+xml"), ("notes.pdf", "application/pdf")):
        attached = client.post(f"/api/v1/cycles/{CYCLE}/papers", headers=officer, data={"paper": "early_findings",
                               "title": name}, files={"file": (name, hostile if kind != "application/pdf"
                                                               else b"%PDF-1.4 x", kind)})
        assert attached.status_code == 201, attached.text
    listed = {p["filename"]: p["id"] for p in client.get(f"/api/v1/cycles/{CYCLE}/papers", headers=officer).json()}
    served = {name: client.get(f"/api/v1/papers/{paper_id}", headers=officer) for name, paper_id in listed.items()}
    assert served["page.html"].headers["content-type"] == "application/octet-stream"
    assert served["picture.svg"].headers["content-type"] == "application/octet-stream"
    assert served["notes.pdf"].headers["content-type"] == "application/pdf"  # on the allow-list
    for response in served.values():
        assert response.headers["content-disposition"].startswith("attachment;")
        assert_guarded(response)


def test_the_api_reference_is_a_page_of_ours_that_loads_nothing_from_elsewhere(web: Site) -> None:
    page = web.client().get("/api/v1/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert_guarded(page)
    sources = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert sources and all(s.startswith(("/", "#")) for s in sources), sources
    scripts = re.findall(r"<script[^>]*>", page.text)
    assert all(re.search(r'src="/static/[^"]+"', tag) for tag in scripts), scripts  # ours, from a file
    # It lists every operation of the OpenAPI document the service serves.
    schema = web.client().get("/api/v1/openapi.json").json()
    for path in schema["paths"]:
        assert f" {path}</code>" in page.text.replace("&#123;", "{").replace("&#125;", "}")
