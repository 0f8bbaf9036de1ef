"""GitHub App support: a per-process RSA key pair, app JWT checks, installations and their tokens."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from syncer.simulator.github_model import node_id, simple_user

APP_ID = 424242
APP_SLUG = "acme-catalog-sync"
APP_CLIENT_ID = "Iv23liSimulatorClient01"
INSTALLATION_PERMISSIONS = {"metadata": "read", "contents": "read", "members": "read"}
MAX_JWT_LIFETIME = 600

_key_lock = threading.Lock()
_keypair: tuple[str, str] | None = None


def app_keypair() -> tuple[str, str]:
    """(private PEM, public PEM) of the simulated app, generated once per process."""
    global _keypair  # noqa: PLW0603 - a process-wide cache of an expensive key generation
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
