"""Fake Datadog API: IDP entity-integration configs (GET/PUT/DELETE), key checks and rate limits."""

from __future__ import annotations

import copy
import json
import secrets
import time
from http import HTTPStatus
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from syncer.simulator import seed
from syncer.simulator.datadog_events import validate_event
from syncer.simulator.datadog_validation import LIST_KEYS, bad_request, validate_request
from syncer.simulator.ratelimit import RateWindow
from syncer.simulator.server import FakeServer
from syncer.simulator.wire import json_response

RESPONSE_TYPE = "entity_integration_configs"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid() -> str:
    """A 26-character ULID (48-bit millisecond time, 80 random bits, Crockford base32)."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


class FakeDatadog(FakeServer):
    """Datadog's entity-integration endpoints; `store` holds the config per integration id."""

    name = "datadog"
    rate_limit_api = "datadog"
    media_type = "application/json"

    def __init__(self, hostname: str = "api.datadoghq.com", *, port: int = 0, latency: float = 0.0) -> None:
        self.api_key = seed.DATADOG_API_KEY
        self.app_key = seed.DATADOG_APP_KEY
        self.org_id = 1234
        self.rate_limit = 1000
        self.rate_period = 60
        self.rate_limit_name = "idp_entity_integrations"
        self.store: dict[str, dict[str, Any]] = {}
        self.put_bodies: list[Any] = []
        self.events: list[dict[str, Any]] = []  # the Events API v2 bodies accepted, in order
        self.event_bodies: list[Any] = []  # every body POSTed to /api/v2/events, accepted or not
        self._ids: dict[str, str] = {}
        self._window = RateWindow(self.rate_limit, self.rate_period)
        super().__init__(hostname, port=port, latency=latency)
        self.reseed()

    def reseed(self) -> None:
        """Empty store, no recorded PUTs, default keys and limits, and a full rate-limit window."""
        self.rate_limit, self.rate_period = 1000, 60
        self.api_key = seed.DATADOG_API_KEY
        self.app_key = seed.DATADOG_APP_KEY
        self.store.clear()
        self.put_bodies.clear()
        self.events.clear()
        self.event_bodies.clear()
        self._ids.clear()
        self._window.limit, self._window.period = self.rate_limit, self.rate_period
        self._window.reset()

    def seed(self, integration: str, config: dict[str, Any]) -> None:
        """Store a config as if it had been PUT earlier (no validation, not counted as a PUT)."""
        self.store[integration] = copy.deepcopy(config)
        self._ids.setdefault(integration, ulid())

    @property
    def window(self) -> RateWindow:
        """The request budget shared by every endpoint."""
        return self._window

    def document(self, integration: str) -> dict[str, Any]:
        """The stored config as Datadog answers it; it holds the stored objects themselves (serialize, never change
        it): copying 20,000 entries on every answer would be the fake's own cost in every benchmark."""
        return {
            "data": {
                "id": self._ids.setdefault(integration, ulid()),
                "type": RESPONSE_TYPE,
                "attributes": {
                    "config": self.store[integration],
                    "integration_id": integration,
                    "org_id": self.org_id,
                },
            }
        }

    # -- HTTP plumbing ----------------------------------------------------------------------------

    def error_response(self, request: Request, status: int, message: str | None = None) -> Response:
        """Datadog's `{"errors": ["..."]}` body."""
        default = {404: "Not found", 429: "Too many requests"}.get(status) or HTTPStatus(status).phrase
        return json_response({"errors": [message or default]}, status)

    async def before_request(self, request: Request, path: str) -> Response | None:
        """API key (and application key except on /api/v1/validate), then the rate limit."""
        if request.headers.get("dd-api-key") != self.api_key:
            return self.error_response(request, 403, "Forbidden")
        if path != "/api/v1/validate":
            app_key = request.headers.get("dd-application-key")
            if app_key is None:
                return self.error_response(request, 401, "Unauthorized")
            if app_key != self.app_key:
                return self.error_response(request, 403, "Forbidden")
        self._window.limit, self._window.period = self.rate_limit, self.rate_period
        if not self._window.consume():
            return self.error_response(request, 429)
        return None

    def common_headers(self, request: Request) -> dict[str, str]:
        """The `X-RateLimit-*` headers (Reset is seconds until the window ends)."""
        return {
            "x-ratelimit-limit": str(self._window.limit),
            "x-ratelimit-period": str(int(self._window.period)),
            "x-ratelimit-remaining": str(self._window.remaining),
            "x-ratelimit-reset": str(self._window.reset_in),
            "x-ratelimit-name": self.rate_limit_name,
            "x-content-type-options": "nosniff",
        }

    # -- routes -----------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        """Datadog routes served by the fake."""
        return [
            Route("/api/v2/validate_keys", self._validate_keys, methods=["GET"]),
            Route("/api/v1/validate", self._validate_api_key, methods=["GET"]),
            Route(
                "/api/v2/idp/entity_integrations/{integration_id}",
                self._entity_integration,
                methods=["GET", "PUT", "DELETE"],
            ),
            Route("/api/v2/events", self._event, methods=["POST"]),
        ]

    async def _validate_keys(self, request: Request) -> Response:
        return json_response({"status": "ok"})

    async def _validate_api_key(self, request: Request) -> Response:
        return json_response({"valid": True})

    def _not_stored(self, integration: str) -> Response:
        detail = f'no entity integration config found for integration "{integration}"'
        return json_response({"errors": [{"status": "404", "title": "Not Found", "detail": detail}]}, 404)

    async def _entity_integration(self, request: Request) -> Response:
        integration = str(request.path_params["integration_id"])
        if integration not in LIST_KEYS:
            error = bad_request(f'invalid integration_id "{integration}": supported values are github, jira, pagerduty')
            error["source"] = {"parameter": "integration_id"}
            return json_response({"errors": [error]}, 400)
        if request.method == "GET":
            if integration not in self.store:
                return self._not_stored(integration)
            return json_response(self.document(integration))
        if request.method == "DELETE":
            if integration not in self.store:
                return self._not_stored(integration)
            del self.store[integration]
            self._ids.pop(integration, None)
            return Response(status_code=204)
        return await self._put(request, integration)

    async def _put(self, request: Request, integration: str) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in ("application/json", "application/vnd.api+json"):
            error = {
                "status": "415",
                "title": "Unsupported Media Type",
                "detail": "Content-Type must be application/json",
            }
            return json_response({"errors": [error]}, 415)
        raw = await request.body()
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            return json_response({"errors": [bad_request(f"invalid JSON body: {exc}")]}, 400)
        self.put_bodies.append(body)
        errors = validate_request(integration, body)
        if errors:
            return json_response({"errors": errors}, 400)
        self.store[integration] = json.loads(raw)["data"]["attributes"]["config"]  # its own objects, not put_bodies'
        return json_response(self.document(integration))

    async def _event(self, request: Request) -> Response:
        """Events API v2: a valid body is kept in `events` and answered 202 with its id, as Datadog's intake does."""
        raw = await request.body()
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            return json_response({"errors": [bad_request(f"invalid JSON body: {exc}")]}, 400)
        self.event_bodies.append(body)
        errors = validate_event(body)
        if errors:
            return json_response({"errors": errors}, 400)
        self.events.append(body)
        uid = ulid()
        answer = {
            "data": {"type": "event", "attributes": {"attributes": {"evt": {"id": uid, "uid": f"AZ{uid}"}}}},
            "links": {"self": f"https://app.datadoghq.com/event/event?uid=AZ{uid}"},
        }
        return json_response(answer, 202)
