"""PyGithub clients for one GitHub host: token or App auth, GithubRetry on every client, no client-side sleep."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import github
from github import Auth, Github, GithubIntegration, GithubRetry

from syncer.config import GithubSource
from syncer.retry import RetryPolicy

# PyGithub attaches its own stderr handler at import; let its records flow through ours instead.
logging.getLogger("github").handlers.clear()
github.set_log_level(logging.WARNING)

TIMEOUT_SECONDS = 30
REFRESH_BEFORE = timedelta(minutes=5)


def github_retry(policy: RetryPolicy) -> GithubRetry:
    """PyGithub's retry (rate limits, 5xx, 403 secondary limits) with a bounded exponential backoff."""
    return GithubRetry(
        total=policy.attempts,
        backoff_factor=policy.base,
        backoff_max=policy.cap,
        max_rate_limit_wait=policy.max_wait,
        secondary_rate_wait=min(60.0, policy.max_wait),
    )


def new_client(base_url: str, auth: Auth.Auth, policy: RetryPolicy, pool_size: int) -> Github:
    """A Github client: pages of 100, lazy objects, no throttle sleep, bounded retries and timeout."""
    return Github(
        auth=auth,
        base_url=base_url,
        per_page=100,
        timeout=TIMEOUT_SECONDS,
        retry=github_retry(policy),
        pool_size=pool_size,
        seconds_between_requests=None,
        seconds_between_writes=None,
        lazy=True,
        user_agent="syncer",
    )


@dataclass(frozen=True)
class Installation:
    """An app installation on an organization."""

    id: int
    org: str
    suspended: bool = False


class InstallationToken(Auth.Auth):
    """An installation access token, minted on first use and refreshed before it expires (thread-safe).

    Every token of one app shares `mint_lock`: they mint through one PyGithub client, which is not thread-safe.
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
                granted = self._integration.get_access_token(self._installation_id)
                self._token = granted.token
                expires = granted.expires_at
                self._expires_at = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
            return self._token

    @property
    def _masked_token(self) -> str:
        return "token (removed)"


class GithubAuth:
    """Makes the Auth of each org of a source; for apps, also finds the installations."""

    def __init__(self, source: GithubSource, policy: RetryPolicy) -> None:
        self._source = source
        self._policy = policy
        self._integration: GithubIntegration | None = None
        self._tokens: dict[int, InstallationToken] = {}
        self._lock = threading.Lock()
        self._mint_lock = threading.Lock()
        if source.app is not None:
            app_auth = Auth.AppAuth(source.app.app_id, source.app.private_key.get_secret_value())
            self._integration = GithubIntegration(
                auth=app_auth,
                base_url=source.base_url,
                retry=github_retry(policy),
                timeout=TIMEOUT_SECONDS,
                per_page=100,
                seconds_between_requests=None,
                seconds_between_writes=None,
                user_agent="syncer",
            )

    def installations(self) -> list[Installation]:
        """The app's installations on organizations (only `installation_id` when configured), suspended flagged."""
        assert self._integration is not None and self._source.app is not None
        wanted = self._source.app.installation_id
        found: list[Installation] = []
        for item in self._integration.get_installations():
            if item.target_type == "Organization" and (wanted is None or item.id == wanted):
                found.append(Installation(item.id, item.account.login, item.suspended_at is not None))
        return found

    def for_installation(self, installation_id: int) -> Auth.Auth:
        """The shared, refreshing token of one installation."""
        assert self._integration is not None
        with self._lock:
            if installation_id not in self._tokens:
                token = InstallationToken(self._integration, installation_id, self._mint_lock)
                self._tokens[installation_id] = token
            return self._tokens[installation_id]

    def for_token(self) -> Auth.Auth:
        """Personal access token auth."""
        assert self._source.token is not None
        return Auth.Token(self._source.token.get_secret_value())

    def close(self) -> None:
        """Close the app-level client."""
        if self._integration is not None:
            self._integration.close()
