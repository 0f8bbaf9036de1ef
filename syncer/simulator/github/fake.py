"""Fake GitHub REST API (github.com, or GitHub Enterprise Server under /api/v3)."""

from __future__ import annotations

import itertools
import math
from http import HTTPStatus
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from syncer.simulator.github.apps import APP_ID, AppEndpoints
from syncer.simulator.github.auth import ANONYMOUS, AuthFailure, Principal, authenticate, rate_limited_message
from syncer.simulator.github.hooks import GitHubWebhooks
from syncer.simulator.github.model import GITHUB_DOC, organization, private_user, rate_limit_json
from syncer.simulator.github.properties import PropertyEndpoints
from syncer.simulator.github.repos import (
    REPO_TYPES,
    ListingCounters,
    RepoRenderer,
    etag_matches,
    page_etag,
    render_repo,
    select_repos,
)
from syncer.simulator.github.world import GitHubWorld, Paging
from syncer.simulator.ratelimit import RateWindow
from syncer.simulator.server import FakeServer
from syncer.simulator.wire import (
    github_link_header,
    json_response,
    query_int,
    query_items,
    request_origin,
    with_params,
)

LIST_REPOS_DOC = "https://docs.github.com/rest/repos/repos#list-organization-repositories"
REPO_DOC = "https://docs.github.com/rest/repos/repos#get-a-repository"


class FakeGitHub(GitHubWorld, FakeServer):
    """GitHub's REST API for one host: org repos, orgs, the authenticated user, rate limits and apps."""

    name = "github"
    rate_limit_api = "github"
    media_type = "application/json; charset=utf-8"

    def __init__(
        self, hostname: str = "github.com", *, port: int = 0, scale: str = "small", latency: float = 0.0, seed: int = 0
    ) -> None:
        self._init_world(hostname, scale, seed)
        self.webhooks = GitHubWebhooks(self)
        self.web = f"https://{hostname}"
        self.user_login, self.user_id = "acme-bot", 9000001
        self.app_id = APP_ID
        self.listings = ListingCounters()  # 304s, 200s and points charged of the org repo listings
        self._request_ids = itertools.count(0x1000)
        super().__init__(hostname, port=port, prefix="/api/v3" if self.enterprise else "", latency=latency)
        self.reseed()

    # -- HTTP plumbing ----------------------------------------------------------------------------

    def error(self, status: int, message: str, doc: str = GITHUB_DOC) -> Response:
        """A GitHub `basic-error` answer."""
        body = {"message": message, "documentation_url": doc, "status": str(status)}
        return json_response(body, status, media_type=self.media_type)

    def error_response(self, request: Request, status: int, message: str | None = None) -> Response:
        """GitHub's `basic-error` body."""
        default = {401: "Bad credentials", 404: "Not Found", 500: "Server Error"}.get(status)
        return self.error(status, message or default or HTTPStatus(status).phrase)

    def _window(self, principal: Principal) -> RateWindow:
        limit = self.anonymous_rate_limit if principal.kind == "anonymous" else self.rate_limit
        window = self._windows.get(principal.bucket)
        if window is None:
            window = self._windows[principal.bucket] = RateWindow(limit, 3600)
        window.limit = limit
        return window

    def rate_window(self, token: str | None = None, *, installation: int | None = None) -> RateWindow:
        """The primary rate-limit window of a personal access token, or of an installation (neither: anonymous)."""
        if installation is not None:
            return self._window(Principal("installation", f"inst:{installation}", ident=installation))
        principal = ANONYMOUS if token is None else Principal("user", f"token:{token}")
        return self._window(principal)

    def reset_counters(self) -> None:
        """Forget the served requests and the listing counters."""
        super().reset_counters()
        self.listings.clear()

    def common_headers(self, request: Request) -> dict[str, str]:
        """Rate-limit and request-id headers GitHub sends on every answer."""
        window = getattr(request.state, "window", None) or self._window(ANONYMOUS)
        ident = next(self._request_ids)
        served = {} if self.version is None else {"x-github-enterprise-version": "{}.{}.0".format(*self.version)}
        return {
            **served,
            "x-ratelimit-limit": str(window.limit),
            "x-ratelimit-remaining": str(window.remaining),
            "x-ratelimit-reset": str(window.reset_epoch),
            "x-ratelimit-used": str(window.used),
            "x-ratelimit-resource": "core",
            "x-github-request-id": f"{ident:04X}:{ident * 7919 % 0xFFFFFF:06X}:{ident * 104729 % 0xFFFFFFF:07X}",
            "x-github-api-version-selected": "2022-11-28",
            "x-github-media-type": "github.v3; format=json",
            "server": "GitHub.com",
            "vary": "Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding",
        }

    async def before_request(self, request: Request, path: str) -> Response | None:
        """Scheduled world changes (`during`), token, installation-token or app-JWT check, the primary rate limit."""
        self._apply_changes(path, request.url.query)
        if self.echo_credentials is not None:  # a proxy or an API that quotes the request in its error
            echoed = request.headers.get("authorization", "")
            return self.error(self.echo_credentials, f"Bad credentials: the request had Authorization {echoed!r}")
        principal = authenticate(
            request,
            path,
            tokens=self.tokens,
            apps=self.apps,
            installations=self.installations,
            installation_tokens=self.installation_tokens,
            anonymous_access=self.anonymous_access,
        )
        if isinstance(principal, AuthFailure):
            return self.error(principal.status, principal.message)
        window = self._window(principal)
        request.state.principal, request.state.window = principal, window
        if path != "/rate_limit" and not window.consume():
            request_id = self.common_headers(request)["x-github-request-id"]
            message = rate_limited_message(principal, request, self.user_id, request_id)
            return self.error(403, message, "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api")
        return None

    def api_base(self, request: Request) -> str:
        """The API base URL as the client addressed this server (with the GHES prefix)."""
        return request_origin(request) + self.prefix

    @staticmethod
    def principal(request: Request) -> Principal:
        """Who the current request authenticated as."""
        principal: Principal = request.state.principal
        return principal

    def _member(self, principal: Principal, org: str) -> bool:
        return principal.kind == "user" or (principal.kind == "installation" and principal.org == org)

    # -- routes -----------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        """GitHub REST routes served by the fake."""
        return [
            Route("/orgs/{org}/repos", self._org_repos, methods=["GET"]),
            Route("/organizations/{org_id:int}/repos", self._org_repos, methods=["GET"]),
            Route("/orgs/{org}", self._org, methods=["GET"]),
            Route("/organizations/{org_id:int}", self._org, methods=["GET"]),
            Route("/repos/{owner}/{repo}", self._repo, methods=["GET"]),
            Route("/repositories/{repo_id:int}", self._repo_by_id, methods=["GET"]),
            Route("/user", self._user, methods=["GET"]),
            Route("/rate_limit", self._rate_limit, methods=["GET"]),
            *AppEndpoints(self).routes(),
            *PropertyEndpoints(self).routes(),
        ]

    def _org_from_path(self, request: Request) -> str | None:
        if "org_id" in request.path_params:
            wanted = request.path_params["org_id"]
            return next((org for org in self.orgs if self.org_ids.get(org) == wanted), None)
        return self.find_org(request.path_params["org"])

    def _visible(self, request: Request, org: str) -> list[dict[str, Any]]:
        repos = self.orgs[org]
        if self._member(self.principal(request), org):
            return list(repos)
        return [r for r in repos if r.get("visibility", "public") == "public"]

    def paginate(
        self, request: Request, items: list[Any], link_path: str, paging: Paging | None = None
    ) -> tuple[list[Any], dict[str, str]]:
        """The requested page of `items` and its `Link` header (`per_page` 30 by default, 100 at most)."""
        per_page = query_int(request, "per_page", 30)
        per_page = 30 if per_page < 1 else min(per_page, 100)
        page = max(1, query_int(request, "page", 1))
        last = max(1, math.ceil(len(items) / per_page))
        url = self.api_base(request) + link_path
        link = github_link_header(url, query_items(request), page, last)
        rels = paging.links(page, last) if paging is not None and paging.links is not None else None
        if rels is not None:
            parts = [f'<{with_params(url, query_items(request), page=n)}>; rel="{rel}"' for rel, n in rels.items()]
            link = ", ".join(parts) or None
        served = 1 if paging is not None and paging.ignore_page else page
        return items[(served - 1) * per_page : served * per_page], ({"link": link} if link else {})

    def render_repos(
        self, request: Request, org: str, records: list[dict[str, Any]], *, properties: bool | None = None
    ) -> bytes:
        """Repo records as a JSON array, as this request sees them (`permissions` only for members;
        `custom_properties` where the org listing carries them, unless `properties` says otherwise)."""
        member = self._member(self.principal(request), org)
        listed = self.lists_properties if properties is None else properties
        renderer = RepoRenderer(
            org, self.org_id(org), self.api_base(request), self.web, permissions=member, properties=listed
        )
        return renderer.encode_list(records)

    def answer(self, body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        """Already-encoded JSON with GitHub's content type."""
        response = Response(body, status_code=status, headers=headers)
        response.headers["content-type"] = self.media_type
        return response

    async def _org_repos(self, request: Request) -> Response:
        org = self._org_from_path(request)
        if org is None:
            return self.error(404, "Not Found", LIST_REPOS_DOC)
        kind = request.query_params.get("type", "all")
        if kind not in REPO_TYPES:
            return self.error(422, f"Invalid value for parameter 'type': {kind!r}", LIST_REPOS_DOC)
        sort = request.query_params.get("sort", "created")
        direction = request.query_params.get("direction", "asc" if sort == "full_name" else "desc")
        repos = select_repos(self._visible(request, org), kind, sort, direction)
        if self.paging.hidden:
            repos = [r for r in repos if r["name"] not in self.paging.hidden]
        items, headers = self.paginate(request, repos, f"/organizations/{self.org_id(org)}/repos", self.paging)
        body = self.render_repos(request, org, items)
        principal = self.principal(request)
        etag = page_etag(body, None if self.paging.etag_of_body else headers.get("link"), principal.bucket)
        validators = {"etag": etag, "cache-control": "private, max-age=60, s-maxage=60"}
        if etag_matches(request.headers.get("if-none-match"), etag):
            self.listings.not_modified += 1
            if principal.kind == "anonymous":  # GitHub charges a 304 only when it was not authorized
                self.listings.points[principal.bucket] += 1
            else:
                request.state.window.refund()
            return Response(status_code=304, headers=validators)  # no body; no Link (RFC 9110 15.4.5)
        if "if-none-match" in request.headers:
            self.listings.modified += 1
        else:
            self.listings.unconditional += 1
        self.listings.points[principal.bucket] += 1
        return self.answer(body, headers={**headers, **validators})

    async def _org(self, request: Request) -> Response:
        org = self._org_from_path(request)
        if org is None:
            return self.error(404, "Not Found", "https://docs.github.com/rest/orgs/orgs#get-an-organization")
        body = organization(
            org,
            self.org_id(org),
            self.api_base(request),
            self.web,
            self.orgs[org],
            full=self._member(self.principal(request), org),
        )
        return json_response(body, media_type=self.media_type)

    async def _repo(self, request: Request) -> Response:
        org = self.find_org(request.path_params["owner"])
        wanted = str(request.path_params["repo"]).casefold()
        record = None
        if org is not None:
            record = next((r for r in self._visible(request, org) if str(r["name"]).casefold() == wanted), None)
        moved = self.moved.get((str(request.path_params["owner"]).casefold(), wanted))
        if record is None and moved is not None and self._repo_with_id(request, moved) is not None:
            location = f"{self.api_base(request)}/repositories/{moved}"
            body = {"message": "Moved Permanently", "url": location, "documentation_url": REPO_DOC}
            return json_response(body, 301, media_type=self.media_type, headers={"location": location})
        if org is None or record is None:
            return self.error(404, "Not Found", REPO_DOC)
        return self._full_repo(request, org, record)

    def _repo_with_id(self, request: Request, repo_id: int) -> tuple[str, dict[str, Any]] | None:
        for org in self.orgs:
            for record in self._visible(request, org):
                if record["id"] == repo_id:
                    return org, record
        return None

    async def _repo_by_id(self, request: Request) -> Response:
        found = self._repo_with_id(request, request.path_params["repo_id"])
        if found is None:
            return self.error(404, "Not Found", REPO_DOC)
        return self._full_repo(request, *found)

    def _full_repo(self, request: Request, org: str, record: dict[str, Any]) -> Response:
        member = self._member(self.principal(request), org)
        api, with_properties = self.api_base(request), self.has_properties  # `full-repository`: from GHES 3.13
        body = render_repo(record, org, self.org_id(org), api, self.web, permissions=member, properties=with_properties)
        body.update({"network_count": body["forks_count"], "subscribers_count": 3})
        return json_response(body, media_type=self.media_type)

    async def _user(self, request: Request) -> Response:
        principal = self.principal(request)
        doc = "https://docs.github.com/rest/users/users#get-the-authenticated-user"
        if principal.kind == "anonymous":
            return self.error(401, "Requires authentication", doc)
        if principal.kind != "user":
            return self.error(403, "Resource not accessible by integration", doc)
        return json_response(
            private_user(self.user_login, self.user_id, self.api_base(request), self.web), media_type=self.media_type
        )

    async def _rate_limit(self, request: Request) -> Response:
        window: RateWindow = request.state.window
        return json_response(rate_limit_json(window), media_type=self.media_type)
