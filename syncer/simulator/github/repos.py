"""GitHub repositories: the stored record, its `minimal-repository` JSON, filtering, ordering and fast encoding.

Also the validators of a listing page: its weak `ETag` (over the body, the Link header and who asked, as GitHub's
`Vary: Authorization` answers differ per caller) and `If-None-Match` matching, and the counters of list answers.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from syncer.simulator.github.model import node_id, simple_user
from syncer.simulator.wire import dumps

REPO_TYPES = frozenset({"all", "public", "private", "forks", "sources", "member"})
_SORT_KEYS = {"created": "created_at", "updated": "updated_at", "pushed": "pushed_at"}

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
        "custom_properties": {},
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


_URL_KEYS = frozenset({"url", "html_url", "git_url", "ssh_url", "clone_url", "svn_url", *_REPO_URLS})
_SPLICED_KEYS = _URL_KEYS | {"owner", "full_name", "permissions"}
_OVERRIDABLE_KEYS = _SPLICED_KEYS | set(_CONSTANT_FIELDS)
_MARK = "\x00"
_PLAIN_NAME = re.compile(r"[A-Za-z0-9._-]+")
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _url_fields(org: str, name: str, api: str, web: str) -> dict[str, str]:
    base = f"{api}/repos/{org}/{name}"
    host = web.split("://", 1)[-1]
    fields = {"url": base, "html_url": f"{web}/{org}/{name}"}
    fields.update({key: base + suffix for key, suffix in _REPO_URLS.items()})
    fields.update(
        {
            "git_url": f"git://{host}/{org}/{name}.git",
            "ssh_url": f"git@{host}:{org}/{name}.git",
            "clone_url": f"{web}/{org}/{name}.git",
            "svn_url": f"{web}/{org}/{name}",
        }
    )
    return fields


def _derived(record: dict[str, Any], api: str) -> dict[str, Any]:
    return {
        "private": record.get("visibility", "public") != "public",
        "license": _license(record.get("license"), api),
        "watchers_count": record.get("stargazers_count", 0),
        "watchers": record.get("stargazers_count", 0),
        "forks": record.get("forks_count", 0),
        "open_issues": record.get("open_issues_count", 0),
    }


def render_repo(
    record: dict[str, Any], org: str, org_id: int, api: str, web: str, *, permissions: bool, properties: bool = True
) -> dict[str, Any]:
    """A `minimal-repository` object as this server answers it, API URLs under `api` (`custom_properties` only
    with `properties`: servers and routes without them leave the field out)."""
    name = str(record["name"])
    out: dict[str, Any] = {"id": record["id"], "node_id": "", "name": name, "description": None, "fork": False}
    out.update(_CONSTANT_FIELDS)
    out.update(record)
    if not properties:
        out.pop("custom_properties", None)
    out.update(_derived(record, api))
    out.update(_url_fields(org, name, api, web))
    out.update({"node_id": node_id("Repository", int(record["id"])), "full_name": f"{org}/{name}"})
    out["owner"] = simple_user(org, org_id, api, web)
    if permissions:
        out["permissions"] = dict(_USER_PERMISSIONS)
    else:
        out.pop("permissions", None)
    return out


class RepoRenderer:
    """Encodes many repos of one org to JSON quickly; the result equals `render_repo` for each."""

    def __init__(
        self, org: str, org_id: int, api: str, web: str, *, permissions: bool, properties: bool = True
    ) -> None:
        self._api = api
        self._properties = properties
        urls = dumps({**_url_fields(org, _MARK, api, web), "full_name": f"{org}/{_MARK}"}).decode()
        self._url_chunks = urls[1:-1].split("\\u0000")
        owner = '"owner":' + dumps(simple_user(org, org_id, api, web)).decode()
        self._permissions = '"permissions":' + dumps(_USER_PERMISSIONS).decode() if permissions else ""
        self._constants = {key: dumps({key: value}).decode()[1:-1] for key, value in _CONSTANT_FIELDS.items()}
        self._owner = owner
        self._tail = ",".join(filter(None, [owner, *self._constants.values(), self._permissions]))

    def encode(self, record: dict[str, Any]) -> str:
        """One repo as a JSON object."""
        dynamic = {
            "id": record["id"],
            "node_id": node_id("Repository", int(record["id"])),
            "name": record["name"],
            "description": None,
            "fork": False,
            **record,
            **_derived(record, self._api),
        }
        if "node_id" in record:
            dynamic["node_id"] = node_id("Repository", int(record["id"]))
        if not self._properties:
            dynamic.pop("custom_properties", None)
        name = str(record["name"])
        if not _PLAIN_NAME.fullmatch(name):
            name = _ENCODER.encode(name)[1:-1]
        if _OVERRIDABLE_KEYS.isdisjoint(record):
            tail = self._tail
        else:
            for key in _SPLICED_KEYS.intersection(record):
                del dynamic[key]
            constants = [text for key, text in self._constants.items() if key not in record]
            tail = ",".join(filter(None, [self._owner, *constants, self._permissions]))
        return "{" + _ENCODER.encode(dynamic)[1:-1] + "," + name.join(self._url_chunks) + "," + tail + "}"

    def encode_list(self, records: list[dict[str, Any]]) -> bytes:
        """A JSON array of repos."""
        return ("[" + ",".join(self.encode(r) for r in records) + "]").encode("utf-8")


def select_repos(records: list[dict[str, Any]], kind: str, sort: str, direction: str) -> list[dict[str, Any]]:
    """Filter by `type` (all, public, private, forks, sources, member) and order by `sort`/`direction`."""
    repos = list(records)
    if kind in ("public", "private"):
        repos = [r for r in repos if (r.get("visibility", "public") == "public") == (kind == "public")]
    elif kind in ("forks", "sources"):
        repos = [r for r in repos if bool(r.get("fork")) == (kind == "forks")]
    if sort == "full_name":
        repos.sort(key=lambda r: (str(r["name"]).casefold(), r["id"]), reverse=direction == "desc")
    else:
        field = _SORT_KEYS.get(sort, "created_at")
        repos.sort(key=lambda r: (str(r.get(field, "")), r["id"]), reverse=direction != "asc")
    return repos


def page_etag(body: bytes, link: str | None, caller: str) -> str:
    """The weak ETag of a list page: changes with its content, its Link header and who asked (`Vary`)."""
    digest = hashlib.sha256(caller.encode() + b"\n" + (link or "").encode() + b"\n" + body).hexdigest()
    return f'W/"{digest}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an `If-None-Match` header names `etag` (weak comparison, as RFC 9110 asks for this header)."""
    if not if_none_match:
        return False
    wanted = _opaque(etag)
    return any(tag == "*" or _opaque(tag) == wanted for tag in (t.strip() for t in if_none_match.split(",")))


def _opaque(tag: str) -> str:
    return tag[2:] if tag.startswith(("W/", "w/")) else tag


@dataclass
class ListingCounters:
    """Answers of the org repo listings since the last reset, and the rate-limit points they were charged.

    `not_modified`: 304s; `modified`: 200s to a request carrying `If-None-Match`; `unconditional`: 200s to one
    without; `points`: primary rate-limit points charged for listing pages, per caller (`token:<token>`,
    `inst:<installation id>`, `anon`) — a 304 is not charged.
    """

    not_modified: int = 0
    modified: int = 0
    unconditional: int = 0
    points: Counter[str] = field(default_factory=Counter)

    def clear(self) -> None:
        """Back to zero."""
        self.not_modified = self.modified = self.unconditional = 0
        self.points.clear()
