"""The fake PagerDuty: users paging, the account behind each token, errors and rate limits."""

from __future__ import annotations

from datetime import datetime

import httpx

from syncer.simulator import Simulator
from syncer.simulator.seed import PAGERDUTY_EU_TOKEN, PAGERDUTY_TOKEN

ACCEPT = "application/vnd.pagerduty+json;version=2"


def pd(token: str) -> dict[str, str]:
    return {"Authorization": f"Token token={token}", "Accept": ACCEPT}


def test_users_paging(sim: Simulator, http: httpx.Client) -> None:
    url = f"{sim.pagerduty.url}/users"
    first = http.get(url, headers=pd(PAGERDUTY_TOKEN)).json()
    assert (first["limit"], first["offset"], first["more"], first["total"]) == (25, 0, True, None)
    assert len(first["users"]) == 25
    rest = http.get(url, params={"limit": 25, "offset": 25, "total": "true"}, headers=pd(PAGERDUTY_TOKEN)).json()
    assert (len(rest["users"]), rest["more"], rest["total"]) == (15, False, 40)
    capped = http.get(url, params={"limit": 500}, headers=pd(PAGERDUTY_TOKEN)).json()
    assert capped["limit"] == 100 and len(capped["users"]) == 40 and capped["more"] is False
    user = first["users"][0]
    assert user["type"] == "user" and user["summary"] == user["name"]
    assert user["html_url"] == f"https://acme.pagerduty.com/users/{user['id']}"
    assert user["self"] == f"{sim.pagerduty.url}/users/{user['id']}"
    ids = [u["id"] for u in first["users"] + rest["users"]]
    assert len(set(ids)) == 40


def test_each_token_is_its_own_account(sim: Simulator, http: httpx.Client) -> None:
    eu = http.get(f"{sim.pagerduty.url}/users", params={"limit": 1}, headers=pd(PAGERDUTY_EU_TOKEN)).json()
    assert eu["users"][0]["html_url"].startswith("https://acme-eu.pagerduty.com/users/")
    services = http.get(f"{sim.pagerduty.url}/services", headers=pd(PAGERDUTY_TOKEN)).json()
    assert services["services"] and services["services"][0]["type"] == "service"
    for service in services["services"]:  # a date-time string in PagerDuty's description, never null
        assert datetime.fromisoformat(service["last_incident_timestamp"]) > datetime.fromisoformat(
            service["created_at"]
        )
    abilities = http.get(f"{sim.pagerduty.url}/abilities", headers=pd(PAGERDUTY_TOKEN)).json()
    assert "teams" in abilities["abilities"]


def test_users_me_depends_on_the_token_level(sim: Simulator, http: httpx.Client) -> None:
    account = http.get(f"{sim.pagerduty.url}/users/me", headers=pd(PAGERDUTY_TOKEN))
    assert account.status_code == 400
    assert "account-level access token" in account.json()["error"]
    user = http.get(f"{sim.pagerduty.url}/users/me", headers=pd(PAGERDUTY_EU_TOKEN))
    assert user.status_code == 200 and user.json()["user"]["html_url"].startswith("https://acme-eu.")


def test_bad_token(sim: Simulator, http: httpx.Client) -> None:
    answer = http.get(f"{sim.pagerduty.url}/users", headers=pd("nope"))
    assert answer.status_code == 401
    assert answer.json() == {"error": {"message": "Unauthorized", "code": 2006}}
    assert http.get(f"{sim.pagerduty.url}/users").status_code == 401


def test_rate_limit_headers_and_budget(sim: Simulator, http: httpx.Client) -> None:
    answer = http.get(f"{sim.pagerduty.url}/abilities", headers=pd(PAGERDUTY_TOKEN))
    assert answer.headers["ratelimit-limit"] == "960"
    assert answer.headers["ratelimit-remaining"] == "959"
    assert 0 < int(answer.headers["ratelimit-reset"]) <= 60
    sim.pagerduty.rate_limit = 1
    limited = http.get(f"{sim.pagerduty.url}/abilities", headers=pd(PAGERDUTY_TOKEN))
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert http.get(f"{sim.pagerduty.url}/abilities", headers=pd(PAGERDUTY_EU_TOKEN)).status_code == 200
