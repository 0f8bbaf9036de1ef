"""GitHub App support: a per-process RSA key pair, app JWT checks, installations and their tokens."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from syncer.simulator.github.model import node_id, simple_user
from syncer.simulator.wire import dumps, json_response

if TYPE_CHECKING:
    from syncer.simulator.github.fake import FakeGitHub

APP_ID = 424242
APP_SLUG = "acme-catalog-sync"
APP_CLIENT_ID = "Iv23liSimulatorClient01"
INSTALLATION_PERMISSIONS = {"metadata": "read", "contents": "read", "members": "read"}
MAX_JWT_LIFETIME = 600
_APPS_DOC = "https://docs.github.com/rest/apps/apps"

_key_lock = threading.Lock()
_keypair: tuple[str, str] | None = None


def app_keypair() -> tuple[str, str]:
    """(private PEM, public PEM) of the simulated app, generated once per process."""
    global _keypair
    with _key_lock:
        if _keypair is None:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            private = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            ).decode()
            public = (
                key.public_key()
                .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
                .decode()
            )
            _keypair = (private, public)
        return _keypair


@dataclass
class Installation:
    """One installation of an app on an organization account."""

    id: int
    org: str
    org_id: int
    app_id: int = APP_ID
    suspended: bool = False
    repository_selection: str = "all"


@dataclass(frozen=True)
class InstallationToken:
    """An access token minted for an installation (`ghs_...`)."""

    token: str
    installation_id: int
    expires_at: float


class JwtRejected(Exception):
    """An app JWT GitHub would refuse; the message is GitHub's."""


_UNDECODABLE = "A JSON web token could not be decoded"


def verify_app_jwt(token: str, apps: dict[int, str], now: float | None = None) -> int:
    """The app id a valid RS256 app JWT was issued by; raises JwtRejected with GitHub's message."""
    moment = time.time() if now is None else now
    try:
        unverified: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise JwtRejected(_UNDECODABLE) from exc
    try:
        app_id = int(str(unverified.get("iss")))
    except ValueError as exc:
        raise JwtRejected("'Issuer' claim ('iss') must be an Integer") from exc
    public_key = apps.get(app_id)
    if public_key is None:
        raise JwtRejected("Integration not found")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            public_key,
            algorithms=["RS256"],
            options={"require": ["exp", "iat", "iss"]},
            leeway=30,
        )
    except jwt.ExpiredSignatureError as exc:
        raise JwtRejected(
            "'Expiration time' claim ('exp') must be a numeric value representing the future time at which "
            "the assertion expires"
        ) from exc
    except (jwt.ImmatureSignatureError, jwt.MissingRequiredClaimError) as exc:
        raise JwtRejected(
            "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
        ) from exc
    except jwt.PyJWTError as exc:
        raise JwtRejected(_UNDECODABLE) from exc
    if float(claims["exp"]) > moment + MAX_JWT_LIFETIME + 30:
        raise JwtRejected("'Expiration time' claim ('exp') is too far in the future")
    return app_id


def installation_json(inst: Installation, api: str, web: str) -> dict[str, Any]:
    """The `installation` object GitHub answers for an app installation."""
    return {
        "id": inst.id,
        "client_id": APP_CLIENT_ID,
        "account": simple_user(inst.org, inst.org_id, api, web),
        "repository_selection": inst.repository_selection,
        "access_tokens_url": f"{api}/app/installations/{inst.id}/access_tokens",
        "repositories_url": f"{api}/installation/repositories",
        "html_url": f"{web}/organizations/{inst.org}/settings/installations/{inst.id}",
        "app_id": inst.app_id,
        "app_slug": APP_SLUG,
        "target_id": inst.org_id,
        "target_type": "Organization",
        "permissions": dict(INSTALLATION_PERMISSIONS),
        "events": [],
        "created_at": "2024-03-01T10:00:00.000Z",
        "updated_at": "2024-03-01T10:00:00.000Z",
        "single_file_name": None,
        "has_multiple_single_files": False,
        "single_file_paths": [],
        "suspended_by": simple_user("acme-admin", 5000001, api, web, kind="User") if inst.suspended else None,
        "suspended_at": "2024-11-20T08:00:00Z" if inst.suspended else None,
    }


def app_json(app_id: int, owner: str, owner_id: int, api: str, web: str, installations: int) -> dict[str, Any]:
    """The `integration` object for `GET /app`."""
    return {
        "id": app_id,
        "slug": APP_SLUG,
        "node_id": node_id("App", app_id),
        "client_id": APP_CLIENT_ID,
        "owner": simple_user(owner, owner_id, api, web),
        "name": "Acme Catalog Sync",
        "description": "Keeps the service catalog in step with the repositories.",
        "external_url": "https://acme.example.com/catalog-sync",
        "html_url": f"{web}/apps/{APP_SLUG}",
        "created_at": "2024-03-01T09:00:00Z",
        "updated_at": "2024-03-01T09:00:00Z",
        "permissions": dict(INSTALLATION_PERMISSIONS),
        "events": [],
        "installations_count": installations,
    }


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class AppEndpoints:
    """The GitHub App routes of a fake GitHub: the app, its installations and installation tokens."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake

    def routes(self) -> list[BaseRoute]:
        """Routes authenticated by an app JWT, plus `/installation/repositories` (installation token)."""
        return [
            Route("/app", self.app_info, methods=["GET"]),
            Route("/app/installations", self.installations, methods=["GET"]),
            Route("/app/installations/{installation_id:int}", self.installation, methods=["GET"]),
            Route("/app/installations/{installation_id:int}/access_tokens", self.access_token, methods=["POST"]),
            Route("/orgs/{org}/installation", self.org_installation, methods=["GET"]),
            Route("/installation/repositories", self.installation_repos, methods=["GET"]),
        ]

    def _answer(self, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return json_response(body, status, media_type=self.fake.media_type, headers=headers)

    def _app_installations(self, request: Request) -> list[Installation]:
        app_id = self.fake.principal(request).ident
        return sorted((i for i in self.fake.installations.values() if i.app_id == app_id), key=lambda i: i.id)

    def _lookup(self, request: Request) -> Installation | None:
        inst = self.fake.installations.get(request.path_params["installation_id"])
        return inst if inst is not None and inst.app_id == self.fake.principal(request).ident else None

    async def app_info(self, request: Request) -> Response:
        """`GET /app`."""
        fake = self.fake
        owner = "platform" if fake.enterprise else "acme"
        installs = len(self._app_installations(request))
        api = fake.api_base(request)
        return self._answer(app_json(fake.principal(request).ident, owner, fake.org_id(owner), api, fake.web, installs))

    async def installations(self, request: Request) -> Response:
        """`GET /app/installations`, paginated like every GitHub list."""
        items, headers = self.fake.paginate(request, self._app_installations(request), "/app/installations")
        api = self.fake.api_base(request)
        return self._answer([installation_json(inst, api, self.fake.web) for inst in items], headers=headers)

    async def installation(self, request: Request) -> Response:
        """`GET /app/installations/{id}`."""
        inst = self._lookup(request)
        if inst is None:
            return self.fake.error(404, "Not Found", f"{_APPS_DOC}#get-an-installation-for-the-authenticated-app")
        return self._answer(installation_json(inst, self.fake.api_base(request), self.fake.web))

    async def org_installation(self, request: Request) -> Response:
        """`GET /orgs/{org}/installation`."""
        fake = self.fake
        principal = fake.principal(request)
        org = fake.find_org(request.path_params["org"]) or request.path_params["org"]
        doc = f"{_APPS_DOC}#get-an-organization-installation-for-the-authenticated-app"
        if principal.kind != "app":
            return fake.error(401, "A JSON web token could not be decoded", doc)
        inst = next((i for i in fake.installations.values() if i.org == org and i.app_id == principal.ident), None)
        if inst is None:
            return fake.error(404, "Not Found", doc)
        return self._answer(installation_json(inst, fake.api_base(request), fake.web))

    async def access_token(self, request: Request) -> Response:
        """`POST /app/installations/{id}/access_tokens`: 201 with a `ghs_` token valid `token_ttl` seconds."""
        fake = self.fake
        inst = self._lookup(request)
        doc = f"{_APPS_DOC}#create-an-installation-access-token-for-an-app"
        if inst is None:
            return fake.error(404, "Not Found", doc)
        if inst.suspended:
            return fake.error(403, "This installation has been suspended", doc)
        token = "ghs_" + secrets.token_hex(18)
        minted = InstallationToken(token, inst.id, time.time() + fake.token_ttl)
        fake.installation_tokens[token] = minted
        body = {
            "token": token,
            "expires_at": _iso(minted.expires_at),
            "permissions": dict(INSTALLATION_PERMISSIONS),
            "repository_selection": inst.repository_selection,
        }
        return self._answer(body, 201)

    async def installation_repos(self, request: Request) -> Response:
        """`GET /installation/repositories` for an installation token."""
        fake = self.fake
        principal = fake.principal(request)
        if principal.kind != "installation" or principal.org is None:
            return fake.error(
                403,
                "You must authenticate with an installation access token in order to list repositories "
                "for an installation.",
                "https://docs.github.com/rest/apps/installations#list-repositories-accessible-to-the-app-installation",
            )
        records = sorted(fake.orgs.get(principal.org, []), key=lambda r: r["id"])
        items, headers = fake.paginate(request, records, "/installation/repositories")
        selection = fake.installations[principal.ident].repository_selection
        head = dumps({"total_count": len(records), "repository_selection": selection})[:-1]
        body = head + b',"repositories":' + fake.render_repos(request, principal.org, items, properties=False) + b"}"
        return fake.answer(body, headers=headers)
