"""Fake Jira REST API v2: Cloud (basic auth, /project/search) or Data Center (bearer PATs).

Its projects, the changes made to them while it runs and their webhook deliveries are in jira_world.py.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import random
import uuid
from http import HTTPStatus
from typing import Any, NamedTuple

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from syncer.simulator import seed
from syncer.simulator.deliveries import Outbox
from syncer.simulator.jira_model import project_json, server_info, user_json
from syncer.simulator.jira_world import JiraWorld
from syncer.simulator.server import FakeServer
from syncer.simulator.wire import json_response, query_int, query_items, query_list, request_origin, with_params

_STATUSES = ("live", "archived", "deleted")


class JiraUser(NamedTuple):
    """Who a request authenticated as; `name` is empty for anonymous requests."""

    name: str


class FakeJira(JiraWorld, FakeServer):
    """One Jira site: `deployment="Cloud"` (acme.atlassian.net) or `"Server"` (Data Center)."""

    name = "jira"
    rate_limit_api = "jira"
    media_type = "application/json;charset=UTF-8"

    def __init__(
        self,
        hostname: str = "acme.atlassian.net",
        *,
        deployment: str = "Cloud",
        port: int = 0,
        latency: float = 0.0,
        seed: int = 0,
    ) -> None:
        if deployment not in ("Cloud", "Server"):
            raise ValueError("deployment must be 'Cloud' or 'Server'")
        self.deployment = deployment
        self.cloud = deployment == "Cloud"
        self.seed_value = seed
        self.max_results_cap = 50
        self.omit_is_last = False
        self.claimed_total: int | None = None
        self.endless = False
        self.users: dict[str, str] = {}
        self.tokens: set[str] = set()
        self.projects: list[dict[str, Any]] = []
        self.outbox = Outbox()
        self._request_ids = itertools.count(1)
        super().__init__(hostname, port=port, latency=latency)
        self.reseed()

    def reseed(self) -> None:
        """Restore seeded projects, credentials, the page-size cap and honest paging; remove the hook."""
        self.max_results_cap = 50
        self.omit_is_last = False  # project/search pages without isLast (and without nextPage)
        self.claimed_total = None  # a `total` other than the real count (e.g. one too small)
        self.endless = False  # project/search invents projects past the real ones: the pages never end
        rng = random.Random(f"{self.seed_value}:{self.hostname}")
        self.projects[:] = seed.jira_projects(rng, 120 if self.cloud else 30, deleted=3 if self.cloud else 0)
        self.users.clear()
        self.tokens.clear()
        if self.cloud:
            self.users[seed.JIRA_EMAIL] = seed.JIRA_API_TOKEN
        else:
            self.tokens.add(seed.JIRA_DC_TOKEN)
            self.users["syncer"] = "syncer-password"
        self.outbox.clear()

    # -- HTTP plumbing ----------------------------------------------------------------------------

    def _messages(self, status: int, *messages: str) -> Response:
        return json_response({"errorMessages": list(messages), "errors": {}}, status, media_type=self.media_type)

    def error_response(self, request: Request, status: int, message: str | None = None) -> Response:
        """Jira's ErrorCollection body; unknown resources get Jersey's `null for uri` answer."""
        if status == 404 and message is None:
            body = {"message": f"null for uri: {request.url}", "status-code": 404}
            return json_response(body, 404, media_type=self.media_type)
        return self._messages(status, message or HTTPStatus(status).phrase)

    def common_headers(self, request: Request) -> dict[str, str]:
        """Request ids and the Seraph login reason Jira sends on every answer."""
        # an answer scripted by a fault never reached authentication: judge its credentials here
        user: JiraUser | None = getattr(request.state, "user", None) or self._authenticate(request)
        headers = {
            "x-arequestid": f"{540 + next(self._request_ids) % 900}x{next(self._request_ids)}x1",
            "x-seraph-loginreason": "OK" if user is not None else "AUTHENTICATED_FAILED",
            "cache-control": "no-cache, no-store, no-transform",
            "x-content-type-options": "nosniff",
        }
        if self.cloud:
            headers["atl-traceid"] = uuid.uuid4().hex
            if user is not None and user.name:
                headers["x-aaccountid"] = "5b10ac8d82e05b22cc7d4ef5"
        else:
            headers["x-ausername"] = user.name if user is not None and user.name else "anonymous"
        return headers

    def _authenticate(self, request: Request) -> JiraUser | None:
        header = request.headers.get("authorization")
        if not header:
            return JiraUser("")
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() == "basic":
            try:
                login, _, secret = base64.b64decode(value.strip(), validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None
            return JiraUser(login) if self.users.get(login) == secret else None
        if scheme.lower() == "bearer" and not self.cloud and value.strip() in self.tokens:
            return JiraUser("syncer")
        return None

    async def before_request(self, request: Request, path: str) -> Response | None:
        """Basic auth (Cloud and DC) or a bearer personal access token (DC); no header is anonymous."""
        user = self._authenticate(request)
        if user is not None:
            request.state.user = user
            return None
        if self.cloud:
            return PlainTextResponse(
                "Client must be authenticated to access this resource.",
                401,
                headers={"www-authenticate": 'Basic realm="protected-area"'},
            )
        response = self._messages(401, "You are not authenticated. Authentication required to perform this operation.")
        response.headers["www-authenticate"] = 'Basic realm="protected-area"'
        return response

    # -- JSON shapes ------------------------------------------------------------------------------

    def _base(self, request: Request) -> str:
        return request_origin(request)

    # -- routes -----------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        """Jira REST routes; `/project/search` exists on Cloud only."""
        versions = ("2", "3") if self.cloud else ("2", "latest")
        routes: list[BaseRoute] = []
        for v in versions:
            routes.append(Route(f"/rest/api/{v}/serverInfo", self._server_info, methods=["GET"]))
            routes.append(Route(f"/rest/api/{v}/myself", self._myself, methods=["GET"]))
            routes.append(Route(f"/rest/api/{v}/project", self._project_list, methods=["GET"]))
            if self.cloud:
                routes.append(Route(f"/rest/api/{v}/project/search", self._project_search, methods=["GET"]))
            routes.append(Route(f"/rest/api/{v}/project/{{key}}", self._project, methods=["GET"]))
        return routes

    def _visible(self, request: Request) -> list[dict[str, Any]]:
        user: JiraUser = request.state.user
        return list(self.projects) if user.name else []

    async def _server_info(self, request: Request) -> Response:
        return json_response(server_info(self._base(request), cloud=self.cloud), media_type=self.media_type)

    async def _myself(self, request: Request) -> Response:
        user: JiraUser = request.state.user
        if not user.name:
            return self._messages(401, "You are not authenticated. Authentication required to perform this operation.")
        return json_response(
            user_json(self._base(request), cloud=self.cloud, display="Syncer Bot"), media_type=self.media_type
        )

    def _expand(self, request: Request) -> set[str]:
        return set(query_list(request, "expand"))

    async def _project_list(self, request: Request) -> Response:
        include_archived = not self.cloud and request.query_params.get("includeArchived", "").lower() == "true"
        allowed = {"live", "archived"} if include_archived else {"live"}
        records = sorted(
            (p for p in self._visible(request) if p.get("status", "live") in allowed), key=lambda p: str(p["key"])
        )
        base, expand = self._base(request), self._expand(request)
        body = [project_json(p, base, expand, cloud=self.cloud, archive_fields=False) for p in records]
        return json_response(body, media_type=self.media_type)

    async def _project(self, request: Request) -> Response:
        wanted = str(request.path_params["key"])
        record = next(
            (
                p
                for p in self._visible(request)
                if (p["key"] == wanted.upper() or p["id"] == wanted or wanted.upper() in p.get("previous_keys", ()))
                and p.get("status", "live") != "deleted"
            ),
            None,
        )
        if record is None:
            return self._messages(404, f"No project could be found with key '{wanted}'.")
        body = project_json(record, self._base(request), self._expand(request), cloud=self.cloud, archive_fields=True)
        return json_response(body, media_type=self.media_type)

    async def _project_search(self, request: Request) -> Response:
        statuses = set(query_list(request, "status")) or {"live"}
        unknown = statuses - set(_STATUSES)
        if unknown:
            return self._messages(400, f"Invalid status value: {sorted(unknown)[0]}")
        types = set(query_list(request, "typeKey"))
        keys = {k.upper() for k in query_list(request, "keys")}
        text = request.query_params.get("query", "").casefold()
        records = [
            p
            for p in self._visible(request)
            if p.get("status", "live") in statuses
            and (not types or p["projectTypeKey"] in types)
            and (not keys or p["key"] in keys)
            and (not text or text in str(p["key"]).casefold() or text in str(p["name"]).casefold())
        ]
        order = request.query_params.get("orderBy", "key")
        field = order.lstrip("+-")
        records.sort(
            key=lambda p: str(p.get(field if field in ("key", "name") else "key", "")).casefold(),
            reverse=order.startswith("-"),
        )
        start = max(0, query_int(request, "startAt", 0))
        wanted = query_int(request, "maxResults", 50)
        size = min(50 if wanted < 0 else wanted, 100, self.max_results_cap)
        values = records[start : start + size]
        if self.endless:
            values += [self._invented(start + i) for i in range(len(values), size)]
        base, path = self._base(request), request.url.path
        items = query_items(request)
        is_last = (start + len(values) >= len(records) or size == 0) and not self.endless
        body: dict[str, Any] = {"self": with_params(f"{base}{path}", items)}
        if not is_last and not self.omit_is_last:
            body["nextPage"] = with_params(f"{base}{path}", items, startAt=start + size, maxResults=size)
        body.update(
            {
                "maxResults": size,
                "startAt": start,
                "total": len(records) if self.claimed_total is None else self.claimed_total,
                "isLast": is_last,
                "values": [
                    project_json(p, base, self._expand(request), cloud=self.cloud, archive_fields=True) for p in values
                ],
            }
        )
        if self.omit_is_last:
            del body["isLast"]
        return json_response(body, media_type=self.media_type)

    def _invented(self, index: int) -> dict[str, Any]:
        """A project past the real ones, for `endless` listings: a new key at every index."""
        return {
            "id": str(900000 + index),
            "key": f"ZZ{index:07d}",
            "name": f"Invented {index}",
            "projectTypeKey": "software",
        }
