"""The fake Datadog: entity-integration documents, body validation, keys and rate limits."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from syncer.simulator import Simulator


def put_body(config: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"type": "entity_integration_config_requests", "attributes": {"config": config}}}


REPO = {"hostname": "github.com", "github_org_name": "acme", "repo_name": "billing-api"}


def url(sim: Simulator, integration: str) -> str:
    return f"{sim.datadog.url}/api/v2/idp/entity_integrations/{integration}"


def test_get_put_get_delete_round_trip(sim: Simulator, http: httpx.Client, dd_headers: dict[str, str]) -> None:
    missing = http.get(url(sim, "github"), headers=dd_headers)
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["status"] == "404"
    config = {"enabled_repos": [dict(REPO, note="kept")], "other_key": {"x": 1}}
    stored = http.put(url(sim, "github"), json=put_body(config), headers=dd_headers)
    assert stored.status_code == 200
    document = stored.json()["data"]
    assert document["type"] == "entity_integration_configs"
    assert document["attributes"] == {"config": config, "integration_id": "github", "org_id": 1234}
    assert len(document["id"]) == 26
    fetched = http.get(url(sim, "github"), headers=dd_headers).json()
    assert fetched == stored.json()
    assert sim.datadog.store["github"] == config and sim.datadog.put_bodies == [put_body(config)]
    assert http.delete(url(sim, "github"), headers=dd_headers).status_code == 204
    assert http.get(url(sim, "github"), headers=dd_headers).status_code == 404


def test_seed_helper(sim: Simulator, http: httpx.Client, dd_headers: dict[str, str]) -> None:
    sim.datadog.seed("pagerduty", {"accounts": [{"enabled": True, "subdomain": "acme"}]})
    answer = http.get(url(sim, "pagerduty"), headers=dd_headers).json()
    assert answer["data"]["attributes"]["config"]["accounts"][0]["subdomain"] == "acme"
    assert sim.datadog.put_bodies == []


NO_ORG = {"hostname": "github.com", "repo_name": "x"}
BAD_ACCOUNT = {"hostname": "acme.atlassian.net", "account_id": 1, "project_key": "X"}


@pytest.mark.parametrize(
    ("integration", "config", "pointer", "detail"),
    [
        ("github", {"enabled_repos": [REPO, dict(REPO, repo_name=3)]}, "/enabled_repos/1/repo_name", "string"),
        ("github", {"enabled_repos": [NO_ORG]}, "/enabled_repos/0/github_org_name", "missing"),
        ("github", {"repos": []}, "/enabled_repos", "must contain"),
        ("github", {"enabled_repos": {}}, "/enabled_repos", "must be an array"),
        ("jira", {"enabled_projects": [BAD_ACCOUNT]}, "/enabled_projects/0/account_id", "must be a string"),
        ("pagerduty", {"accounts": [{"enabled": True, "subdomain": None}]}, "/accounts/0/subdomain", "got null"),
        ("pagerduty", {"accounts": [{"enabled": "yes"}]}, "/accounts/0/enabled", "must be a boolean"),
        ("pagerduty", {"accounts": [{"subdomain": "acme"}]}, "/accounts/0/enabled", "missing"),
        ("pagerduty", {"accounts": ["acme"]}, "/accounts/0", "expected object"),
    ],
)
def test_put_validation_points_at_the_bad_value(
    sim: Simulator,
    http: httpx.Client,
    dd_headers: dict[str, str],
    integration: str,
    config: dict[str, Any],
    pointer: str,
    detail: str,
) -> None:
    answer = http.put(url(sim, integration), json=put_body(config), headers=dd_headers)
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert errors[0]["status"] == "400" and errors[0]["title"] == "Bad Request"
    assert errors[0]["source"]["pointer"] == f"/data/attributes/config{pointer}"
    assert detail in errors[0]["detail"]
    assert integration not in sim.datadog.store


def test_put_envelope_errors(sim: Simulator, http: httpx.Client, dd_headers: dict[str, str]) -> None:
    wrong_type = {"data": {"type": "entity_integration_configs", "attributes": {"config": {"enabled_repos": []}}}}
    answer = http.put(url(sim, "github"), json=wrong_type, headers=dd_headers)
    assert answer.json()["errors"][0]["source"]["pointer"] == "/data/type"
    no_data = http.put(url(sim, "github"), json={"config": {}}, headers=dd_headers)
    assert no_data.json()["errors"][0]["source"]["pointer"] == "/data"
    not_json = http.put(
        url(sim, "github"), content=b"{nope", headers={**dd_headers, "Content-Type": "application/json"}
    )
    assert not_json.status_code == 400
    text = http.put(url(sim, "github"), content=b"{}", headers={**dd_headers, "Content-Type": "text/plain"})
    assert text.status_code == 415
    unknown = http.put(url(sim, "slack"), json=put_body({}), headers=dd_headers)
    assert unknown.status_code == 400 and "integration_id" in unknown.json()["errors"][0]["detail"]
    empty = http.put(url(sim, "jira"), json=put_body({"enabled_projects": []}), headers=dd_headers)
    assert empty.status_code == 200


def test_keys(sim: Simulator, http: httpx.Client, dd_headers: dict[str, str]) -> None:
    validate = f"{sim.datadog.url}/api/v2/validate_keys"
    assert http.get(validate, headers=dd_headers).json() == {"status": "ok"}
    wrong_api = http.get(validate, headers={**dd_headers, "DD-API-KEY": "x"})
    assert wrong_api.status_code == 403 and wrong_api.json() == {"errors": ["Forbidden"]}
    wrong_app = http.get(url(sim, "github"), headers={**dd_headers, "DD-APPLICATION-KEY": "x"})
    assert wrong_app.status_code == 403
    no_app = http.get(validate, headers={"DD-API-KEY": sim.datadog.api_key})
    assert no_app.status_code == 401 and no_app.json() == {"errors": ["Unauthorized"]}
    v1 = http.get(f"{sim.datadog.url}/api/v1/validate", headers={"DD-API-KEY": sim.datadog.api_key})
    assert v1.json() == {"valid": True}


def test_rate_limit_headers_and_budget(sim: Simulator, http: httpx.Client, dd_headers: dict[str, str]) -> None:
    answer = http.get(url(sim, "github"), headers=dd_headers)
    assert answer.headers["x-ratelimit-limit"] == "1000"
    assert answer.headers["x-ratelimit-period"] == "60"
    assert answer.headers["x-ratelimit-remaining"] == "999"
    assert 0 < int(answer.headers["x-ratelimit-reset"]) <= 60
    assert answer.headers["x-ratelimit-name"]
    sim.datadog.rate_limit = 3
    statuses = [http.get(url(sim, "github"), headers=dd_headers).status_code for _ in range(3)]
    assert statuses == [404, 404, 429]
    limited = http.get(url(sim, "github"), headers=dd_headers)
    assert limited.json() == {"errors": ["Too many requests"]}
    assert limited.headers["x-ratelimit-remaining"] == "0"
