"""Reading one page of GitHub's org repos: Link headers, never taking a short list for the end, each repo's traits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from syncer.errors import PermanentError
from syncer.sources.github import PER_PAGE, _page
from syncer.sources.github_traits import traits


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


def test_the_traits_the_selectors_read() -> None:
    item = {
        "name": "api",
        "full_name": "acme/api",
        "visibility": "private",
        "language": "Go",
        "pushed_at": "2026-11-02T08:30:00Z",
        "custom_properties": {"team": "payments", "compliance": ["pci", "sox"], "cost-center": None},
    }
    repo = traits(item, "acme")
    assert repo.language == "Go"
    assert repo.pushed_at == datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
    assert repo.custom_properties == {"team": ("payments",), "compliance": ("pci", "sox")}, "null: the value is unset"


@pytest.mark.parametrize(
    ("fields", "language", "pushed_at", "properties"),
    [
        pytest.param({}, None, None, None, id="absent-not-known"),
        pytest.param({"language": None, "pushed_at": None, "custom_properties": None}, None, None, None, id="null"),
        pytest.param({"custom_properties": {}}, None, None, {}, id="no-property-set"),
        pytest.param(
            {"pushed_at": "2026-11-02T08:30:00"}, None, datetime(2026, 11, 2, 8, 30, tzinfo=UTC), None, id="naive-utc"
        ),
        pytest.param(
            {"pushed_at": "2026-11-02T10:30:00+02:00"},
            None,
            datetime(2026, 11, 2, 8, 30, tzinfo=UTC),
            None,
            id="with-an-offset",
        ),
    ],
)
def test_traits_not_given_are_not_known(
    fields: dict[str, object], language: str | None, pushed_at: datetime | None, properties: object
) -> None:
    repo = traits({"name": "api", "full_name": "acme/api", "private": True, **fields})
    assert (repo.language, repo.pushed_at, repo.custom_properties) == (language, pushed_at, properties)
    assert repo.pushed_at is None or repo.pushed_at.utcoffset() is not None
