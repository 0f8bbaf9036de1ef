"""The fake GitHub's world: its orgs, repos, tokens, apps and installations, and changes made while it runs.

Each change of a repo (created, deleted, renamed, transferred here; archived, unarchived, publicized, privatized,
edited in changes.py) also sends the matching signed `repository` delivery when a hook is configured (`hook`).
"""

from __future__ import annotations

import random
import re
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from syncer.simulator import seed
from syncer.simulator.github.apps import APP_ID, Installation, InstallationToken, app_keypair
from syncer.simulator.github.changes import RepoChanges
from syncer.simulator.github.repos import repo_record
from syncer.simulator.ratelimit import RateWindow


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Change:
    """A change of the world made when a matching request arrives, before it is answered (`during`)."""

    path: str
    action: Callable[[], object]
    query: str = ""
    times: int | None = 1
    hits: int = 0

    def matches(self, path: str, query: str) -> bool:
        """Whether this change applies to a request (path and query are regular expressions, searched)."""
        return re.search(self.path, path) is not None and re.search(self.query, query) is not None


@dataclass
class Paging:
    """Odd pagination of the org repo listings, for testing clients against it (everything off by default).

    `links(page, last)` replaces the Link relations of a page (rel -> page number; None keeps the real ones);
    `ignore_page` answers page 1's repos whatever page is asked (a proxy that drops the query), with the Link
    header of the page asked; `hidden` leaves repos out of every page (a listing that misses them), while
    `GET /repos/{owner}/{repo}` still finds them; `etag_of_body` makes a page's ETag cover its body alone, not its
    Link header (so a full last page keeps its ETag when a page is added after it).
    """

    links: Callable[[int, int], dict[str, int] | None] | None = None
    ignore_page: bool = False
    hidden: set[str] = field(default_factory=set)
    etag_of_body: bool = False


GHES_VERSION = (3, 19)  # the GitHub Enterprise Server a fake GHES plays by default (tools/fidelity checks it)
PROPERTIES_SINCE = (3, 13)  # GHES with custom properties (`/orgs/{org}/properties/*`, in `full-repository`)
LISTED_PROPERTIES_SINCE = (3, 18)  # GHES whose org listing (`minimal-repository`) carries `custom_properties`


class GitHubWorld(RepoChanges):
    """The state of one fake GitHub host, seeded deterministically, and the ways tests change it."""

    hostname: str

    def _init_world(self, hostname: str, scale: str, seed_value: int) -> None:
        self.enterprise = hostname != "github.com"
        self.version = GHES_VERSION if self.enterprise else None  # (major, minor) of the GHES it plays
        self.scale, self.seed_value = scale, seed_value
        self.rate_limit = 5000
        self.anonymous_rate_limit = 60
        self.token_ttl = 3600.0
        self.anonymous_access = not self.enterprise
        self.tokens: set[str] = set()
        self.orgs: dict[str, list[dict[str, Any]]] = {}
        self.org_ids: dict[str, int] = {}
        self.apps: dict[int, str] = {}
        self.installations: dict[int, Installation] = {}
        self.installation_tokens: dict[str, InstallationToken] = {}
        self.moved: dict[tuple[str, str], int] = {}  # (org, old name) casefolded -> repo id, for 301s
        self.paging = Paging()
        self.echo_credentials: int | None = None  # answer every request with this status, echoing Authorization
        self._changes: list[Change] = []
        self._changes_lock = threading.Lock()
        self._windows: dict[str, RateWindow] = {}
        self._next_repo_id = 0

    # -- data -------------------------------------------------------------------------------------

    @property
    def app_private_key(self) -> str:
        """PEM private key of the simulated GitHub App (sign JWTs with it)."""
        return app_keypair()[0]

    @property
    def token(self) -> str:
        """The personal access token accepted out of the box."""
        return seed.GHES_TOKEN if self.enterprise else seed.GITHUB_TOKEN

    def reseed(self) -> None:
        """Restore seeded orgs, repos, tokens, apps, installations, limits and fresh rate-limit windows."""
        self.rate_limit, self.anonymous_rate_limit, self.token_ttl = 5000, 60, 3600.0
        self.version = GHES_VERSION if self.enterprise else None
        self.anonymous_access = not self.enterprise
        self.tokens.clear()
        self.tokens.add(self.token)
        self.orgs.clear()
        self.org_ids.clear()
        self._next_repo_id = 410_000_000 if self.enterprise else 510_000_000
        for org, count in seed.github_layout(self.hostname, self.scale).items():
            rng = random.Random(f"{self.seed_value}:{self.hostname}:{org}")
            values = random.Random(f"{self.seed_value}:{self.hostname}:{org}:properties")  # apart: rng's draws stay
            share = 0.3 if self.enterprise else (0.08 if org == "acme" else 0.0)
            self.orgs[org] = [
                repo_record(
                    self._new_repo_id(rng),
                    name,
                    **seed.repo_traits(rng, name, internal_share=share),
                    custom_properties=seed.repo_properties(values, name),
                )
                for name in seed.repo_names(rng, count)
            ]
            self.org_id(org)
        self.apps.clear()
        self.apps[APP_ID] = app_keypair()[1]
        self.installations.clear()
        if self.enterprise:
            installs = [Installation(61001, "platform", self.org_id("platform"))]
        else:
            installs = [
                Installation(51001, "acme", self.org_id("acme")),
                Installation(51002, "acme-labs", self.org_id("acme-labs")),
                Installation(51003, "acme-old", self.org_id("acme-old"), suspended=True),
            ]
        self.installations.update({inst.id: inst for inst in installs})
        self.installation_tokens.clear()
        self.moved.clear()
        self.paging = Paging()
        self.echo_credentials = None
        with self._changes_lock:
            self._changes.clear()
        self._windows.clear()
        self.webhooks.outbox.clear()

    def _new_repo_id(self, rng: random.Random | None = None) -> int:
        self._next_repo_id += 1 + (rng.randrange(0, 5000) if rng else 0)
        return self._next_repo_id

    def org_id(self, login: str) -> int:
        """The numeric id of an org (stable; assigned on first use for orgs added at run time)."""
        if login not in self.org_ids:
            known = {"acme": 81234567, "acme-labs": 81234590, "acme-old": 70011223, "platform": 12}
            self.org_ids[login] = known.get(login, 90_000_000 + zlib.crc32(login.encode()) % 9_000_000)
        return self.org_ids[login]

    def add_repo(self, org: str, name: str, **fields: Any) -> dict[str, Any]:
        """Create a repo (created/updated/pushed now unless given; custom properties: the required ones' defaults)
        and return its stored record (`created`)."""
        now = _iso(time.time())
        defaults = {p["property_name"]: p["default_value"] for p in seed.CUSTOM_PROPERTIES if p["required"]}
        fields = {"created_at": now, "updated_at": now, "pushed_at": now, "custom_properties": defaults, **fields}
        record = repo_record(self._new_repo_id(), name, **fields)
        self.org_id(org)
        self.orgs.setdefault(org, []).append(record)
        self.webhooks.repository("created", org, record)
        return record

    def remove_repo(self, org: str, name: str) -> bool:
        """Delete a repo by name (`deleted`, with the repo as it was); False when it did not exist."""
        repos = self.orgs.get(org, [])
        for index, record in enumerate(repos):
            if record["name"] == name:
                del repos[index]
                self.webhooks.repository("deleted", org, record)
                return True
        return False

    def rename_repo(self, org: str, name: str, new_name: str, new_org: str | None = None) -> dict[str, Any]:
        """Rename (and with `new_org`, transfer) a repo; the old name then answers 301 to `/repositories/{id}`.

        Sends `transferred` (the old owner in `changes.owner.from.organization`) when the org changes, then
        `renamed` (`changes.repository.name.from`) when the name does; the id stays.
        """
        record = self.repo(org, name)
        owner = org
        if new_org is not None and new_org != org:
            self.orgs[org].remove(record)
            self.org_id(new_org)
            self.orgs.setdefault(new_org, []).append(record)
            owner = new_org
        record["name"] = new_name
        self.moved[(org.casefold(), name.casefold())] = int(record["id"])
        if owner != org:
            previous = {"owner": {"from": {"organization": self.webhooks.org_json(org)}}}
            self.webhooks.repository("transferred", owner, record, previous)
        if new_name != name:
            self.webhooks.repository("renamed", owner, record, {"repository": {"name": {"from": name}}})
        return record

    def transfer_repo(self, org: str, name: str, new_org: str) -> dict[str, Any]:
        """Move a repo to another org, keeping its name and id (`transferred`)."""
        return self.rename_repo(org, name, name, new_org)

    def during(self, path: str, action: Callable[[], object], *, query: str = "", times: int | None = 1) -> Change:
        """Run `action` when a request matching `path` (and `query`) arrives, before it is answered.

        E.g. `during(r"/orgs/acme/repos$", lambda: fake.remove_repo("acme", name), query=r"\bpage=2\b")` deletes a
        repo while a client is between pages 1 and 2 of a listing.
        """
        change = Change(path, action, query, times)
        with self._changes_lock:
            self._changes.append(change)
        return change

    def _apply_changes(self, path: str, query: str) -> None:
        with self._changes_lock:
            due = [c for c in self._changes if (c.times is None or c.hits < c.times) and c.matches(path, query)]
            for change in due:
                change.hits += 1
        for change in due:
            change.action()

    @property
    def has_properties(self) -> bool:
        """Whether this server has custom properties (github.com; GHES from 3.13)."""
        return self.version is None or self.version >= PROPERTIES_SINCE

    @property
    def lists_properties(self) -> bool:
        """Whether its org listing carries each repo's `custom_properties` (github.com; GHES from 3.18)."""
        return self.version is None or self.version >= LISTED_PROPERTIES_SINCE

    def set_properties(self, org: str, name: str, **values: str | list[str] | None) -> dict[str, Any]:
        """Set (None: unset) custom property values of a repo; returns its record."""
        record = self.repo(org, name)
        held = dict(record.get("custom_properties") or {})
        for prop, value in values.items():
            if value is None:
                held.pop(prop, None)
            else:
                held[prop] = value
        record["custom_properties"] = held
        return record

    def find_org(self, login: str) -> str | None:
        """The org key matching `login` case-insensitively, or None."""
        if login in self.orgs:
            return login
        folded = login.casefold()
        return next((org for org in self.orgs if org.casefold() == folded), None)
