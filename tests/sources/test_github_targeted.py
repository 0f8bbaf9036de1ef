"""A targeted run's GitHub sources (factory `targeted`): only the scoped orgs are listed, an app lists those of
them it is installed on — an org it is not installed on is neither listed nor failed — over real HTTP."""

from __future__ import annotations

from syncer.config.loader import parse
from syncer.model import Integration, Scope
from syncer.simulator.github.fake import FakeGitHub
from syncer.sources import factory
from syncer.sources.github import GithubRepos

from .conftest import FAST, Sleeps
from .test_github_app import app_source, by_label


def scope(org: str) -> Scope:
    return Scope(f"github.com/{org}", ("github.com", org.casefold()))


def test_an_app_without_orgs_lists_only_the_targeted_installed_org(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    found = by_label(GithubRepos(app_source(github_api), 4, FAST, sleeps, only_orgs=["ACME"]).discover())
    assert list(found) == ["github.com/acme"] and found["github.com/acme"].ok
    assert github_api.count("GET", r"^/orgs/acme-labs/") == 0


def test_an_org_the_app_is_not_installed_on_is_not_a_failure_of_a_targeted_run(
    github_api: FakeGitHub, sleeps: Sleeps
) -> None:
    assert GithubRepos(app_source(github_api), 4, FAST, sleeps, only_orgs=["not-installed"]).discover() == []


def test_the_factory_gives_each_github_source_the_targeted_orgs_of_its_host(github_api: FakeGitHub) -> None:
    app = app_source(github_api).model_dump(mode="json", exclude_none=True)
    app["app"]["private_key"] = github_api.app_private_key
    token = {"hostname": "ghe.example", "api_url": "https://ghe.example/api/v3", "token": "t", "orgs": ["p"]}
    config = parse({"datadog": {"api_key": "a", "app_key": "b"}, "github": {"sources": [app, token]}}, {})
    built = factory.sources(Integration.GITHUB, config, FAST, targeted=[scope("acme")])
    assert len(built) == 1  # the GHES source owns no targeted scope: it is not built at all
    found = by_label(built[0].discover())
    assert list(found) == ["github.com/acme"]
