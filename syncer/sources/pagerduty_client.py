"""A PagerDuty REST API v2 client for one token: http(s) base URLs, a set timeout, bounded retries, typed errors."""

from __future__ import annotations

import time
from collections.abc import Mapping
from urllib.parse import urlsplit

import httpx2
import pagerduty

from syncer import metrics, retry
from syncer.config import PagerDutySource
from syncer.errors import PermanentError, SourceError, TransientError
from syncer.retry import RetryPolicy, Sleep, parse_seconds
from syncer.sources.base import json_body

TIMEOUT = httpx2.Timeout(30.0, connect=5.0)  # the library's default is 60 s for every phase


class _Retryable(Exception):
    """Raised from the response hook on 429 and 5xx, so the library never loops on them itself."""

    def __init__(self, status: int, asked: float | None) -> None:
        super().__init__(status)
        self.status = status
        self.asked = asked


def _on_response(response: httpx2.Response) -> None:
    metrics.count_http("pagerduty", response.status_code)
    if response.status_code == 429 or response.status_code >= 500:
        asked = parse_seconds(response.headers.get("Retry-After"))
        if asked is None:  # PagerDuty's REST API documents ratelimit-reset: seconds until the window resets
            asked = parse_seconds(response.headers.get("ratelimit-reset"))
        raise _Retryable(response.status_code, asked)


class _RestClient(pagerduty.RestApiV2Client):
    """RestApiV2Client that also takes an http:// base URL (a proxy, the simulator); the library allows https only."""

    @property
    def url(self) -> str:
        return str(self._url)

    @url.setter
    def url(self, value: str) -> None:
        if not value.startswith(("https://", "http://")):
            raise pagerduty.UrlError("API base URL must use scheme https:// or http://")
        self._url = value.rstrip("/")


class PagerDutyClient:
    """Authenticated GETs with one PagerDuty API token (account-level or user-level)."""

    def __init__(self, source: PagerDutySource, label: str, policy: RetryPolicy, sleep: Sleep = time.sleep) -> None:
        self._label = label
        self._policy = policy
        self._sleep = sleep
        self._client = _RestClient(
            source.token.get_secret_value(),
            base_url=source.api_url,
            event_hooks={"response": [_on_response]},
        )
        self._client.timeout = TIMEOUT  # type: ignore[assignment]  # typed int upstream; httpx2 takes a Timeout
        self._client.retry = {}  # 429 and 5xx never reach the library's retry loop (see _on_response)
        self._client.max_network_attempts = 0  # transport errors surface at once; retried below with backoff
        self._base = _display(source.api_url)

    def __repr__(self) -> str:
        return f"PagerDutyClient({self._label!r}, api_url={self._base!r})"

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> object:
        """GET {api_url}/{path} and decode its JSON; 429 (Retry-After honoured), 5xx and transport errors retried."""
        where = f"{self._label}: GET {self._base}/{path.lstrip('/')}"
        return retry.call(lambda: self._get_once(path, params, where), self._policy, self._sleep)

    def _get_once(self, path: str, params: Mapping[str, str | int] | None, where: str) -> object:
        try:
            response = self._client.get(f"/{path.lstrip('/')}", params=dict(params or {}))
        except _Retryable as exc:
            raise TransientError(f"{where} answered {exc.status}", retry_after=exc.asked) from exc
        except pagerduty.HttpError as exc:
            raise _status_error(exc.response, where) from None  # not chained: it quotes part of the token
        except (pagerduty.Error, httpx2.HTTPError) as exc:
            metrics.count_http("pagerduty", "error")
            raise _transport_error(exc, where) from exc
        if not response.is_success:
            raise _status_error(response, where)
        return json_body(response, where)

    def subdomain(self) -> str:
        """The account's subdomain: the first label of the host of a user's html_url (as the library reads it)."""
        where = f"{self._label}: GET {self._base}/users"
        body = self.get("users", {"limit": 1})
        users = body.get("users") if isinstance(body, dict) else None
        if not isinstance(users, list):
            raise PermanentError(f"{where}: expected an object with a 'users' list")
        if not users:
            raise PermanentError(f"{where}: no user to read the subdomain from; set subdomain in the configuration")
        html_url = users[0].get("html_url") if isinstance(users[0], dict) else None
        host = urlsplit(html_url).hostname if isinstance(html_url, str) else None
        subdomain = host.split(".")[0] if host else ""
        if not subdomain:
            raise PermanentError(f"{where}: the first user has no html_url to read the subdomain from")
        return subdomain


def _display(url: str) -> str:
    """The API base URL without any user:password part."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}".rstrip("/")


def _status_error(response: httpx2.Response | None, where: str) -> SourceError:
    """A non-2xx answer as a PermanentError (429 and 5xx never get here), with PagerDuty's own message."""
    if response is None:
        return PermanentError(f"{where}: failed without an answer")
    detail = _message(response)
    return PermanentError(f"{where} answered {response.status_code}{f': {detail}' if detail else ''}")


def _message(response: httpx2.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        error = error.get("message")
    return str(error)[:300] if error else ""


def _transport_error(exc: Exception, where: str) -> SourceError:
    cause = exc.__cause__ if isinstance(exc, pagerduty.Error) and exc.__cause__ is not None else exc
    if isinstance(cause, httpx2.TransportError):
        return TransientError(f"{where}: no answer ({type(cause).__name__})")
    return PermanentError(f"{where}: request failed ({type(cause).__name__})")
