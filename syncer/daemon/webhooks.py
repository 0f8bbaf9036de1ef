"""The webhook receivers `POST /webhooks/github` and `POST /webhooks/jira` (SPEC §5, §9).

Each answer comes at once: a delivery is checked (secret configured, size, signature, delivery id not seen
before), its scope read from the payload (payload.py) and handed to the Coalescer, which starts the targeted run
on its own thread. Nothing from the body is trusted before its HMAC-SHA256 signature matched, compared in
constant time; an id is remembered only once its delivery was verified.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from syncer import metrics, scopes
from syncer.config.schema import Config, WebhookSecret
from syncer.daemon.payload import Delivery, Invalid, github_delivery, jira_delivery
from syncer.daemon.runs import Closed
from syncer.model import Integration, Scope

log = logging.getLogger("syncer")
MAX_BODY = 5 * 1024 * 1024
READ_SECONDS = 10.0  # a body still arriving after this is refused (408)
READING_AT_ONCE = 8  # bodies read at once, before any is verified (8 x 5 MB at most); past it: 503
Submit = Callable[[Integration, Scope, str], str]


class Deliveries(Protocol):
    """Where the delivery ids seen are remembered, per source: the daemon's state store (in memory without
    `state.path`; with it, across restarts)."""

    def first_delivery(self, source: str, delivery: str) -> bool:
        """Remember `delivery`; False when it was seen before."""

    def forget_delivery(self, source: str, delivery: str) -> None:
        """Take `delivery` back (it was refused: the sender may retry it)."""


def signature(secret: bytes, body: bytes) -> str:
    """`sha256=` + the hex HMAC-SHA256 of `body`: what GitHub sends as X-Hub-Signature-256 (Jira: X-Hub-Signature)."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verified(secret: bytes, body: bytes, given: str | None) -> bool:
    """True when `given` is the signature of `body` (constant-time compare)."""
    return given is not None and hmac.compare_digest(signature(secret, body).encode(), given.strip().encode())


@dataclass(frozen=True)
class _Kind:
    source: str  # the metric's `source` label and the route's name
    integration: Integration
    signature_header: str
    delivery_header: str
    parse: Callable[[Request, object], Delivery]
    secret: Callable[[Config], WebhookSecret]


GITHUB = _Kind(
    "github",
    Integration.GITHUB,
    "x-hub-signature-256",
    "x-github-delivery",
    github_delivery,
    lambda config: config.webhooks.github,
)
JIRA = _Kind(
    "jira",
    Integration.JIRA,
    "x-hub-signature",
    "x-atlassian-webhook-identifier",
    jira_delivery,
    lambda config: config.webhooks.jira,
)


class Receivers:
    """The two webhook routes over the daemon's current configuration and its Coalescer."""

    def __init__(self, config: Callable[[], Config], submit: Submit, deliveries: Deliveries) -> None:
        self._config = config
        self._submit = submit
        self._deliveries = deliveries
        self._reading = 0  # bodies being read now (every handler runs on the server's one event loop)

    async def github(self, request: Request) -> Response:
        """POST /webhooks/github."""
        return await self._receive(GITHUB, request)

    async def jira(self, request: Request) -> Response:
        """POST /webhooks/jira."""
        return await self._receive(JIRA, request)

    async def _receive(self, kind: _Kind, request: Request) -> Response:
        config = self._config()
        secret = kind.secret(config).secret
        if secret is None:
            return _answer(kind, "unauthorized", 403, f"no {kind.source} webhook secret is configured (webhooks)")
        if self._reading >= READING_AT_ONCE:  # unsigned bodies must not exhaust memory before they are verified
            return _answer(kind, "ignored", 503, f"{READING_AT_ONCE} deliveries are being read; retry", retry=True)
        self._reading += 1
        try:
            body = await _body(request)
        finally:
            self._reading -= 1
        if isinstance(body, int):
            return _answer(kind, "invalid", body, "body over 5 MB" if body == 413 else "body not received in time")
        if not verified(secret.get_secret_value().encode(), body, request.headers.get(kind.signature_header)):
            missing = kind.signature_header not in request.headers
            return _answer(kind, "unauthorized", 401, f"{'missing' if missing else 'wrong'} {kind.signature_header}")
        delivery_id = request.headers.get(kind.delivery_header) or "sha256:" + hashlib.sha256(body).hexdigest()[:32]
        try:
            payload: object = orjson.loads(body)
            delivery = kind.parse(request, payload)
        except (orjson.JSONDecodeError, Invalid) as exc:
            reason = "the body is not JSON" if isinstance(exc, orjson.JSONDecodeError) else str(exc)
            return _answer(kind, "invalid", 400, reason, delivery_id)
        if not self._deliveries.first_delivery(kind.source, delivery_id):
            return _answer(kind, "duplicate", 200, "delivery seen before: no new run", delivery_id)
        if delivery.ping:
            return _answer(kind, "accepted", 200, "pong", delivery_id)
        if not delivery.hosts:
            return _answer(kind, "ignored", 204, f"event {delivery.event} does not change the list", delivery_id)
        return self._targeted(kind, config, delivery, delivery_id)

    def _targeted(self, kind: _Kind, config: Config, delivery: Delivery, delivery_id: str) -> Response:
        owned = [scope for scope in _scopes(kind, config, delivery) if scope is not None]
        if not owned:
            shown = ", ".join(delivery.labels)
            return _answer(kind, "ignored", 202, f"no configured source lists {shown}", delivery_id)
        runs = []
        try:
            for scope in dict.fromkeys(owned):
                runs.append(f"{scope.label}: {self._submit(kind.integration, scope, delivery_id)}")
        except Closed:  # not taken: the sender's retry (or a redelivery) must not be a duplicate
            self._deliveries.forget_delivery(kind.source, delivery_id)
            return _answer(kind, "ignored", 503, "shutting down: no new runs", delivery_id)
        return _answer(kind, "accepted", 202, "; ".join(runs), delivery_id, event=delivery.event)


def _scopes(kind: _Kind, config: Config, delivery: Delivery) -> list[Scope | None]:
    if kind is GITHUB:
        return [scopes.github(config, host, org) for host, org in delivery.hosts]
    return [scopes.jira(config, host) for host, _ in delivery.hosts]


async def _body(request: Request) -> bytes | int:
    """The raw body, or 413 (over MAX_BODY, told or read) / 408 (not received within READ_SECONDS)."""
    told = request.headers.get("content-length", "")
    if told.isdigit() and int(told) > MAX_BODY:
        return 413
    chunks: list[bytes] = []
    size = 0

    async def read() -> int | None:
        nonlocal size
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                return 413
            chunks.append(chunk)
        return None

    try:
        refused = await asyncio.wait_for(read(), READ_SECONDS)
    except (TimeoutError, ClientDisconnect):
        return 408
    return refused if refused is not None else b"".join(chunks)


def _answer(
    kind: _Kind,
    result: str,
    status: int,
    message: str,
    delivery: str | None = None,
    *,
    retry: bool = False,
    **more: str,
) -> Response:
    metrics.WEBHOOK_DELIVERIES.labels(source=kind.source, result=result).inc()
    level = logging.WARNING if result in ("unauthorized", "invalid") else logging.INFO
    log.log(
        level,
        "webhook %s delivery %s: %s (%d %s)",
        kind.source,
        delivery or "-",
        message,
        status,
        result,
        extra={"event": "webhook_delivery", "source": kind.source, "delivery": delivery, "result": result, **more},
    )
    if status == 204:
        return Response(status_code=204)
    headers = {"Retry-After": "1"} if retry else None
    return JSONResponse({"result": result, "delivery": delivery, "message": message, **more}, status, headers)
