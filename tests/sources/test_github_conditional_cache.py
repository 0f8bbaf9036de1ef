"""The ETag cache of GitHub list pages when something is off: a blob that does not read back, a failing cache, a
server keeping an ETag while the Link header changed, transient errors. Never a short or empty org."""

from __future__ import annotations

import zlib

import httpx
import orjson
import pytest
from github import Auth

from syncer.simulator.faults import Fault
from syncer.simulator.github.fake import FakeGitHub
from syncer.sources.github import GithubRepos
from syncer.sources.github_cache import credential_of, pack, unpack
from syncer.sources.github_pages import parse_page
from syncer.sources.github_transport import MAX_ANSWER_BYTES
from syncer.state.store import StateStore

from .conftest import FAST, Sleeps
from .test_github_conditional import ACME_PAGES, listing, source, url_of


def shrink_to_three_pages_behind_a_stale_etag(fake: FakeGitHub, cache: StateStore, sleeps: Sleeps, link: bool) -> None:
    """301 repos (4 pages) cached, then the 4th page's repo deleted; page 1 still answers 304 (a server keeping the
    ETag while the Link header changed), with its new Link header (`link`) or none."""
    for n in range(51):
        fake.add_repo("acme", f"added-{n:02d}")
    assert listing(source(fake), cache, sleeps).seen == 301
    fake.remove_repo("acme", "added-50")
    credential = credential_of(Auth.Token(fake.token))
    assert credential is not None
    found = cache.etag(url_of(fake, 1), credential)
    assert found is not None
    last = f'<{fake.url}/organizations/{fake.org_id("acme")}/repos?page=3>; rel="last"'
    headers = {"etag": found[0], **({"link": f'<{fake.url}/x?page=2>; rel="next", {last}'} if link else {})}
    fake.faults.add(Fault(path=r"^/orgs/acme/repos$", query=r"page=1&", status=304, body=b"", headers=headers))
    fake.reset_counters()


def test_the_link_header_of_a_304_wins_over_the_cached_one(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    cache = StateStore()
    shrink_to_three_pages_behind_a_stale_etag(github_api, cache, sleeps, link=True)

    found = listing(source(github_api), cache, sleeps)

    assert found.seen == 300
    assert github_api.count("GET", r"^/orgs/acme/repos$") == 3, "no fourth page asked"


def test_an_org_failing_after_a_304_has_its_pages_forgotten(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    cache = StateStore()
    shrink_to_three_pages_behind_a_stale_etag(github_api, cache, sleeps, link=False)

    [failed] = GithubRepos(source(github_api), 4, FAST, sleeps, cache=cache).discover()

    assert not failed.ok and failed.entries == ()
    assert "page 4 was announced but is empty" in (failed.error or "")
    github_api.reset_counters()
    healed = listing(source(github_api), cache, sleeps)
    assert healed.seen == 300
    assert github_api.listings.unconditional == 3, "every page asked in full, without If-None-Match"


def test_a_transient_failure_keeps_the_cached_pages(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    cache = StateStore()
    listing(source(github_api), cache, sleeps)
    github_api.faults.add(Fault(path=r"^/orgs/acme/repos$", query=r"page=2&", status=502, times=None))
    [failed] = GithubRepos(source(github_api), 4, FAST, sleeps, cache=cache).discover()
    assert not failed.ok
    github_api.faults.clear()
    github_api.reset_counters()

    listing(source(github_api), cache, sleeps)

    assert github_api.listings.not_modified == ACME_PAGES


class Damaged:
    """A cache whose blob of one page is replaced (the ETag kept), as a damaged or foreign state file would hold."""

    def __init__(self, store: StateStore, url: str, blob: bytes) -> None:
        self.store, self.url, self.blob = store, url, blob

    def etag(self, url: str, credential: str) -> tuple[str, bytes] | None:
        found = self.store.etag(url, credential)
        return None if found is None else (found[0], self.blob if url == self.url else found[1])

    def remember(self, url: str, credential: str, etag: str, body: bytes) -> None:
        self.store.remember(url, credential, etag, body)
        if url == self.url:
            self.url = ""  # the page asked again is stored whole


@pytest.mark.parametrize(
    "blob",
    [
        pytest.param(b"", id="gone"),
        pytest.param(b"\x78\x01garbage", id="not-zlib"),
        pytest.param(pack([], {}), id="an-empty-page"),
        pytest.param(pack([{"name": "x", "full_name": "other/x", "private": False}], {}), id="another-org"),
        pytest.param(pack([{"name": "x", "full_name": "acme/x", "archived": "no"}], {}), id="wrong-type"),
    ],
)
def test_a_304_for_a_page_whose_cached_blob_does_not_read_back_asks_again(
    github_api: FakeGitHub, sleeps: Sleeps, blob: bytes
) -> None:
    store = StateStore()
    first = listing(source(github_api), store, sleeps)
    github_api.reset_counters()
    damaged = Damaged(store, url_of(github_api, 2), blob)

    second = listing(source(github_api), damaged, sleeps)

    assert second.entries == first.entries, "never a short or empty org"
    assert github_api.listings.not_modified == ACME_PAGES, "page 2 was answered 304, its blob refused"
    assert github_api.listings.unconditional == 1, "then asked again without If-None-Match"
    listing(source(github_api), damaged, sleeps)
    assert github_api.listings.not_modified == 2 * ACME_PAGES, "the page asked again replaced the damaged blob"


def test_a_bad_page_asked_again_fails_the_org(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    store = StateStore()
    listing(source(github_api), store, sleeps)
    damaged = Damaged(store, url_of(github_api, 2), b"")
    asked: list[int] = []

    def second_ask_breaks_the_page() -> None:
        asked.append(1)
        if len(asked) == 2:  # the page asked again, without If-None-Match, is malformed
            for record in github_api.orgs["acme"]:
                record["topics"] = "a,b"

    github_api.during(r"^/orgs/acme/repos$", second_ask_breaks_the_page, query=r"page=2&", times=None)

    [found] = GithubRepos(source(github_api), 1, FAST, sleeps, cache=damaged).discover()

    assert len(asked) == 2
    assert not found.ok and found.entries == ()
    assert "malformed" in (found.error or "")


def test_only_a_page_that_parsed_is_remembered(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    store = StateStore()
    github_api.faults.add(Fault(path=r"^/orgs/acme/repos$", query=r"page=1&", malformed=True))
    [found] = GithubRepos(source(github_api), 4, FAST, sleeps, cache=store).discover()
    assert not found.ok

    credential = credential_of(Auth.Token(github_api.token))
    assert credential is not None
    assert store.etag(url_of(github_api, 1), credential) is None
    listing(source(github_api), store, sleeps)
    assert store.etag(url_of(github_api, 1), credential) is not None


def test_a_failing_cache_is_bypassed(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    class Broken:
        def etag(self, url: str, credential: str) -> tuple[str, bytes] | None:
            raise OSError("disk I/O error")

        def remember(self, url: str, credential: str, etag: str, body: bytes) -> None:
            raise OSError("database or disk is full")

    found = listing(source(github_api), Broken(), sleeps)

    assert found.seen == len(github_api.orgs["acme"])
    assert github_api.listings.unconditional == ACME_PAGES


def test_a_page_read_back_from_its_blob_is_the_page_read_from_the_answer(github_api: FakeGitHub) -> None:
    params = {"type": "all", "sort": "created", "direction": "asc", "per_page": "100", "page": "2"}
    answer = httpx.get(
        f"{github_api.url}/orgs/acme/repos", params=params, headers={"Authorization": f"token {github_api.token}"}
    )
    data, headers = answer.json(), {k.lower(): v for k, v in answer.headers.items()}
    where = "github.com/acme: GET /orgs/acme/repos page 2"

    original = parse_page(data, headers, where, "acme", 2)
    blob = pack(data, headers)

    unpacked = unpack(blob)
    assert unpacked is not None
    assert parse_page(unpacked[0], unpacked[1], where, "acme", 2) == original, (
        "a field some filter reads was left out of the blob"
    )
    assert original.last == 3 and original.has_next
    assert len(blob) < len(answer.content) / 10


@pytest.mark.parametrize(
    "blob",
    [
        pytest.param(zlib.compress(orjson.dumps({"v": 2, "link": None, "repos": []})), id="another-version"),
        pytest.param(zlib.compress(orjson.dumps({"v": 1, "link": 3, "repos": []})), id="link-not-text"),
        pytest.param(zlib.compress(orjson.dumps({"v": 1, "link": None, "repos": {}})), id="repos-not-a-list"),
        pytest.param(zlib.compress(orjson.dumps([1])), id="not-an-object"),
        pytest.param(zlib.compress(orjson.dumps({"v": 1, "repos": []}))[:-3], id="truncated"),
        pytest.param(zlib.compress(b" " * (MAX_ANSWER_BYTES + 1)), id="larger-than-any-answer"),
    ],
)
def test_a_blob_that_is_not_one_syncer_wrote_does_not_read_back(blob: bytes) -> None:
    assert unpack(blob) is None
