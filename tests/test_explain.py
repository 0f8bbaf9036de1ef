"""`syncer explain`: the ENTRY forms, the configured scope of one (no network), and the JSON keys."""

from __future__ import annotations

from typing import Any

import pytest

from syncer.config.loader import parse
from syncer.config.schema import Config
from syncer.explain import BadEntry
from syncer.explain.entry import Asked, resolve
from syncer.explain.entry import parse as parse_entry
from syncer.model import GithubRepo, Integration, JiraProject, PagerDutyAccount
from syncer.simulator.github.apps import app_keypair


def config(**sections: Any) -> Config:
    return parse({"datadog": {"api_key": "a", "app_key": "b"}, **sections}, {})


GITHUB = {
    "sources": [
        {"token": "t1", "orgs": ["Acme", "acme-labs"]},
        {"hostname": "ghe.corp.example", "api_url": "https://ghe.corp.example:8443/api/v3", "token": "t2",
         "orgs": ["platform"]},
    ],
    "extra": [{"hostname": "github.com", "github_org_name": "elsewhere", "repo_name": "legacy"}],
}  # fmt: skip
JIRA = {"sources": [{"hostname": "acme.atlassian.net", "account_id": "1", "email": "e@x", "api_token": "j"}]}
PAGERDUTY = {"sources": [{"token": "p1", "subdomain": "acme"}, {"token": "p2", "subdomain": "acme-eu"}]}
FULL = config(github=GITHUB, jira=JIRA, pagerduty=PAGERDUTY)


@pytest.mark.parametrize(
    ("text", "integration", "parts"),
    [
        ("github.com/acme/api", Integration.GITHUB, ("github.com", "acme", "api")),
        ("  github.com/acme/api  ", Integration.GITHUB, ("github.com", "acme", "api")),
        ("github:github.com/acme/api", Integration.GITHUB, ("github.com", "acme", "api")),
        ("https://github.com/acme/api.git", Integration.GITHUB, ("github.com", "acme", "api")),
        ("https://github.com/acme/api/", Integration.GITHUB, ("github.com", "acme", "api")),
        ("ghe.corp.example/platform/tool", Integration.GITHUB, ("ghe.corp.example", "platform", "tool")),
        ("ghe.corp.example:8443/platform/tool", Integration.GITHUB, ("ghe.corp.example:8443", "platform", "tool")),
        ("jira:acme.atlassian.net/OPS", Integration.JIRA, ("acme.atlassian.net", "OPS")),
        ("JIRA:acme.atlassian.net/OPS", Integration.JIRA, ("acme.atlassian.net", "OPS")),
        ("pagerduty:acme", Integration.PAGERDUTY, ("acme",)),
        ("pagerduty:acme-eu", Integration.PAGERDUTY, ("acme-eu",)),
    ],
)
def test_the_accepted_forms(text: str, integration: Integration, parts: tuple[str, ...]) -> None:
    assert parse_entry(text) == Asked(integration, parts)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("api", "github.com/ORG/REPO"),
        ("github.com/acme", "github.com/ORG/REPO"),
        ("github.com/acme/api/extra", "jira:SITE/KEY"),
        ("github.com//api", "pagerduty:SUBDOMAIN"),
        ("", "github.com/ORG/REPO"),
        ("jira:acme.atlassian.net", "jira:SITE/KEY"),
        ("jira:/OPS", "jira:SITE/KEY"),
        ("jira:acme.atlassian.net/OPS/1", "jira:SITE/KEY"),
        ("pagerduty:", "pagerduty:SUBDOMAIN"),
        ("pagerduty:acme.pagerduty.com", "the subdomain only"),
        ("gitlab:gitlab.com/acme/api", "unknown kind 'gitlab'"),
    ],
)
def test_a_form_not_understood_names_the_accepted_ones(text: str, said: str) -> None:
    with pytest.raises(BadEntry, match=said) as raised:
        parse_entry(text)
    assert str(raised.value)  # a message, never an empty one


def test_a_github_entry_takes_the_configured_hostname_and_org_scope() -> None:
    target = resolve(FULL, parse_entry("GitHub.com/ACME/api"))
    assert target.entry == GithubRepo("github.com", "ACME", "api")
    assert target.scope is not None and target.scope.label == "github.com/Acme"
    by_url = resolve(FULL, parse_entry("ghe.corp.example:8443/platform/tool"))  # the api_url's host:port
    assert by_url.entry == GithubRepo("ghe.corp.example", "platform", "tool")
    assert by_url.label == "ghe.corp.example/platform/tool"


def test_a_jira_entry_takes_the_sites_account_id() -> None:
    target = resolve(FULL, parse_entry("jira:acme.atlassian.net/OPS"))
    assert target.entry == JiraProject("acme.atlassian.net", "1", "OPS")
    assert target.scope is not None and target.scope.owns == ("acme.atlassian.net",)


def test_a_pagerduty_entry_has_no_single_scope() -> None:
    target = resolve(FULL, parse_entry("pagerduty:ACME"))
    assert target.entry.key() == PagerDutyAccount(True, "acme").key()
    assert target.scope is None


def test_an_extra_entry_of_an_org_no_source_lists_is_explained() -> None:
    target = resolve(FULL, parse_entry("github.com/elsewhere/legacy"))
    assert target.scope is None
    assert target.entry.key() == ("github.com", "elsewhere", "legacy")


@pytest.mark.parametrize(
    ("sections", "text", "said"),
    [
        ({"github": GITHUB}, "github.com/other/api", "configured: github.com/Acme, github.com/acme-labs, "
         "ghe.corp.example/platform"),
        ({"github": GITHUB}, "ghe.other.example/platform/x", "ghe.other.example/platform is not listed"),
        ({"github": GITHUB}, "jira:acme.atlassian.net/OPS", r"no jira section \(it configures github\)"),
        ({"jira": JIRA}, "jira:other.atlassian.net/OPS", "configured sites: acme.atlassian.net"),
        ({"jira": JIRA}, "github.com/acme/api", "no github section"),
        ({"pagerduty": PAGERDUTY}, "pagerduty:other", r"every source names its subdomain \(acme, acme-eu\)"),
    ],
)  # fmt: skip
def test_an_entry_no_configured_source_answers_for_names_what_is_configured(
    sections: dict[str, Any], text: str, said: str
) -> None:
    with pytest.raises(BadEntry, match=said):
        resolve(config(**sections), parse_entry(text))


def test_an_app_source_without_orgs_owns_every_org_of_its_host() -> None:
    app = {"app_id": 1, "private_key": app_keypair()[0]}
    target = resolve(config(github={"sources": [{"app": app}]}), parse_entry("github.com/anyone/api"))
    assert target.scope is not None and target.scope.label == "github.com/anyone"
    with pytest.raises(BadEntry, match=r"github.com/\* \(every org the GitHub App is installed on\)"):
        resolve(config(github={"sources": [{"app": app}]}), parse_entry("ghe.x/anyone/api"))
