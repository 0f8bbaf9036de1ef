"""GitHub REST JSON shapes: minimal-repository, simple-user, organization-full, installation, app."""

from __future__ import annotations

import base64
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from syncer.simulator.ratelimit import RateWindow

GITHUB_DOC = "https://docs.github.com/rest"


def node_id(kind: str, number: int) -> str:
    """A legacy GraphQL node id, e.g. `MDEwOlJlcG9zaXRvcnkxMjk2MjY5` for Repository 1296269."""
    raw = f"0{len(kind)}:{kind}{number}".encode()
    return base64.b64encode(raw).decode()


def simple_user(login: str, user_id: int, api: str, web: str, kind: str = "Organization") -> dict[str, Any]:
    """A `simple-user` object (used for repo owners and installation accounts)."""
    users = "users"
    return {
        "login": login,
        "id": user_id,
        "node_id": node_id(kind, user_id),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
        "gravatar_id": "",
        "url": f"{api}/{users}/{login}",
        "html_url": f"{web}/{login}",
        "followers_url": f"{api}/{users}/{login}/followers",
        "following_url": f"{api}/{users}/{login}/following{{/other_user}}",
        "gists_url": f"{api}/{users}/{login}/gists{{/gist_id}}",
        "starred_url": f"{api}/{users}/{login}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/{users}/{login}/subscriptions",
        "organizations_url": f"{api}/{users}/{login}/orgs",
        "repos_url": f"{api}/{users}/{login}/repos",
        "events_url": f"{api}/{users}/{login}/events{{/privacy}}",
        "received_events_url": f"{api}/{users}/{login}/received_events",
        "type": kind,
        "user_view_type": "public",
        "site_admin": False,
    }


def organization(
    login: str, org_id: int, api: str, web: str, repos: list[dict[str, Any]], *, full: bool
) -> dict[str, Any]:
    """An `organization-full` object; private counters only for members (`full`)."""
    public = sum(1 for r in repos if not r.get("private"))
    out: dict[str, Any] = {
        "login": login,
        "id": org_id,
        "node_id": node_id("Organization", org_id),
        "url": f"{api}/orgs/{login}",
        "repos_url": f"{api}/orgs/{login}/repos",
        "events_url": f"{api}/orgs/{login}/events",
        "hooks_url": f"{api}/orgs/{login}/hooks",
        "issues_url": f"{api}/orgs/{login}/issues",
        "members_url": f"{api}/orgs/{login}/members{{/member}}",
        "public_members_url": f"{api}/orgs/{login}/public_members{{/member}}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{org_id}?v=4",
        "description": f"{login} engineering",
        "name": login.replace("-", " ").title(),
        "company": None,
        "blog": f"https://{login}.example.com",
        "location": None,
        "email": None,
        "twitter_username": None,
        "is_verified": False,
        "has_organization_projects": True,
        "has_repository_projects": True,
        "public_repos": public,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "html_url": f"{web}/{login}",
        "created_at": "2014-02-10T16:21:00Z",
        "updated_at": "2025-01-15T09:30:00Z",
        "archived_at": None,
        "type": "Organization",
    }
    if full:
        private = len(repos) - public
        out.update(
            {
                "total_private_repos": private,
                "owned_private_repos": private,
                "private_gists": 0,
                "disk_usage": sum(int(r.get("size", 0)) for r in repos),
                "collaborators": 3,
                "billing_email": f"billing@{login}.example.com",
                "default_repository_permission": "read",
                "members_can_create_repositories": False,
                "two_factor_requirement_enabled": True,
                "members_allowed_repository_creation_type": "none",
                "members_can_create_public_repositories": False,
                "members_can_create_private_repositories": False,
                "members_can_create_internal_repositories": False,
                "members_can_create_pages": True,
                "members_can_fork_private_repositories": False,
                "web_commit_signoff_required": False,
                "plan": {
                    "name": "enterprise",
                    "space": 976562499,
                    "private_repos": 999999,
                    "seats": 250,
                    "filled_seats": 180,
                },
            }
        )
    return out


def private_user(login: str, user_id: int, api: str, web: str) -> dict[str, Any]:
    """The authenticated user (`private-user`) behind a personal access token."""
    out = simple_user(login, user_id, api, web, kind="User")
    out.update(
        {
            "user_view_type": "private",
            "name": "Acme Sync Bot",
            "company": "Acme",
            "blog": "",
            "location": None,
            "email": None,
            "hireable": None,
            "bio": None,
            "twitter_username": None,
            "public_repos": 0,
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": "2019-05-01T12:00:00Z",
            "updated_at": "2025-01-01T12:00:00Z",
            "private_gists": 0,
            "total_private_repos": 0,
            "owned_private_repos": 0,
            "disk_usage": 0,
            "collaborators": 0,
            "two_factor_authentication": True,
        }
    )
    return out


def rate_limit_json(window: RateWindow) -> dict[str, Any]:
    """`GET /rate_limit`: the core window of the caller plus the other resources."""
    core = {"limit": window.limit, "used": window.used, "remaining": window.remaining, "reset": window.reset_epoch}
    soon = int(time.time()) + 60
    return {
        "resources": {
            "core": core,
            "search": {"limit": 30, "used": 0, "remaining": 30, "reset": soon},
            "graphql": dict(core, limit=5000 if window.limit > 60 else 0),
            "integration_manifest": {"limit": 5000, "used": 0, "remaining": 5000, "reset": soon + 3540},
            "code_search": {"limit": 10, "used": 0, "remaining": 10, "reset": soon},
        },
        "rate": core,
    }
