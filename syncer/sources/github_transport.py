"""How syncer's PyGithub clients talk HTTP: one bounded attempt at a time, every attempt in the one retry loop.

PyGithub retries a GET answering 202 forever (2 s apart) and follows same-host 301s itself; urllib3's retry sleeps
without a deadline. syncer's clients are therefore built with no retry of their own (`retry=0`: urllib3 gives up
at the first error and never retries a status) and no throttle sleep, and every connection gets a `GithubAdapter`:
a `BoundedAdapter` (timeouts and every body read under the deadline and a size cap) that turns any answer other
than 200 (201 for a POST, 304 for a conditional GET, or an error status of 400 and above) into `UnexpectedAnswer`
before PyGithub sees it, so a redirect is never followed and never carries credentials anywhere. Its session
takes the environment's proxies once (`tls.settle`), and trusts what the client was given (`http.ca_bundle`).

`fetch` is the only way a request is made: each attempt's failure is translated (see github_errors) inside
`syncer.retry.call`, which retries what is transient with the source's policy, sleep and deadline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
import requests
from github import GithubException
from github.Requester import Requester

from syncer import metrics, retry, tls
from syncer.deadline import Deadline
from syncer.errors import Stopped, SyncerError
from syncer.retry import RetryPolicy, Sleep
from syncer.sources.bounded import MAX_BYTES, BoundedAdapter
from syncer.sources.github_errors import QUOTE_LIMIT, UnexpectedAnswer, prefixed, translate

NO_RETRY = 0  # the `retry` of every PyGithub client: urllib3 makes exactly one attempt
MAX_ANSWER_BYTES = MAX_BYTES  # the cap on any GitHub answer's body (read when a connection is opened)
NOT_JSON = "syncer: not JSON"  # key error_body adds when an error answer's body was not a JSON object
T = TypeVar("T")
Reply = tuple[int, dict[str, Any], str]


@dataclass(frozen=True)
class Retrying:
    """The one retry loop of a source's requests: its policy, its sleep and the run's deadline."""

    policy: RetryPolicy
    sleep: Sleep
    deadline: Deadline

    def call(self, attempt: Callable[[], T]) -> T:
        """`retry.call(attempt, policy, sleep, deadline)`."""
        return retry.call(attempt, self.policy, self.sleep, self.deadline)


def _expected(status: int, request: requests.PreparedRequest) -> bool:
    if status == 200 or status >= 400:
        return True
    if status == 201 and request.method == "POST":
        return True
    return status == 304 and "If-None-Match" in request.headers


class GithubAdapter(BoundedAdapter):
    """A BoundedAdapter that refuses every answer but 200 (201 to a POST, 304 to a conditional GET) or an error."""

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
            max_retries=NO_RETRY,  # whatever PyGithub was given: retrying is syncer.retry.call's alone
            pool_connections=connection.pool_size,
            pool_maxsize=connection.pool_size,
        )
        connection.adapter.close()
        connection.adapter = adapter
        connection.session.mount("https://", adapter)
        connection.session.mount("http://", adapter)
        url = f"{connection.protocol}://{connection.host}:{connection.port}"
        tls.settle(connection.session, url, connection.verify)  # the environment's proxies and CAs, looked up once
        return connection

    return connect


def fetch(
    requester: Requester,
    verb: str,
    path: str,
    where: str,
    retrying: Retrying,
    *,
    parameters: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    body: Any = None,
    gate: AbstractContextManager[object] | None = None,
) -> Reply:
    """One request, attempted until it answers or fails for good; every failure is a SyncerError naming `where`.

    Each attempt holds `gate` (a lock or a semaphore) while it runs, never while waiting to retry. A token
    minted for the request (App auth) is minted inside the attempt, so this loop retries the mint too.
    """

    def attempt() -> Reply:
        with gate or nullcontext():
            try:  # a fresh dict per attempt: PyGithub writes the Authorization header into the one it is given
                asked = dict(headers) if headers else None
                return request_json(requester, verb, path, parameters=parameters, headers=asked, body=body)
            except (GithubException, requests.RequestException) as exc:
                raise translate(exc, where) from None
            except Stopped:
                raise
            except SyncerError as exc:  # the token this request needed could not be minted
                raise prefixed(exc, where) from None

    try:
        return retrying.call(attempt)
    except Stopped as exc:
        raise prefixed(exc, where) from None


def request_json(
    requester: Requester,
    verb: str,
    path: str,
    *,
    parameters: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    body: Any = None,
) -> Reply:
    """One attempt through PyGithub's requester (auth, GHES prefix); an error status raises, nothing is retried.

    Raises GithubException for 400 and above, UnexpectedAnswer for anything but 200 (201, 304: see
    GithubAdapter). Every answer, or its absence, is counted in syncer_http_requests_total; an answer to a
    request carrying If-None-Match also in syncer_conditional_requests_total (304: not_modified, 200: modified),
    and every answer's X-RateLimit-Remaining sets syncer_rate_limit_remaining of the host.
    """
    conditional = headers is not None and "If-None-Match" in headers
    try:
        status, answer_headers, text = requester.requestJson(
            verb, path, parameters=parameters, headers=headers, input=body
        )
    except UnexpectedAnswer as exc:
        metrics.count_http("github", exc.status)
        raise
    except SyncerError:  # raised before this request was sent (a stop, a token that could not be minted)
        raise
    except Exception:
        metrics.count_http("github", "error")
        raise
    metrics.count_http("github", status)
    metrics.observe_rate_limit("github", requester.hostname_and_port, answer_headers.get("x-ratelimit-remaining"))
    if conditional and status in (200, 304):
        metrics.count_conditional("github", not_modified=status == 304)
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
