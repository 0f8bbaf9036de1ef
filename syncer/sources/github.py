"""GitHub source: every repo of the configured orgs, pages fetched concurrently, one PyGithub client per thread.

Bounded whatever the server claims: at most MAX_PAGES pages per org (a `last` beyond fails the org before any
further page is asked), a `next` must advance one page, a page repeating an earlier one fails the org, and every
request, retry and wait ends with the run's deadline. Only a 200 is a page (see github_transport); with a `cache`,
list pages are asked with If-None-Match and a 304 reuses the cached page (see github_cache). A source filtering on
custom properties reads `GET /orgs/{org}/properties/values` for an org whose listing does not carry them (see
github_properties); no other selector costs a request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime

from github import Auth, Github

from syncer.config.schema import GithubSource
from syncer.deadline import Deadline
from syncer.errors import PermanentError, Stopped, SyncerError, TransientError
from syncer.filters import Properties, RepoFilter, RepoTraits, Verdict, sort_out
from syncer.model import Discovery, Entry, GithubRepo, Scope
from syncer.progress import SILENT, Progress
from syncer.retry import RetryPolicy, Sleep
from syncer.sources.base import Inspection
from syncer.sources.github_auth import GithubAuth, new_client, org_scope, reach
from syncer.sources.github_cache import ListingCache, PageCache, fetch_page
from syncer.sources.github_confirm import Listing, Lookup, Names, confirm_entries
from syncer.sources.github_errors import SYSTEM, prefixed, quoted
from syncer.sources.github_pages import MAX_PAGES, PER_PAGE, Page, incomplete, listing_page, parse_page, repeats
from syncer.sources.github_properties import ValuesPage, fetch_values, read_values
from syncer.sources.github_selectors import lacks, repo_filter, with_values
from syncer.sources.github_transport import Retrying
from syncer.sources.slots import SLOTS

__all__ = ["MAX_PAGES", "PER_PAGE", "GithubRepos", "Page", "_page", "repo_filter"]

log = logging.getLogger(__name__)
_page = parse_page  # the name the page tests know


@dataclass(frozen=True)
class _Made:
    """What a listing made of one org's pages."""

    repos: tuple[RepoTraits, ...]
    entries: tuple[Entry, ...]
    dropped: tuple[tuple[str, int], ...]
    names: Names


class GithubRepos:
    """Lists the repos of one GitHub host (github.com or GHES) for syncer's github integration."""

    def __init__(
        self,
        source: GithubSource,
        concurrency: int = 8,
        policy: RetryPolicy | None = None,
        sleep: Sleep | None = None,
        deadline: Deadline | None = None,
        cache: PageCache | None = None,
        clock: Callable[[], datetime] | None = None,
        only_orgs: Collection[str] | None = None,
    ) -> None:
        self._source = source
        self._only = None if only_orgs is None else frozenset(o.casefold() for o in only_orgs)  # a targeted run
        self._clock = clock or (lambda: datetime.now(UTC))  # "now" of pushed_within, taken when a listing starts
        self._pages = None if cache is None else ListingCache(cache, source.base_url)  # None: never conditional
        self._concurrency = max(concurrency, 1)
        bound = deadline or Deadline.unbounded()
        waits: Sleep = bound.sleep if sleep is None or sleep is time.sleep else sleep
        self._retrying = Retrying(policy or RetryPolicy(), waits, bound)
        self._filter = repo_filter(source, self._clock())
        self._in_flight = SLOTS.for_url(source.base_url, self._concurrency)
        self._local = threading.local()
        self._clients: list[Github] = []
        self._clients_lock = threading.Lock()
        self._listings: dict[str, Listing] | None = None  # per org (casefolded) of the last healthy host listing
        self._failed: set[str] = set()  # orgs (casefolded) whose last listing failed

    def __repr__(self) -> str:
        return f"GithubRepos(hostname={self._source.hostname!r}, orgs={self._source.orgs!r})"

    @property
    def scope(self) -> Scope:
        """The whole host."""
        host = self._source.hostname
        return Scope(label=host, owns=(host.casefold(),))

    @property
    def rules(self) -> RepoFilter:
        """The filters of this source, as the last listing applied them (the cutoff of `pushed_within` included)."""
        return self._filter

    def discover(self, progress: Progress = SILENT) -> list[Discovery]:
        """One Discovery per org; a failure to find the orgs fails the whole host. Each page read goes to `progress`."""
        return [inspection.discovery for inspection in self.inspect(progress)]

    def inspect(self, progress: Progress = SILENT) -> list[Inspection[RepoTraits]]:
        """What discover() finds, and with each healthy org every repo its listing held, before any filter.

        The repos are those the filters judged (custom properties read from properties/values merged in); they are
        held as long as the caller keeps the answer: narrow the source to one org to hold one org's repos only.
        """
        self._listings, self._failed = None, set()
        self._filter = repo_filter(self._source, self._clock())
        auth = GithubAuth(self._source, self._retrying)
        try:
            targets, missing = auth.targets(self._only)
            listings: dict[str, Listing] = {}
            found = [Inspection[RepoTraits](d) for d in missing] + self._list(targets, listings, progress)
            failed = (i.discovery for i in found if not i.discovery.ok)
            self._failed = {d.scope.owns[1] for d in failed if d.scope.owns and len(d.scope.owns) > 1}
            self._listings = listings
            return found
        except SyncerError as exc:
            error = prefixed(exc, f"{self._source.hostname}: listing the app's installations")
            return [Inspection(Discovery(self.scope, error=str(error)))]
        finally:
            self._close()
            auth.close()

    def verdicts(self, repo: RepoTraits) -> tuple[Verdict, ...]:
        """Every rule's verdict on one listed repo (see RepoFilter.verdicts)."""
        return self._filter.verdicts(repo)

    def decided(self, repo: RepoTraits) -> str | None:
        """The rule that drops the repo (RepoFilter.first_failing_rule), None when it is kept."""
        return self._filter.first_failing_rule(repo)

    def entry_of(self, repo: RepoTraits) -> GithubRepo:
        """The entry a listed repo becomes when the filters keep it."""
        return GithubRepo(self._source.hostname, repo.full_name.split("/", 1)[0], repo.name)

    def confirm(self, entries: Sequence[Entry]) -> tuple[Entry, ...]:
        """Of entries the last healthy listing did not produce, those a `GET /repos/{owner}/{repo}` says to keep.

        404 (GitHub's own answer) → gone; a redirect (rename, transfer) to a repo the listing has → not kept;
        a 200 passing the filters → kept; anything else, or the deadline → kept. Entries of an org the listing
        never looked at (not configured, not installed) are not kept; of a failed org or host, always kept.
        """
        lookup = Lookup(
            source=self._source,
            filter=self._filter,
            client=self._client,
            in_flight=self._in_flight,
            retrying=self._retrying,
            concurrency=self._concurrency,
        )
        try:
            return confirm_entries(entries, self._listings, self._failed, lookup)
        finally:
            self._close()

    def check(self) -> None:
        """Reach every configured org (or the app's installations) with the configured credentials.

        Every org's problem is gathered into one PermanentError; a stop or the deadline is raised as it is.
        """
        auth = GithubAuth(self._source, self._retrying)
        try:
            try:
                targets, missing = auth.targets()
            except SyncerError as exc:
                raise prefixed(exc, f"{self._source.hostname}: listing the app's installations") from None
            problems = [d.error or "" for d in missing]
            for org, org_auth in targets:
                problem = reach(self._client(org_auth).requester, self._source.hostname, org, self._retrying)
                if problem is not None:
                    problems.append(problem)
        finally:
            self._close()
            auth.close()
        if problems:
            raise PermanentError("; ".join(problems), system=SYSTEM)

    def _list(
        self, targets: list[tuple[str, Auth.Auth]], listings: dict[str, Listing], progress: Progress = SILENT
    ) -> list[Inspection[RepoTraits]]:
        """Fetch every page of every org: first pages together, then the rest once `last` is known; each page read
        is counted on `progress`.

        An org fails at its first failed page (its queued pages are cancelled), when a page claims more than
        MAX_PAGES pages, or when a page repeats an earlier one (a server ignoring `page`). An org failed for good
        (not by a transient error or a stop) after a page was answered 304 has its cached pages forgotten.
        """
        pages: dict[str, dict[int, Page]] = {org: {} for org, _ in targets}
        failed: dict[str, str] = {}
        reused: set[str] = set()  # orgs with a page answered 304 (less those failed by a transient error or a stop)
        highest: dict[str, int] = {org: 1 for org, _ in targets}
        probes: dict[str, set[int]] = {org: set() for org, _ in targets}  # pages asked after a reused full last page
        seen_pages: dict[str, dict[int, int]] = {org: {} for org, _ in targets}
        auth_of = dict(targets)
        with ThreadPoolExecutor(self._concurrency, thread_name_prefix="github") as pool:
            running: dict[Future[Page], tuple[str, int]] = {
                pool.submit(self._fetch, org, auth, 1, progress=progress): (org, 1) for org, auth in targets
            }

            def fail(org: str, error: str) -> None:
                failed[org] = error
                pages[org].clear()
                for future, (other, _) in running.items():
                    if other == org:
                        future.cancel()

            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=running.__getitem__):  # by org and page: the first failure is named
                    org, number = running.pop(future)
                    if org in failed or future.cancelled():
                        continue
                    try:
                        page = future.result()
                    except SyncerError as exc:
                        fail(org, str(exc))
                        if isinstance(exc, TransientError | Stopped):
                            reused.discard(org)
                        continue
                    except Exception as exc:  # a bug, or a library surprise: this org fails, not the host
                        log.exception("listing %s/%s failed", self._source.hostname, org)
                        fail(org, f"{self._label(org)}: page {number}: {type(exc).__name__}: {quoted(exc)}")
                        continue
                    if page.reused:
                        reused.add(org)
                    if _end_found(page, number, probes[org], highest, org):
                        continue
                    repeated = repeats(seen_pages[org], page, number)
                    if repeated is not None:
                        where = f"{self._where(org)} page {number}"
                        fail(org, f"{where}: the page repeats page {repeated}; the server ignores pagination")
                        continue
                    pages[org][number] = page
                    wanted = max(page.last or 0, number + 1 if page.has_next else 0)
                    if wanted > MAX_PAGES:
                        fail(org, f"{self._where(org)} page {number}: the listing claims more than {MAX_PAGES} pages")
                        continue
                    for more in range(highest[org] + 1, wanted + 1):
                        asked = pool.submit(self._fetch, org, auth_of[org], more, more in probes[org], progress)
                        running[asked] = (org, more)
                    highest[org] = max(highest[org], wanted)
        self._check_whole(targets, pages, failed, reused, highest)
        return self._outcomes(targets, pages, failed, listings)

    def _check_whole(
        self,
        targets: list[tuple[str, Auth.Auth]],
        pages: dict[str, dict[int, Page]],
        failed: dict[str, str],
        reused: set[str],
        highest: dict[str, int],
    ) -> None:
        """Fail an org whose answered pages do not make a whole listing; forget the cache of one failed after a 304."""
        for org, auth in targets:
            if org not in failed and (gap := incomplete(pages[org], highest[org], self._where(org))) is not None:
                failed[org] = gap
            if org in failed and org in reused and self._pages is not None:  # failed for good after a 304
                self._pages.forget_org(auth, org, highest[org])

    def _outcomes(
        self,
        targets: list[tuple[str, Auth.Auth]],
        pages: dict[str, dict[int, Page]],
        failed: dict[str, str],
        listings: dict[str, Listing],
    ) -> list[Inspection[RepoTraits]]:
        """Each org's outcome, once the custom properties its listing lacks (when the filters need them) are read."""
        auth_of = dict(targets)
        lacking = [org for org, _ in targets if org not in failed and lacks(self._filter, pages[org].values())]
        values = read_values(lacking, self._values_page(auth_of), self._concurrency, self._label) if lacking else {}
        return [
            self._outcome(org, auth_of[org], pages[org], failed.get(org), listings, values.get(org))
            for org, _ in targets
        ]

    def _values_page(self, auth_of: Mapping[str, Auth.Auth]) -> Callable[[str, int], ValuesPage]:
        """How one page of an org's property values is fetched (this thread's client, the host's gate)."""
        enterprise = self._source.hostname.casefold() != "github.com"

        def page(org: str, number: int) -> ValuesPage:
            where = f"{self._label(org)}: GET /orgs/{org}/properties/values page {number}"
            requester = self._client(auth_of[org]).requester
            return fetch_values(requester, org, number, where, self._retrying, self._in_flight, enterprise=enterprise)

        return page

    def _label(self, org: str) -> str:
        return org_scope(self._source.hostname, org).label

    def _where(self, org: str) -> str:
        return f"{self._source.hostname}/{org}: GET /orgs/{org}/repos"

    def _outcome(
        self,
        org: str,
        auth: Auth.Auth,
        pages: dict[int, Page],
        error: str | None,
        listings: dict[str, Listing],
        values: dict[str, Properties] | str | None = None,
    ) -> Inspection[RepoTraits]:
        """The filtered entries of one org, deduplicated by full name, with every repo listed; a healthy listing is
        remembered. `values`: the properties read for an org whose listing lacks them (a repo they do not name has
        none), or the error of that read, which fails the org."""
        if error is None and isinstance(values, str):
            error = values
        if error is not None:
            return Inspection(Discovery(org_scope(self._source.hostname, org), error=error))
        made = self._made(org, [pages[n] for n in sorted(pages)], values if isinstance(values, dict) else None)
        listings[org.casefold()] = Listing(org, auth, made.names)
        scope = org_scope(self._source.hostname, org)
        discovery = Discovery(scope, entries=made.entries, seen=len(made.repos), dropped=made.dropped)
        return Inspection(discovery, made.repos)

    def _made(self, org: str, ordered: list[Page], values: dict[str, Properties] | None) -> _Made:
        """The org's repos (deduplicated by full name), kept entries, drops and names; unchanged pages (the same
        objects a 304 reuses) under the same rules give what the last listing made of them, without redoing it."""
        rules = (self._source.hostname, self._filter)
        memo = self._pages if values is None else None  # properties read apart: always worked out anew
        found = memo.made(org, ordered, rules) if memo is not None else None
        if isinstance(found, _Made):
            return found
        repos = {r.full_name.casefold(): r for page in ordered for r in page.repos}
        if isinstance(values, dict):
            with_values(repos, values)
        kept, dropped = sort_out(repos.values(), self._filter.first_failing_rule)
        made = _Made(tuple(repos.values()), tuple(self.entry_of(r) for r in kept), dropped, Names(repos))
        if memo is not None:
            memo.keep_made(org, ordered, rules, made)
        return made

    def _fetch(self, org: str, auth: Auth.Auth, number: int, probe: bool = False, progress: Progress = SILENT) -> Page:
        """One page of /orgs/{org}/repos, through the one retry loop; at most `concurrency` requests per host at once.

        The page is read raw through PyGithub's requester (auth and GHES paths stay PyGithub's) and decoded with
        orjson: the JSON of a page is most of a listing's CPU. With a cache, it is asked conditionally (`probe`:
        the page after a reused full last page, whose cached answer may be the empty end).
        """
        where = f"{self._source.hostname}/{org}: GET /orgs/{org}/repos page {number}"
        path, params = listing_page(org, number)
        requester = self._client(auth).requester
        conditional = None if self._pages is None else self._pages.page(auth, path, params)
        page = fetch_page(
            requester, path, params, where, self._retrying, self._in_flight, org, number, conditional, probe=probe
        )
        progress.page(self._label(org), len(page.repos), "repos")
        return page

    def _client(self, auth: Auth.Auth) -> Github:
        """This thread's client for this auth (PyGithub is not thread-safe)."""
        clients: dict[int, Github] = self._local.__dict__.setdefault("clients", {})
        client = clients.get(id(auth))
        if client is None:
            client = new_client(self._source.base_url, auth, self._retrying.deadline, pool_size=2)
            clients[id(auth)] = client
            with self._clients_lock:
                self._clients.append(client)
        return client

    def _close(self) -> None:
        with self._clients_lock:
            for client in self._clients:
                client.close()
            self._clients.clear()
        self._local = threading.local()


def _end_found(page: Page, number: int, probes: set[int], highest: dict[str, int], org: str) -> bool:
    """Note the page a reused full last page makes worth asking (`probes`); True when `page` is such a page,
    empty and the last one asked: the listing ends before it, where the cached Link put the end."""
    if page.probe:
        probes.add(number + 1)
    if page.repos or number not in probes or highest[org] != number:
        return False
    highest[org] = number - 1
    return True
