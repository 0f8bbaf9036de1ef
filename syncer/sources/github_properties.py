"""Custom property values of an org's repos when its listing does not carry them: `GET /orgs/{org}/properties/values`.

Asked only when a source filters on custom properties and a listed repo has no `custom_properties` (GHES 3.13 to
3.17 leave them out of the org listing; github.com and GHES 3.18 and later put them in): every page, through the
source's one retry loop and its host's concurrency gate, page 1 of every such org first, then the rest of each at
once by page 1's `Link: rel="last"`. Read as strictly as the listing: a JSON list of at most PER_PAGE
`org-repo-custom-property-values` objects, a Link header that moves forward one page at a time within MAX_PAGES,
no page repeating another, every page before the last one full. Any failure fails that org (never a short list);
GHES before 3.13 has no custom properties and answers 404.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager
from dataclasses import dataclass
from urllib.parse import quote

from github.Requester import Requester

from syncer.errors import PermanentError, SyncerError
from syncer.filters import Properties
from syncer.sources.github_errors import SYSTEM, quoted
from syncer.sources.github_pages import MAX_PAGES, PER_PAGE, decode, following
from syncer.sources.github_traits import json_type, property_values, shown
from syncer.sources.github_transport import Retrying, fetch

log = logging.getLogger(__name__)
PROPERTIES_SINCE = "3.13"  # the first GitHub Enterprise Server with custom properties (its REST description)


@dataclass(frozen=True)
class ValuesPage:
    """One page of property values: (full name, properties) per repo, and what its Link header says follows."""

    values: tuple[tuple[str, Properties], ...]
    last: int | None
    has_next: bool


def values_path(org: str) -> str:
    """`/orgs/{org}/properties/values`."""
    return f"/orgs/{quote(org, safe='')}/properties/values"


def fetch_values(
    requester: Requester,
    org: str,
    number: int,
    where: str,
    retrying: Retrying,
    gate: AbstractContextManager[object] | None,
    *,
    enterprise: bool,
) -> ValuesPage:
    """Page `number` of an org's property values; a 404 is the missing feature, named with the GHES version."""
    parameters: dict[str, object] = {"per_page": PER_PAGE, "page": number}
    try:
        _, headers, body = fetch(requester, "GET", values_path(org), where, retrying, parameters=parameters, gate=gate)
    except PermanentError as exc:
        if exc.status == 404 and enterprise:
            raise PermanentError(
                f"{exc}: this GitHub Enterprise Server has no custom properties (they came with GHES "
                f"{PROPERTIES_SINCE}); upgrade it, or remove custom_properties from this source",
                system=SYSTEM,
                status=404,
            ) from None
        if exc.status in (403, 404):
            raise PermanentError(
                f"{exc}: the credentials cannot read the org's custom properties (an app needs the organization "
                "permission `custom properties: read`)",
                system=SYSTEM,
                status=exc.status,
            ) from None
        raise
    return parse_values(decode(body, where), headers, where, org, number)


def parse_values(
    data: object, headers: Mapping[str, str], where: str, org: str, number: int | None = None
) -> ValuesPage:
    """One page of property values; anything but a list of well-typed objects of repos of `org` fails."""
    kind = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if kind and "json" not in kind.lower():
        raise PermanentError(f"{where}: the answer is {kind.split(';')[0][:60]!s}, not JSON", system=SYSTEM)
    if type(data) is not list:
        raise PermanentError(f"{where}: expected a JSON list of repositories, got {json_type(data)}", system=SYSTEM)
    if len(data) > PER_PAGE:
        raise PermanentError(f"{where}: {len(data)} repositories on a page of {PER_PAGE}", system=SYSTEM)
    values = []
    for index, item in enumerate(data):
        try:
            values.append(_repo_values(item, org))
        except ValueError as exc:
            raise PermanentError(f"{where}: repository {index} is malformed ({exc})", system=SYSTEM) from None
    last, more = following(headers, len(values), where, number)
    return ValuesPage(tuple(values), last, more)


def _repo_values(item: object, org: str) -> tuple[str, Properties]:
    if type(item) is not dict:
        raise ValueError(f"expected an object, got {json_type(item)}")
    full_name, listed = item.get("repository_full_name"), item.get("properties")
    if type(full_name) is not str:
        raise ValueError(f"repository_full_name is {json_type(full_name)}, expected a string")
    if full_name.partition("/")[0].casefold() != org.casefold() or "/" not in full_name:
        raise ValueError(f"repository_full_name {shown(full_name)} is not a repo of the org {org}")
    if type(listed) is not list:
        raise ValueError(f"properties of {shown(full_name)} is {json_type(listed)}, expected a list")
    found: dict[str, tuple[str, ...]] = {}
    for entry in listed:
        name = entry.get("property_name") if type(entry) is dict else None
        if type(name) is not str:
            raise ValueError(f"a property of {shown(full_name)} has no property_name string")
        values = property_values(entry.get("value"), f"the value of {shown(name)} of {shown(full_name)}")
        if values is not None:
            found[name] = values
    return full_name, found


Fetch = Callable[[str, int], ValuesPage]  # (org, page number) -> the page, raising SyncerError


def read_values(
    orgs: Sequence[str], fetch_page: Fetch, concurrency: int, label: Callable[[str], str]
) -> dict[str, dict[str, Properties] | str]:
    """Per org: the properties of each repo by casefolded full name, or the error that failed the org (each error
    names the org by `label(org)`, such as `github.com/acme`)."""
    pages: dict[str, dict[int, ValuesPage]] = {org: {} for org in orgs}
    failed: dict[str, str] = {}
    highest = dict.fromkeys(orgs, 1)
    with ThreadPoolExecutor(max(concurrency, 1), thread_name_prefix="github-properties") as pool:
        running: dict[Future[ValuesPage], tuple[str, int]] = {pool.submit(fetch_page, o, 1): (o, 1) for o in orgs}
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=running.__getitem__):
                org, number = running.pop(future)
                if org in failed or future.cancelled():
                    continue
                try:
                    page = future.result()
                except SyncerError as exc:
                    failed[org] = str(exc)
                    continue
                except Exception as exc:  # a bug, or a library surprise: this org fails, not the host
                    log.exception("reading the custom properties of %s failed", org)
                    failed[org] = f"{label(org)}: properties page {number}: {type(exc).__name__}: {quoted(exc)}"
                    continue
                pages[org][number] = page
                wanted = max(page.last or 0, number + 1 if page.has_next else 0)
                for more in range(highest[org] + 1, min(wanted, MAX_PAGES) + 1):
                    running[pool.submit(fetch_page, org, more)] = (org, more)
                highest[org] = max(highest[org], wanted)
            for future, (org, _) in running.items():
                if org in failed:
                    future.cancel()
    return {
        org: failed.get(org) or _whole(pages[org], highest[org], f"{label(org)}: GET {values_path(org)}")
        for org in orgs
    }


def _whole(pages: Mapping[int, ValuesPage], announced: int, where: str) -> dict[str, Properties] | str:
    """The properties by casefolded full name when every announced page is there, full and new; else why not."""
    found: dict[str, Properties] = {}
    for number in range(1, announced + 1):
        page = pages.get(number)
        if page is None:
            return f"{where}: page {number} of {announced} was never read"
        if number < announced and len(page.values) != PER_PAGE:
            return f"{where}: page {number} of {announced} holds {len(page.values)} repositories, not {PER_PAGE}"
        fresh = [name.casefold() not in found for name, _ in page.values]
        if number > 1 and not any(fresh):
            return f"{where}: page {number} is empty or repeats earlier pages; the listing is not whole"
        found.update((name.casefold(), properties) for name, properties in page.values)
    return found
