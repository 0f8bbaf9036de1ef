"""The end of a listing answered by 304s: a full last page may have gained a successor its cached Link does not
name (GitHub's weak ETags need not cover Link, nor a 304 carry it); the page after it is asked, once, over HTTP."""

from __future__ import annotations

from syncer.simulator.github.fake import FakeGitHub
from syncer.state.store import StateStore

from .conftest import Sleeps
from .test_github_conditional import listing, names, source


def fill_to_whole_pages(fake: FakeGitHub, org: str = "acme") -> int:
    """Add repos until the org's count is a multiple of 100; the count."""
    count = len(fake.orgs[org])
    for n in range(-count % 100):
        fake.add_repo(org, f"filler-{n:02d}")
    return len(fake.orgs[org])


def test_a_repo_added_after_a_full_last_page_is_found_though_every_page_answers_304(
    github_api: FakeGitHub, sleeps: Sleeps
) -> None:
    github_api.paging.etag_of_body = True  # the ETag of a page does not change when a page is added after it
    whole = fill_to_whole_pages(github_api)
    cache = StateStore()
    listing(source(github_api), cache, sleeps)
    github_api.add_repo("acme", "after-the-last-page")
    found = listing(source(github_api), cache, sleeps)
    assert found.ok and found.seen == whole + 1
    assert "github.com/acme/after-the-last-page" in names(found)


def test_the_page_after_a_full_last_page_costs_a_request_once_then_a_304(
    github_api: FakeGitHub, sleeps: Sleeps
) -> None:
    whole = fill_to_whole_pages(github_api)
    pages = whole // 100
    cache = StateStore()
    listing(source(github_api), cache, sleeps)
    github_api.reset_counters()
    first = listing(source(github_api), cache, sleeps)  # the pages 304, and the page after the last asked once
    assert first.ok and first.seen == whole
    assert (github_api.listings.not_modified, github_api.count("GET", r"/orgs/acme/repos$")) == (pages, pages + 1)
    github_api.reset_counters()
    again = listing(source(github_api), cache, sleeps)
    assert again.ok and again.seen == whole
    assert github_api.listings.not_modified == github_api.count("GET", r"/orgs/acme/repos$") == pages + 1
    assert sum(github_api.listings.points.values()) == 0
