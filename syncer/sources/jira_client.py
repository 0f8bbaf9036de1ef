"""A Jira REST client for one site: basic or bearer auth, bounded by the run's deadline, only a 200 is an answer.

Redirects are never followed (a redirect to another host would carry the credentials there, and its anonymous
answer would pass for the site's); every body is read under the deadline and a size cap (`bounded.bound`); the
quoted part of an error body is redacted and cut to 300 characters.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from jira import JIRA, JIRAError

from syncer import metrics, retry, tls
from syncer.config.schema import JiraSource
from syncer.deadline import Deadline
from syncer.errors import ConfigError, PermanentError, Stopped, TransientError, UpstreamError
from syncer.redact import Redactor, display_url, redact
from syncer.retry import RetryPolicy, Sleep, parse_seconds
from syncer.sources import bounded
from syncer.sources.base import json_body
from syncer.sources.bounded import AnswerTooLarge, AnswerTooSlow, bound

TIMEOUT = (5.0, 30.0)  # (connect, read) seconds; the jira library has no timeout by default
QUOTED = 300  # characters of an error body an error message may quote
MAX_BYTES = bounded.MAX_BYTES  # the largest answer body read
Params = Mapping[str, str | int | list[str]]
_TRANSIENT_TRANSPORT = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class NotFound(PermanentError):
    """The site answered 404: the path does not exist there (or the URL points at the wrong place)."""


def secrets_of(source: JiraSource) -> Redactor:
    """A redactor of this source's own credentials: the PAT, or the API token and the base64 of email:api_token."""
    secrets = Redactor()
    if source.token is not None:
        secrets.add(source.token.get_secret_value())
    if source.api_token is not None:
        token = source.api_token.get_secret_value()
        secrets.add(token)
        if source.email:
            secrets.add_basic_auth(source.email, token)
    return secrets


class JiraClient:
    """Authenticated GETs against one Jira site; the library's own retries are off, ours are bounded."""

    def __init__(
        self,
        source: JiraSource,
        policy: RetryPolicy,
        sleep: Sleep = time.sleep,
        deadline: Deadline | None = None,
    ) -> None:
        self._site = source.hostname
        self._policy = policy
        self._sleep = sleep
        self._deadline = deadline if deadline is not None else Deadline.unbounded()
        self._secrets = secrets_of(source)
        auth: dict[str, Any]
        if source.token is not None:
            auth = {"token_auth": source.token.get_secret_value()}
        elif source.api_token is not None and source.email:
            auth = {"basic_auth": (source.email, source.api_token.get_secret_value())}
        else:  # JiraSource's own validation refuses this; a source built around it fails here, not with no auth
            raise ConfigError(f"jira {source.hostname}: give token, or email with api_token")
        self._jira = JIRA(
            source.base_url,
            get_server_info=False,
            max_retries=0,
            timeout=TIMEOUT,
            logging=False,
            **auth,
        )
        bound(self._jira._session, self._deadline, max_bytes=MAX_BYTES)
        tls.settle(self._jira._session, source.base_url, tls.requests_verify())  # proxies, CAs: looked up once
        self._jira._session.hooks["response"].append(_count)

    def __repr__(self) -> str:
        return f"JiraClient(site={self._site!r})"

    def close(self) -> None:
        """Close the connection pool."""
        self._jira.close()  # type: ignore[no-untyped-call]  # JIRA.close() has no annotations

    def where(self, path: str) -> str:
        """How errors name a request: system, site and URL path (never a credential)."""
        return f"jira {self._site}: GET {urlsplit(self._jira._get_url(path)).path}"

    def shown(self, text: str) -> str:
        """Text as it may be shown: every secret this process knows, and this site's credentials, masked."""
        return self._secrets.redact(redact(text))

    def get(self, path: str, params: Params | None = None) -> object:
        """GET /rest/api/2/{path} and decode its JSON; 5xx, 429 and transport errors retried within the deadline."""
        url, where = self._jira._get_url(path), self.where(path)
        try:
            return retry.call(lambda: self._get_once(url, params, where), self._policy, self._sleep, self._deadline)
        except Stopped as exc:
            raise _named(exc, where) from None

    def _get_once(self, url: str, params: Params | None, where: str) -> object:
        self._deadline.check(where)
        connect, read = TIMEOUT
        session = self._jira._session
        session.timeout = (self._deadline.timeout(connect), self._deadline.timeout(read))
        try:
            response = session.get(url, params=params, allow_redirects=False)
        except JIRAError as exc:
            raise self._status_error(exc, where) from None  # not chained: its text dumps headers and body
        except requests.RequestException as exc:
            metrics.count_http("jira", "error")
            self._deadline.check(where)  # a body still arriving at the deadline is the deadline's failure
            raise _transport_error(exc, where) from exc
        self._check_login(response, where)
        if response.status_code != 200:
            raise self._not_an_answer(response, where)
        return json_body(response, where)

    def quote(self, text: str) -> str:
        """Part of an answer's body as an error may quote it: redacted first, then cut to QUOTED characters."""
        shown = self.shown(text[: QUOTED * 40]).strip()
        return shown if len(shown) <= QUOTED else f"{shown[:QUOTED]}…"

    def _status_error(self, exc: JIRAError, where: str) -> UpstreamError:
        """A Jira error answer as an UpstreamError with Jira's own messages (str(exc) would dump headers and body)."""
        status = exc.status_code
        detail = self.quote(exc.text or "")
        text = f"{where} answered {status}{f': {detail}' if detail else ''}"
        if status == 404:
            return NotFound(text)
        if status is not None and (status == 429 or status >= 500):
            return TransientError(text, retry_after=_retry_after(exc))
        return PermanentError(text)

    def _not_an_answer(self, response: requests.Response, where: str) -> PermanentError:
        """Any status but 200 (a 3xx, 202, 203, 204, 206, ...): the site fails; a redirect is never followed."""
        status = response.status_code
        if 300 <= status < 400:
            location = response.headers.get("Location", "")
            target = f" to {self.quote(display_url(location)[:200])}" if location else ""
            return PermanentError(
                f"{where} answered {status}, a redirect{target}; not followed (only a 200 is an answer, and no "
                "credential is sent to another address): check url"
            )
        return PermanentError(f"{where} answered {status}, not 200: only a 200 is an answer")

    def _check_login(self, response: requests.Response, where: str) -> None:
        """Jira serves a refused login as an anonymous request; its answer would be short, so it is a failure."""
        reason = response.headers.get("X-Seraph-LoginReason", "")
        if "AUTHENTICATED_FAILED" in reason or "AUTHENTICATION_DENIED" in reason:
            shown = self.quote(reason[:100])
            raise PermanentError(f"{where}: the site refused the credentials (X-Seraph-LoginReason: {shown})")
        if response.headers.get("X-AUSERNAME", "").casefold() == "anonymous":
            raise PermanentError(f"{where}: the site answered as the anonymous user; check the credentials")


def _named(exc: Stopped, where: str) -> Stopped:
    """The same stop, its message naming the request when it does not already."""
    text = str(exc)
    return exc if text.startswith(where) else type(exc)(f"{where}: {text}")


def _count(response: requests.Response, *args: object, **kwargs: object) -> None:
    metrics.count_http("jira", response.status_code)


def _retry_after(exc: JIRAError) -> float | None:
    response = exc.response
    if response is None or not hasattr(response, "headers"):
        return None
    return parse_seconds(response.headers.get("Retry-After"))


def _transport_error(exc: requests.RequestException, where: str) -> UpstreamError:
    reason = type(exc).__name__
    if isinstance(exc, AnswerTooLarge):
        return PermanentError(f"{where}: {exc}")
    if isinstance(exc, AnswerTooSlow):
        return TransientError(f"{where}: {exc}")
    if isinstance(exc, requests.exceptions.SSLError):  # retried, as every client retries a failed connection
        return TransientError(f"{where}: TLS failure ({reason})")
    if isinstance(exc, _TRANSIENT_TRANSPORT):
        return TransientError(f"{where}: no answer ({reason})")
    return PermanentError(f"{where}: request failed ({reason})")
