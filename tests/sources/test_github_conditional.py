"""Conditional list requests (SPEC §8): If-None-Match from the ETag cache, a 304 reuses the cached page.

Over real HTTP against the simulated github.com, whose 304s carry no body and no Link header and are not
charged against its rate limit.
"""

from __future__ import annotations

from pathlib import Path

from syncer import metrics
from syncer.config.schema import GithubSource
from syncer.model import Discovery
from syncer.simulator.github.fake import FakeGitHub
from syncer.sources.github import GithubRepos
from syncer.sources.github_cache import PageCache, page_url
from syncer.state.store import StateStore

from .conftest import FAST, Sleeps

ACME_PAGES = 3  # 250 repos, pages of 100


def source(fake: FakeGitHub, token: str | None = None, orgs: tuple[str, ...] = ("acme",)) -> GithubSource:
    return GithubSource.model_validate({"api_url": fake.url, "token": token or fake.token, "orgs": list(orgs)})


def app_source(fake: FakeGitHub) -> GithubSource:
    app = {"app_id": fake.app_id, "private_key": fake.app_private_key}
    return GithubSource.model_validate({"api_url": fake.url, "app": app, "orgs": ["acme"]})


def listing(src: GithubSource, cache: PageCache | None, sleeps: Sleeps) -> Discovery:
    [found] = GithubRepos(src, 4, FAST, sleeps, cache=cache).discover()
    assert found.ok, found.error
    return found


def names(found: Discovery) -> set[str]:
    return {e.label() for e in found.entries}


def conditional(result: str) -> float:
    labels = {"api": "github", "result": result}
    return metrics.REGISTRY.get_sample_value("syncer_conditional_requests_total", labels) or 0.0


def url_of(fake: FakeGitHub, page: int, org: str = "acme") -> str:
    params = {"type": "all", "sort": "created", "direction": "asc", "per_page": 100, "page": page}
    return page_url(fake.url, f"/orgs/{org}/repos", params)


def test_a_warm_cache_lists_the_org_with_304s_only_and_no_rate_limit_point(
    github_api: FakeGitHub, sleeps: Sleeps
) -> None:
    cache = StateStore()
    first = listing(source(github_api), cache, sleeps)
    window = github_api.rate_window(github_api.token)
    used = window.used
    github_api.reset_counters()
    before = (conditional("not_modified"), conditional("modified"))

    second = listing(source(github_api), cache, sleeps)

    assert second.entries == first.entries and second.seen == len(github_api.orgs["acme"])
    assert github_api.listings.not_modified == ACME_PAGES
    assert (github_api.listings.modified, github_api.listings.unconditional) == (0, 0)
    assert window.used == used, "a 304 costs no rate-limit point"
    assert github_api.listings.points == {}
    assert conditional("not_modified") - before[0] == ACME_PAGES
    assert conditional("modified") == before[1]


def test_without_a_cache_no_page_is_conditional(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    listing(source(github_api), None, sleeps)
    listing(source(github_api), None, sleeps)

    assert github_api.listings.unconditional == 2 * ACME_PAGES
    assert github_api.listings.not_modified == github_api.listings.modified == 0


def test_a_repo_created_between_listings_changes_only_the_last_page_and_appears(
    github_api: FakeGitHub, sleeps: Sleeps
) -> None:
    cache = StateStore()
    first = listing(source(github_api), cache, sleeps)
    github_api.add_repo("acme", "brand-new-service")
    github_api.reset_counters()
    before = conditional("modified")

    second = listing(source(github_api), cache, sleeps)

    assert names(second) - names(first) == {"github.com/acme/brand-new-service"}
    assert names(first) <= names(second)
    assert (github_api.listings.not_modified, github_api.listings.modified) == (ACME_PAGES - 1, 1)
    [changed] = [r.query for r in github_api.requests if r.status == 200]
    assert f"page={ACME_PAGES}&" in changed
    assert conditional("modified") - before == 1
    third = listing(source(github_api), cache, sleeps)
    assert third.entries == second.entries
    assert github_api.listings.not_modified == 2 * ACME_PAGES - 1, "the new last page was remembered"


def test_a_304_page_keeps_the_link_header_it_was_cached_with(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    for record in list(github_api.orgs["acme"][200:]):  # 200 repos: two full pages, the Link says there is no third
        github_api.remove_repo("acme", record["name"])
    cache = StateStore()
    first = listing(source(github_api), cache, sleeps)
    github_api.reset_counters()

    second = listing(source(github_api), cache, sleeps)  # the 304s carry no Link: the cached one says no third

    assert second.entries == first.entries and second.seen == 200
    # and the third page is asked once, in case it came since (test_github_conditional_end)
    assert github_api.count("GET", r"^/orgs/acme/repos$") == 3
    assert github_api.listings.not_modified == 2


def test_an_org_growing_by_a_page_is_listed_whole(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    cache = StateStore()
    listing(source(github_api), cache, sleeps)
    for n in range(51):  # 250 -> 301 repos: a fourth page, and a new `last` on every page
        github_api.add_repo("acme", f"grown-{n:02d}")
    github_api.reset_counters()

    found = listing(source(github_api), cache, sleeps)

    assert found.seen == 301
    assert {f"github.com/acme/grown-{n:02d}" for n in range(51)} <= names(found)
    assert github_api.listings.not_modified == 0, "every page's Link changed, so did its ETag"


def test_a_removed_renamed_or_archived_repo_changes_the_listing(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    cache = StateStore()
    first = listing(source(github_api), cache, sleeps)
    listed = [r for r in github_api.orgs["acme"] if f"github.com/acme/{r['name']}" in names(first)]
    gone, renamed, archived = listed[0], listed[len(listed) // 2], listed[-1]
    github_api.remove_repo("acme", gone["name"])
    old_name = renamed["name"]
    renamed["name"] = "renamed-in-place"
    archived["archived"] = True

    second = listing(source(github_api), cache, sleeps)

    expected = {f"github.com/acme/{r}" for r in (gone["name"], old_name, archived["name"])}
    assert names(first) - names(second) == expected, "archived repos are filtered out"
    assert names(second) - names(first) == {"github.com/acme/renamed-in-place"}


def test_tokens_do_not_share_cached_pages(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    github_api.tokens.add("ghp_SecondTokenOfAnotherTeam0001")
    cache = StateStore()
    listing(source(github_api), cache, sleeps)
    github_api.reset_counters()

    listing(source(github_api, "ghp_SecondTokenOfAnotherTeam0001"), cache, sleeps)

    assert github_api.listings.unconditional == ACME_PAGES, "no If-None-Match with another token's ETags"
    assert github_api.listings.not_modified == 0
    listing(source(github_api, "ghp_SecondTokenOfAnotherTeam0001"), cache, sleeps)
    listing(source(github_api), cache, sleeps)
    assert github_api.listings.not_modified == 2 * ACME_PAGES, "each token has its own entries"


def test_an_app_installation_keeps_its_cache_while_its_tokens_rotate(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    cache = StateStore()
    first = listing(app_source(github_api), cache, sleeps)
    window = github_api.rate_window(installation=51001)
    used = window.used
    github_api.reset_counters()

    second = listing(app_source(github_api), cache, sleeps)  # a new run: a new installation token

    assert github_api.count("POST", r"/access_tokens$") == 1
    assert second.entries == first.entries
    assert github_api.listings.not_modified == ACME_PAGES
    assert window.used == used


def test_the_cache_survives_a_restart_of_the_store(github_api: FakeGitHub, sleeps: Sleeps, tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = StateStore(path)
    first = listing(source(github_api), store, sleeps)
    store.close()
    github_api.reset_counters()
    again = StateStore(path)

    second = listing(source(github_api), again, sleeps)

    assert second.entries == first.entries
    assert github_api.listings.not_modified == ACME_PAGES
    assert github_api.token.encode() not in path.read_bytes(), "the token is never stored in clear"


def test_the_rate_limit_gauge_follows_the_last_answer(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    [found] = GithubRepos(source(github_api), 1, FAST, sleeps).discover()  # one at a time: the last is the lowest
    assert found.ok

    host = f"127.0.0.1:{github_api.port}"
    value = metrics.REGISTRY.get_sample_value("syncer_rate_limit_remaining", {"api": "github", "host": host})
    assert value == github_api.rate_window(github_api.token).remaining
