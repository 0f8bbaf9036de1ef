"""The fake GitHub's conditional list pages: weak ETags per content and caller, 304s not charged."""

from __future__ import annotations

import httpx
import pytest

from syncer.simulator import Simulator
from syncer.simulator.github.repos import etag_matches

ASKED = {"sort": "created", "direction": "asc", "per_page": "100"}


def page(sim: Simulator, http: httpx.Client, headers: dict[str, str], number: int, org: str = "acme") -> httpx.Response:
    answer = http.get(f"{sim.github.url}/orgs/{org}/repos", params={**ASKED, "page": str(number)}, headers=headers)
    assert answer.status_code in (200, 304), answer.text
    return answer


def etags(sim: Simulator, http: httpx.Client, headers: dict[str, str], pages: int = 3) -> list[str]:
    return [page(sim, http, headers, n).headers["etag"] for n in range(1, pages + 1)]


def test_list_pages_carry_a_weak_etag_that_is_stable_and_varies_by_page(
    sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]
) -> None:
    first = page(sim, http, gh_headers, 1)

    assert first.headers["etag"].startswith('W/"') and first.headers["etag"].endswith('"')
    assert "Authorization" in first.headers["vary"]
    assert etags(sim, http, gh_headers) == etags(sim, http, gh_headers)
    assert len(set(etags(sim, http, gh_headers))) == 3


def test_a_matching_if_none_match_is_answered_304_without_body_and_not_charged(
    sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]
) -> None:
    full = page(sim, http, gh_headers, 2)
    window = sim.github.rate_window(sim.github.token)
    used = window.used
    sim.github.reset_counters()

    again = page(sim, http, {**gh_headers, "If-None-Match": full.headers["etag"]}, 2)

    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == full.headers["etag"]
    assert "link" not in again.headers, "a 304 needs no Link: the client keeps the cached one"
    assert int(again.headers["x-ratelimit-remaining"]) == window.limit - used
    assert int(again.headers["x-ratelimit-used"]) == used
    assert window.used == used
    assert (sim.github.listings.not_modified, sim.github.listings.modified) == (1, 0)
    assert sim.github.listings.points == {}
    assert [r.status for r in sim.github.requests] == [304]


def test_a_stale_if_none_match_gets_the_page_and_is_charged(
    sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]
) -> None:
    window = sim.github.rate_window(sim.github.token)
    used = window.used

    answer = page(sim, http, {**gh_headers, "If-None-Match": 'W/"0000"'}, 1)

    assert answer.status_code == 200 and len(answer.json()) == 100
    assert window.used == used + 1
    assert sim.github.listings.modified == 1
    assert sim.github.listings.points == {f"token:{sim.github.token}": 1}


def test_the_organizations_by_id_route_answers_304_too(
    sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]
) -> None:
    url = f"{sim.github.url}/organizations/{sim.github.org_id('acme')}/repos"
    full = http.get(url, params=ASKED, headers=gh_headers)
    again = http.get(url, params=ASKED, headers={**gh_headers, "If-None-Match": full.headers["etag"]})

    assert (full.status_code, again.status_code) == (200, 304)


def test_the_etag_varies_with_who_asks(sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]) -> None:
    sim.github.tokens.add("ghp_AnotherCallerToken000001")
    other = {"Authorization": "token ghp_AnotherCallerToken000001"}

    mine, theirs = page(sim, http, gh_headers, 1), page(sim, http, other, 1)

    assert mine.content == theirs.content
    assert mine.headers["etag"] != theirs.headers["etag"]
    crossed = page(sim, http, {**other, "If-None-Match": mine.headers["etag"]}, 1)
    assert crossed.status_code == 200


def test_an_anonymous_304_is_charged(sim: Simulator, http: httpx.Client) -> None:
    full = page(sim, http, {}, 1)
    window = sim.github.rate_window()
    used = window.used

    again = page(sim, http, {"If-None-Match": full.headers["etag"]}, 1)

    assert again.status_code == 304
    assert window.used == used + 1, "GitHub only waives the point for an authorized 304"


def test_a_new_repo_changes_only_the_last_page(sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]) -> None:
    before = etags(sim, http, gh_headers)

    sim.github.add_repo("acme", "fresh-one")

    after = etags(sim, http, gh_headers)
    assert after[:2] == before[:2] and after[2] != before[2]


@pytest.mark.parametrize("where", [0, 150, 249], ids=["first-page", "middle-page", "last-page"])
def test_a_removed_repo_changes_its_page_and_those_after_it(
    sim: Simulator, http: httpx.Client, gh_headers: dict[str, str], where: int
) -> None:
    ordered = [r["name"] for r in page(sim, http, gh_headers, 1).json()]
    ordered += [r["name"] for r in page(sim, http, gh_headers, 2).json()]
    ordered += [r["name"] for r in page(sim, http, gh_headers, 3).json()]
    before = etags(sim, http, gh_headers)

    assert sim.github.remove_repo("acme", ordered[where])

    after = etags(sim, http, gh_headers)
    changed = [n for n in range(3) if after[n] != before[n]]
    assert changed == list(range(where // 100, 3))


@pytest.mark.parametrize("field", ["archived", "name", "visibility"])
def test_a_changed_repo_changes_only_its_own_page(
    sim: Simulator, http: httpx.Client, gh_headers: dict[str, str], field: str
) -> None:
    name = page(sim, http, gh_headers, 2).json()[5]["name"]
    record = next(r for r in sim.github.orgs["acme"] if r["name"] == name)
    before = etags(sim, http, gh_headers)

    visibility = "public" if record["visibility"] == "internal" else "internal"
    record[field] = {"archived": not record["archived"], "name": f"{name}-renamed", "visibility": visibility}[field]

    after = etags(sim, http, gh_headers)
    assert [after[n] != before[n] for n in range(3)] == [False, True, False]


def test_the_listing_counters_reset_with_the_fake(
    sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]
) -> None:
    page(sim, http, gh_headers, 1)
    assert sim.github.listings.unconditional == 1

    sim.reset()

    assert sim.github.listings.unconditional == 0 and sim.github.listings.points == {}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('W/"abc"', True),
        ('"abc"', True),
        ('W/"x", W/"abc"', True),
        ("*", True),
        ('W/"abcd"', False),
        ("", False),
        (None, False),
    ],
)
def test_if_none_match_uses_the_weak_comparison(header: str | None, expected: bool) -> None:
    assert etag_matches(header, 'W/"abc"') is expected
