"""PyGithub clients for one GitHub host: token or App auth, bounded transport on every client, no client-side sleep.

The App endpoints (`/app/installations`, `.../access_tokens`) are read raw and strictly, like the repo pages: only
a 200 (201 for a token) is an answer, at most MAX_PAGES pages, every field of the expected JSON type.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import github
import requests
from github import Auth, Github, GithubIntegration

from syncer.config import GithubSource
from syncer.deadline import Deadline
from syncer.errors import PermanentError, SourceError
from syncer.redact import REDACTOR
from syncer.retry import RetryPolicy
from syncer.sources.github_pages import MAX_PAGES, PER_PAGE, check_links, decode, links, parse_installations
from syncer.sources.github_transport import bound_requester, github_retry, request_json, translate

# PyGithub attaches its own stderr handler at import; let its records flow through ours instead.
logging.getLogger("github").handlers.clear()
github.set_log_level(logging.WARNING)

TIMEOUT_SECONDS = 30
REFRESH_BEFORE = timedelta(minutes=5)
_INTEGRATION_ACCEPT = {"Accept": "application/vnd.github+json"}


def new_client(
    base_url: str, auth: Auth.Auth, policy: RetryPolicy, pool_size: int, deadline: Deadline | None = None
) -> Github:
    """A Github client: pages of 100, lazy objects, no throttle sleep, bounded retries, timeouts and answers."""
    bound = deadline or Deadline.unbounded()
    client = Github(
        auth=auth,
        base_url=base_url,
        per_page=PER_PAGE,
        timeout=TIMEOUT_SECONDS,
        retry=github_retry(policy, bound),
        pool_size=pool_size,
        seconds_between_requests=None,
        seconds_between_writes=None,
        lazy=True,
        user_agent="syncer",
    )
    bound_requester(client.requester, bound)
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

    def __init__(self, integration: GithubIntegration, installation_id: int, mint_lock: threading.Lock) -> None:
        self._integration = integration
        self._installation_id = installation_id
        self._lock = mint_lock
        self._token: str | None = None
        self._expires_at = datetime.min.replace(tzinfo=UTC)

    def __repr__(self) -> str:
        return f"InstallationToken(installation_id={self._installation_id})"

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
        """POST .../access_tokens; the answer must hold a token string and a parseable `expires_at`."""
        path = f"/app/installations/{self._installation_id}/access_tokens"
        where = f"POST {path}"
        try:
            _, _, text = request_json(
                self._integration.requester, "POST", path, headers=dict(_INTEGRATION_ACCEPT), body={}
            )
        except (github.GithubException, requests.RequestException, SourceError) as exc:
            raise translate(exc, where) from None
        data = decode(text, where)
        token = data.get("token") if isinstance(data, dict) else None
        expires = data.get("expires_at") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise PermanentError(f"{where}: the answer holds no token")
        REDACTOR.add_derived(token)
        try:
            expires_at = datetime.fromisoformat(str(expires).replace("Z", "+00:00"))
        except ValueError:
            raise PermanentError(f"{where}: the answer's expires_at is not a time") from None
        return token, expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=UTC)

    @property
    def _masked_token(self) -> str:
        return "token (removed)"


class GithubAuth:
    """Makes the Auth of each org of a source; for apps, also finds the installations."""

    def __init__(self, source: GithubSource, policy: RetryPolicy, deadline: Deadline | None = None) -> None:
        self._source = source
        self._policy = policy
        self._deadline = deadline or Deadline.unbounded()
        self._integration: GithubIntegration | None = None
        self._tokens: dict[int, InstallationToken] = {}
        self._lock = threading.Lock()
        self._mint_lock = threading.Lock()
        if source.app is not None:
            app_auth = Auth.AppAuth(source.app.app_id, source.app.private_key.get_secret_value())
            self._integration = GithubIntegration(
                auth=app_auth,
                base_url=source.base_url,
                retry=github_retry(policy, self._deadline),
                timeout=TIMEOUT_SECONDS,
                per_page=PER_PAGE,
                seconds_between_requests=None,
                seconds_between_writes=None,
                user_agent="syncer",
            )
            bound_requester(self._integration.requester, self._deadline)

    def installations(self) -> list[Installation]:
        """The app's installations on organizations (only `installation_id` when configured), suspended flagged.

        Every page of `/app/installations` is read (at most MAX_PAGES); a malformed page fails the whole host.
        """
        assert self._integration is not None and self._source.app is not None
        wanted = self._source.app.installation_id
        found: list[Installation] = []
        for number in range(1, MAX_PAGES + 1):
            self._deadline.check("GET /app/installations")
            where = f"GET /app/installations page {number}"
            params = {"per_page": PER_PAGE, "page": number}
            with self._mint_lock:
                _, headers, text = request_json(
                    self._integration.requester, "GET", "/app/installations", parameters=params,
                    headers=dict(_INTEGRATION_ACCEPT),
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
        raise PermanentError(f"GET /app/installations: more than {MAX_PAGES} pages")

    def for_installation(self, installation_id: int) -> Auth.Auth:
        """The shared, refreshing token of one installation."""
        assert self._integration is not None
        with self._lock:
            if installation_id not in self._tokens:
                token = InstallationToken(self._integration, installation_id, self._mint_lock)
                self._tokens[installation_id] = token
            return self._tokens[installation_id]

    def for_token(self) -> Auth.Auth:
        """Personal access token auth (the token is masked in everything shown, as every configured secret)."""
        assert self._source.token is not None
        token = self._source.token.get_secret_value()
        REDACTOR.add(token)
        return Auth.Token(token)

    def close(self) -> None:
        """Close the app-level client (a later request opens a new, still bounded, connection)."""
        if self._integration is not None:
            self._integration.close()
