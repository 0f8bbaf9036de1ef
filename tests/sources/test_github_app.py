"""GitHub App authentication of GithubRepos against the simulated github.com, over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from syncer.config.schema import GithubSource
from syncer.errors import PermanentError
from syncer.model import Discovery, Scope
from syncer.simulator.faults import Fault
from syncer.simulator.github.fake import FakeGitHub
from syncer.sources.github import GithubRepos

from .conftest import FAST, Sleeps

TOKENS = r"^/app/installations/\d+/access_tokens$"


def app_source(fake: FakeGitHub, **overrides: Any) -> GithubSource:
    """An app-authenticated source on the fake github.com."""
    app = {"app_id": fake.app_id, "private_key": fake.app_private_key, **overrides.pop("app", {})}
    return GithubSource.model_validate({"hostname": "github.com", "api_url": fake.url, "app": app, **overrides})


def by_label(discoveries: list[Discovery]) -> dict[str, Discovery]:
    """Discoveries keyed by their scope label."""
    return {d.scope.label: d for d in discoveries}


def test_orgs_omitted_lists_every_active_installation(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    found = by_label(GithubRepos(app_source(github_api), 4, FAST, sleeps).discover())

    assert sorted(found) == ["github.com/acme", "github.com/acme-labs", "github.com/acme-old"]
    suspended = found.pop("github.com/acme-old")
    assert not suspended.ok, "a suspended installation is not listed: its current entries are kept"
    assert "suspended" in (suspended.error or "")
    assert suspended.scope.owns == ("github.com", "acme-old")
    assert github_api.count("GET", r"^/orgs/acme-old/") == 0
    assert all(d.ok for d in found.values()), [d.error for d in found.values()]
    assert found["github.com/acme"].seen == len(github_api.orgs["acme"])
    assert found["github.com/acme-labs"].seen == len(github_api.orgs["acme-labs"])
    assert found["github.com/acme"].scope == Scope("github.com/acme", ("github.com", "acme"))
    assert github_api.count("GET", r"^/app/installations$") == 1
    assert github_api.count("POST", TOKENS) == 2, "one token per installation, reused for every page"


def test_installation_id_limits_discovery_to_that_installation(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    found = by_label(GithubRepos(app_source(github_api, app={"installation_id": 51002}), 4, FAST, sleeps).discover())

    assert list(found) == ["github.com/acme-labs"]


def test_a_listed_org_the_app_cannot_reach_fails_alone(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    source = app_source(github_api, orgs=["acme", "acme-old", "nowhere"])

    found = by_label(GithubRepos(source, 4, FAST, sleeps).discover())

    assert found["github.com/acme"].ok
    for org, why in (("acme-old", "suspended"), ("nowhere", "not installed")):
        failed = found[f"github.com/{org}"]
        assert not failed.ok and why in (failed.error or "")
        assert failed.scope.owns == ("github.com", org)
    assert github_api.count("GET", r"^/orgs/(acme-old|nowhere)/") == 0


def test_a_token_close_to_expiry_is_minted_again(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    github_api.token_ttl = 120  # under the 5-minute refresh margin: every use needs a fresh token
    source = app_source(github_api, orgs=["acme"])

    [discovery] = GithubRepos(source, 1, FAST, sleeps).discover()

    assert discovery.ok, discovery.error
    pages = github_api.count("GET", r"^/orgs/acme/repos$")
    assert pages >= 3
    assert github_api.count("POST", TOKENS) >= 2
    assert github_api.count("POST", TOKENS) == pages, "one fresh token per request"


def test_an_unknown_installation_id_fails_the_whole_host(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    [failed] = GithubRepos(app_source(github_api, app={"installation_id": 99}), 4, FAST, sleeps).discover()

    assert failed.scope == Scope("github.com", ("github.com",))
    assert "installation 99 was not found" in (failed.error or "")


def test_an_app_installed_nowhere_fails_the_whole_host(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    github_api.installations.clear()

    [failed] = GithubRepos(app_source(github_api), 4, FAST, sleeps).discover()

    assert failed.scope == Scope("github.com", ("github.com",))
    assert "installed on no organization" in (failed.error or "")


def test_a_wrong_private_key_fails_the_whole_host(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()

    found = GithubRepos(app_source(github_api, app={"private_key": pem}), 4, FAST, sleeps).discover()

    assert len(found) == 1
    [failed] = found
    assert failed.scope == Scope("github.com", ("github.com",))
    assert not failed.ok and "401" in (failed.error or "")
    assert pem not in (failed.error or "")
    assert github_api.count("POST", TOKENS) == 0


def test_app_requests_are_retried_on_server_errors(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    github_api.faults.add(Fault(method="GET", path=r"^/app/installations$", status=502))
    github_api.faults.add(Fault(method="POST", path=TOKENS, status=500))

    found = by_label(GithubRepos(app_source(github_api), 4, FAST, sleeps).discover())

    assert found["github.com/acme"].ok
    assert found["github.com/acme-labs"].ok
    assert github_api.count("GET", r"^/app/installations$") == 2
    assert github_api.count("POST", TOKENS) == 3


def test_check_reaches_every_installed_org_and_names_a_suspended_one(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    with pytest.raises(PermanentError, match=r"github.com/acme-old: .* suspended"):
        GithubRepos(app_source(github_api), 4, FAST, sleeps).check()

    assert github_api.count("GET", r"^/orgs/(acme|acme-labs)$") == 2


def test_check_passes_when_every_org_is_reachable(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    GithubRepos(app_source(github_api, orgs=["acme", "acme-labs"]), 4, FAST, sleeps).check()

    assert github_api.count("GET", r"^/orgs/(acme|acme-labs)$") == 2
