"""Reading GitHub list pages strictly: a page is a JSON list of well-typed objects, its Link header is consistent.

Anything else (a body that is not a list, a field of the wrong JSON type, a repo of another org, a `last` beyond
MAX_PAGES, a `next` that does not advance by one) raises PermanentError: the org fails and nothing is guessed. Each
repo object is read by github_traits.traits, against GitHub's `minimal-repository` schema.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlparse

import orjson

from syncer.errors import PermanentError
from syncer.filters import RepoTraits
from syncer.sources.github_errors import SYSTEM
from syncer.sources.github_traits import json_type, traits

PER_PAGE = 100
MAX_PAGES = 1000  # per org: 100,000 repos; a server claiming more fails the org before any further page
_LINK = re.compile(r'<([^>]+)>;\s*rel="(\w+)"')


@dataclass(frozen=True)
class Page:
    """One page of an org's repos and what its Link header says comes after it (`reused`: from the ETag cache)."""

    repos: tuple[RepoTraits, ...]
    last: int | None
    has_next: bool
    reused: bool = False
    probe: bool = False  # a reused full last page: the next page is asked to be sure, and may be empty (the end)


@dataclass(frozen=True)
class InstallationItem:
    """One app installation as `/app/installations` lists it."""

    id: int
    account: str
    target_type: str
    suspended: bool


def listing_page(org: str, number: int) -> tuple[str, dict[str, object]]:
    """Path and parameters of page `number` of an org's repos, oldest first: a repo created while the pages are
    fetched lands on the last page instead of shifting the others (which keep their ETags)."""
    asked: dict[str, object] = {"type": "all", "sort": "created", "direction": "asc", "per_page": PER_PAGE}
    return f"/orgs/{quote(org, safe='')}/repos", {**asked, "page": number}


def decode(body: str | bytes, where: str) -> object:
    """A page's JSON; a body that is not JSON is a failure, never an empty page."""
    try:
        data: object = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PermanentError(f"{where}: the answer is not valid JSON", system=SYSTEM) from exc
    return data


def links(headers: Mapping[str, str]) -> tuple[int | None, bool, int | None]:
    """(last page, has a next link, the next link's page number) of a Link header."""
    found = {rel: url for url, rel in _LINK.findall(headers.get("link", ""))}
    return page_number(found.get("last")), "next" in found, page_number(found.get("next"))


def page_number(url: str | None) -> int | None:
    """The `page` query parameter of a link, or None."""
    if url is None:
        return None
    values = parse_qs(urlparse(url).query).get("page")
    return int(values[0]) if values and values[0].isdigit() else None


def check_links(last: int | None, has_next: bool, after: int | None, number: int | None, where: str) -> None:
    """Refuse a Link header that claims too many pages or does not move forward one page at a time."""
    if last is not None and last > MAX_PAGES:
        raise PermanentError(
            f"{where}: the Link header claims {last} pages; at most {MAX_PAGES} per org are read", system=SYSTEM
        )
    if number is None or not has_next:
        return
    if after != number + 1:
        target = f"page {after}" if after is not None else "no page number"
        raise PermanentError(f"{where}: its next link points to {target}, not to page {number + 1}", system=SYSTEM)
    if number + 1 > MAX_PAGES:
        raise PermanentError(
            f"{where}: the listing goes on past {MAX_PAGES} pages; at most {MAX_PAGES} are read", system=SYSTEM
        )
    if last is not None and last <= number:
        raise PermanentError(
            f"{where}: its Link header has a next link but names page {last} as the last", system=SYSTEM
        )


def parse_page(
    data: object, headers: Mapping[str, str], where: str, org: str | None = None, number: int | None = None
) -> Page:
    """Parse one page of repos; anything but a list of well-typed repo objects of `org` is a failure."""
    kind = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if kind and "json" not in kind.lower():  # a proxy's or a login page's `[]` is not GitHub's answer
        raise PermanentError(f"{where}: the answer is {kind.split(';')[0][:60]!s}, not JSON", system=SYSTEM)
    if type(data) is not list:
        raise PermanentError(f"{where}: expected a JSON list of repositories, got {json_type(data)}", system=SYSTEM)
    if len(data) > PER_PAGE:  # bounds what 1,000 pages can hold, whatever the server claims
        raise PermanentError(f"{where}: {len(data)} repositories on a page of {PER_PAGE}", system=SYSTEM)
    repos = []
    for index, item in enumerate(data):
        try:
            repos.append(traits(item, org))
        except ValueError as exc:
            raise PermanentError(f"{where}: repository {index} is malformed ({exc})", system=SYSTEM) from None
    last, more = following(headers, len(repos), where, number)
    return Page(tuple(repos), last, more)


def following(headers: Mapping[str, str], count: int, where: str, number: int | None) -> tuple[int | None, bool]:
    """(last page, whether a page follows) of page `number` holding `count` repos, by its Link header, checked."""
    last, has_next, after = links(headers)
    check_links(last, has_next, after, number, where)
    if has_next and not count:
        raise PermanentError(f"{where}: the page is empty but its Link header says more pages follow", system=SYSTEM)
    # a full page without any Link header (a proxy may strip it) is not proof of the end: ask for the next one
    return last, has_next or (not headers.get("link") and count == PER_PAGE)


def parse_installations(data: object, where: str) -> list[InstallationItem]:
    """One page of `/app/installations`; anything but a list of well-typed installation objects is a failure."""
    if type(data) is not list:
        raise PermanentError(f"{where}: expected a JSON list of installations, got {json_type(data)}", system=SYSTEM)
    found = []
    for index, item in enumerate(data):
        try:
            found.append(_installation(item))
        except ValueError as exc:
            raise PermanentError(f"{where}: installation {index} is malformed ({exc})", system=SYSTEM) from None
    return found


def _installation(item: object) -> InstallationItem:
    if type(item) is not dict:
        raise ValueError(f"expected an object, got {json_type(item)}")
    ident, account, kind = item.get("id"), item.get("account"), item.get("target_type")
    if type(ident) is not int:
        raise ValueError(f"id is {json_type(ident)}, expected a number")
    if type(account) is not dict or type(account.get("login")) is not str or not account["login"]:
        raise ValueError(f"installation {ident} has no account login")
    if type(kind) is not str:
        raise ValueError(f"target_type of installation {ident} is {json_type(kind)}, expected a string")
    suspended = item.get("suspended_at")
    if suspended is not None and type(suspended) is not str:
        raise ValueError(f"suspended_at of installation {ident} is {json_type(suspended)}")
    return InstallationItem(ident, account["login"], kind, suspended is not None)


def repeats(seen: dict[int, int], page: Page, number: int) -> int | None:
    """The earlier page this non-empty page repeats exactly, else None (and remember this one in `seen`)."""
    if not page.repos:
        return None
    fingerprint = hash(tuple(r.full_name for r in page.repos))
    earlier = seen.setdefault(fingerprint, number)
    return earlier if earlier != number else None


def incomplete(pages: Mapping[int, Page], announced: int, where: str) -> str | None:
    """Why a listing whose pages all answered is still not whole, or None when it is.

    Every page before the last one announced (`Link: rel="last"` or `next`) must be full, and no announced page
    may be empty: a short or empty page in the middle means the server (or the org, mid-listing) changed under
    the listing, and taking it as the end would drop every repo after it.
    """
    for number in range(1, announced + 1):
        page = pages.get(number)
        if page is None:
            return f"{where}: page {number} of {announced} was never read"
        if number < announced and len(page.repos) != PER_PAGE:
            return f"{where}: page {number} of {announced} holds {len(page.repos)} repositories, not {PER_PAGE}"
        if number > 1 and not page.repos:
            return f"{where}: page {number} was announced but is empty; the listing is not whole"
    return None
