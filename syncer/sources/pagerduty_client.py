"""A PagerDuty REST API v2 client for one token: bounded by the run's deadline, only a 200 is an answer.

The library (pagerduty 7, on httpx2) builds its httpx2.Client from our keyword arguments and asks every request
with `follow_redirects=False`, raising ServerHttpError on a 3xx; httpx2's own default is not to follow either. No
`transport=` is passed: httpx2 takes the proxies of HTTPS_PROXY/HTTP_PROXY/NO_PROXY only when it builds its own
transports (each given `verify=`, the trust of `http.ca_bundle`: see syncer.tls). Instead a response hook wraps
each answer's byte stream so the body is read under the deadline and a size cap (`_BoundedStream`), and each
request's timeouts are lowered to what the deadline leaves.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator, Mapping

import httpx2
import pagerduty

from syncer import metrics, retry, tls
from syncer.config.schema import PagerDutySource
from syncer.deadline import Deadline
from syncer.errors import PermanentError, Stopped, TransientError, UpstreamError
from syncer.redact import Redactor, display_url, redact
from syncer.retry import RetryPolicy, Sleep, parse_seconds
from syncer.sources import bounded
from syncer.sources.base import json_body
from syncer.sources.pagerduty_subdomain import json_type, subdomain_of

TIMEOUT = httpx2.Timeout(30.0, connect=5.0)  # the library's default is 60 s for every phase
QUOTED = 300  # characters of an error body an error message may quote
MAX_BYTES = bounded.MAX_BYTES  # the largest answer body read


class AnswerTooLarge(Exception):
    """The body of an answer is larger than the cap."""


class AnswerTooSlow(Exception):
    """The body of an answer was still arriving when the run's deadline came (or the run was stopped)."""


class _Retryable(Exception):
    """Raised from the response hook on 429 and 5xx, so the library never loops on them itself."""

    def __init__(self, status: int, asked: float | None) -> None:
        super().__init__(status)
        self.status = status
        self.asked = asked


class _BoundedStream(httpx2.SyncByteStream):
    """An answer's body as it arrives, ended by the deadline and by a size cap (checked between chunks)."""

    def __init__(self, inner: httpx2.SyncByteStream, deadline: Deadline, max_bytes: int) -> None:
        self._inner = inner
        self._deadline = deadline
        self._max_bytes = max_bytes

    def __iter__(self) -> Iterator[bytes]:
        size = 0
        for chunk in self._inner:
            if self._deadline.expired:
                raise AnswerTooSlow(f"the answer was still arriving when the run's deadline came ({size} bytes)")
            size += len(chunk)
            if size > self._max_bytes:
                raise AnswerTooLarge(f"the answer is larger than {self._max_bytes} bytes")
            yield chunk

    def close(self) -> None:
        self._inner.close()

    @property
    def elapsed(self) -> datetime.timedelta | None:
        """The inner stream's timing, which httpx2's Response.elapsed reads once the body is read."""
        elapsed: datetime.timedelta | None = getattr(self._inner, "elapsed", None)
        return elapsed


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

    def __init__(
        self,
        source: PagerDutySource,
        label: str,
        policy: RetryPolicy,
        sleep: Sleep = time.sleep,
        deadline: Deadline | None = None,
        max_bytes: int | None = None,
    ) -> None:
        self._label = label
        self._policy = policy
        self._sleep = sleep
        self._deadline = deadline if deadline is not None else Deadline.unbounded()
        self._max_bytes = MAX_BYTES if max_bytes is None else max_bytes
        self._secrets = secrets_of(source)
        self._client = _RestClient(
            source.token.get_secret_value(),
            base_url=source.api_url,
            event_hooks={"response": [self._bound, _on_response]},
            follow_redirects=False,
            verify=tls.httpx2_verify(),  # http.ca_bundle's CAs on top of httpx2's own, proxied or not
        )
        # uncompressed answers only: the size cap then bounds what the body becomes in memory (no gzip bomb)
        self._client.headers["Accept-Encoding"] = "identity"
        self._client.timeout = TIMEOUT  # type: ignore[assignment]  # typed int upstream; httpx2 takes a Timeout
        self._client.retry = {}  # 429 and 5xx never reach the library's retry loop (see _on_response)
        self._client.max_network_attempts = 0  # transport errors surface at once; retried below with backoff
        self._base = display_url(source.api_url).rstrip("/")

    def __repr__(self) -> str:
        return f"PagerDutyClient({self._label!r}, api_url={self._base!r})"

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def shown(self, text: str) -> str:
        """Text as it may be shown: every secret this process knows, and this token, masked."""
        return self._secrets.redact(redact(text))

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> object:
        """GET {api_url}/{path} and decode its JSON; 429 (Retry-After honoured), 5xx and transport errors retried."""
        where = self.where(path)
        try:
            return retry.call(lambda: self._get_once(path, params, where), self._policy, self._sleep, self._deadline)
        except Stopped as exc:
            text = str(exc)
            raise (exc if text.startswith(where) else type(exc)(f"{where}: {text}")) from None

    def where(self, path: str) -> str:
        """How errors name a request: the token's label, the API base URL (without userinfo) and the path."""
        return f"{self._label}: GET {self._base}/{path.lstrip('/')}"

    def _get_once(self, path: str, params: Mapping[str, str | int] | None, where: str) -> object:
        self._deadline.check(where)
        self._client.timeout = self._timeout()  # type: ignore[assignment]  # as in __init__: typed int upstream
        try:
            response = self._client.get(f"/{path.lstrip('/')}", params=dict(params or {}))
        except _Retryable as exc:
            raise TransientError(f"{where} answered {exc.status}", retry_after=exc.asked) from None
        except AnswerTooSlow as exc:  # a body still arriving is no answer: retried, as by every client
            self._deadline.check(where)
            raise TransientError(f"{where}: {exc}") from None
        except AnswerTooLarge as exc:
            raise PermanentError(f"{where}: {exc}") from None
        except pagerduty.HttpError as exc:
            raise self._status_error(exc.response, where) from None  # not chained: it quotes part of the token
        except (pagerduty.Error, httpx2.HTTPError) as exc:
            metrics.count_http("pagerduty", "error")
            self._deadline.check(where)
            raise _transport_error(exc, where) from None
        if response.status_code != 200:
            raise self._status_error(response, where)
        return json_body(response, where)

    def subdomain(self) -> str:
        """The account's subdomain, from the host of the first user's html_url (<sub>.[eu.]pagerduty.com only)."""
        where = self.where("users")
        body = self.get("users", {"limit": 1})
        if not isinstance(body, dict):
            raise PermanentError(f"{where}: expected an object with a 'users' list, got {json_type(body)}")
        users = body.get("users")
        if not isinstance(users, list):
            raise PermanentError(f"{where}: expected an object with a 'users' list; 'users' is {json_type(users)}")
        if not users:
            raise PermanentError(f"{where}: no user to read the subdomain from; set subdomain in the configuration")
        if not isinstance(users[0], dict):
            raise PermanentError(f"{where}: the first user is {json_type(users[0])}, not an object")
        if "html_url" not in users[0]:
            raise PermanentError(f"{where}: the first user has no html_url to read the subdomain from")
        return subdomain_of(users[0]["html_url"], where, self.shown)

    def _bound(self, response: httpx2.Response) -> None:
        """Response hook: the body will be read under the deadline and the size cap, and is never decompressed."""
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise AnswerTooLarge(f"the answer is compressed ({encoding[:20]}) although syncer asked for identity")
        if isinstance(response.stream, httpx2.SyncByteStream):
            response.stream = _BoundedStream(response.stream, self._deadline, self._max_bytes)

    def _timeout(self) -> httpx2.Timeout:
        """TIMEOUT, each phase no longer than what the deadline leaves."""
        limits = {phase: getattr(TIMEOUT, phase) for phase in ("connect", "read", "write", "pool")}
        return httpx2.Timeout(**{p: self._deadline.timeout(v if v is not None else 30.0) for p, v in limits.items()})

    def _status_error(self, response: httpx2.Response | None, where: str) -> UpstreamError:
        """Any answer but a 200 (429 and 5xx never get here) as a PermanentError, with PagerDuty's own message."""
        if response is None:
            return PermanentError(f"{where}: failed without an answer")
        status = response.status_code
        if 300 <= status < 400:
            location = response.headers.get("Location", "")
            target = f" to {self._quote(display_url(location)[:200])}" if location else ""
            return PermanentError(
                f"{where} answered {status}, a redirect{target}; not followed (only a 200 is an answer, and the "
                "token is sent to no other address): check api_url"
            )
        if 200 <= status < 300:
            return PermanentError(f"{where} answered {status}, not 200: only a 200 is an answer")
        detail = self._message(response)
        return PermanentError(f"{where} answered {status}{f': {detail}' if detail else ''}")

    def _quote(self, text: str) -> str:
        """Part of an answer as an error may quote it: redacted first, then cut to QUOTED characters."""
        shown = self.shown(text[: QUOTED * 40]).strip()
        return shown if len(shown) <= QUOTED else f"{shown[:QUOTED]}…"

    def _message(self, response: httpx2.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return self._quote(response.text)
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            error = error.get("message")
        return self._quote(str(error)) if error else ""


def secrets_of(source: PagerDutySource) -> Redactor:
    """A redactor of this source's own token (the process-wide one may not know it yet)."""
    secrets = Redactor()
    secrets.add(source.token.get_secret_value())
    return secrets


def _transport_error(exc: Exception, where: str) -> UpstreamError:
    cause = exc.__cause__ if isinstance(exc, pagerduty.Error) and exc.__cause__ is not None else exc
    if isinstance(cause, httpx2.TransportError):
        return TransientError(f"{where}: no answer ({type(cause).__name__})")
    return PermanentError(f"{where}: request failed ({type(cause).__name__})")
