"""Confirmed removals for GitHub: a repo missing from a healthy listing is looked up before it is removed.

Pages shift while repos are created or deleted during a listing, so a repo can fall between two pages. For each
such current entry `GET /repos/{owner}/{repo}` with the org's credentials decides:

- GitHub's own 404 (a JSON `message`)        → gone: not kept
- a 301/307/308 (rename or transfer: GitHub answers with a Location `/repositories/{id}`) → that location is
  asked once, on the configured host only; a repo the listing has under its new name → not kept
- a 200 for that repo that passes the filters → kept (the listing missed it); failing the filters → not kept
- anything else: another status, a malformed body, a redirect elsewhere, an error, the deadline → kept

A look-up goes through the source's one retry loop: a 5xx, a 429 or a rate limit is asked again under the policy,
and only a failure that remains (or a stop) is the doubt that keeps the entry.
"""

from __future__ import annotations

import logging
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from threading import BoundedSemaphore
from urllib.parse import quote, urlsplit

import requests
from github import Auth, Github, GithubException

from syncer.config.schema import GithubSource
from syncer.errors import Stopped, SyncerError
from syncer.filters import RepoFilter, RepoTraits
from syncer.model import Entry, GithubRepo
from syncer.redact import redact
from syncer.sources.github_errors import UnexpectedAnswer, prefixed, translate
from syncer.sources.github_pages import decode
from syncer.sources.github_traits import traits
from syncer.sources.github_transport import NOT_JSON, Retrying, request_json

log = logging.getLogger(__name__)
_MOVED = frozenset({301, 307, 308})


class Names:
    """A compact set of casefolded full names: 8 bytes a name (a sorted array of their hashes), not ~100.

    A hash collision (about 1 in 10^9 for 100,000 names) could only make a look-up take a repo for listed.
    """

    def __init__(self, names: Iterable[str]) -> None:
        self._hashes = array("q", sorted({hash(name.casefold()) for name in names}))

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        wanted = hash(name.casefold())
        index = bisect_left(self._hashes, wanted)
        return index < len(self._hashes) and self._hashes[index] == wanted

    def __len__(self) -> int:
        return len(self._hashes)


@dataclass(frozen=True)
class Listing:
    """What the last healthy listing of one org saw: every repo's full name, filtered or not."""

    org: str
    auth: Auth.Auth
    names: Names


@dataclass(frozen=True)
class Lookup:
    """What a look-up needs from its source."""

    source: GithubSource
    filter: RepoFilter
    client: Callable[[Auth.Auth], Github]
    in_flight: BoundedSemaphore
    retrying: Retrying
    concurrency: int


def confirm_entries(
    entries: Sequence[Entry], listings: dict[str, Listing] | None, failed: set[str], lookup: Lookup
) -> tuple[Entry, ...]:
    """The entries to keep (see the module docstring); at most one look-up (plus one redirect) per entry."""
    host = lookup.source.hostname.casefold()
    mine: dict[tuple[str, ...], GithubRepo] = {}
    for entry in entries:
        if isinstance(entry, GithubRepo) and entry.hostname.casefold() == host:
            mine.setdefault(entry.key(), entry)
    if listings is None:  # no healthy listing of this host to compare with: never remove on doubt
        return tuple(mine.values())
    kept: list[Entry] = []
    asked: list[tuple[GithubRepo, Listing]] = []
    for entry in mine.values():
        org = entry.github_org_name.casefold()
        listing = listings.get(org)
        if org in failed:
            kept.append(entry)
        elif listing is not None and f"{org}/{entry.repo_name}" not in listing.names:
            asked.append((entry, listing))
        # else: an org this source does not list, or a repo the listing saw and the filters dropped
    if not asked:
        return tuple(kept)
    every = list(listings.values())
    with ThreadPoolExecutor(min(lookup.concurrency, len(asked)), thread_name_prefix="github-confirm") as pool:
        verdicts = list(pool.map(lambda job: _keep(job[0], job[1], every, lookup), asked))
    kept.extend(entry for (entry, _), keep in zip(asked, verdicts, strict=True) if keep)
    return tuple(kept)


def _keep(entry: GithubRepo, listing: Listing, every: list[Listing], lookup: Lookup) -> bool:
    """Whether one entry stays, after asking GitHub about it."""
    asked = f"{listing.org}/{entry.repo_name}"
    where = f"{lookup.source.hostname}/{asked}: GET /repos/{asked}"
    path = f"/repos/{quote(listing.org, safe='')}/{quote(entry.repo_name, safe='')}"
    try:
        repo = _get(path, listing.auth, lookup, where)
    except _Gone:
        log.info("%s: 404, the repo is gone", where)
        return False
    except _Doubt as doubt:
        log.warning("%s; the entry is kept", redact(str(doubt)))
        return True
    if repo.full_name.casefold() != asked.casefold():
        renamed = any(repo.full_name in other.names for other in every)
        log.info("%s: now %s%s", where, repo.full_name, ", which the listing has" if renamed else "; kept")
        return not renamed
    keep = lookup.filter.matches(repo)
    log.info("%s: exists and %s the filters", where, "passes" if keep else "fails")
    return keep


class _Gone(Exception):
    """GitHub says the repo does not exist."""


class _Doubt(Exception):
    """The answer proves nothing: keep the entry (the message names where and why)."""


@dataclass(frozen=True)
class _Moved:
    """A 301/307/308 answer: where it points."""

    location: str | None
    error: SyncerError


class _Absent:
    """GitHub's own 404 answer (a JSON `message`)."""


_ABSENT = _Absent()


def _get(path: str, auth: Auth.Auth, lookup: Lookup, where: str, *, redirected: bool = False) -> RepoTraits:
    """The repo at `path` (following one same-host redirect); _Gone on GitHub's 404, _Doubt on anything odd."""
    try:
        answer = lookup.retrying.call(lambda: _attempt(path, auth, lookup, where))
    except Stopped as exc:
        raise _Doubt(prefixed(exc, where)) from None
    except SyncerError as exc:  # after the retries the policy allows
        raise _Doubt(exc) from None
    if isinstance(answer, _Absent):
        if redirected:
            raise _Doubt(f"{where}: the redirect leads to a 404")
        raise _Gone
    if isinstance(answer, _Moved):
        target = _same_host(answer.location, lookup.source.base_url)
        if target is None or redirected:
            raise _Doubt(answer.error)
        return _get(target, auth, lookup, where, redirected=True)
    try:
        return traits(decode(answer, where))
    except (ValueError, SyncerError) as exc:
        raise _Doubt(f"{where}: the answer is not a repository ({exc})") from None


def _attempt(path: str, auth: Auth.Auth, lookup: Lookup, where: str) -> str | _Moved | _Absent:
    """One GET: the body of a 200, _ABSENT for GitHub's own 404, a _Moved, or raises a translated error."""
    try:
        with lookup.in_flight:
            _, _, text = request_json(lookup.client(auth).requester, "GET", path)
        return text
    except GithubException as exc:
        data = exc.data if isinstance(exc.data, dict) else {}
        if exc.status == 404 and isinstance(data.get("message"), str) and NOT_JSON not in data:
            return _ABSENT
        raise translate(exc, where) from None
    except UnexpectedAnswer as exc:
        if exc.status in _MOVED:
            return _Moved(exc.location, translate(exc, where))
        raise translate(exc, where) from None
    except requests.RequestException as exc:
        raise translate(exc, where) from None
    except Stopped:
        raise
    except SyncerError as exc:  # the token this look-up needed could not be minted
        raise prefixed(exc, where) from None


def _same_host(location: str | None, base_url: str) -> str | None:
    """The path (under the API prefix) a redirect points to when it stays on the configured API; else None."""
    if not location:
        return None
    try:
        target, base = urlsplit(location), urlsplit(base_url)
        if target.netloc and (
            target.scheme != base.scheme or target.hostname != base.hostname or target.port != base.port
        ):
            return None
    except ValueError:
        return None
    prefix = base.path.rstrip("/")
    if not target.path.startswith(f"{prefix}/"):
        return None
    path = target.path[len(prefix) :]
    return f"{path}?{target.query}" if target.query else path
