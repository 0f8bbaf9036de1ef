"""Parsing what Datadog holds and rendering what to write: unmanaged fields and keys are kept."""

from __future__ import annotations

import pytest

from syncer.datadog import document
from syncer.errors import ShapeError
from syncer.model import JSON, GithubRepo, Integration, JiraProject, PagerDutyAccount

GITHUB_ITEM: dict[str, JSON] = {"hostname": "github.com", "github_org_name": "Acme", "repo_name": "API"}


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
    with pytest.raises(ShapeError, match=r"^Datadog github answer has no data\.attributes\.config$"):
        document.parse_response(Integration.GITHUB, {"errors": []})


@pytest.mark.parametrize(
    ("integration", "config", "message"),
    [
        pytest.param("github", "x", r"^Datadog github config: data\.attributes\.config is not an object$", id="config"),
        pytest.param(
            "jira", {"enabled_projects": 1}, r"^Datadog jira config: enabled_projects is not a list$", id="list"
        ),
        pytest.param(
            "github",
            {"enabled_repos": [GITHUB_ITEM, "acme/api"]},
            r"^Datadog github config: enabled_repos\[1\] is not an object$",
            id="item",
        ),
        pytest.param(
            "github",
            {"enabled_repos": [GITHUB_ITEM, {"hostname": "github.com", "github_org_name": "acme"}]},
            r"^Datadog github config: enabled_repos\[1\]\.repo_name is missing or not a string$",
            id="github-field",
        ),
        pytest.param(
            "jira",
            {"enabled_projects": [{"hostname": "a.atlassian.net", "account_id": 7, "project_key": "OPS"}]},
            r"^Datadog jira config: enabled_projects\[0\]\.account_id is missing or not a string$",
            id="jira-field",
        ),
        pytest.param(
            "pagerduty",
            {"accounts": [{"enabled": "yes"}]},
            r"^Datadog pagerduty config: accounts\[0\]\.enabled is not a boolean$",
            id="enabled",
        ),
        pytest.param(
            "pagerduty",
            {"accounts": [{"enabled": True, "subdomain": ["acme"]}]},
            r"^Datadog pagerduty config: accounts\[0\]\.subdomain is not a string$",
            id="subdomain",
        ),
    ],
)
def test_a_shape_error_names_the_system_and_the_path(integration: str, config: JSON, message: str) -> None:
    with pytest.raises(ShapeError, match=message):
        document.parse_response(Integration(integration), stored(config, integration))


@pytest.mark.parametrize(
    ("integration", "item", "entry"),
    [
        pytest.param("github", GITHUB_ITEM, GithubRepo("github.com", "Acme", "API"), id="github"),
        pytest.param(
            "jira",
            {"hostname": "acme.atlassian.net", "account_id": "42", "project_key": "OPS", "issue_types": ["Bug"]},
            JiraProject("acme.atlassian.net", "42", "OPS"),
            id="jira",
        ),
        pytest.param("pagerduty", {"enabled": False, "subdomain": "acme"}, PagerDutyAccount(False, "acme"), id="pd"),
        pytest.param("pagerduty", {"enabled": True}, PagerDutyAccount(True), id="pagerduty-no-subdomain"),
        pytest.param("pagerduty", {"enabled": True, "subdomain": None}, PagerDutyAccount(True), id="pagerduty-null"),
    ],
)
def test_each_integration_parses_its_entries_and_keeps_the_raw_item(
    integration: str, item: dict[str, JSON], entry: object
) -> None:
    which = Integration(integration)
    current = document.parse_response(which, stored({which.list_key: [item], "other": 1}, integration))
    assert [(s.entry, s.raw) for s in current.entries] == [(entry, item)]
    assert current.other == {"other": 1}
    assert current.integration is which
    assert current.exists


def test_a_stored_config_exists_even_when_empty() -> None:
    assert document.parse_response(Integration.JIRA, stored({}, "jira")).exists


def test_render_a_plan_keeps_rewritten_fields_and_writes_new_entries_bare() -> None:
    body = stored({"enabled_repos": [dict(GITHUB_ITEM, team="core")]})
    current = document.parse_response(Integration.GITHUB, body)
    result = [GithubRepo("github.com", "acme", "api"), GithubRepo("github.com", "acme", "new")]
    config = document.render(current, result, origin=[0, None])
    assert config["enabled_repos"] == [
        {"hostname": "github.com", "github_org_name": "acme", "repo_name": "api", "team": "core"},
        {"hostname": "github.com", "github_org_name": "acme", "repo_name": "new"},
    ]


def test_an_origin_of_the_wrong_length_is_ignored() -> None:
    current = document.parse_response(Integration.GITHUB, stored({"enabled_repos": [dict(GITHUB_ITEM, team="core")]}))
    config = document.render(current, [GithubRepo("github.com", "Acme", "API")], origin=[None, None])
    assert config["enabled_repos"] == [dict(GITHUB_ITEM, team="core")]


def test_a_null_subdomain_is_dropped_not_written_back() -> None:
    item: dict[str, JSON] = {"enabled": True, "subdomain": None, "team": "ops"}
    current = document.parse_response(Integration.PAGERDUTY, stored({"accounts": [item]}, "pagerduty"))
    config = document.render(current, [PagerDutyAccount(False)], origin=[0])
    assert config == {"accounts": [{"enabled": False, "team": "ops"}]}


def test_a_stored_subdomain_is_kept_for_an_entry_that_has_one() -> None:
    item: dict[str, JSON] = {"enabled": True, "subdomain": "acme", "team": "ops"}
    current = document.parse_response(Integration.PAGERDUTY, stored({"accounts": [item]}, "pagerduty"))
    config = document.render(current, [PagerDutyAccount(False, "ACME")], origin=[0])
    assert config == {"accounts": [{"enabled": False, "subdomain": "ACME", "team": "ops"}]}


@pytest.mark.parametrize(
    ("integration", "config"),
    [
        pytest.param("github", {"settings": {"x": 1}}, id="github-other-keys-only"),
        pytest.param("jira", {"enabled_repos": []}, id="jira-wrong-list-key"),
        pytest.param("pagerduty", {"enabled": True}, id="pagerduty-other-keys-only"),
    ],
)
def test_a_config_without_the_list_but_with_other_keys_is_not_understood(integration: str, config: dict) -> None:
    refusal = r"no .* list but other keys .*; not overwriting a config syncer does not understand$"
    with pytest.raises(ShapeError, match=refusal):
        document.parse_response(Integration(integration), stored(config, integration))


def test_the_refusal_names_the_other_keys() -> None:
    with pytest.raises(ShapeError, match=r"^Datadog github config has no enabled_repos list but other keys \(a, b\)"):
        document.parse_response(Integration.GITHUB, stored({"b": 1, "a": 2}))


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


def test_an_answer_lends_the_entries_of_the_list_read_before_to_the_items_spelled_the_same() -> None:
    def answer(*names: str) -> JSON:
        repos: list[JSON] = [{"hostname": "github.com", "github_org_name": "acme", "repo_name": n} for n in names]
        return {"data": {"attributes": {"config": {"enabled_repos": repos}}}}

    before = document.parse_response(Integration.GITHUB, answer("api", "web", "Tools"))
    after = document.parse_response(Integration.GITHUB, answer("api", "new", "tools"), before)
    assert [s.entry for s in after.entries] == [
        GithubRepo("github.com", "acme", "api"),
        GithubRepo("github.com", "acme", "new"),
        GithubRepo("github.com", "acme", "tools"),
    ]
    assert after.entries[0].entry is before.entries[0].entry  # the same spelling: the same entry
    assert after.entries[2].entry.repo_name == "tools"  # another spelling of a key: its own entry
    assert after.entries[1].raw["repo_name"] == "new"
