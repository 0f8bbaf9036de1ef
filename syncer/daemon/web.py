"""The daemon's HTTP interface (SPEC §5): /healthz, /readyz, /status, /metrics, POST /sync and the webhooks.

Every JSON body goes through the redactor as a whole value before it is serialised (`_Json`): an error text that
echoes a credential, or a URL with userinfo, is never answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prometheus_client.exposition import choose_encoder
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syncer import report
from syncer.daemon.registry import Registry
from syncer.daemon.runs import Abandoned, Batch, Busy, Closed, Finished, Running
from syncer.daemon.webhooks import Receivers
from syncer.metrics import REGISTRY
from syncer.model import JSON, Integration, RunReport
from syncer.redact import redact_value

log = logging.getLogger("syncer")
TRUE, FALSE = ("1", "true", "yes"), ("", "0", "false", "no")


@dataclass(frozen=True)
class Control:
    """What the HTTP interface reads from, and asks of, the daemon."""

    registry: Registry
    schedules: Mapping[Integration, str]
    next_run: Callable[[Integration], datetime | None]
    alive: Callable[[], bool]
    ready: Callable[[], bool]
    checks: Callable[[], Mapping[str, str]]
    token: str | None = field(repr=False)
    config: Callable[[], Mapping[str, JSON]] = field(default=dict, repr=False)
    journal: Callable[[], list[JSON]] = field(default=list, repr=False)  # the last applied writes, newest first
    receivers: Receivers | None = field(default=None, repr=False)  # POST /webhooks/github and /webhooks/jira
    queued: Callable[[], Mapping[str, list[str]]] = field(default=dict, repr=False)  # scopes waiting for a run


class _Json(JSONResponse):
    """A JSON answer whose every string (keys included) went through the redactor."""

    def render(self, content: Any) -> bytes:
        return super().render(redact_value(content))


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def create_app(control: Control) -> Starlette:
    """The Starlette application of the daemon."""
    routes = _Routes(control)
    served = [
        Route("/healthz", routes.healthz, methods=["GET"]),
        Route("/readyz", routes.readyz, methods=["GET"]),
        Route("/status", routes.status, methods=["GET"]),
        Route("/metrics", routes.metrics, methods=["GET"]),
        Route("/sync", routes.sync, methods=["POST"]),
    ]
    if control.receivers is not None:
        served.append(Route("/webhooks/github", control.receivers.github, methods=["POST"]))
        served.append(Route("/webhooks/jira", control.receivers.jira, methods=["POST"]))
    return Starlette(routes=served)


class _Routes:
    def __init__(self, control: Control) -> None:
        self.control = control

    async def healthz(self, request: Request) -> Response:
        alive = self.control.alive()
        return _Json({"status": "ok" if alive else "scheduler stopped"}, 200 if alive else 503)

    async def readyz(self, request: Request) -> Response:
        ready = self.control.ready()
        body: dict[str, JSON] = {"ready": ready, "checks": dict(self.control.checks())}
        return _Json(body, 200 if ready else 503)

    async def status(self, request: Request) -> Response:
        registry = self.control.registry
        running, last = registry.running(), registry.last()
        body: dict[str, JSON] = {
            "ready": self.control.ready(),
            "config": dict(self.control.config()),
            "abandoned_runs": [_abandoned(a) for a in registry.abandoned()],
            "journal": self.control.journal(),
            "queued": {name: list(labels) for name, labels in self.control.queued().items()},
            "integrations": {
                str(i): {
                    "schedule": self.control.schedules.get(i),
                    "next_run": _iso(self.control.next_run(i)),
                    "running": _running(running.get(i)),
                    "last_run": _finished(last.get(i)),
                }
                for i in registry.integrations
            },
        }
        return _Json(body)

    async def metrics(self, request: Request) -> Response:
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encoder(REGISTRY), headers={"Content-Type": content_type})

    async def sync(self, request: Request) -> Response:
        refused = self._authorize(request)
        if refused is not None:
            return refused
        try:
            chosen = self._select(request.query_params.get("integration"))
            wait = _flag("wait", request.query_params.get("wait"))
        except _BadRequest as exc:
            return _error(exc.status, str(exc))
        try:
            batch = self.control.registry.start(chosen, trigger="http")
        except Busy as exc:
            return _error(409, str(exc), running=[str(i) for i in exc.integrations])
        except Closed as exc:
            return _error(503, str(exc))
        names: list[JSON] = [str(i) for i in batch.integrations]
        if not wait:
            return _Json({"run_id": batch.run_id, "integrations": names}, 202)
        await _until_done(batch)
        return _Json(report.as_json(RunReport(batch.reports, run_id=batch.run_id)))

    def _authorize(self, request: Request) -> Response | None:
        token = self.control.token
        if not token:
            return _error(403, "manual trigger disabled: SYNCER_TRIGGER_TOKEN is not set")
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return _unauthorized(request, "missing bearer token", 'Bearer realm="syncer"')
        if not hmac.compare_digest(given.strip().encode(), token.encode()):
            return _unauthorized(request, "wrong bearer token", 'Bearer realm="syncer", error="invalid_token"')
        return None

    def _select(self, text: str | None) -> list[Integration]:
        configured = self.control.registry.integrations
        if text is None:
            return list(configured)
        chosen = []
        for name in (part.strip().lower() for part in text.split(",")):
            try:
                integration = Integration(name)
            except ValueError:
                raise _BadRequest(400, f"unknown integration {name!r} (use github, jira, pagerduty)") from None
            if integration not in configured:
                raise _BadRequest(404, f"integration {name} is not configured")
            chosen.append(integration)
        return chosen


def _flag(name: str, value: str | None) -> bool:
    text = (value or "").strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise _BadRequest(400, f"{name}: expected true or false, got {value!r}")


async def _until_done(batch: Batch) -> None:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def resolve() -> None:
        if not done.done():
            done.set_result(None)

    def wake() -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
            loop.call_soon_threadsafe(resolve)

    batch.on_done(wake)
    await done


def _error(status: int, message: str, headers: Mapping[str, str] | None = None, **more: JSON) -> JSONResponse:
    return _Json({"error": message, **more}, status, headers=dict(headers or {}))


def _unauthorized(request: Request, message: str, challenge: str) -> Response:
    client = request.client.host if request.client else "unknown"
    log.warning("POST /sync refused: %s", message, extra={"event": "trigger_refused", "client": client})
    return _error(401, message, {"WWW-Authenticate": challenge})


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _running(run: Running | None) -> JSON:
    if run is None:
        return None
    return {
        "run_id": run.run_id,
        "trigger": run.trigger,
        "targeted": [scope.label for scope in run.targeted] or None,
        "started_at": run.started_at.isoformat(),
        "timeout_at": _iso(run.timeout_at),
        "overdue": run.overdue(datetime.now(UTC)),
    }


def _abandoned(run: Abandoned) -> JSON:
    return {
        "integration": str(run.integration),
        "run_id": run.run_id,
        "started_at": run.started_at.isoformat(),
        "abandoned_at": run.abandoned_at.isoformat(),
    }


def _finished(run: Finished | None) -> JSON:
    """The last run as the one report object (the same keys as `sync --output json`)."""
    return None if run is None else report.integration(run.report)
