"""Reading one page of GitHub's org repos: Link headers, and never taking a short list for the end."""

from __future__ import annotations

import pytest

from syncer.errors import PermanentError
from syncer.sources.github import PER_PAGE, _page


def repos(count: int) -> list[dict[str, object]]:
    return [
        {"name": f"r{i}", "full_name": f"acme/r{i}", "archived": False, "fork": False, "private": False}
        for i in range(count)
    ]


def link(*rels: tuple[int, str]) -> dict[str, str]:
    url = "https://api.github.com/organizations/1/repos?per_page=100&page={}"
    return {"link": ", ".join(f'<{url.format(n)}>; rel="{rel}"' for n, rel in rels)}


def test_first_page_reads_the_last_page_number() -> None:
    page = _page(repos(PER_PAGE), link((2, "next"), (7, "last")), "w")
    assert (page.last, page.has_next, len(page.repos)) == (7, True, PER_PAGE)


def test_last_page_has_no_next() -> None:
    page = _page(repos(12), link((6, "prev"), (1, "first")), "w")
    assert (page.last, page.has_next) == (None, False)


def test_a_full_page_without_any_link_header_asks_for_the_next_one() -> None:
    assert _page(repos(PER_PAGE), {}, "w").has_next


def test_a_short_page_without_link_header_is_the_end() -> None:
    assert not _page(repos(3), {}, "w").has_next


def test_visibility_falls_back_to_private_flag() -> None:
    item = {"name": "x", "full_name": "acme/x", "private": True}
    assert _page([item], {}, "w").repos[0].visibility == "private"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"message": "Not Found"}, id="object-instead-of-list"),
        pytest.param([{"full_name": "acme/x"}], id="missing-name"),
        pytest.param([{"name": "x", "full_name": "no-slash"}], id="full-name-without-org"),
        pytest.param([{"name": "x", "full_name": "acme/x", "topics": "a,b"}], id="topics-not-a-list"),
    ],
)
def test_malformed_pages_fail_instead_of_shrinking(data: object) -> None:
    with pytest.raises(PermanentError):
        _page(data, {}, "github.com/acme: GET /orgs/acme/repos page 1")


def test_a_page_longer_than_asked_fails_the_org() -> None:
    with pytest.raises(PermanentError, match="101 repositories on a page of 100"):
        _page(repos(PER_PAGE + 1), {}, "github.com/acme: GET /orgs/acme/repos page 1")
