"""GitHub authentication for the fake: personal tokens, installation tokens, app JWTs, anonymous access."""

from __future__ import annotations

import re
import time
from typing import NamedTuple

from starlette.requests import Request

from syncer.simulator.github.apps import Installation, InstallationToken, JwtRejected, verify_app_jwt

UNDECODABLE_JWT = "A JSON web token could not be decoded"
APP_JWT_PATHS = re.compile(r"^/(app(/|$)|(orgs|users)/[^/]+/installation$|repos/[^/]+/[^/]+/installation$)")


class Principal(NamedTuple):
    """Who a request authenticated as: user, installation, app or anonymous; `bucket` keys its rate limit."""

    kind: str
    bucket: str
    org: str | None = None
    ident: int = 0


ANONYMOUS = Principal("anonymous", "anon")


class AuthFailure(NamedTuple):
    """A refused credential: GitHub's status and message."""

    status: int
    message: str


def credential(request: Request) -> tuple[str, str] | None:
    """(lower-cased scheme, value) of the Authorization header, or None."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    return scheme.lower(), value.strip()


def authenticate(
    request: Request,
    path: str,
    *,
    tokens: set[str],
    apps: dict[int, str],
    installations: dict[int, Installation],
    installation_tokens: dict[str, InstallationToken],
    anonymous_access: bool,
) -> Principal | AuthFailure:
    """The principal behind a request; app routes need an app JWT, the others a token (or none)."""
    given = credential(request)
    if APP_JWT_PATHS.match(path):
        if given is None or given[0] != "bearer":
            return AuthFailure(401, UNDECODABLE_JWT)
        try:
            app_id = verify_app_jwt(given[1], apps)
        except JwtRejected as exc:
            return AuthFailure(401, str(exc))
        return Principal("app", f"app:{app_id}", ident=app_id)
    if given is None:
        return ANONYMOUS if anonymous_access else AuthFailure(401, "Must authenticate to access this API.")
    scheme, value = given
    if scheme in ("token", "bearer") and value in tokens:
        return Principal("user", f"token:{value}")
    minted = installation_tokens.get(value)
    if scheme in ("token", "bearer") and minted is not None and minted.expires_at > time.time():
        inst = installations.get(minted.installation_id)
        if inst is not None and not inst.suspended:
            return Principal("installation", f"inst:{inst.id}", org=inst.org, ident=inst.id)
    return AuthFailure(401, "Bad credentials")


def rate_limited_message(principal: Principal, request: Request, user_id: int, request_id: str) -> str:
    """GitHub's primary rate-limit message for this principal."""
    if principal.kind == "anonymous":
        who = request.client.host if request.client else "127.0.0.1"
    elif principal.kind == "installation":
        who = f"installation ID {principal.ident}"
    else:
        who = f"user ID {user_id}"
    return (
        f"API rate limit exceeded for {who}. If you reach out to GitHub Support for help, please include "
        f"the request ID {request_id}."
    )
