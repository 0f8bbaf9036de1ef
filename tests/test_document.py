"""Parsing what Datadog holds and rendering what to write: unmanaged fields and keys are kept."""

from __future__ import annotations

import pytest

from syncer import document
from syncer.errors import ShapeError
from syncer.model import JSON, GithubRepo, Integration, PagerDutyAccount


def stored(config: JSON, integration: str = "github") -> JSON:
    return {
        "data": {
            "id": "01HJ",
            "type": "entity_integration_configs",
            "attributes": {"config": config, "integration_id": integration, "org_id": 1},
        }
    }


def test_parse_and_render_keep_unmanaged_fields_and_other_keys() -> None:
    body = stored(
        {
            "enabled_repos": [
                {"hostname": "github.com", "github_org_name": "Acme", "repo_name": "API", "team": "core"},
                {"hostname": "github.com", "github_org_name": "acme", "repo_name": "gone"},
            ],
            "settings": {"sync_topics": True},
        }
    )
    current = document.parse_response(Integration.GITHUB, body)
    assert current.entries[0].entry == GithubRepo("github.com", "Acme", "API")
    config = document.render(
        current, [GithubRepo("github.com", "acme", "api"), GithubRepo("github.com", "acme", "new")]
    )
    assert config == {
        "settings": {"sync_topics": True},
        "enabled_repos": [
            {"hostname": "github.com", "github_org_name": "acme", "repo_name": "api", "team": "core"},
            {"hostname": "github.com", "github_org_name": "acme", "repo_name": "new"},
        ],
    }


def test_pagerduty_subdomain_left_out_not_null() -> None:
    current = document.parse_response(Integration.PAGERDUTY, stored({"accounts": []}, "pagerduty"))
    config = document.render(current, [PagerDutyAccount(enabled=False)])
    assert config == {"accounts": [{"enabled": False}]}


def test_request_body_shape() -> None:
    assert document.request_body({"accounts": []}) == {
        "data": {"type": "entity_integration_config_requests", "attributes": {"config": {"accounts": []}}}
    }


def test_missing_list_is_an_empty_list() -> None:
    assert document.parse_response(Integration.JIRA, stored({}, "jira")).entries == ()


@pytest.mark.parametrize(
    ("integration", "config"),
    [
        pytest.param(Integration.GITHUB, {"enabled_repos": {"a": 1}}, id="list-is-an-object"),
        pytest.param(Integration.GITHUB, {"enabled_repos": ["acme/api"]}, id="entry-is-a-string"),
        pytest.param(Integration.GITHUB, {"enabled_repos": [{"hostname": "github.com"}]}, id="missing-key-field"),
        pytest.param(Integration.JIRA, {"enabled_projects": [{"hostname": "a", "project_key": 5}]}, id="wrong-type"),
        pytest.param(Integration.PAGERDUTY, {"accounts": [{"subdomain": "acme"}]}, id="enabled-missing"),
        pytest.param(Integration.PAGERDUTY, {"accounts": [{"enabled": True, "subdomain": 3}]}, id="subdomain-type"),
        pytest.param(Integration.GITHUB, "enabled_repos", id="config-not-an-object"),
    ],
)
def test_shapes_not_understood_fail(integration: Integration, config: JSON) -> None:
    with pytest.raises(ShapeError):
        document.parse_response(integration, stored(config, str(integration)))


def test_answer_without_data_fails() -> None:
    with pytest.raises(ShapeError, match=r"data\.attributes\.config"):
        document.parse_response(Integration.GITHUB, {"errors": []})


@pytest.mark.parametrize(
    ("integration", "config"),
    [
        pytest.param("github", {"settings": {"x": 1}}, id="github-other-keys-only"),
        pytest.param("jira", {"enabled_repos": []}, id="jira-wrong-list-key"),
        pytest.param("pagerduty", {"enabled": True}, id="pagerduty-other-keys-only"),
    ],
)
def test_a_config_without_the_list_but_with_other_keys_is_not_understood(integration: str, config: dict) -> None:
    with pytest.raises(ShapeError, match=r"no .* list but other keys"):
        document.parse_response(Integration(integration), stored(config, integration))


def test_render_with_origin_keeps_each_duplicate_its_own_fields() -> None:
    body = stored(
        {
            "enabled_repos": [
                {"hostname": "github.com", "github_org_name": "acme", "repo_name": "R1", "team": "a"},
                {"hostname": "github.com", "github_org_name": "acme", "repo_name": "r1", "team": "b"},
            ]
        }
    )
    current = document.parse_response(Integration.GITHUB, body)
    entries = [stored_item.entry for stored_item in current.entries]
    config = document.render(current, entries, origin=[0, 1])
    assert [item["team"] for item in config["enabled_repos"]] == ["a", "b"]
