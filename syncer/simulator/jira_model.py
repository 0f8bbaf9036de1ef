"""Jira REST JSON shapes: Project, User and ServerInformation, for Cloud and Data Center."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

_CLOUD_EXPAND = "description,lead,issueTypes,url,projectKeys,permissions,insight"
_DC_EXPAND = "description,lead,url,projectKeys"
_AVATAR_SIZES = (("48x48", ""), ("24x24", "?size=small"), ("16x16", "?size=xsmall"), ("32x32", "?size=medium"))
_CATEGORY_IDS = {"Engineering": "10000", "Business": "10001", "Operations": "10002"}


def user_json(base: str, *, cloud: bool, display: str = "Acme Admin") -> dict[str, Any]:
    """A Jira user: Cloud identifies users by accountId, Data Center by name and key."""
    avatars = {size: f"https://avatar-management.example.com/default/{size}.png" for size, _ in _AVATAR_SIZES}
    if cloud:
        account = "5b10a2844c20165700ede21g"
        return {
            "self": f"{base}/rest/api/2/user?accountId={account}",
            "accountId": account,
            "avatarUrls": avatars,
            "displayName": display,
            "active": True,
        }
    return {
        "self": f"{base}/rest/api/2/user?username=admin",
        "key": "JIRAUSER10000",
        "name": "admin",
        "avatarUrls": avatars,
        "displayName": display,
        "active": True,
    }


def project_json(
    record: dict[str, Any], base: str, expand: set[str], *, cloud: bool, archive_fields: bool
) -> dict[str, Any]:
    """A `Project`; on Cloud the archive and trash fields appear only in `/project/search` and `/project/{key}`."""
    pid = str(record["id"])
    avatar = 10400 + int(pid) % 25
    out: dict[str, Any] = {
        "expand": _CLOUD_EXPAND if cloud else _DC_EXPAND,
        "self": f"{base}/rest/api/2/project/{pid}",
        "id": pid,
        "key": record["key"],
        "name": record["name"],
        "avatarUrls": {
            size: f"{base}/rest/api/2/universal_avatar/view/type/project/avatar/{avatar}{query}"
            for size, query in _AVATAR_SIZES
        },
    }
    category = record.get("category")
    if category:
        cid = _CATEGORY_IDS.get(category, "10009")
        out["projectCategory"] = {
            "self": f"{base}/rest/api/2/projectCategory/{cid}",
            "id": cid,
            "name": category,
            "description": f"{category} projects",
        }
    out["projectTypeKey"] = record["projectTypeKey"]
    status = record.get("status", "live")
    if cloud:
        out.update(
            {
                "simplified": bool(record.get("simplified")),
                "style": "next-gen" if record.get("simplified") else "classic",
                "isPrivate": bool(record.get("isPrivate")),
                "properties": {},
            }
        )
        if record.get("simplified"):
            out["uuid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"jira-project/{pid}/{record['key']}"))
        if archive_fields and status == "archived":
            admin = user_json(base, cloud=True)
            out.update({"archived": True, "archivedDate": record["changed"], "archivedBy": admin})
        if archive_fields and status == "deleted":
            admin = user_json(base, cloud=True)
            out.update(
                {
                    "deleted": True,
                    "deletedDate": record["changed"],
                    "deletedBy": admin,
                    "retentionTillDate": record["changed"],
                }
            )
    else:
        out["archived"] = status == "archived"
    if "description" in expand:
        out["description"] = record.get("description", "")
    if "lead" in expand:
        out["lead"] = user_json(base, cloud=cloud, display="Project Lead")
    if "projectKeys" in expand:
        out["projectKeys"] = [record["key"]]
    if "url" in expand:
        out["url"] = ""
    if "insight" in expand and cloud:
        out["insight"] = {"totalIssueCount": 10 + int(pid) % 900, "lastIssueUpdateTime": record["changed"]}
    return out


def server_info(base: str, *, cloud: bool) -> dict[str, Any]:
    """`GET /rest/api/2/serverInfo`: deploymentType "Cloud", or "Server" for Data Center."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    if cloud:
        return {
            "baseUrl": base,
            "displayUrl": base,
            "version": "1001.0.0-SNAPSHOT",
            "versionNumbers": [1001, 0, 0],
            "deploymentType": "Cloud",
            "buildNumber": 100282,
            "buildDate": "2025-01-14T02:00:55.000+0000",
            "serverTime": now,
            "scmInfo": "6b7c5fd6a2a4f3a5f3e0d58ad5c4b5b2ac1e3a70",
            "serverTitle": "Jira",
            "serverTimeZone": "Etc/UTC",
        }
    return {
        "baseUrl": base,
        "version": "9.12.15",
        "versionNumbers": [9, 12, 15],
        "deploymentType": "Server",
        "buildNumber": 9120015,
        "buildDate": "2024-10-01T00:00:00.000+0000",
        "serverTime": now,
        "scmInfo": "2a0d7c3bbf6f3d3b8e6a2a8c4f1f0e9d8c7b6a5f",
        "serverTitle": "Acme Jira",
    }


def webhook_project_json(record: dict[str, Any], base: str, *, cloud: bool) -> dict[str, Any]:
    """The `project` of a project_* webhook delivery: a numeric `id`, `projectLead` and `assigneeType`."""
    listed = project_json(record, base, set(), cloud=cloud, archive_fields=False)
    out: dict[str, Any] = {
        "self": listed["self"],
        "id": int(record["id"]),
        "key": record["key"],
        "name": record["name"],
        "avatarUrls": listed["avatarUrls"],
    }
    category = listed.get("projectCategory")
    if category is not None:
        out["projectCategory"] = dict(category, id=int(category["id"]))
    lead = user_json(base, cloud=cloud, display="Project Lead")
    lead.update({"timeZone": "Etc/UTC", "accountType": "atlassian"} if cloud else {"timeZone": "Etc/UTC"})
    if not cloud:
        lead["emailAddress"] = "admin@acme.example.com"
    out.update({"projectLead": lead, "assigneeType": "admin.assignee.type.unassigned"})
    return out
