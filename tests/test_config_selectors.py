"""The 0.2 selectors in the configuration: custom_properties, languages, pushed_within, Jira categories."""

from __future__ import annotations

import pytest

from syncer.config import loader
from syncer.config.schema import Config
from syncer.errors import ConfigError

ENV = {"DD_API_KEY": "dd-api-secret", "DD_APP_KEY": "dd-app-secret"}


def parse(github: dict[str, object] | None = None, jira: dict[str, object] | None = None) -> Config:
    github_source = {"token": "t", "orgs": ["acme"], **(github or {})}
    jira_source = {"hostname": "acme.atlassian.net", "account_id": "1", "token": "t", **(jira or {})}
    tree = {"github": {"sources": [github_source]}, "jira": {"sources": [jira_source]}}
    return loader.parse(tree, ENV)


def error_of(github: dict[str, object] | None = None, jira: dict[str, object] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(github, jira)
    return str(caught.value)


def test_the_selectors_default_to_taking_everything() -> None:
    config = parse()
    assert config.github is not None and config.jira is not None
    source = config.github.sources[0]
    assert (source.custom_properties, source.languages, source.pushed_within) == ({}, [], None)
    assert config.jira.sources[0].categories == []


def test_the_selectors_are_kept_as_written() -> None:
    config = parse(
        {"custom_properties": {"team": ["payments", "core"]}, "languages": ["Python"], "pushed_within": " 365d "},
        {"categories": ["Engineering"]},
    )
    assert config.github is not None and config.jira is not None
    source = config.github.sources[0]
    assert (source.custom_properties, source.languages, source.pushed_within) == (
        {"team": ["payments", "core"]},
        ["Python"],
        "365d",
    )
    assert config.jira.sources[0].categories == ["Engineering"]


@pytest.mark.parametrize(
    ("github", "jira", "message"),
    [
        pytest.param(
            {"custom_properties": {"team": []}},
            None,
            "github.sources[0].custom_properties.team: give at least one value",
            id="property-without-values",
        ),
        pytest.param(
            {"custom_properties": {"team": "payments"}},
            None,
            "github.sources[0].custom_properties.team: must be a list of values, such as [payments]",
            id="property-value-not-a-list",
        ),
        pytest.param(
            {"custom_properties": {"on-call": [True]}},
            None,
            'github.sources[0].custom_properties.on-call[0]: must be a string: quote it ("true")',
            id="true-false-value-unquoted",
        ),
        pytest.param(
            {"custom_properties": {"team": [5]}},
            None,
            "github.sources[0].custom_properties.team[0]: must be a string (a property's value as GitHub shows it), "
            "not an integer",
            id="number-value",
        ),
        pytest.param(
            {"custom_properties": {"team": ['say "hi"']}},
            None,
            "github.sources[0].custom_properties.team[0]: must be printable ASCII text without a double quote",
            id="value-github-refuses",
        ),
        pytest.param(
            {"custom_properties": {"owning team": ["x"]}},
            None,
            "github.sources[0].custom_properties.owning team.[key]: 'owning team' is not a GitHub custom property name",
            id="name-github-refuses",
        ),
        pytest.param(
            {"custom_properties": ["team"]},
            None,
            "github.sources[0].custom_properties: Input should be a valid dictionary",
            id="properties-not-a-mapping",
        ),
        pytest.param(
            {"languages": "python"}, None, "github.sources[0].languages: Input should be a valid list", id="l"
        ),
        pytest.param({"languages": [" "]}, None, "github.sources[0].languages[0]: must not be empty", id="blank-lang"),
        pytest.param(
            {"languages": [3]}, None, "github.sources[0].languages[0]: Input should be a valid string", id="n"
        ),
        pytest.param(
            {"pushed_within": 365},
            None,
            "github.sources[0].pushed_within: must be a duration such as 90s, 15m, 2h or 1d, not an integer",
            id="window-without-unit",
        ),
        pytest.param(
            {"pushed_within": "1y"}, None, "github.sources[0].pushed_within: must be a duration", id="unknown-unit"
        ),
        pytest.param({"pushed_within": "5m"}, None, "github.sources[0].pushed_within: must be at least 1h", id="tiny"),
        pytest.param(
            None,
            {"categories": "Engineering"},
            "jira.sources[0].categories: Input should be a valid list",
            id="categories-not-a-list",
        ),
        pytest.param(None, {"categories": [""]}, "jira.sources[0].categories[0]: must not be empty", id="blank-cat"),
        pytest.param(None, {"category": ["x"]}, "jira.sources[0].category: unknown key", id="misspelt-key"),
    ],
)
def test_a_bad_selector_is_named_by_its_key(
    github: dict[str, object] | None, jira: dict[str, object] | None, message: str
) -> None:
    assert message in error_of(github, jira)


def test_a_null_pushed_within_is_any_push_date() -> None:
    config = parse({"pushed_within": None})
    assert config.github is not None
    assert config.github.sources[0].pushed_within is None


def test_a_multi_word_value_and_github_name_characters_are_accepted() -> None:
    config = parse({"custom_properties": {"cost_center#2": ["R&D (EU)", "true"], "$tier-x": ["1"]}})
    assert config.github is not None
    assert config.github.sources[0].custom_properties == {"cost_center#2": ["R&D (EU)", "true"], "$tier-x": ["1"]}


def test_the_json_schema_describes_the_selectors() -> None:
    schema = Config.model_json_schema()
    github = schema["$defs"]["GithubSource"]["properties"]
    assert {"custom_properties", "languages", "pushed_within"} <= set(github)
    assert "categories" in schema["$defs"]["JiraSource"]["properties"]
