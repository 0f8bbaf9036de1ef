"""Fake PagerDuty REST API v2: users, services and abilities behind several account tokens."""

from __future__ import annotations

import hashlib
import random
import uuid
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from syncer.simulator import seed
from syncer.simulator.ratelimit import RateWindow
from syncer.simulator.server import FakeServer
from syncer.simulator.wire import json_response, query_int, request_origin

ACCOUNT_LEVEL_ME = (
    "Because this request was made using an account-level access token, we were unable to determine the "
    "user's identity. Please use a user-level token."
)
_ERRORS = {
    400: ("Invalid Input Provided", 2001),
    401: ("Unauthorized", 2006),
    403: ("Access Denied", 2010),
    404: ("Not Found", 2100),
    429: ("Rate Limit Exceeded", 2020),
}
_COLORS = ("green", "purple", "teal", "orange", "red", "blue", "brown", "cayenne")
_SERVICES = ("Checkout API", "Payments Gateway", "Identity", "Search", "Notifications", "Data Pipeline")


_ACCOUNT_TZ = timezone(timedelta(hours=-4))


def _last_incident(service_id: str) -> str:
    """When a seeded service last had an incident: a stable moment in the 90 days before 2025-01-15.

    PagerDuty describes `last_incident_timestamp` as a date-time string (not nullable).
    """
    minutes = zlib.crc32(service_id.encode()) % (90 * 24 * 60)
    moment = datetime(2025, 1, 15, 12, 0, tzinfo=_ACCOUNT_TZ) - timedelta(minutes=minutes)
    return moment.isoformat()


class FakePagerDuty(FakeServer):
    """PagerDuty's REST API; `accounts` maps each API token to its account (subdomain, users, level)."""

    name = "pagerduty"
    rate_limit_api = "pagerduty"
    media_type = "application/json; charset=utf-8"

    def __init__(
        self, hostname: str = "api.pagerduty.com", *, port: int = 0, latency: float = 0.0, seed: int = 0
    ) -> None:
        self.seed_value = seed
        self.rate_limit = 960
        self.accounts: dict[str, dict[str, Any]] = {}
        self._windows: dict[str, RateWindow] = {}
        super().__init__(hostname, port=port, latency=latency)
        self.reseed()

    def reseed(self) -> None:
        """Restore the seeded accounts: `acme` (account-level token, 40 users), `acme-eu` (user-level, 8)."""
        self.rate_limit = 960
        self.accounts.clear()
        for token, subdomain, level, count in (
            (seed.PAGERDUTY_TOKEN, "acme", "account", 40),
            (seed.PAGERDUTY_EU_TOKEN, "acme-eu", "user", 8),
        ):
            rng = random.Random(f"{self.seed_value}:pagerduty:{subdomain}")
            users = seed.pagerduty_people(rng, count, "acme.com")
            services = [{"id": seed.pagerduty_id(rng), "name": name} for name in _SERVICES[: 3 + count % 4]]
            self.accounts[token] = {"subdomain": subdomain, "level": level, "users": users, "services": services}
        self._windows.clear()

    # -- HTTP plumbing ----------------------------------------------------------------------------

    def _error(self, status: int, message: str | None = None, errors: list[str] | None = None) -> Response:
        default, code = _ERRORS.get(status, ("Internal Server Error" if status >= 500 else "Error", 2000))
        body: dict[str, Any] = {"message": message or default, "code": code}
        if errors:
            body["errors"] = errors
        return json_response({"error": body}, status, media_type=self.media_type)

    def error_response(self, request: Request, status: int, message: str | None = None) -> Response:
        """PagerDuty's `{"error": {"message", "code"}}` body."""
        return self._error(status, message)

    @staticmethod
    def _token(request: Request) -> str | None:
        header = request.headers.get("authorization", "").strip()
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "token" and value.strip().startswith("token="):
            return value.strip()[len("token=") :]
        if scheme.lower() == "bearer":
            return value.strip()
        return None

    def _window(self, token: str) -> RateWindow:
        window = self._windows.get(token)
        if window is None:
            window = self._windows[token] = RateWindow(self.rate_limit, 60)
        window.limit = self.rate_limit
        return window

    def rate_window(self, token: str) -> RateWindow:
        """The per-token request budget (960 per minute by default)."""
        return self._window(token)

    async def before_request(self, request: Request, path: str) -> Response | None:
        """Token check, then the per-token rate limit."""
        token = self._token(request)
        if token is None or token not in self.accounts:
            return self._error(401)
        window = self._window(token)
        request.state.token, request.state.window = token, window
        if not window.consume():
            response = self._error(429)
            response.headers["retry-after"] = str(window.reset_in)
            return response
        return None

    def common_headers(self, request: Request) -> dict[str, str]:
        """The `ratelimit-*` headers and a request id."""
        headers = {"x-request-id": uuid.uuid4().hex}
        window: RateWindow | None = getattr(request.state, "window", None)
        if window is not None:
            headers.update(
                {
                    "ratelimit-limit": str(window.limit),
                    "ratelimit-remaining": str(window.remaining),
                    "ratelimit-reset": str(window.reset_in),
                }
            )
        return headers

    # -- JSON shapes ------------------------------------------------------------------------------

    def _account(self, request: Request) -> dict[str, Any]:
        account: dict[str, Any] = self.accounts[request.state.token]
        return account

    def _user_json(self, user: dict[str, Any], account: dict[str, Any], api: str) -> dict[str, Any]:
        uid = user["id"]
        web = f"https://{account['subdomain']}.pagerduty.com"
        digest = hashlib.md5(str(user["email"]).encode(), usedforsecurity=False).hexdigest()
        return {
            "name": user["name"],
            "email": user["email"],
            "time_zone": user.get("time_zone", "Etc/UTC"),
            "color": _COLORS[int(digest[:2], 16) % len(_COLORS)],
            "avatar_url": f"https://secure.gravatar.com/avatar/{digest}.png?d=mm&r=PG",
            "description": None,
            "invitation_sent": False,
            "job_title": user.get("job_title", "Engineer"),
            "created_via_sso": False,
            "role": user.get("role", "user"),
            "teams": [],
            "contact_methods": [
                {
                    "id": f"PC{uid[1:]}",
                    "type": "email_contact_method_reference",
                    "summary": "Default",
                    "self": f"{api}/users/{uid}/contact_methods/PC{uid[1:]}",
                    "html_url": None,
                }
            ],
            "notification_rules": [
                {
                    "id": f"PN{uid[1:]}",
                    "type": "assignment_notification_rule_reference",
                    "summary": "0 minutes: channel PC",
                    "self": f"{api}/users/{uid}/notification_rules/PN{uid[1:]}",
                    "html_url": None,
                }
            ],
            "id": uid,
            "type": "user",
            "summary": user["name"],
            "self": f"{api}/users/{uid}",
            "html_url": f"{web}/users/{uid}",
        }

    def _service_json(self, service: dict[str, Any], account: dict[str, Any], api: str) -> dict[str, Any]:
        sid = service["id"]
        web = f"https://{account['subdomain']}.pagerduty.com"
        return {
            "id": sid,
            "type": "service",
            "summary": service["name"],
            "self": f"{api}/services/{sid}",
            "html_url": f"{web}/service-directory/{sid}",
            "name": service["name"],
            "description": f"{service['name']} production service",
            "auto_resolve_timeout": 14400,
            "acknowledgement_timeout": 600,
            "created_at": "2023-06-01T10:00:00-04:00",
            "status": "active",
            "alert_creation": "create_alerts_and_incidents",
            "escalation_policy": {
                "id": "PT20YPA",
                "type": "escalation_policy_reference",
                "summary": "Default",
                "self": f"{api}/escalation_policies/PT20YPA",
                "html_url": f"{web}/escalation_policies/PT20YPA",
            },
            "teams": [],
            "integrations": [],
            "incident_urgency_rule": {"type": "constant", "urgency": "high"},
            "last_incident_timestamp": service.get("last_incident_timestamp") or _last_incident(sid),
        }

    # -- routes -----------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        """PagerDuty REST routes served by the fake."""
        return [
            Route("/users", self._users, methods=["GET"]),
            Route("/users/me", self._me, methods=["GET"]),
            Route("/users/{user_id}", self._user, methods=["GET"]),
            Route("/services", self._services, methods=["GET"]),
            Route("/abilities", self._abilities, methods=["GET"]),
        ]

    def _paginate(
        self, request: Request, key: str, items: list[dict[str, Any]], render: Callable[[dict[str, Any]], Any]
    ) -> Response:
        limit = query_int(request, "limit", 25)
        offset = query_int(request, "offset", 0)
        if offset < 0 or limit < 0:
            return self._error(400, errors=["Offset and limit must be non-negative integers."])
        limit = min(limit or 25, 100)
        page = items[offset : offset + limit]
        want_total = request.query_params.get("total", "false").lower() == "true"
        body = {
            key: [render(item) for item in page],
            "limit": limit,
            "offset": offset,
            "more": offset + len(page) < len(items),
            "total": len(items) if want_total else None,
        }
        return json_response(body, media_type=self.media_type)

    async def _users(self, request: Request) -> Response:
        account, api = self._account(request), request_origin(request)
        users = list(account["users"])
        text = request.query_params.get("query", "").casefold()
        if text:
            users = [u for u in users if text in str(u["name"]).casefold() or text in str(u["email"]).casefold()]
        return self._paginate(request, "users", users, lambda u: self._user_json(u, account, api))

    async def _me(self, request: Request) -> Response:
        account = self._account(request)
        if account.get("level") != "user" or not account["users"]:
            return json_response({"error": ACCOUNT_LEVEL_ME}, 400, media_type=self.media_type)
        body = {"user": self._user_json(account["users"][0], account, request_origin(request))}
        return json_response(body, media_type=self.media_type)

    async def _user(self, request: Request) -> Response:
        account = self._account(request)
        user = next((u for u in account["users"] if u["id"] == request.path_params["user_id"]), None)
        if user is None:
            return self._error(404)
        return json_response(
            {"user": self._user_json(user, account, request_origin(request))}, media_type=self.media_type
        )

    async def _services(self, request: Request) -> Response:
        account, api = self._account(request), request_origin(request)
        services = sorted(account["services"], key=lambda s: str(s["name"]))
        return self._paginate(request, "services", services, lambda s: self._service_json(s, account, api))

    async def _abilities(self, request: Request) -> Response:
        body = {"abilities": ["teams", "read_only_users", "service_support_hours", "urgencies", "sso"]}
        return json_response(body, media_type=self.media_type)
