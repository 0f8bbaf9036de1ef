"""GitHub App flow on the fake: app JWTs, installations, installation tokens."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from syncer.simulator import Simulator


def app_jwt(sim: Simulator, *, iss: Any = None, issued: float | None = None, lifetime: int = 300, key: str = "") -> str:
    """An RS256 app JWT the way PyGithub signs one (iat 60 s in the past)."""
    now = time.time() if issued is None else issued
    claims = {"iat": int(now - 60), "exp": int(now + lifetime), "iss": str(sim.github.app_id) if iss is None else iss}
    payload = json.dumps(claims).encode()  # PyJWT refuses to encode a numeric iss; GitHub accepts one
    return jwt.api_jws.encode(payload, key or sim.github.app_private_key, algorithm="RS256")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_installations_listed_with_a_valid_jwt(sim: Simulator, http: httpx.Client) -> None:
    answer = http.get(f"{sim.github.url}/app/installations", headers=bearer(app_jwt(sim)))
    assert answer.status_code == 200
    installs = answer.json()
    assert [(i["id"], i["account"]["login"]) for i in installs] == [
        (51001, "acme"),
        (51002, "acme-labs"),
        (51003, "acme-old"),
    ]
    first = installs[0]
    assert first["target_type"] == "Organization" and first["account"]["type"] == "Organization"
    assert first["app_id"] == sim.github.app_id and first["repository_selection"] == "all"
    assert first["access_tokens_url"] == f"{sim.github.url}/app/installations/51001/access_tokens"
    assert first["suspended_at"] is None and installs[2]["suspended_at"] is not None
    paged = http.get(f"{sim.github.url}/app/installations", params={"per_page": 2}, headers=bearer(app_jwt(sim)))
    assert len(paged.json()) == 2 and 'rel="next"' in paged.headers["link"]


@pytest.mark.parametrize("iss", [424242, "424242"])
def test_issuer_as_int_or_string(sim: Simulator, http: httpx.Client, iss: Any) -> None:
    answer = http.get(f"{sim.github.url}/app", headers=bearer(app_jwt(sim, iss=iss)))
    assert answer.status_code == 200 and answer.json()["id"] == 424242


def test_rejected_jwts(sim: Simulator, http: httpx.Client) -> None:
    url = f"{sim.github.url}/app/installations"
    expired = http.get(url, headers=bearer(app_jwt(sim, issued=time.time() - 3600)))
    assert expired.status_code == 401
    assert "'Expiration time' claim ('exp') must be a numeric value" in expired.json()["message"]
    too_long = http.get(url, headers=bearer(app_jwt(sim, lifetime=3600)))
    assert too_long.json()["message"] == "'Expiration time' claim ('exp') is too far in the future"
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    forged = http.get(url, headers=bearer(app_jwt(sim, key=other_key.decode())))
    assert forged.status_code == 401
    assert forged.json()["message"] == "A JSON web token could not be decoded"
    unknown = http.get(url, headers=bearer(app_jwt(sim, iss=1)))
    assert unknown.json()["message"] == "Integration not found"
    pat = http.get(url, headers={"Authorization": f"token {sim.github.token}"})
    assert pat.status_code == 401


def test_installation_token_flow(sim: Simulator, http: httpx.Client) -> None:
    minted = http.post(f"{sim.github.url}/app/installations/51002/access_tokens", headers=bearer(app_jwt(sim)))
    assert minted.status_code == 201
    body = minted.json()
    assert body["token"].startswith("ghs_") and body["expires_at"].endswith("Z")
    assert body["repository_selection"] == "all" and body["permissions"]["metadata"] == "read"
    token = {"Authorization": f"token {body['token']}"}
    labs = http.get(f"{sim.github.url}/orgs/acme-labs/repos", params={"per_page": 100}, headers=token).json()
    assert len(labs) == 40 and all("permissions" in r for r in labs)
    other = http.get(f"{sim.github.url}/orgs/acme/repos", params={"per_page": 100}, headers=token).json()
    assert all(r["visibility"] == "public" for r in other)
    listing = http.get(f"{sim.github.url}/installation/repositories", headers=token).json()
    assert listing["total_count"] == 40 and len(listing["repositories"]) == 30
    assert http.get(f"{sim.github.url}/user", headers=token).status_code == 403


def test_suspended_and_unknown_installations(sim: Simulator, http: httpx.Client) -> None:
    suspended = http.post(f"{sim.github.url}/app/installations/51003/access_tokens", headers=bearer(app_jwt(sim)))
    assert suspended.status_code == 403
    assert suspended.json()["message"] == "This installation has been suspended"
    missing = http.post(f"{sim.github.url}/app/installations/9/access_tokens", headers=bearer(app_jwt(sim)))
    assert missing.status_code == 404


def test_installation_tokens_expire(sim: Simulator, http: httpx.Client) -> None:
    sim.github.token_ttl = -1
    minted = http.post(f"{sim.github.url}/app/installations/51001/access_tokens", headers=bearer(app_jwt(sim)))
    token = {"Authorization": f"token {minted.json()['token']}"}
    answer = http.get(f"{sim.github.url}/orgs/acme/repos", headers=token)
    assert answer.status_code == 401 and answer.json()["message"] == "Bad credentials"


def test_org_installation_lookup(sim: Simulator, http: httpx.Client) -> None:
    found = http.get(f"{sim.github.url}/orgs/acme/installation", headers=bearer(app_jwt(sim)))
    assert found.status_code == 200 and found.json()["id"] == 51001
    ghes = http.get(f"{sim.ghes.url}/app/installations", headers=bearer(app_jwt(sim))).json()
    assert [i["account"]["login"] for i in ghes] == ["platform"]
