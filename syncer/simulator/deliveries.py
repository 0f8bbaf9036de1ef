"""Signed webhook deliveries from the fakes: the signature, the configured hook, the POST and the log of sent ones.

A fake with a hook (`FakeGitHub.hook`, `FakeJira.hook`) POSTs a delivery for each change of its world, at once
and synchronously: the change returns after the receiver answered (or the hook's timeout passed). Every attempt
is kept in the fake's `deliveries`, with the status the receiver answered (0 when it never did) and the seconds
it took, so tests and benchmarks can assert on them. Like GitHub, the fakes never retry a failed delivery;
`redeliver` sends one again by hand, with the same id and body.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import ssl
import threading
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx

from syncer.simulator.wire import dumps

DEFAULT_TIMEOUT = 5.0


def sign(secret: bytes, body: bytes) -> str:
    """`sha256=` and the hex HMAC-SHA256 of `body` keyed with `secret` (GitHub's X-Hub-Signature-256, Jira's
    X-Hub-Signature).

    GitHub's test vector: secret `It's a Secret to Everybody`, body `Hello, World!` gives
    `sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17`.
    """
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def sign_sha1(secret: bytes, body: bytes) -> str:
    """`sha1=` and the hex HMAC-SHA1 of `body` (GitHub's legacy X-Hub-Signature header)."""
    return "sha1=" + hmac.new(secret, body, hashlib.sha1).hexdigest()


def encode(payload: Any) -> bytes:
    """The raw body of a delivery: bytes and text as given (to send broken bodies), anything else as JSON."""
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode()
    return dumps(payload)


@dataclass(frozen=True)
class Hook:
    """Where a fake POSTs its deliveries and the secret it signs them with (None: unsigned, as when none is set).

    `verify=False` accepts any TLS certificate (GitHub's `insecure_ssl`). GitHub hooks also have an `id`, the
    `orgs` they cover (casefolded; None: every org of the host) and a `target` (`organization`, or `integration`
    for a GitHub App's webhook).
    """

    url: str
    secret: str | None = None
    id: int = 0
    timeout: float = DEFAULT_TIMEOUT
    verify: bool = True
    orgs: frozenset[str] | None = None
    target: str = "organization"

    def covers(self, org: str) -> bool:
        """Whether deliveries about `org` go to this hook."""
        return self.orgs is None or org.casefold() in self.orgs


@dataclass(frozen=True)
class Delivery:
    """One delivery attempt: what was sent, and how the receiver answered.

    `status` is the receiver's HTTP status, 0 when no answer came (refused, timed out: see `error`);
    `seconds` is the time from sending to the end of the answer.
    """

    id: str
    event: str
    action: str | None
    url: str
    headers: dict[str, str]
    body: bytes
    status: int
    seconds: float
    error: str | None = None
    answer: bytes = b""

    @property
    def payload(self) -> Any:
        """The body decoded from JSON."""
        return json.loads(self.body)

    @property
    def ok(self) -> bool:
        """Whether the receiver answered 2xx (what GitHub shows as a successful delivery)."""
        return 200 <= self.status < 300


@cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context for every delivery (building one per request costs milliseconds)."""
    return httpx.create_ssl_context()


class Outbox:
    """A fake's hook, its delivery log and the POST itself (thread-safe: changes may come from any thread)."""

    def __init__(self) -> None:
        self._hook: Hook | None = None
        self._sent: list[Delivery] = []
        self._lock = threading.Lock()

    @property
    def hook(self) -> Hook | None:
        """The configured hook, or None."""
        return self._hook

    def configure(self, hook: Hook | None) -> None:
        """Set (or with None, remove) the hook; the log of sent deliveries stays."""
        self._hook = hook

    def require(self) -> Hook:
        """The configured hook; RuntimeError when there is none (a delivery sent by hand needs one)."""
        hook = self._hook
        if hook is None:
            raise RuntimeError("no webhook configured: call hook(url, secret) first")
        return hook

    def clear(self) -> None:
        """Remove the hook and forget every delivery."""
        with self._lock:
            self._hook = None
            self._sent.clear()

    @property
    def deliveries(self) -> list[Delivery]:
        """Every delivery attempted so far, in order."""
        with self._lock:
            return list(self._sent)

    def post(
        self, hook: Hook, delivery_id: str, event: str, action: str | None, headers: dict[str, str], body: bytes
    ) -> Delivery:
        """POST `body` with `headers` to the hook's URL, wait for the answer and log the attempt."""
        started = time.perf_counter()
        status, error, answer = 0, None, b""
        try:
            with httpx.Client(
                timeout=hook.timeout, verify=_tls_context() if hook.verify else False, trust_env=False
            ) as client:
                response = client.post(hook.url, content=body, headers=headers)
            status, answer = response.status_code, response.content
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        delivery = Delivery(
            delivery_id,
            event,
            action,
            hook.url,
            dict(headers),
            body,
            status,
            time.perf_counter() - started,
            error,
            answer,
        )
        with self._lock:
            self._sent.append(delivery)
        return delivery

    def redeliver(self, delivery: Delivery) -> Delivery:
        """Send a logged delivery again to the current hook: same id, headers and body (a redelivery)."""
        return self.post(self.require(), delivery.id, delivery.event, delivery.action, delivery.headers, delivery.body)
