"""A Jira REST client for one site: basic or bearer auth, an explicit timeout, bounded retries, typed errors."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from jira import JIRA, JIRAError

from syncer import metrics, retry
from syncer.config import JiraSource
from syncer.errors import PermanentError, SourceError, TransientError
from syncer.retry import RetryPolicy, Sleep, parse_seconds
from syncer.sources.base import json_body

TIMEOUT = (5.0, 30.0)  # (connect, read) seconds; the jira library has no timeout by default
Params = Mapping[str, str | int | list[str]]
_TRANSIENT_TRANSPORT = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class NotFound(PermanentError):
    """The site answered 404: the path does not exist there (or the URL points at the wrong place)."""


class JiraClient:
    """Authenticated GETs against one Jira site; the library's own retries are off, ours are bounded."""

    def __init__(self, source: JiraSource, policy: RetryPolicy, sleep: Sleep = time.sleep) -> None:
        self._site = source.hostname
        self._policy = policy
        self._sleep = sleep
        auth: dict[str, Any]
        if source.token is not None:
            auth = {"token_auth": source.token.get_secret_value()}
        else:
            assert source.api_token is not None and source.email is not None
            auth = {"basic_auth": (source.email, source.api_token.get_secret_value())}
        self._jira = JIRA(
            source.base_url,
            get_server_info=False,
            max_retries=0,
            timeout=TIMEOUT,
            logging=False,
            **auth,
        )
        self._jira._session.hooks["response"].append(_count)

    def __repr__(self) -> str:
        return f"JiraClient(site={self._site!r})"

    def close(self) -> None:
        """Close the connection pool."""
        self._jira.close()  # type: ignore[no-untyped-call]

    def where(self, path: str) -> str:
        """How errors name a request: system, site and URL path (never a credential)."""
        return f"jira {self._site}: GET {urlsplit(self._jira._get_url(path)).path}"

    def get(self, path: str, params: Params | None = None) -> object:
        """GET /rest/api/2/{path} and decode its JSON; 5xx, 429 and transport errors are retried."""
        url, where = self._jira._get_url(path), self.where(path)
        return retry.call(lambda: self._get_once(url, params, where), self._policy, self._sleep)

    def _get_once(self, url: str, params: Params | None, where: str) -> object:
        try:
            response = self._jira._session.get(url, params=params)
        except JIRAError as exc:
            raise _status_error(exc, where) from None  # not chained: its text dumps headers and body
        except requests.RequestException as exc:
            metrics.count_http("jira", "error")
            raise _transport_error(exc, where) from exc
        _check_login(response, where)
        return json_body(response, where)


def _count(response: requests.Response, *args: object, **kwargs: object) -> None:
    metrics.count_http("jira", response.status_code)


def _status_error(exc: JIRAError, where: str) -> SourceError:
    """A Jira error answer as a SourceError with Jira's own messages (str(exc) would dump headers and body)."""
    status = exc.status_code
    detail = (exc.text or "").strip()[:300]
    text = f"{where} answered {status}{f': {detail}' if detail else ''}"
    if status == 404:
        return NotFound(text)
    if status is not None and (status == 429 or status >= 500):
        return TransientError(text, retry_after=_retry_after(exc))
    return PermanentError(text)


def _retry_after(exc: JIRAError) -> float | None:
    response = exc.response
    if response is None or not hasattr(response, "headers"):
        return None
    return parse_seconds(response.headers.get("Retry-After"))


def _transport_error(exc: requests.RequestException, where: str) -> SourceError:
    reason = type(exc).__name__
    if isinstance(exc, requests.exceptions.SSLError):
        return PermanentError(f"{where}: TLS failure ({reason})")
    if isinstance(exc, _TRANSIENT_TRANSPORT):
        return TransientError(f"{where}: no answer ({reason})")
    return PermanentError(f"{where}: request failed ({reason})")


def _check_login(response: requests.Response, where: str) -> None:
    """Jira serves a refused login as an anonymous request; its answer would be short, so it is a failure."""
    reason = response.headers.get("X-Seraph-LoginReason", "")
    if "AUTHENTICATED_FAILED" in reason or "AUTHENTICATION_DENIED" in reason:
        raise PermanentError(f"{where}: the site refused the credentials (X-Seraph-LoginReason: {reason})")
    if response.headers.get("X-AUSERNAME", "").casefold() == "anonymous":
        raise PermanentError(f"{where}: the site answered as the anonymous user; check the credentials")
