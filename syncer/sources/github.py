"""GitHub source: every repo of the configured orgs, pages fetched concurrently, one PyGithub client per thread."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlparse

import orjson
import requests
from github import Auth, Github, GithubException
from github.Requester import Requester

from syncer import metrics
from syncer.config import GithubSource
from syncer.errors import PermanentError, SourceError, TransientError
from syncer.filters import NameFilter, RepoFilter, RepoTraits
from syncer.model import Discovery, Entry, GithubRepo, Scope
from syncer.retry import RetryPolicy, Sleep, parse_seconds
from syncer.sources.github_auth import GithubAuth, new_client
from syncer.sources.slots import SLOTS

log = logging.getLogger(__name__)
PER_PAGE = 100
_LINK = re.compile(r'<([^>]+)>;\s*rel="(\w+)"')


@dataclass(frozen=True)
class Page:
    """One page of an org's repos and what its Link header says comes after it."""

    repos: tuple[RepoTraits, ...]
    last: int | None
    has_next: bool


def repo_filter(source: GithubSource) -> RepoFilter:
    """Every filter of a source, compiled."""
    return RepoFilter(
        names=NameFilter.of(source.include, source.exclude),
        archived=source.archived,
        forks=source.forks,
        visibility=frozenset(source.visibility),
        topics_include=frozenset(t.lower() for t in source.topics.include),
        topics_exclude=frozenset(t.lower() for t in source.topics.exclude),
    )


class GithubRepos:
    """Lists the repos of one GitHub host (github.com or GHES) for syncer's github integration."""

    def __init__(
        self,
        source: GithubSource,
        concurrency: int = 8,
        policy: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
    ) -> None:
        self._source = source
        self._concurrency = concurrency
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self._filter = repo_filter(source)
        self._in_flight = SLOTS.for_url(source.base_url, concurrency)
        self._local = threading.local()
        self._clients: list[Github] = []
        self._clients_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"GithubRepos(hostname={self._source.hostname!r}, orgs={self._source.orgs!r})"

    @property
    def scope(self) -> Scope:
        """The whole host."""
        host = self._source.hostname
        return Scope(label=host, owns=(host.casefold(),))

    def discover(self) -> list[Discovery]:
        """One Discovery per org; a failure to find the orgs fails the whole host."""
        auth = GithubAuth(self._source, self._policy)
        try:
            targets, missing = self._targets(auth)
            return missing + self._list(targets)
        except (GithubException, requests.RequestException) as exc:
            error = translate(exc, f"{self._source.hostname}: listing the app's installations")
            return [Discovery(self.scope, error=str(error))]
        finally:
            self._close()
            auth.close()

    def check(self) -> None:
        """Reach every configured org (or the app's installations) with the configured credentials."""
        auth = GithubAuth(self._source, self._policy)
        try:
            targets, missing = self._targets(auth)
            problems = [d.error or "" for d in missing]
            for org, org_auth in targets:
                where = f"{self._source.hostname}/{org}: GET /orgs/{org}"
                try:
                    self._client(org_auth).requester.requestJsonAndCheck("GET", f"/orgs/{quote(org, safe='')}")
                except (GithubException, requests.RequestException) as exc:
                    problems.append(str(translate(exc, where)))
            if problems:
                raise PermanentError("; ".join(problems))
        except (GithubException, requests.RequestException) as exc:
            raise translate(exc, f"{self._source.hostname}: listing the app's installations") from exc
        finally:
            self._close()
            auth.close()

    def _targets(self, auth: GithubAuth) -> tuple[list[tuple[str, Auth.Auth]], list[Discovery]]:
        """The orgs to list with the auth of each, and a failed Discovery for what the app cannot reach.

        A suspended installation, or an org the app is not installed on, fails that org's scope (its current
        entries are kept); finding no installation at all fails the whole host.
        """
        if self._source.app is None:
            token = auth.for_token()
            return [(org, token) for org in self._source.orgs or []], []
        installations = auth.installations()
        host = self._source.hostname
        if not installations:
            wanted = self._source.app.installation_id
            what = f"installation {wanted} was not found" if wanted else "the app is installed on no organization"
            return [], [Discovery(self.scope, error=f"{host}: GitHub App {self._source.app.app_id}: {what}")]
        by_org = {i.org.casefold(): i for i in installations}
        targets: list[tuple[str, Auth.Auth]] = []
        failed: list[Discovery] = []
        for org in self._source.orgs or [i.org for i in installations]:
            found = by_org.get(org.casefold())
            scope = self._org_scope(found.org if found else org)
            if found is None:
                failed.append(Discovery(scope, error=f"{scope.label}: the GitHub App is not installed on this org"))
            elif found.suspended:
                error = f"{scope.label}: the GitHub App installation {found.id} is suspended; current entries kept"
                failed.append(Discovery(scope, error=error))
            else:
                targets.append((found.org, auth.for_installation(found.id)))
        return targets, failed

    def _org_scope(self, org: str) -> Scope:
        host = self._source.hostname
        return Scope(label=f"{host}/{org}", owns=(host.casefold(), org.casefold()))

    def _list(self, targets: list[tuple[str, Auth.Auth]]) -> list[Discovery]:
        """Fetch every page of every org: first pages together, then the rest once `last` is known."""
        pages: dict[str, dict[int, Page]] = {org: {} for org, _ in targets}
        failed: dict[str, str] = {}
        highest: dict[str, int] = {org: 1 for org, _ in targets}
        auth_of = dict(targets)
        with ThreadPoolExecutor(self._concurrency, thread_name_prefix="github") as pool:
            running: dict[Future[Page], tuple[str, int]] = {
                pool.submit(self._fetch, org, auth, 1): (org, 1) for org, auth in targets
            }
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    org, number = running.pop(future)
                    if org in failed:
                        continue
                    try:
                        page = future.result()
                    except SourceError as exc:
                        failed[org] = str(exc)
                        continue
                    pages[org][number] = page
                    wanted = max(page.last or 0, number + 1 if page.has_next else 0)
                    for more in range(highest[org] + 1, wanted + 1):
                        running[pool.submit(self._fetch, org, auth_of[org], more)] = (org, more)
                    highest[org] = max(highest[org], wanted)
        return [self._outcome(org, pages[org], failed.get(org)) for org, _ in targets]

    def _outcome(self, org: str, pages: dict[int, Page], error: str | None) -> Discovery:
        """The filtered entries of one org, deduplicated by full name."""
        if error is not None:
            return Discovery(self._org_scope(org), error=error)
        repos = {r.full_name.casefold(): r for n in sorted(pages) for r in pages[n].repos}
        entries: list[Entry] = [
            GithubRepo(self._source.hostname, r.full_name.split("/", 1)[0], r.name)
            for r in repos.values()
            if self._filter.matches(r)
        ]
        return Discovery(self._org_scope(org), entries=tuple(entries), seen=len(repos))

    def _fetch(self, org: str, auth: Auth.Auth, number: int) -> Page:
        """One page of /orgs/{org}/repos; 429 without Retry-After is retried here with backoff.

        The page is read raw through PyGithub's requester (auth, GithubRetry and GHES paths stay PyGithub's) and
        decoded with orjson: the JSON of a page is most of a listing's CPU.
        """
        where = f"{self._source.hostname}/{org}: GET /orgs/{org}/repos page {number}"
        path = f"/orgs/{quote(org, safe='')}/repos"
        # oldest first: a repo created while the pages are fetched lands on the last page instead of shifting the others
        params = {
            "type": "all",
            "sort": "created",
            "direction": "asc",
            "per_page": PER_PAGE,
            "page": number,
        }
        for attempt in range(self._policy.attempts):
            try:
                with self._in_flight:
                    status, headers, body = self._client(auth).requester.requestJson("GET", path, parameters=params)
                if status >= 400:
                    raise Requester.createException(status, headers, _error_body(body))
            except GithubException as exc:
                metrics.count_http("github", exc.status)
                if exc.status == 429 and attempt < self._policy.attempts - 1:
                    self._sleep(self._policy.delay(attempt, _asked_wait(exc.headers or {})))
                    continue
                raise translate(exc, where) from exc
            except requests.RequestException as exc:
                metrics.count_http("github", "error")
                raise translate(exc, where) from exc
            metrics.count_http("github", status)
            return _page(_decode(body, where), headers, where)
        raise AssertionError("unreachable")  # pragma: no cover

    def _client(self, auth: Auth.Auth) -> Github:
        """This thread's client for this auth (PyGithub is not thread-safe)."""
        clients: dict[int, Github] = self._local.__dict__.setdefault("clients", {})
        client = clients.get(id(auth))
        if client is None:
            client = new_client(self._source.base_url, auth, self._policy, pool_size=2)
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


def _asked_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds GitHub asks to wait: `retry-after`, else until `x-ratelimit-reset` once the limit is spent."""
    lower = {k.lower(): v for k, v in headers.items()}
    asked = parse_seconds(lower.get("retry-after"))
    if asked is None and lower.get("x-ratelimit-remaining") == "0":
        reset = parse_seconds(lower.get("x-ratelimit-reset"))
        asked = None if reset is None else max(reset - time.time(), 0.0) + 1.0
    return asked


def translate(exc: Exception, where: str) -> SourceError:
    """A PyGithub or requests failure as a SourceError naming where it happened (never a token)."""
    if isinstance(exc, GithubException):
        message = exc.data.get("message") if isinstance(exc.data, dict) else None
        text = f"{where} answered {exc.status}{f': {message}' if message else ''}"
        transient = exc.status in (429,) or exc.status >= 500
        return (TransientError if transient else PermanentError)(text)
    if isinstance(exc, requests.exceptions.RetryError):
        return TransientError(f"{where}: gave up after repeated server errors ({_reason(exc)})")
    return TransientError(f"{where}: {type(exc).__name__}: {_reason(exc)}")


def _reason(exc: Exception) -> str:
    """The root cause of a requests failure (e.g. "too many 500 error responses"), without the URL."""
    cause: object = exc.args[0] if exc.args else exc
    cause = getattr(cause, "reason", None) or cause
    text = str(cause)
    text = re.sub(r"HTTP(S)?ConnectionPool\([^)]*\): ", "", text)
    return re.sub(r"\(Caused by .*", "", text).strip()[:300]


def _decode(body: str, where: str) -> object:
    """A page's JSON; a body that is not JSON is a failure, never an empty page."""
    try:
        data: object = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PermanentError(f"{where}: the answer is not valid JSON") from exc
    return data


def _error_body(body: str) -> dict[str, object]:
    """An error answer's JSON object, or its text as the message (as PyGithub reads it)."""
    try:
        data = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        return {"message": body[:300]}
    return data if isinstance(data, dict) else {"data": data}


def _page(data: object, headers: dict[str, str], where: str) -> Page:
    """Parse one page; anything but a list of repo objects is a failure, never an empty page."""
    if not isinstance(data, list):
        raise PermanentError(f"{where}: expected a JSON list of repositories, got {type(data).__name__}")
    repos = []
    for item in data:
        try:
            repos.append(_traits(item))
        except (KeyError, TypeError, ValueError) as exc:
            raise PermanentError(f"{where}: a repository object is malformed ({exc})") from exc
    links = {rel: url for url, rel in _LINK.findall(headers.get("link", ""))}
    last = _page_number(links.get("last"))
    # a full page without any Link header (a proxy may strip it) is not proof of the end: ask for the next one
    more = "next" in links or (not links and len(repos) == PER_PAGE)
    return Page(tuple(repos), last, more)


def _traits(item: dict[str, object]) -> RepoTraits:
    name, full_name = item["name"], item["full_name"]
    if not isinstance(name, str) or not isinstance(full_name, str) or "/" not in full_name:
        raise ValueError("name/full_name missing")
    visibility = item.get("visibility") or ("private" if item.get("private") else "public")
    topics = item.get("topics") or []
    if not isinstance(visibility, str) or not isinstance(topics, list):
        raise ValueError("visibility/topics have the wrong type")
    return RepoTraits(
        name=name,
        full_name=full_name,
        archived=bool(item.get("archived", False)),
        fork=bool(item.get("fork", False)),
        visibility=visibility,
        topics=tuple(map(str, topics)),
    )


def _page_number(url: str | None) -> int | None:
    if url is None:
        return None
    values = parse_qs(urlparse(url).query).get("page")
    return int(values[0]) if values and values[0].isdigit() else None
