"""PyGithub clients for one GitHub host: token or App auth, bounded transport, no retry or sleep of their own.

The App endpoints (`/app/installations`, `.../access_tokens`) are read raw and strictly, like the repo pages: only
a 200 (201 for a token) is an answer, at most MAX_PAGES pages, every field of the expected JSON type. Each page of
installations goes through the one retry loop (`fetch`); a token is minted, one attempt at a time, inside the
request that needs it, whose retry loop retries the mint as well.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import github
import requests
from github import Auth, Github, GithubIntegration
from github.Requester import Requester

from syncer import tls
from syncer.config.schema import GithubApp, GithubSource
from syncer.deadline import Deadline
from syncer.errors import ConfigError, PermanentError, Stopped, SyncerError
from syncer.model import Discovery, Scope
from syncer.redact import REDACTOR
from syncer.sources.github_errors import SYSTEM, translate
from syncer.sources.github_pages import MAX_PAGES, PER_PAGE, check_links, decode, links, parse_installations
from syncer.sources.github_transport import NO_RETRY, Retrying, bound_requester, fetch, request_json

TIMEOUT_SECONDS = 30
REFRESH_BEFORE = timedelta(minutes=5)
_INTEGRATION_ACCEPT = {"Accept": "application/vnd.github+json"}


def new_client(base_url: str, auth: Auth.Auth, deadline: Deadline, pool_size: int) -> Github:
    """A Github client: pages of 100, lazy objects, no throttle sleep, no retry, bounded timeouts and answers.

    It trusts `http.ca_bundle` too (`tls.requests_verify`); proxies come from the environment, per request.
    """
    client = Github(
        auth=auth,
        base_url=base_url,
        per_page=PER_PAGE,
        timeout=TIMEOUT_SECONDS,
        retry=NO_RETRY,
        pool_size=pool_size,
        seconds_between_requests=None,
        seconds_between_writes=None,
        lazy=True,
        user_agent="syncer",
        verify=tls.requests_verify(),
    )
    bound_requester(client.requester, deadline)
    return client


@dataclass(frozen=True)
class Installation:
    """An app installation on an organization."""

    id: int
    org: str
    suspended: bool = False


class InstallationToken(Auth.Auth):
    """An installation access token, minted on first use and refreshed before it expires (thread-safe).

    Every token of one app shares `mint_lock`: they mint through one PyGithub client, which is not thread-safe.
    Each minted token is registered with the redactor before it is used.
    """

    def __init__(
        self, integration: GithubIntegration, installation_id: int, mint_lock: threading.Lock, app_id: int
    ) -> None:
        self._integration = integration
        self._app_id = app_id
        self._installation_id = installation_id
        self._lock = mint_lock
        self._token: str | None = None
        self._expires_at = datetime.min.replace(tzinfo=UTC)

    def __repr__(self) -> str:
        return f"InstallationToken(installation_id={self._installation_id})"

    @property
    def identity(self) -> str:
        """Who this auth is, stable while its tokens rotate (hourly): the app and the installation; no secret."""
        return f"github-app:{self._app_id}/installation:{self._installation_id}"

    @property
    def token_type(self) -> str:
        """Installation tokens go in a `token` Authorization header."""
        return "token"

    @property
    def token(self) -> str:
        """The current token, minting a new one when it is missing or about to expire."""
        with self._lock:
            if self._token is None or datetime.now(UTC) >= self._expires_at - REFRESH_BEFORE:
                self._token, self._expires_at = self._mint()
            return self._token

    def _mint(self) -> tuple[str, datetime]:
        """POST .../access_tokens, once; the answer must hold a token string and a parseable `expires_at`.

        Not retried here: the request that needs the token retries (see `fetch`), so a mint is never retried twice.
        """
        path = f"/app/installations/{self._installation_id}/access_tokens"
        where = f"POST {path}"
        try:
            _, _, text = request_json(
                self._integration.requester, "POST", path, headers=dict(_INTEGRATION_ACCEPT), body={}
            )
        except (github.GithubException, requests.RequestException) as exc:
            raise translate(exc, where) from None
        data = decode(text, where)
        token = data.get("token") if isinstance(data, dict) else None
        expires = data.get("expires_at") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise PermanentError(f"{where}: the answer holds no token", system=SYSTEM)
        REDACTOR.add_derived(token)
        try:
            expires_at = datetime.fromisoformat(str(expires).replace("Z", "+00:00"))
        except ValueError:
            raise PermanentError(f"{where}: the answer's expires_at is not a time", system=SYSTEM) from None
        return token, expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=UTC)

    @property
    def _masked_token(self) -> str:
        return "token (removed)"


class GithubAuth:
    """Makes the Auth of each org of a source; for apps, also finds the installations."""

    def __init__(self, source: GithubSource, retrying: Retrying) -> None:
        self._source = source
        self._retrying = retrying
        self._integration: GithubIntegration | None = None
        self._tokens: dict[int, InstallationToken] = {}
        self._lock = threading.Lock()
        self._mint_lock = threading.Lock()
        if source.app is not None:
            app_auth = Auth.AppAuth(source.app.app_id, source.app.private_key.get_secret_value())
            self._integration = GithubIntegration(
                auth=app_auth,
                base_url=source.base_url,
                retry=NO_RETRY,
                timeout=TIMEOUT_SECONDS,
                per_page=PER_PAGE,
                seconds_between_requests=None,
                seconds_between_writes=None,
                user_agent="syncer",
                verify=tls.requests_verify(),  # the token exchange trusts what the listing trusts
            )
            bound_requester(self._integration.requester, retrying.deadline)

    def installations(self) -> list[Installation]:
        """The app's installations on organizations (only `installation_id` when configured), suspended flagged.

        Every page of `/app/installations` is read (at most MAX_PAGES); a malformed page fails the whole host.
        """
        integration, app = self._app()
        wanted = app.installation_id
        found: list[Installation] = []
        for number in range(1, MAX_PAGES + 1):
            where = f"GET /app/installations page {number}"
            params = {"per_page": PER_PAGE, "page": number}
            _, headers, text = fetch(
                integration.requester, "GET", "/app/installations", where, self._retrying, parameters=params,
                headers=dict(_INTEGRATION_ACCEPT), gate=self._mint_lock,
            )  # fmt: skip
            items = parse_installations(decode(text, where), where)
            found.extend(
                Installation(i.id, i.account, i.suspended)
                for i in items
                if i.target_type == "Organization" and (wanted is None or i.id == wanted)
            )
            last, has_next, after = links(headers)
            check_links(last, has_next, after, number, where)
            if not has_next and (headers.get("link") or len(items) < PER_PAGE):
                return found
        raise PermanentError(f"GET /app/installations: more than {MAX_PAGES} pages", system=SYSTEM)

    def targets(self, only: Collection[str] | None = None) -> tuple[list[tuple[str, Auth.Auth]], list[Discovery]]:
        """The orgs to list with the auth of each, and a failed Discovery for what the app cannot reach.

        A suspended installation, or a configured org the app is not installed on, fails that org's scope (its
        current entries are kept); finding no installation at all fails the whole host. `only` (case-folded org
        names, a targeted run) keeps those orgs alone: an app without `orgs` then lists those it is installed on.
        """
        source = self._source

        def listed(org: str) -> bool:
            return only is None or org.casefold() in only

        if source.app is None:
            token = self.for_token()
            return [(org, token) for org in source.orgs or [] if listed(org)], []
        installations = self.installations()
        host = source.hostname
        if not installations:
            wanted = source.app.installation_id
            what = f"installation {wanted} was not found" if wanted else "the app is installed on no organization"
            whole = Scope(label=host, owns=(host.casefold(),))
            return [], [Discovery(whole, error=f"{host}: GitHub App {source.app.app_id}: {what}")]
        by_org = {i.org.casefold(): i for i in installations}
        targets: list[tuple[str, Auth.Auth]] = []
        failed: list[Discovery] = []
        for org in [o for o in source.orgs or [i.org for i in installations] if listed(o)]:
            found = by_org.get(org.casefold())
            scope = org_scope(host, found.org if found else org)
            if found is None:
                failed.append(Discovery(scope, error=f"{scope.label}: the GitHub App is not installed on this org"))
            elif found.suspended:
                error = f"{scope.label}: the GitHub App installation {found.id} is suspended; current entries kept"
                failed.append(Discovery(scope, error=error))
            else:
                targets.append((found.org, self.for_installation(found.id)))
        return targets, failed

    def for_installation(self, installation_id: int) -> Auth.Auth:
        """The shared, refreshing token of one installation."""
        integration, app = self._app()
        with self._lock:
            if installation_id not in self._tokens:
                token = InstallationToken(integration, installation_id, self._mint_lock, app.app_id)
                self._tokens[installation_id] = token
            return self._tokens[installation_id]

    def for_token(self) -> Auth.Auth:
        """Personal access token auth (the token is masked in everything shown, as every configured secret)."""
        if self._source.token is None:
            raise ConfigError(f"{self._source.hostname}: this source authenticates as a GitHub App, not with a token")
        token = self._source.token.get_secret_value()
        REDACTOR.add(token)
        return Auth.Token(token)

    def _app(self) -> tuple[GithubIntegration, GithubApp]:
        """The app-level client and the app's settings; ConfigError for a source that authenticates with a token."""
        if self._integration is None or self._source.app is None:
            raise ConfigError(f"{self._source.hostname}: this source authenticates with a token, not as a GitHub App")
        return self._integration, self._source.app

    def close(self) -> None:
        """Close the app-level client (a later request opens a new, still bounded, connection)."""
        if self._integration is not None:
            self._integration.close()


def org_scope(hostname: str, org: str) -> Scope:
    """The scope of one org of a GitHub host: `host/org`."""
    return Scope(label=f"{hostname}/{org}", owns=(hostname.casefold(), org.casefold()))


def reach(requester: Requester, hostname: str, org: str, retrying: Retrying) -> str | None:
    """Why `GET /orgs/{org}` fails (after the retries the policy allows), or None when it answers an org.

    A stop or the deadline is raised as it is.
    """
    where = f"{hostname}/{org}: GET /orgs/{org}"
    try:
        _, _, text = fetch(requester, "GET", f"/orgs/{quote(org, safe='')}", where, retrying)
        if not isinstance(decode(text, where), dict):
            return f"{where}: the answer is not a JSON object"
    except Stopped:
        raise
    except SyncerError as exc:
        return str(exc)
    return None
