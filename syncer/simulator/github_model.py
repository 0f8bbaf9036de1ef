"""GitHub REST JSON shapes: minimal-repository, simple-user, organization-full, installation, app."""

from __future__ import annotations

import base64
from typing import Any

GITHUB_DOC = "https://docs.github.com/rest"

_REPO_URLS = {
    "forks_url": "/forks",
    "keys_url": "/keys{/key_id}",
    "collaborators_url": "/collaborators{/collaborator}",
    "teams_url": "/teams",
    "hooks_url": "/hooks",
    "issue_events_url": "/issues/events{/number}",
    "events_url": "/events",
    "assignees_url": "/assignees{/user}",
    "branches_url": "/branches{/branch}",
    "tags_url": "/tags",
    "blobs_url": "/git/blobs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "trees_url": "/git/trees{/sha}",
    "statuses_url": "/statuses/{sha}",
    "languages_url": "/languages",
    "stargazers_url": "/stargazers",
    "contributors_url": "/contributors",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "commits_url": "/commits{/sha}",
    "git_commits_url": "/git/commits{/sha}",
    "comments_url": "/comments{/number}",
    "issue_comment_url": "/issues/comments{/number}",
    "contents_url": "/contents/{+path}",
    "compare_url": "/compare/{base}...{head}",
    "merges_url": "/merges",
    "archive_url": "/{archive_format}{/ref}",
    "downloads_url": "/downloads",
    "issues_url": "/issues{/number}",
    "pulls_url": "/pulls{/number}",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "labels_url": "/labels{/name}",
    "releases_url": "/releases{/id}",
    "deployments_url": "/deployments",
}
_LICENSES = {"mit": ("MIT License", "MIT", "MDc6TGljZW5zZTEz")}
_USER_PERMISSIONS = {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True}


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


_CONSTANT_FIELDS: dict[str, Any] = {
    "homepage": None,
    "mirror_url": None,
    "has_issues": True,
    "has_projects": True,
    "has_downloads": True,
    "has_pages": False,
    "has_discussions": False,
    "allow_forking": True,
    "web_commit_signoff_required": False,
}


def repo_record(repo_id: int, name: str, **fields: Any) -> dict[str, Any]:
    """The stored, compact form of a repo; `render_repo` turns it into GitHub's JSON."""
    record: dict[str, Any] = {
        "id": repo_id,
        "name": name,
        "visibility": "public",
        "archived": False,
        "disabled": False,
        "fork": False,
        "is_template": False,
        "topics": [],
        "description": None,
        "language": None,
        "default_branch": "main",
        "created_at": "2020-01-01T00:00:00Z",
        "updated_at": "2020-01-01T00:00:00Z",
        "pushed_at": "2020-01-01T00:00:00Z",
        "size": 0,
        "stargazers_count": 0,
        "forks_count": 0,
        "open_issues_count": 0,
        "has_wiki": False,
        "license": None,
    }
    record.update(fields)
    if "private" in fields and "visibility" not in fields:
        record["visibility"] = "private" if fields["private"] else "public"
    record["private"] = record["visibility"] != "public"
    return record


def _license(value: Any, api: str) -> Any:
    if isinstance(value, str) and value in _LICENSES:
        lic_name, spdx, lic_node = _LICENSES[value]
        return {"key": value, "name": lic_name, "spdx_id": spdx, "url": f"{api}/licenses/{value}", "node_id": lic_node}
    return value


def render_repo(
    record: dict[str, Any], org: str, org_id: int, api: str, web: str, *, permissions: bool
) -> dict[str, Any]:
    """A `minimal-repository` object as this server answers it, API URLs under `api`."""
    name = record["name"]
    base = f"{api}/repos/{org}/{name}"
    host = web.split("://", 1)[-1]
    out: dict[str, Any] = {
        "id": record["id"],
        "node_id": node_id("Repository", int(record["id"])),
        "name": name,
        "full_name": f"{org}/{name}",
        "private": record.get("visibility", "public") != "public",
        "owner": simple_user(org, org_id, api, web),
        "html_url": f"{web}/{org}/{name}",
        "description": None,
        "fork": False,
        "url": base,
    }
    for key, suffix in _REPO_URLS.items():
        out[key] = base + suffix
    out.update(
        {
            "git_url": f"git://{host}/{org}/{name}.git",
            "ssh_url": f"git@{host}:{org}/{name}.git",
            "clone_url": f"{web}/{org}/{name}.git",
            "svn_url": f"{web}/{org}/{name}",
        }
    )
    out.update(_CONSTANT_FIELDS)
    out.update(record)
    out["private"] = out.get("visibility", "public") != "public"
    out["license"] = _license(record.get("license"), api)
    out["watchers_count"] = out["watchers"] = out.get("stargazers_count", 0)
    out["forks"] = out.get("forks_count", 0)
    out["open_issues"] = out.get("open_issues_count", 0)
    if permissions:
        out["permissions"] = dict(_USER_PERMISSIONS)
    return out


def organization(login: str, org_id: int, api: str, web: str, repos: list[dict[str, Any]], *, full: bool) -> dict[str, Any]:
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
                "plan": {"name": "enterprise", "space": 976562499, "private_repos": 999999, "seats": 250, "filled_seats": 180},
            }
        )
    return out


def private_user(login: str, user_id: int, api: str, web: str) -> dict[str, Any]:
    """The authenticated user (`private-user`) behind a personal access token."""
    out = simple_user(login, user_id, api, web, kind="User")
    out.update(
        {
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
