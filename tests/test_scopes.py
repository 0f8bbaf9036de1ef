"""Which configured source owns the scope a delivery names, and the configuration of a targeted run."""

from __future__ import annotations

from typing import Any

import pytest

from syncer import scopes
from syncer.config.loader import parse
from syncer.config.schema import Config
from syncer.model import Integration, Scope


def config(**sections: Any) -> Config:
    return parse({"datadog": {"api_key": "a", "app_key": "b"}, **sections}, {})


GITHUB = {
    "sources": [
        {"token": "t1", "orgs": ["Acme", "acme-labs"]},
        {"hostname": "ghe.corp.example", "token": "t2", "orgs": ["platform"]},
        {
            "hostname": "ghe2.corp.example",
            "api_url": "https://api.ghe2.corp.example:8443/api/v3",
            "token": "t3",
            "orgs": ["tools"],
        },
    ]
}
JIRA = {
    "sources": [
        {"hostname": "acme.atlassian.net", "account_id": "1", "email": "e@x", "api_token": "j"},
        {"hostname": "jira.corp.example", "url": "http://10.0.0.5:8080", "account_id": "2", "token": "p"},
    ]
}


@pytest.mark.parametrize(
    ("host", "org", "label"),
    [
        ("github.com", "acme", "github.com/Acme"),  # the org as configured, whatever the case delivered
        ("GitHub.com", "ACME-LABS", "github.com/acme-labs"),
        ("ghe.corp.example", "Platform", "ghe.corp.example/platform"),
        ("api.ghe2.corp.example:8443", "tools", "ghe2.corp.example/tools"),  # the host of api_url, with its port
        ("github.com", "platform", None),  # an org of another host
        ("github.com", "acme-old", None),  # not configured
        ("ghe.corp.example", "acme", None),
    ],
)
def test_a_github_scope_is_owned_only_by_a_source_of_its_host_listing_its_org(
    host: str, org: str, label: str | None
) -> None:
    scope = scopes.github(config(github=GITHUB), host, org)
    assert (scope.label if scope else None) == label
    if scope is not None:
        assert scope.owns == (label.split("/")[0].casefold(), org.casefold())  # type: ignore[union-attr]


def test_a_source_without_orgs_owns_every_org_of_its_host() -> None:
    listed = config(github={"sources": [{"token": "t", "orgs": ["x"]}]})
    assert listed.github is not None
    every_org = listed.github.sources[0].model_copy(update={"orgs": None})  # an app taking every installation
    cfg = listed.model_copy(update={"github": listed.github.model_copy(update={"sources": [every_org]})})
    assert scopes.github(cfg, "github.com", "Anything") == Scope("github.com/Anything", ("github.com", "anything"))
    assert scopes.github(cfg, "ghe.corp.example", "anything") is None
    narrowed = scopes.narrowed(cfg, Integration.GITHUB, [Scope("github.com/Anything", ("github.com", "anything"))])
    # an app's org list stays its installations (the factory narrows those); the config invents no orgs list
    assert narrowed.github is not None and narrowed.github.sources[0].orgs is None


@pytest.mark.parametrize(
    ("host", "label"),
    [
        ("acme.atlassian.net", "acme.atlassian.net"),
        ("ACME.atlassian.net", "acme.atlassian.net"),
        ("10.0.0.5:8080", "jira.corp.example"),  # the host:port of the site's url
        ("jira.corp.example", "jira.corp.example"),
        ("10.0.0.5", None),  # another port is another site
        ("other.atlassian.net", None),
    ],
)
def test_a_jira_site_is_owned_by_the_source_of_that_site(host: str, label: str | None) -> None:
    scope = scopes.jira(config(jira=JIRA), host)
    assert (scope.label if scope else None) == label


def test_a_targeted_github_config_lists_only_the_scoped_orgs_of_the_scoped_hosts() -> None:
    cfg = config(github=GITHUB, jira=JIRA)
    wanted = [scopes.github(cfg, "github.com", "ACME"), scopes.github(cfg, "ghe.corp.example", "platform")]
    narrowed = scopes.narrowed(cfg, Integration.GITHUB, [s for s in wanted if s is not None])
    assert narrowed.github is not None
    assert [(s.hostname, s.orgs) for s in narrowed.github.sources] == [
        ("github.com", ["Acme"]),
        ("ghe.corp.example", ["platform"]),
    ]
    assert narrowed.jira == cfg.jira  # other integrations are left alone
    assert cfg.github is not None and cfg.github.sources[0].orgs == ["Acme", "acme-labs"]  # the original stays


def test_a_targeted_jira_config_lists_only_the_scoped_site() -> None:
    cfg = config(github=GITHUB, jira=JIRA)
    scope = scopes.jira(cfg, "10.0.0.5:8080")
    assert scope is not None
    narrowed = scopes.narrowed(cfg, Integration.JIRA, [scope])
    assert narrowed.jira is not None
    assert [s.hostname for s in narrowed.jira.sources] == ["jira.corp.example"]
    assert narrowed.github == cfg.github
