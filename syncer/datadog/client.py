"""DatadogClient (httpx): read and replace entity-integration configs, check keys; retries 429/5xx, bounded.

Every answer is read piece by piece under the run's deadline and a size cap (a trickled body cannot hold a run),
and only Datadog's own answers are believed: a 404 means "nothing stored" only when its body is Datadog's JSON
`errors` document, and redirects are never followed.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

import httpx
import orjson

from syncer import metrics, retry, tls
from syncer.config.http import HttpConfig
from syncer.config.schema import DatadogConfig
from syncer.datadog import document
from syncer.deadline import Deadline
from syncer.errors import PermanentError, TransientError
from syncer.model import JSON, Current, Integration
from syncer.redact import REDACTOR, display_url, redact
from syncer.retry import RETRY_STATUSES, RetryPolicy, Sleep, parse_seconds

log = logging.getLogger(__name__)
SYSTEM = "datadog"
PATH = "/api/v2/idp/entity_integrations/{}"
USER_AGENT = "syncer (+https://github.com/syncer)"
MAX_BYTES = 64 * 1024 * 1024  # Datadog's documents are far smaller; a larger answer is not Datadog's
READ_SECONDS = 30.0
PUT_SECONDS = 60.0  # a PUT once sent is awaited to its answer (also after a stop), bounded by this


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, read whole."""

    status: int
    headers: httpx.Headers
    body: bytes

    def json(self) -> object:
        """The decoded body; ValueError when it is not JSON."""
        return json.loads(self.body.decode("utf-8"))


class DatadogClient:
    """A small Datadog API client for the IDP entity-integration endpoints."""

    def __init__(
        self,
        config: DatadogConfig,
        *,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | None = None,
        sleep: Sleep = time.sleep,
        transport: httpx.BaseTransport | None = None,
        http: HttpConfig | None = None,
    ) -> None:
        self.base_url = config.base_url
        self._host = metrics.api_host(self.base_url)
        self._read: dict[Integration, tuple[bytes, Current]] = {}  # the last answer's body and what it parsed to
        self._read_lock = threading.Lock()
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        api_key, app_key = config.api_key.get_secret_value(), config.app_key.get_secret_value()
        REDACTOR.add(api_key, app_key)
        self._timeout = timeout or httpx.Timeout(READ_SECONDS, connect=10.0)
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={
                "DD-API-KEY": api_key,
                "DD-APPLICATION-KEY": app_key,
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
            timeout=self._timeout,
            verify=tls.httpx_verify(http),  # http.ca_bundle's CAs on top of httpx's own
            transport=transport,  # None: httpx's own (no retries), which takes HTTPS_PROXY/HTTP_PROXY/NO_PROXY
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"DatadogClient(base_url={display_url(self.base_url)!r})"

    def __enter__(self) -> DatadogClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def get_config(self, integration: Integration, deadline: Deadline | None = None) -> Current:
        """The stored config; an empty, non-existing one on Datadog's own 404."""
        path = PATH.format(integration)
        answer = self._send("GET", path, ok=(200, 404), deadline=deadline)
        if answer.status == 404:
            if not _is_errors_document(answer):
                raise PermanentError(
                    f"Datadog GET {path} answered 404 with a body that is not Datadog's errors document "
                    "(a proxy or a wrong api_url?); not taking it for an empty list",
                    system=SYSTEM,
                    status=404,
                )
            return Current(integration=integration)
        return self._parsed(integration, answer)

    def put_config(
        self, integration: Integration, config: Mapping[str, JSON], deadline: Deadline | None = None
    ) -> Current | None:
        """Replace the stored config with `config`; returns what Datadog stored, None when its answer is unreadable.

        The write has succeeded once Datadog answered 2xx: an answer body syncer cannot read is logged, not a failure.
        No attempt starts once `deadline` passed or was stopped; one already sent is awaited (up to PUT_SECONDS).
        """
        body = document.request_body(config)
        answer = self._send("PUT", PATH.format(integration), ok=(200, 201, 204), body=body, deadline=deadline)
        try:
            return self._parsed(integration, answer)
        except PermanentError as exc:
            log.warning("Datadog accepted the %s list but its answer is not readable: %s", integration, exc)
            return None

    def _parsed(self, integration: Integration, answer: Answer) -> Current:
        """The list an answer holds; the same bytes as the last answer read (the re-read before a PUT, or the next
        run's read after a PUT) are not parsed again."""
        with self._read_lock:
            last = self._read.get(integration)
        if last is not None and last[0] == answer.body:
            return last[1]
        current = document.parse_response(integration, _json(answer, integration), last[1] if last else None)
        with self._read_lock:
            self._read[integration] = (answer.body, current)
        return current

    def post_event(self, url: str, event: Mapping[str, JSON], deadline: Deadline | None = None) -> None:
        """POST one Events API v2 event to `url` (the event intake, or api_url), with the same retries and bounds."""
        self._send("POST", url, ok=(200, 201, 202), body=dict(event), deadline=deadline)

    def validate_keys(self, deadline: Deadline | None = None) -> None:
        """Check the keys with GET /api/v2/validate_keys."""
        self._send("GET", "/api/v2/validate_keys", ok=(200,), deadline=deadline)

    def _send(
        self, method: str, path: str, ok: tuple[int, ...], body: JSON = None, deadline: Deadline | None = None
    ) -> Answer:
        """Send with retries on 429, 5xx and transport errors, bounded by `deadline`; PermanentError otherwise."""
        bound = deadline or Deadline.unbounded()
        return retry.call(lambda: self._once(method, path, ok, body, bound), self._retry, self._sleep, bound)

    def _once(self, method: str, path: str, ok: tuple[int, ...], body: JSON, deadline: Deadline) -> Answer:
        # a PUT under way is awaited to its answer even after a stop: its own bound, not the run's
        reading = Deadline(PUT_SECONDS) if method == "PUT" else deadline
        timeout = httpx.Timeout(
            reading.timeout(self._timeout.read or READ_SECONDS), connect=deadline.timeout(self._timeout.connect or 10.0)
        )
        try:
            content = None if body is None else orjson.dumps(body)  # a 20,000-entry list: orjson is ~10x json's speed
            headers = {"Content-Type": "application/json"} if content is not None else None
            with self._http.stream(method, path, content=content, headers=headers, timeout=timeout) as response:
                answer = Answer(response.status_code, response.headers, _read(response, reading, method, path))
        except httpx.TransportError as exc:
            metrics.count_http("datadog", "error")
            raise TransientError(f"Datadog {method} {path}: no answer ({type(exc).__name__})", system=SYSTEM) from exc
        except httpx.HTTPError as exc:  # an answer that cannot be read (a body that does not decode): none at all
            metrics.count_http("datadog", "error")
            raise TransientError(
                f"Datadog {method} {path}: the answer could not be read ({type(exc).__name__})", system=SYSTEM
            ) from exc
        metrics.count_http("datadog", answer.status)
        host = self._host if path.startswith("/") else metrics.api_host(path)  # the event intake is its own host
        metrics.observe_rate_limit("datadog", host, answer.headers.get("x-ratelimit-remaining"))
        if answer.status in ok:
            return answer
        if answer.status in RETRY_STATUSES:
            asked = parse_seconds(answer.headers.get("X-RateLimit-Reset")) if answer.status == 429 else None
            if asked is None:
                asked = parse_seconds(answer.headers.get("Retry-After"))
            raise TransientError(_error_text(method, path, answer), asked, system=SYSTEM, status=answer.status)
        raise _error(method, path, answer)


def _read(response: httpx.Response, deadline: Deadline, method: str, path: str) -> bytes:
    """The whole body, piece by piece; a body still arriving at the deadline, or too large, is no answer."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_BYTES:
            raise PermanentError(
                f"Datadog {method} {path}: the answer is larger than {MAX_BYTES // 2**20} MB", system=SYSTEM
            )
        if deadline.expired:
            raise httpx.ReadTimeout(f"answer still arriving at the deadline ({size} bytes)")
        chunks.append(chunk)
    return b"".join(chunks)


def _is_errors_document(answer: Answer) -> bool:
    """True when the body is Datadog's JSON error document: an object with an `errors` list."""
    try:
        body = answer.json()
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("errors"), list)


def _json(answer: Answer, integration: Integration) -> JSON:
    try:
        parsed: JSON = json.loads(answer.body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise PermanentError(
            f"Datadog {integration}: answer {answer.status} is not valid JSON", system=SYSTEM, status=answer.status
        ) from exc
    return parsed


def _error_text(method: str, path: str, answer: Answer) -> str:
    return f"Datadog {method} {path} answered {answer.status}: {describe_errors(answer)}"


def _error(method: str, path: str, answer: Answer) -> PermanentError:
    """A PermanentError carrying Datadog's own error text."""
    hint = ""
    if answer.status in (401, 403):
        hint = " (check DD_API_KEY / DD_APP_KEY, the site, and the app key's permissions)"
    elif 300 <= answer.status < 400:
        location = display_url(answer.headers.get("location", ""))
        hint = f" (a redirect{f' to {location}' if location else ''}; not followed: check datadog.site / api_url)"
    return PermanentError(redact(f"{_error_text(method, path, answer)}{hint}"), system=SYSTEM, status=answer.status)


def describe_errors(answer: Answer) -> str:
    """Datadog's `errors` items (strings or objects) as one line, at most 300 characters, secrets masked."""
    try:
        body = answer.json()
    except (ValueError, UnicodeDecodeError):
        text = answer.body[:600].decode("utf-8", "replace").strip()
        return redact(text)[:300] or httpx.codes.get_reason_phrase(answer.status)
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors:
        return redact(json.dumps(body))[:300]
    parts = []
    for item in errors:
        if isinstance(item, dict):
            text = ": ".join(str(item[k]) for k in ("title", "detail") if item.get(k))
            pointer = item.get("source", {}).get("pointer") if isinstance(item.get("source"), dict) else None
            parts.append(f"{text or json.dumps(item)}{f' (at {pointer})' if pointer else ''}")
        else:
            parts.append(str(item))
    return redact("; ".join(parts))[:300]
