"""Conditional requests on GitHub list pages (SPEC §8): `If-None-Match` from a cache of ETags, a 304 reuses the page.

The cache (a `PageCache`, such as syncer.state.store.StateStore) maps (page URL, credential) to (ETag, blob):
- the URL is canonical: the API's scheme, host and port (never userinfo), the path with the GHES prefix, and the
  query parameters sorted;
- the credential is a personal access token itself, or the stable identity of a GitHub App installation (app id
  and installation id: its tokens rotate hourly); the cache never keeps either in clear (the store hashes it);
- the blob is syncer's own: the page's Link header and its repos without the URL fields no filter reads, as
  compressed JSON (a page of 100 repos is ~0.5 MB as GitHub sends it, ~15 KB here).

Beside each cache, the pages parsed from the blobs it holds are kept in memory (at most MEMO_PAGES, for the life
of the cache object), so that a 304 costs the request alone: the blob is read only when the memory has no page
for that URL, credential and ETag (after a restart, with `state.path`).

Only a 200 that parsed as a page is remembered. A 304 reuses the cached page: its body, and the Link header of the
304 when it has one, else the cached one (a 304 need not carry Link), read back as strictly as any page. A blob
that does not read back (damaged, or written by another syncer) is never taken for a page, nor for an empty one:
the page is asked again without If-None-Match, and that answer is a page like any other (a bad one fails the
org). When an org that reused pages fails for anything but a transient error (an incomplete listing, say, if a
server kept an ETag while the Link header changed), its pages are forgotten and asked in full next time. A cache
that fails to answer or to store is logged and the listing goes on without it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
import weakref
import zlib
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import orjson
from github import Auth
from github.Requester import Requester

from syncer.errors import PermanentError
from syncer.sources.github_auth import InstallationToken
from syncer.sources.github_pages import PER_PAGE, Page, decode, following, listing_page, parse_page
from syncer.sources.github_transport import MAX_ANSWER_BYTES, Retrying, fetch

log = logging.getLogger(__name__)
BLOB_VERSION = 1
MEMO_PAGES = 2000  # parsed pages kept in memory per cache (200,000 repos); past it, the memory starts over
_DROPPED = frozenset({"owner", "permissions", "node_id"})  # besides `url` and every `*_url`: no filter reads them


class PageCache(Protocol):
    """Where the ETags and pages of list requests are kept, per page URL and credential (never in clear)."""

    def etag(self, url: str, credential: str) -> tuple[str, bytes] | None:
        """The cached (ETag, blob) of a page fetched with this credential, or None."""

    def remember(self, url: str, credential: str, etag: str, body: bytes) -> None:
        """Cache a page's ETag and blob for this credential."""


def credential_of(auth: Auth.Auth) -> str | None:
    """The cache key of an auth: a token itself, an installation's stable identity; None for anything else."""
    if isinstance(auth, InstallationToken):
        return auth.identity
    if isinstance(auth, Auth.Token):
        return f"token:{auth.token}"
    return None


def page_url(base_url: str, path: str, parameters: Mapping[str, object]) -> str:
    """The canonical URL of a page: scheme://host[:port]/prefix/path?sorted query, without userinfo."""
    parts = urlsplit(base_url)
    host = parts.netloc.rpartition("@")[2].lower()
    query = urlencode(sorted((str(k), str(v)) for k, v in parameters.items()))
    return f"{parts.scheme.lower()}://{host}{parts.path.rstrip('/')}{path}?{query}"


def pack(data: list[Any], headers: Mapping[str, str]) -> bytes:
    """The blob of a parsed page: its Link header and its repos without the fields no filter reads, compressed."""
    kept: dict[tuple[str, ...], list[str]] = {}  # the repos of a page mostly share one list of keys
    repos = []
    for item in data:
        keys = tuple(item)
        wanted = kept.get(keys)
        if wanted is None:
            wanted = kept[keys] = [k for k in keys if k not in _DROPPED and not k.endswith("url")]
        repos.append({k: item[k] for k in wanted})
    return zlib.compress(orjson.dumps({"v": BLOB_VERSION, "link": headers.get("link"), "repos": repos}), 1)


def unpack(blob: bytes) -> tuple[object, dict[str, str]] | None:
    """(repos, headers) of a blob `pack` wrote; None when it does not read back as one (never an empty page)."""
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(blob, MAX_ANSWER_BYTES)
        if inflater.unconsumed_tail or not inflater.eof:
            return None
        data = orjson.loads(raw)
    except (zlib.error, orjson.JSONDecodeError, TypeError):
        return None
    if type(data) is not dict or data.get("v") != BLOB_VERSION or type(data.get("repos")) is not list:
        return None
    link = data.get("link")
    if link is not None and type(link) is not str:
        return None
    return data["repos"], ({"link": link} if link else {})


class _Memo:
    """Pages parsed from what one cache holds, by (URL, credential digest), each with its ETag; and per org, what a
    source made of its pages (kept while they are the very same page objects, and the rules the same)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pages: dict[tuple[str, str], tuple[str, Page]] = {}
        self._made: dict[tuple[str, str], tuple[tuple[object, ...], object, object]] = {}

    def made(self, key: tuple[str, str], pages: tuple[object, ...], rules: object) -> object | None:
        """What was made of exactly these objects (each page's repos) under equal `rules`, or None."""
        with self._lock:
            found = self._made.get(key)
        if found is None or len(found[0]) != len(pages) or found[1] != rules:
            return None
        return found[2] if all(a is b for a, b in zip(found[0], pages, strict=True)) else None

    def keep_made(self, key: tuple[str, str], pages: tuple[object, ...], rules: object, made: object) -> None:
        with self._lock:
            if len(self._made) >= MEMO_PAGES and key not in self._made:
                self._made.clear()
            self._made[key] = (pages, rules, made)

    def get(self, key: tuple[str, str], etag: str) -> Page | None:
        with self._lock:
            found = self._pages.get(key)
        return found[1] if found is not None and found[0] == etag else None

    def put(self, key: tuple[str, str], etag: str, page: Page) -> None:
        with self._lock:
            if len(self._pages) >= MEMO_PAGES and key not in self._pages:
                self._pages.clear()  # bounded: pages of orgs or tokens no longer asked for go too
            self._pages[key] = (etag, page)


_MEMOS: weakref.WeakKeyDictionary[object, _Memo] = weakref.WeakKeyDictionary()
_MEMOS_LOCK = threading.Lock()


def _memo_of(cache: PageCache) -> _Memo | None:
    """The memory of parsed pages beside `cache` (None for a cache that cannot be weakly referenced)."""
    with _MEMOS_LOCK:
        try:
            memo = _MEMOS.get(cache)
            if memo is None:
                memo = _MEMOS[cache] = _Memo()
        except TypeError:
            return None
    return memo


@dataclass(frozen=True)
class Conditional:
    """One page's entry in the cache: its canonical URL and the credential it is asked with."""

    cache: PageCache
    url: str
    credential: str = field(repr=False)  # a personal access token itself: never shown

    @property
    def _key(self) -> tuple[str, str]:
        return self.url, hashlib.sha256(self.credential.encode()).hexdigest()

    def parsed(self, etag: str) -> Page | None:
        """The page parsed earlier from the answer with this ETag, if it is still in memory."""
        memo = _memo_of(self.cache)
        return None if memo is None else memo.get(self._key, etag)

    def keep(self, etag: str, page: Page) -> None:
        """Keep a parsed page in memory for the next 304 with this ETag."""
        memo = _memo_of(self.cache)
        if memo is not None:
            memo.put(self._key, etag, page)

    def cached(self) -> tuple[str, bytes] | None:
        """The cached (ETag, blob), or None (also when the cache fails: the page is then asked unconditionally)."""
        try:
            found = self.cache.etag(self.url, self.credential)
        except Exception as exc:  # an optimisation that fails must not fail a listing
            log.warning("github: the ETag cache could not be read (%s: %s); asking without it", type(exc).__name__, exc)
            return None
        if found is None or not isinstance(found[0], str) or not found[0] or not isinstance(found[1], bytes):
            return None
        return found

    def remember(self, etag: str, blob: bytes) -> None:
        """Store a page (a failing cache is logged: the page was read all the same); an empty ETag forgets it."""
        try:
            self.cache.remember(self.url, self.credential, etag, blob)
        except Exception as exc:  # a full disk must not fail the listing
            log.warning("github: the ETag cache could not be written (%s: %s)", type(exc).__name__, exc)


class ListingCache:
    """The cache entries of one source's list pages: the cache, the API base, and the credential of each auth."""

    def __init__(self, cache: PageCache, base_url: str) -> None:
        self._cache = cache
        self._base_url = base_url

    def page(self, auth: Auth.Auth, path: str, parameters: Mapping[str, object]) -> Conditional | None:
        """The entry of one page asked with `auth`; None for an auth with no stable identity (never cached)."""
        credential = credential_of(auth)
        if credential is None:
            return None
        return Conditional(self._cache, page_url(self._base_url, path, parameters), credential)

    def made(self, org: str, pages: Sequence[Page], rules: object) -> object | None:
        """What a listing made of this org from these very pages under equal `rules` (a page a 304 reuses carries
        the same repos object run after run), or None: nothing to redo when nothing changed."""
        memo = _memo_of(self._cache)
        held = tuple(page.repos for page in pages)
        return None if memo is None else memo.made((self._base_url, org.casefold()), held, rules)

    def keep_made(self, org: str, pages: Sequence[Page], rules: object, made: object) -> None:
        """Remember what a listing made of this org's pages under `rules`."""
        memo = _memo_of(self._cache)
        if memo is not None:
            memo.keep_made((self._base_url, org.casefold()), tuple(page.repos for page in pages), rules, made)

    def forget_org(self, auth: Auth.Auth, org: str, pages: int) -> None:
        """Forget the first `pages` pages of an org: the next request for each carries no If-None-Match."""
        log.info("github: the listing of %s failed; its pages will be asked in full next time", org)
        for number in range(1, pages + 1):
            entry = self.page(auth, *listing_page(org, number))
            if entry is not None and entry.cached() is not None:
                entry.remember("", b"")


def fetch_page(
    requester: Requester,
    path: str,
    parameters: dict[str, Any],
    where: str,
    retrying: Retrying,
    gate: AbstractContextManager[object] | None,
    org: str,
    number: int,
    conditional: Conditional | None = None,
    *,
    probe: bool = False,
) -> Page:
    """One page of a listing through the one retry loop; conditional when `conditional` has an ETag for it."""
    cached = conditional.cached() if conditional is not None else None
    asked = {"If-None-Match": cached[0]} if cached is not None else None
    status, headers, body = fetch(
        requester, "GET", path, where, retrying, parameters=parameters, headers=asked, gate=gate
    )
    if conditional is not None and cached is not None and status == 304:  # only a conditional GET is answered 304
        page = conditional.parsed(cached[0]) or _cached_page(cached[1], where, org, number, probe)
        if page is not None:
            conditional.keep(cached[0], page)
            if headers.get("link"):  # the 304's own Link is newer than the cached one
                last, more = following(headers, len(page.repos), where, number)
                return dataclasses.replace(page, last=last, has_next=more, reused=True)
            if not page.has_next and len(page.repos) == PER_PAGE:  # its cached Link may predate a page added after it
                return dataclasses.replace(page, has_next=True, reused=True, probe=True)
            return dataclasses.replace(page, reused=True)
        log.warning("%s: answered 304 but the cached page does not read back; asking for it again", where)
        status, headers, body = fetch(requester, "GET", path, where, retrying, parameters=parameters, gate=gate)
    data = decode(body, where)
    page = parse_page(data, headers, where, org, number)
    etag = headers.get("etag")
    if conditional is not None and status == 200 and isinstance(etag, str) and etag and type(data) is list:
        conditional.remember(etag, pack(data, headers))
        conditional.keep(etag, page)
    return page


def _cached_page(blob: bytes, where: str, org: str, number: int, probe: bool = False) -> Page | None:
    """The page a blob holds, read as strictly as an answer; None when it does not read back."""
    found = unpack(blob)
    if found is None:
        return None
    data, headers = found
    try:
        page = parse_page(data, headers, f"{where} (cached)", org, number)
    except PermanentError:
        return None
    # an empty page past the first is never a listing's, but for the end a probe found (see Page.probe)
    return None if number > 1 and not page.repos and not probe else page
