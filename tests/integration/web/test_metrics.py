"""/metrics on the web service: for the monitoring token or an administrator; fires and refusals through the API count."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import carry, paper_file
from tests.integration.web.conftest import Site

TOKEN = "a metrics token for the monitoring service"
WEB_SETTINGS = {"metrics_token": TOKEN}
MONITOR = {"Authorization": f"Bearer {TOKEN}"}
CYCLE = "community_safety_strategy-2021"


def test_metrics_are_for_the_monitoring_token_or_an_administrator(web: Site) -> None:
    client = web.client()
    assert client.get("/metrics").status_code == 401, "not signed in"
    assert client.get("/metrics", headers={"Authorization": "Bearer a guess"}).status_code == 401
    assert client.get("/metrics", headers=web.token("head_of_partnerships")).status_code == 403, "not an admin"
    web.account("community_safety_manager", admin=True)
    admin, _ = web.sign_in("community_safety_manager")
    assert admin.get("/metrics").status_code == 200
    scraped = client.get("/metrics", headers=MONITOR)
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    assert "cycle_database_up 1.0" in scraped.text
    assert "/metrics" not in client.get("/api/v1/openapi.json").text


def test_fires_refusals_and_requests_through_the_api_are_counted(web: Site, tmp_path: Path) -> None:
    officer = web.token("head_of_partnerships")
    client = web.client()
    started = client.post("/api/v1/cycles", headers=officer, json={"definition": "community_safety_strategy",
                                                                   "year": 2021})
    assert started.status_code == 201, started.text
    refused = client.post(f"/api/v1/cycles/{CYCLE}/fire", headers=officer, json={"trigger": "discuss_early_findings"})
    assert refused.status_code == 422, refused.text
    scraped = client.get("/metrics", headers=MONITOR).text
    assert 'cycle_refusals_total{reason="gate_not_met"} 1.0' in scraped
    assert "cycle_fires_total{" not in scraped.replace("# HELP cycle_fires_total", ""), "nothing fired yet"
    assert ('cycle_http_requests_total{method="POST",route="/api/v1/cycles/{cycle}/fire",status="422"}'
            in scraped), "requests are counted by route template, not by path"
    web.engine.attach(CYCLE, "early_findings", paper_file(tmp_path, "ef"), "head_of_partnerships")
    carry(web.app.state.cycle, "mk_together", "early_findings")
    fired = client.post(f"/api/v1/cycles/{CYCLE}/fire", headers=officer, json={"trigger": "discuss_early_findings"})
    assert fired.status_code == 200, fired.text
    scraped = client.get("/metrics", headers=MONITOR).text
    assert 'cycle_fires_total{trigger="discuss_early_findings"} 1.0' in scraped
    assert 'cycle_refusals_total{reason="gate_not_met"} 1.0' in scraped
