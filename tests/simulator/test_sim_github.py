"""The fake GitHub REST API: org repos, pagination, GHES prefix, tokens and rate limits."""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest

from syncer.simulator import Fault, Simulator
from syncer.simulator.github.repos import RepoRenderer, render_repo

REQUIRED_REPO_FIELDS = {
    "id", "node_id", "name", "full_name", "private", "owner", "html_url", "description", "fork", "url",
    "archive_url", "assignees_url", "blobs_url", "branches_url", "collaborators_url", "comments_url",
    "commits_url", "compare_url", "contents_url", "contributors_url", "deployments_url", "downloads_url",
    "events_url", "forks_url", "git_commits_url", "git_refs_url", "git_tags_url", "hooks_url",
    "issue_comment_url", "issue_events_url", "issues_url", "keys_url", "labels_url", "languages_url",
    "merges_url", "milestones_url", "notifications_url", "pulls_url", "releases_url", "stargazers_url",
    "statuses_url", "subscribers_url", "subscription_url", "tags_url", "teams_url", "trees_url",
    "archived", "disabled", "visibility", "topics", "is_template", "default_branch", "pushed_at",
    "created_at", "updated_at", "language", "stargazers_count", "forks_count", "open_issues_count", "size",
    "permissions",
}  # fmt: skip


def links(answer: httpx.Response) -> dict[str, str]:
    """rel -> URL of a GitHub Link header."""
    header = answer.headers.get("link", "")
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', header)}


def test_repo_json_has_the_minimal_repository_fields(
    sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]
) -> None:
    repos = http.get(f"{sim.github.url}/orgs/acme/repos", headers=gh_headers).json()
    assert len(repos) == 30
    for repo in repos:
        assert repo.keys() >= REQUIRED_REPO_FIELDS
        assert repo["full_name"] == f"acme/{repo['name']}"
        assert repo["html_url"] == f"https://github.com/acme/{repo['name']}"
        assert repo["url"] == f"{sim.github.url}/repos/acme/{repo['name']}"
        assert repo["owner"]["login"] == "acme" and repo["owner"]["type"] == "Organization"
        assert repo["visibility"] in {"public", "private", "internal"}
        assert repo["private"] == (repo["visibility"] != "public")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", repo["pushed_at"])
    created = [r["created_at"] for r in repos]
    assert created == sorted(created, reverse=True), "default order is created, descending"


def test_seed_is_realistic_and_deterministic(sim: Simulator) -> None:
    acme = sim.github.orgs["acme"]
    assert len(acme) == 250 and len(sim.github.orgs["acme-labs"]) == 40
    assert len(sim.ghes.orgs["platform"]) == 120
    assert len({r["name"] for r in acme}) == 250
    assert any(r["archived"] for r in acme) and any(r["fork"] for r in acme)
    assert {r["visibility"] for r in acme} == {"public", "private", "internal"}
    assert any("deprecated" in r["topics"] for r in acme)
    names = [r["name"] for r in acme]
    sim.reset()
    assert [r["name"] for r in sim.github.orgs["acme"]] == names


def test_pagination_links_follow_github(sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]) -> None:
    base = f"{sim.github.url}/orgs/acme/repos"
    org_id = sim.github.org_id("acme")
    first = http.get(base, params={"type": "all", "per_page": 100}, headers=gh_headers)
    assert len(first.json()) == 100
    assert links(first) == {
        "next": f"{sim.github.url}/organizations/{org_id}/repos?type=all&per_page=100&page=2",
        "last": f"{sim.github.url}/organizations/{org_id}/repos?type=all&per_page=100&page=3",
    }
    middle = http.get(links(first)["next"], headers=gh_headers)
    assert set(links(middle)) == {"prev", "next", "last", "first"}
    assert list(links(middle)) == ["prev", "next", "last", "first"]
    last = http.get(links(first)["last"], headers=gh_headers)
    assert len(last.json()) == 50
    assert set(links(last)) == {"prev", "first"}
    past = http.get(base, params={"per_page": 100, "page": 9}, headers=gh_headers)
    assert past.status_code == 200 and past.json() == []
    names = [r["name"] for page in (first, middle, last) for r in page.json()]
    assert len(set(names)) == 250


def test_per_page_is_capped_and_single_pages_have_no_link(
    sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]
) -> None:
    capped = http.get(f"{sim.github.url}/orgs/acme/repos", params={"per_page": 500}, headers=gh_headers)
    assert len(capped.json()) == 100
    assert links(capped)["last"].endswith("per_page=500&page=3")
    labs = http.get(f"{sim.github.url}/orgs/acme-labs/repos", params={"per_page": 100}, headers=gh_headers)
    assert len(labs.json()) == 40 and "link" not in labs.headers


def test_type_and_sort_parameters(sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]) -> None:
    url = f"{sim.github.url}/orgs/acme/repos"
    forks = http.get(url, params={"type": "forks", "per_page": 100}, headers=gh_headers).json()
    assert forks and all(r["fork"] for r in forks)
    public = http.get(url, params={"type": "public", "per_page": 100}, headers=gh_headers).json()
    assert public and all(r["visibility"] == "public" for r in public)
    by_name = http.get(url, params={"sort": "full_name", "per_page": 100}, headers=gh_headers).json()
    assert [r["name"] for r in by_name] == sorted(r["name"] for r in by_name)
    bad = http.get(url, params={"type": "nope"}, headers=gh_headers)
    assert bad.status_code == 422


def test_organizations_by_id_and_org_json(sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]) -> None:
    org_id = sim.github.org_id("acme")
    by_login = http.get(f"{sim.github.url}/orgs/acme/repos", params={"page": 2}, headers=gh_headers).json()
    by_id = http.get(f"{sim.github.url}/organizations/{org_id}/repos", params={"page": 2}, headers=gh_headers).json()
    assert by_login == by_id
    org = http.get(f"{sim.github.url}/orgs/ACME", headers=gh_headers).json()
    assert org["login"] == "acme" and org["id"] == org_id and org["type"] == "Organization"
    assert org["repos_url"] == f"{sim.github.url}/orgs/acme/repos"
    assert org["public_repos"] + org["total_private_repos"] == 250


def test_unknown_org_is_404(sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]) -> None:
    answer = http.get(f"{sim.github.url}/orgs/nope/repos", headers=gh_headers)
    assert answer.status_code == 404
    assert answer.json() == {
        "message": "Not Found",
        "documentation_url": "https://docs.github.com/rest/repos/repos#list-organization-repositories",
        "status": "404",
    }


def test_ghes_is_served_under_api_v3_only(sim: Simulator, http: httpx.Client) -> None:
    headers = {"Authorization": f"Bearer {sim.ghes.token}"}
    assert sim.ghes.url.endswith("/api/v3") and sim.ghes.hostname == "ghe.acme.internal"
    answer = http.get(f"{sim.ghes.url}/orgs/platform/repos", params={"per_page": 100}, headers=headers)
    assert answer.status_code == 200 and len(answer.json()) == 100
    assert links(answer)["next"].startswith(f"{sim.ghes.url}/organizations/")
    repo = answer.json()[0]
    assert repo["html_url"].startswith("https://ghe.acme.internal/platform/")
    assert repo["url"].startswith(f"{sim.ghes.url}/repos/platform/")
    root = sim.ghes.url.removesuffix("/api/v3")
    assert http.get(f"{root}/orgs/platform/repos", headers=headers).status_code == 404
    assert sim.ghes.requests[-1] == ("GET", "/orgs/platform/repos", "", 404)
    anonymous = http.get(f"{sim.ghes.url}/orgs/platform/repos")
    assert anonymous.status_code == 401
    assert anonymous.json()["message"] == "Must authenticate to access this API."


def test_bad_credentials(sim: Simulator, http: httpx.Client) -> None:
    answer = http.get(f"{sim.github.url}/orgs/acme/repos", headers={"Authorization": "token ghp_wrong"})
    assert answer.status_code == 401
    assert answer.json() == {
        "message": "Bad credentials",
        "documentation_url": "https://docs.github.com/rest",
        "status": "401",
    }
    assert answer.headers["content-type"] == "application/json; charset=utf-8"


def test_anonymous_sees_public_repos_only(sim: Simulator, http: httpx.Client) -> None:
    answer = http.get(f"{sim.github.url}/orgs/acme/repos", params={"per_page": 100})
    public = sum(1 for r in sim.github.orgs["acme"] if r["visibility"] == "public")
    assert answer.headers["x-ratelimit-limit"] == "60"
    assert int(answer.headers["x-ratelimit-remaining"]) == 59
    assert len(answer.json()) == min(public, 100)
    assert all("permissions" not in r for r in answer.json())
    assert http.get(f"{sim.github.url}/user").status_code == 401


def test_rate_limit_headers_and_exhaustion(sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]) -> None:
    url = f"{sim.github.url}/orgs/acme-labs/repos"
    answer = http.get(url, headers=gh_headers)
    assert answer.headers["x-ratelimit-limit"] == "5000"
    assert answer.headers["x-ratelimit-remaining"] == "4999"
    assert answer.headers["x-ratelimit-used"] == "1"
    assert answer.headers["x-ratelimit-resource"] == "core"
    assert int(answer.headers["x-ratelimit-reset"]) > time.time()
    assert answer.headers["x-github-request-id"]
    assert answer.headers["x-github-api-version-selected"] == "2022-11-28"
    sim.github.rate_limit = 2
    assert http.get(url, headers=gh_headers).status_code == 200
    limited = http.get(url, headers=gh_headers)
    assert limited.status_code == 403
    assert limited.json()["message"].startswith("API rate limit exceeded for user ID")
    assert limited.headers["x-ratelimit-remaining"] == "0"
    status = http.get(f"{sim.github.url}/rate_limit", headers=gh_headers).json()
    assert status["resources"]["core"]["remaining"] == 0 and status["rate"]["limit"] == 2


def test_primary_and_secondary_rate_limit_faults(
    sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]
) -> None:
    url = f"{sim.github.url}/orgs/acme/repos"
    sim.github.faults.add(Fault.rate_limited("github", path="repos", retry_after=30))
    primary = http.get(url, headers=gh_headers)
    assert primary.status_code == 403
    assert primary.headers["x-ratelimit-remaining"] == "0"
    assert 25 < int(primary.headers["x-ratelimit-reset"]) - time.time() <= 31
    assert "API rate limit exceeded" in primary.json()["message"]
    sim.github.faults.add(Fault.rate_limited("github-secondary", path="repos", status=429, retry_after=1))
    secondary = http.get(url, headers=gh_headers)
    assert secondary.status_code == 429
    assert secondary.headers["retry-after"] == "1"
    assert "secondary rate limit" in secondary.json()["message"]
    assert http.get(url, headers=gh_headers).status_code == 200


def test_user_and_single_repo(sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]) -> None:
    user = http.get(f"{sim.github.url}/user", headers=gh_headers).json()
    assert user["login"] == "acme-bot" and user["type"] == "User"
    # the authenticated user is a `private-user`: GitHub's discriminator says so with user_view_type
    assert user["user_view_type"] == "private" and "two_factor_authentication" in user
    name = sim.github.orgs["acme"][0]["name"]
    repo = http.get(f"{sim.github.url}/repos/acme/{name}", headers=gh_headers).json()
    assert repo["name"] == name and "subscribers_count" in repo


def test_add_and_remove_repos(sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]) -> None:
    sim.github.add_repo("acme", "brand-new-service", topics=["service"], visibility="private")
    assert sim.github.remove_repo("acme", sim.github.orgs["acme"][0]["name"])
    assert not sim.github.remove_repo("acme", "does-not-exist")
    newest = http.get(f"{sim.github.url}/orgs/acme/repos", headers=gh_headers).json()[0]
    assert newest["name"] == "brand-new-service" and newest["topics"] == ["service"] and newest["private"]
    sim.github.add_repo("fresh-org", "only-repo")
    fresh = http.get(f"{sim.github.url}/orgs/fresh-org/repos", headers=gh_headers).json()
    assert [r["full_name"] for r in fresh] == ["fresh-org/only-repo"]


@pytest.mark.parametrize("scheme", ["token", "Bearer"])
def test_both_authorization_schemes(sim: Simulator, http: httpx.Client, scheme: str) -> None:
    answer = http.get(f"{sim.github.url}/user", headers={"Authorization": f"{scheme} {sim.github.token}"})
    assert answer.status_code == 200


def test_fast_page_encoding_equals_the_reference_rendering(sim: Simulator) -> None:
    records = [*sim.github.orgs["acme"][:40], *sim.ghes.orgs["platform"][:40]]
    odd = dict(records[0], name='odd "näme"', has_issues=False, url="ignored", node_id="x", custom={"kept": True})
    for permissions in (True, False):
        renderer = RepoRenderer(
            "acme", 7, "http://127.0.0.1:1/api/v3", "https://ghe.acme.internal", permissions=permissions
        )
        for record in [*records, odd]:
            reference = render_repo(
                record, "acme", 7, "http://127.0.0.1:1/api/v3", "https://ghe.acme.internal", permissions=permissions
            )
            assert json.loads(renderer.encode(record)) == reference
    assert reference["custom"] == {"kept": True} and reference["url"].endswith('/repos/acme/odd "näme"')
