"""The official client libraries work against the fakes exactly as they do against the real APIs."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import jira
import pagerduty
import pytest
from datadog_api_client import ApiClient, Configuration
from datadog_api_client.exceptions import ApiException, NotFoundException
from datadog_api_client.model_utils import validate_and_convert_types
from datadog_api_client.v2.api.entity_integration_configs_api import EntityIntegrationConfigsApi
from datadog_api_client.v2.model.entity_integration_config_payload import EntityIntegrationConfigPayload
from datadog_api_client.v2.model.entity_integration_config_request import EntityIntegrationConfigRequest
from datadog_api_client.v2.model.entity_integration_config_request_attributes import (
    EntityIntegrationConfigRequestAttributes,
)
from datadog_api_client.v2.model.entity_integration_config_request_data import EntityIntegrationConfigRequestData
from datadog_api_client.v2.model.entity_integration_config_response import EntityIntegrationConfigResponse
from github import Auth, Github, GithubIntegration
from jira.resources import Project

from syncer.simulator import Simulator
from syncer.simulator.seed import JIRA_DC_TOKEN, JIRA_EMAIL, PAGERDUTY_EU_TOKEN, PAGERDUTY_TOKEN


def test_pygithub_lists_github_com_following_organization_links(sim: Simulator) -> None:
    with Github(
        base_url=sim.github.url, auth=Auth.Token(sim.github.token), per_page=100, seconds_between_requests=None
    ) as gh:
        repos = list(gh.get_organization("acme").get_repos(type="all"))
        archived = {r.name for r in repos if r.archived}
    assert len(repos) == 250
    assert archived == {r["name"] for r in sim.github.orgs["acme"] if r["archived"]}
    pages = [r for r in sim.github.requests if "repos" in r.path]
    assert [r.path for r in pages][1:] == [f"/organizations/{sim.github.org_id('acme')}/repos"] * 2


def test_pygithub_lists_ghes(sim: Simulator) -> None:
    with Github(
        base_url=sim.ghes.url, auth=Auth.Token(sim.ghes.token), per_page=100, seconds_between_requests=None
    ) as gh:
        repos = list(gh.get_organization("platform").get_repos())
        visibilities = {r.visibility for r in repos}
    assert len(repos) == 120 and "internal" in visibilities


def test_pygithub_app_installation_flow(sim: Simulator) -> None:
    auth = Auth.AppAuth(sim.github.app_id, sim.github.app_private_key)
    seen: dict[str, int] = {}
    integration = GithubIntegration(auth=auth, base_url=sim.github.url, seconds_between_requests=None)
    try:
        for inst in integration.get_installations():
            if inst.suspended_at:
                continue
            with inst.get_github_for_installation() as gh:
                seen[inst.account.login] = len(list(gh.get_organization(inst.account.login).get_repos()))
    finally:
        integration.close()
    assert seen == {"acme": 250, "acme-labs": 40}


def test_jira_client_cloud_and_data_center(sim: Simulator) -> None:
    cloud = jira.JIRA(sim.jira.url, basic_auth=(JIRA_EMAIL, sim.jira.users[JIRA_EMAIL]), timeout=5)
    try:
        assert cloud.deploymentType == "Cloud"
        assert len(cloud.projects()) == sum(1 for p in sim.jira.projects if p["status"] == "live")
        paged = cloud._fetch_pages(
            Project, "values", "project/search", startAt=0, maxResults=False, params={"status": "live,archived"}
        )
        assert len(paged) == 120
    finally:
        cloud.close()
    assert sim.jira.count(path="project/search") == 3
    dc = jira.JIRA(sim.jira_dc.url, token_auth=JIRA_DC_TOKEN, timeout=5)
    try:
        assert dc.deploymentType == "Server"
        assert len(dc.projects()) == sum(1 for p in sim.jira_dc.projects if p["status"] == "live")
    finally:
        dc.close()


def pd_client(sim: Simulator, token: str) -> pagerduty.RestApiV2Client:
    """pagerduty 7 refuses http:// base URLs through its setter; tests point the private URL at the fake."""
    client = pagerduty.RestApiV2Client(token)
    client._url = sim.pagerduty.url
    return client


def test_pagerduty_client_discovers_subdomain_and_token_level(sim: Simulator) -> None:
    with pd_client(sim, PAGERDUTY_TOKEN) as account:
        assert account.subdomain == "acme"
        assert account.api_key_access == "account"
        assert len(account.list_all("users")) == 40
    with pd_client(sim, PAGERDUTY_EU_TOKEN) as user:
        assert (user.subdomain, user.api_key_access) == ("acme-eu", "user")
    with pytest.raises(pagerduty.UrlError):
        pagerduty.RestApiV2Client(PAGERDUTY_TOKEN, base_url=sim.pagerduty.url)


@pytest.fixture
def datadog_api(sim: Simulator) -> Iterator[EntityIntegrationConfigsApi]:
    config = Configuration(host=sim.datadog.url)
    config.api_key["apiKeyAuth"] = sim.datadog.api_key
    config.api_key["appKeyAuth"] = sim.datadog.app_key
    for operation in ("get", "update", "delete"):
        config.unstable_operations[f"{operation}_entity_integration_config"] = True
    with ApiClient(config) as client, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Using unstable operation", UserWarning)
        yield EntityIntegrationConfigsApi(client)


def test_datadog_official_client_round_trip(sim: Simulator, datadog_api: EntityIntegrationConfigsApi) -> None:
    with pytest.raises(NotFoundException):
        datadog_api.get_entity_integration_config("jira")
    entries: list[dict[str, Any]] = [{"hostname": "acme.atlassian.net", "account_id": "123", "project_key": "PAY"}]
    body = EntityIntegrationConfigRequest(
        data=EntityIntegrationConfigRequestData(
            type="entity_integration_config_requests",
            attributes=EntityIntegrationConfigRequestAttributes(
                config=EntityIntegrationConfigPayload(enabled_projects=entries)
            ),
        )
    )
    stored = datadog_api.update_entity_integration_config("jira", body=body)
    assert isinstance(stored, EntityIntegrationConfigResponse)
    assert stored.data.attributes.integration_id == "jira" and stored.data.attributes.org_id == 1234
    fetched = datadog_api.get_entity_integration_config("jira")
    assert fetched.data.id == stored.data.id
    assert sim.datadog.store["jira"] == {"enabled_projects": entries}
    datadog_api.delete_entity_integration_config("jira")
    with pytest.raises(ApiException) as raised:
        datadog_api.delete_entity_integration_config("jira")
    assert raised.value.status == 404


def test_stored_put_body_parses_with_the_official_model(
    sim: Simulator, datadog_api: EntityIntegrationConfigsApi
) -> None:
    sim.datadog.put_bodies.clear()
    raw = {
        "data": {
            "type": "entity_integration_config_requests",
            "attributes": {"config": {"accounts": [{"enabled": True, "subdomain": "acme"}]}},
        }
    }
    parsed = validate_and_convert_types(
        raw, (EntityIntegrationConfigRequest,), ["body"], True, True, configuration=Configuration()
    )
    assert isinstance(parsed, EntityIntegrationConfigRequest)
    datadog_api.update_entity_integration_config("pagerduty", body=parsed)
    assert sim.datadog.put_bodies == [raw]
