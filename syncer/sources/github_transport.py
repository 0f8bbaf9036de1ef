"""How syncer's PyGithub clients talk HTTP: only the answers syncer expects, under the run's deadline.

PyGithub retries a GET answering 202 forever (2 s apart) and follows same-host 301s itself; urllib3's retry sleeps
and drains bodies without a deadline. Every connection of syncer's clients therefore gets a `GithubAdapter`: a
`BoundedAdapter` (every body read under the deadline and a size cap) that turns any answer other than 200 (201 for
a POST, 304 for a conditional GET, or an error status of 400 and above) into `UnexpectedAnswer` before PyGithub
sees it, so a redirect is never followed and never carries credentials anywhere. Its retry is `DeadlineRetry`:
GithubRetry's bounded retries of 5xx and rate limits, whose waits end with the deadline.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests
from github import GithubException, GithubRetry
from github.Requester import Requester
from urllib3.response import BaseHTTPResponse, HTTPResponse
from urllib3.util.retry import Retry
from urllib3.util.timeout import Timeout

from syncer import metrics
from syncer.deadline import Deadline
from syncer.errors import PermanentError, SourceError, Stopped, TransientError
from syncer.redact import display_url, redact
from syncer.retry import RetryPolicy, parse_seconds
from syncer.sources.bounded import CHUNK, MAX_BYTES, BoundedAdapter

QUOTE_LIMIT = 300  # characters of an upstream error text quoted in a message
ERROR_BODY_LIMIT = 64 * 1024  # bytes of a retried error answer read to decide on the retry
MAX_ANSWER_BYTES = MAX_BYTES  # the cap on any GitHub answer's body (read when a connection is opened)
NOT_JSON = "syncer: not JSON"  # key error_body adds when an error answer's body was not a JSON object


class UnexpectedAnswer(requests.RequestException):
    """GitHub answered a status syncer never takes for data (a redirect, 202, 203, 204, 206, ...)."""

    def __init__(self, status: int, location: str | None) -> None:
        self.status = status
        self.location = location
        shown = f", a redirect to {_shown_location(location)} that is not followed" if location else ""
        super().__init__(f"answered {status}{shown}: only a 200 is taken for an answer")


class RetryCutShort(PermanentError):
    """A retry GitHub asked for would end after the run's deadline."""


def _shown_location(location: str) -> str:
    """A Location header as it may be shown: no userinfo, no query (which may carry a token), at most 200 chars."""
    try:
        parts = urlsplit(location)
        text = f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.netloc else parts.path
    except ValueError:
        text = location
    return redact(display_url(text))[:200]


def _expected(status: int, request: requests.PreparedRequest) -> bool:
    if status == 200 or status >= 400:
        return True
    if status == 201 and request.method == "POST":
        return True
    return status == 304 and "If-None-Match" in request.headers


class DeadlineTimeout(Timeout):
    """A urllib3 Timeout that is never longer than what the deadline leaves, each time it is read.

    urllib3 retries (GithubRetry) reuse the timeout of the first attempt: a retry after a read timeout near the
    deadline would otherwise wait a whole timeout more.
    """

    def __init__(self, deadline: Deadline, connect: float, read: float) -> None:
        super().__init__(connect=connect, read=read)
        self._deadline = deadline

    def clone(self) -> DeadlineTimeout:
        """A copy with the same deadline (urllib3 clones the timeout for each attempt)."""
        return DeadlineTimeout(self._deadline, float(self._connect or 30.0), float(self._read or 30.0))  # type: ignore[arg-type]

    @property
    def connect_timeout(self) -> float:
        """The connect timeout, at most what the deadline leaves."""
        return self._deadline.timeout(float(self._connect or 30.0))  # type: ignore[arg-type]

    @property
    def read_timeout(self) -> float:
        """The read timeout, at most what the deadline leaves."""
        return self._deadline.timeout(float(self._read or 30.0))  # type: ignore[arg-type]


class GithubAdapter(BoundedAdapter):
    """A BoundedAdapter that refuses every answer but 200 (201 to a POST, 304 to a conditional GET) or an error.

    Its timeouts shrink with the deadline on every attempt, urllib3's own retries included.
    """

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send (bounded); raise UnexpectedAnswer for a status that is neither data nor an error."""
        response = super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)
        if _expected(response.status_code, request):
            return response
        response.close()
        raise UnexpectedAnswer(response.status_code, response.headers.get("location"))

    def _bounded(self, timeout: float | tuple[float | None, float | None] | None) -> tuple[float, float]:
        connect, read = super()._bounded(timeout)
        bounded: Any = DeadlineTimeout(self._deadline, connect, read)  # requests passes a urllib3 Timeout through
        return bounded  # type: ignore[no-any-return]


class DeadlineRetry(GithubRetry):
    """GithubRetry (5xx, 403/429 rate limits, connection errors) whose every wait and read ends with the deadline.

    A wait that would end after the deadline is not waited: `RetryCutShort` is raised instead. The body of a
    retried error answer is read under the deadline and a size cap (urllib3 would drain it however slowly it came).
    """

    deadline: Deadline = Deadline.unbounded()

    def new(self, **kw: Any) -> DeadlineRetry:
        """The next retry state, with the same deadline."""
        retry = super().new(**kw)
        retry.deadline = self.deadline
        return retry

    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: HTTPResponse | None = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Retry:
        """Read the answer's body under the deadline first; then GithubRetry decides."""
        if response is not None and not hasattr(response, "_syncer_body"):
            response._syncer_body = _read_bounded(response, self.deadline)  # type: ignore[attr-defined]
        self._check(response)
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def get_content(self, resp: BaseHTTPResponse, url: str) -> bytes:  # type: ignore[override]
        """The body `increment` read (GithubRetry reads a 403's message to tell a rate limit)."""
        body: bytes = getattr(resp, "_syncer_body", b"")
        return body

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        """Wait what the server asked (Retry-After) or the backoff, unless that ends after the deadline."""
        wait: float | None = None
        if response is not None and self.respect_retry_after_header:
            wait = self.get_retry_after(response)
        if wait is None:
            wait = self.get_backoff_time()
        status = f"answered {response.status}; " if response is not None else ""
        self._check(response)
        if not self.deadline.allows(wait):
            raise RetryCutShort(f"{status}its retry in {wait:.1f} s would end after the run's deadline")
        self.deadline.sleep(wait)
        self._check(response)

    def _check(self, response: BaseHTTPResponse | None) -> None:
        if self.deadline.expired:
            if response is not None:
                response.close()
            self.deadline.check()


def _read_bounded(response: BaseHTTPResponse, deadline: Deadline) -> bytes:
    """An error answer's body, read in pieces until the deadline or ERROR_BODY_LIMIT (the rest is dropped)."""
    chunks: list[bytes] = []
    size = 0
    try:
        while size < ERROR_BODY_LIMIT and not deadline.expired:
            chunk = response.read1(CHUNK, decode_content=True)
            if not chunk:
                response.release_conn()
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
    except Exception:  # an answer cut off mid-body is judged on what came
        response.close()
        return b"".join(chunks)
    response.close()  # too large or too slow: the connection is not reused
    return b"".join(chunks)


def github_retry(policy: RetryPolicy, deadline: Deadline) -> DeadlineRetry:
    """PyGithub's retry (rate limits, 5xx, 403 secondary limits) with a bounded exponential backoff."""
    retry = DeadlineRetry(
        total=policy.attempts,
        backoff_factor=policy.base,
        backoff_max=policy.cap,
        max_rate_limit_wait=policy.max_wait,
        secondary_rate_wait=min(60.0, policy.max_wait),
    )
    retry.deadline = deadline
    return retry


def bound_requester(requester: Requester, deadline: Deadline) -> None:
    """Give every connection `requester` opens (now or after a close) a GithubAdapter under `deadline`."""
    names = ("_Requester__connectionClass", "_Requester__httpConnectionClass", "_Requester__httpsConnectionClass")
    for name in names:
        original = getattr(requester, name, None)
        if original is None:  # pragma: no cover - a PyGithub without these would bypass every bound
            raise RuntimeError(f"PyGithub's Requester has no {name}: syncer cannot bound its requests")
        setattr(requester, name, _bounded_connection(original, deadline))


def _bounded_connection(original: Callable[..., Any], deadline: Deadline) -> Callable[..., Any]:
    def connect(*args: Any, **kwargs: Any) -> Any:
        connection = original(*args, **kwargs)
        adapter = GithubAdapter(
            deadline,
            max_bytes=MAX_ANSWER_BYTES,
            max_retries=connection.retry,
            pool_connections=connection.pool_size,
            pool_maxsize=connection.pool_size,
        )
        connection.adapter.close()
        connection.adapter = adapter
        connection.session.mount("https://", adapter)
        connection.session.mount("http://", adapter)
        return connection

    return connect


def request_json(
    requester: Requester,
    verb: str,
    path: str,
    *,
    parameters: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    body: Any = None,
) -> tuple[int, dict[str, Any], str]:
    """One raw request through PyGithub's requester (auth, retries, GHES prefix); an error status raises.

    Raises GithubException for 400 and above, UnexpectedAnswer for anything but 200 (201, 304: see
    GithubAdapter). Every answer, or its absence, is counted in syncer_http_requests_total.
    """
    try:
        status, answer_headers, text = requester.requestJson(
            verb, path, parameters=parameters, headers=headers, input=body
        )
    except (GithubException, UnexpectedAnswer) as exc:  # GithubRetry raises some 403s itself
        metrics.count_http("github", exc.status)
        raise
    except Exception:
        metrics.count_http("github", "error")
        raise
    metrics.count_http("github", status)
    if status >= 400:
        raise Requester.createException(status, answer_headers, error_body(text))
    return status, answer_headers, text


def error_body(body: str) -> dict[str, object]:
    """An error answer's JSON object, or its text as the message, marked `NOT_JSON` (as PyGithub reads it)."""
    try:
        data = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        return {"message": body[:QUOTE_LIMIT], NOT_JSON: True}
    return data if isinstance(data, dict) else {"data": data, NOT_JSON: True}


def quoted(text: object) -> str:
    """Upstream text as it may be quoted: secrets masked, at most QUOTE_LIMIT characters."""
    return redact(str(text)[: QUOTE_LIMIT * 4])[:QUOTE_LIMIT]


def translate(exc: Exception, where: str) -> SourceError:
    """A PyGithub or requests failure as a SourceError naming where it happened (never a token)."""
    if isinstance(exc, SourceError):
        if isinstance(exc, Stopped):
            return type(exc)(f"{where}: {exc}")
        return type(exc)(f"{where}: {quoted(exc)}")
    if isinstance(exc, GithubException):
        message = exc.data.get("message") if isinstance(exc.data, dict) else None
        text = f"{where} answered {exc.status}{f': {quoted(message)}' if message else ''}"
        transient = exc.status in (429,) or exc.status >= 500
        return (TransientError if transient else PermanentError)(text)
    if isinstance(exc, UnexpectedAnswer):
        return PermanentError(f"{where} {exc}")
    if isinstance(exc, requests.exceptions.RetryError):
        return TransientError(f"{where}: gave up after repeated server errors ({_reason(exc)})")
    return TransientError(f"{where}: {type(exc).__name__}: {_reason(exc)}")


def _reason(exc: Exception) -> str:
    """The root cause of a requests failure (e.g. "too many 500 error responses"), without the URL."""
    cause: object = exc.args[0] if exc.args else exc
    cause = getattr(cause, "reason", None) or cause
    text = str(cause)
    text = re.sub(r"HTTP(S)?ConnectionPool\([^)]*\): ", "", text)
    return quoted(re.sub(r"\(Caused by .*", "", text).strip())


def asked_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds GitHub asks to wait: `retry-after`, else until `x-ratelimit-reset` once the limit is spent."""
    lower = {k.lower(): v for k, v in headers.items()}
    asked = parse_seconds(lower.get("retry-after"))
    if asked is None and lower.get("x-ratelimit-remaining") == "0":
        reset = parse_seconds(lower.get("x-ratelimit-reset"))
        asked = None if reset is None else max(reset - time.time(), 0.0) + 1.0
    return asked
