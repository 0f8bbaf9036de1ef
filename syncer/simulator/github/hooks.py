"""GitHub webhook deliveries: the headers and payloads github.com and GHES send to an org's (or an App's) hook.

Headers as GitHub documents them: `X-GitHub-Event`, `X-GitHub-Delivery` (a GUID), `X-GitHub-Hook-ID`,
`X-GitHub-Hook-Installation-Target-ID`/`-Type`, `X-Hub-Signature` (sha1) and `X-Hub-Signature-256` when the hook
has a secret, `User-Agent: GitHub-Hookshot/...`, and on GHES `X-GitHub-Enterprise-Host`/`-Version`. Payloads:
`repository` (action, `changes` for renamed/transferred/edited, the repository as the fake renders it, the org,
the sender, and for an App's hook the installation), `ping` and `installation_repositories`.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from syncer.simulator.deliveries import DEFAULT_TIMEOUT, Delivery, Hook, Outbox, encode, sign, sign_sha1
from syncer.simulator.github.apps import APP_ID, installation_json
from syncer.simulator.github.model import node_id, organization, simple_user
from syncer.simulator.github.repos import render_repo

if TYPE_CHECKING:
    from syncer.simulator.github.fake import FakeGitHub

GHES_VERSION = "3.14.2"
HOOKSHOT = "GitHub-Hookshot/7f3c2a1"
SENDER = ("acme-admin", 5000001)
TARGETS = ("organization", "integration")
_ORG_SIMPLE = (
    "login", "id", "node_id", "url", "repos_url", "events_url", "hooks_url", "issues_url", "members_url",
    "public_members_url", "avatar_url", "description",
)  # fmt: skip
_ZEN = (
    "Design for failure.",
    "Keep it logically awesome.",
    "Speak like a human.",
    "Approachable is better than simple.",
    "Non-blocking is better than blocking.",
)
_CREATED = "2024-03-01T10:00:00Z"


class GitHubWebhooks:
    """The hook of one fake GitHub host and the deliveries it sends (see `FakeGitHub.hook`)."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self.outbox = Outbox()
        self._hook_ids = itertools.count(1)
        self._zen = itertools.cycle(_ZEN)

    def configure(
        self,
        url: str,
        secret: str | None,
        *,
        orgs: Sequence[str] | None,
        target: str,
        timeout: float = DEFAULT_TIMEOUT,
        verify: bool = True,
    ) -> Hook:
        """Replace the hook (a new hook id each time)."""
        if target not in TARGETS:
            raise ValueError(f"target must be one of {', '.join(TARGETS)}")
        base = 460_000_000 if self.fake.enterprise else 520_000_000
        covered = None if orgs is None else frozenset(o.casefold() for o in orgs)
        hook = Hook(url, secret, base + next(self._hook_ids), timeout, verify, covered, target)
        self.outbox.configure(hook)
        return hook

    # -- JSON shapes ------------------------------------------------------------------------------

    def api(self) -> str:
        """The API base of the URLs in payloads: the fake's own when running, else the host's real one."""
        try:
            return self.fake.url
        except RuntimeError:
            return f"https://{self.fake.hostname}/api/v3" if self.fake.enterprise else "https://api.github.com"

    def org_json(self, org: str) -> dict[str, Any]:
        """The `organization` of a payload (GitHub's short organization object)."""
        full = organization(org, self.fake.org_id(org), self.api(), self.fake.web, [], full=False)
        return {key: full[key] for key in _ORG_SIMPLE}

    def sender(self) -> dict[str, Any]:
        """The user who made the change."""
        return simple_user(*SENDER, self.api(), self.fake.web, kind="User")

    def repo_json(self, org: str, record: dict[str, Any]) -> dict[str, Any]:
        """A repository as the fake renders it (`GET /repos/{owner}/{repo}` without the caller's permissions)."""
        return render_repo(
            record,
            org,
            self.fake.org_id(org),
            self.api(),
            self.fake.web,
            permissions=False,
            properties=self.fake.has_properties,
        )

    def _installation_id(self, org: str) -> int | None:
        folded = org.casefold()
        found = (i for i in self.fake.installations.values() if i.org.casefold() == folded and not i.suspended)
        inst = next(found, None)
        return None if inst is None else inst.id

    def _receives(self, hook: Hook, org: str) -> bool:
        """Whether events about `org` reach the hook (an App's only from orgs it is installed on, unsuspended)."""
        return hook.covers(org) and (hook.target != "integration" or self._installation_id(org) is not None)

    # -- sending ----------------------------------------------------------------------------------

    def headers(
        self,
        hook: Hook,
        event: str,
        delivery_id: str,
        body: bytes,
        org: str | None,
        *,
        secret: str | None = None,
        signature: str | None = None,
        unsigned: bool = False,
    ) -> dict[str, str]:
        """The headers of one delivery, signed with `secret` (else the hook's); `signature` replaces the sha256 one."""
        if hook.target == "integration":
            target_id = APP_ID
        else:
            target_id = self.fake.org_id(org or next(iter(self.fake.orgs), "acme"))
        headers = {
            "Accept": "*/*",
            "Content-Type": "application/json",
            "User-Agent": HOOKSHOT,
            "X-GitHub-Delivery": delivery_id,
            "X-GitHub-Event": event,
            "X-GitHub-Hook-ID": str(hook.id),
            "X-GitHub-Hook-Installation-Target-ID": str(target_id),
            "X-GitHub-Hook-Installation-Target-Type": hook.target,
        }
        if self.fake.enterprise:
            headers["X-GitHub-Enterprise-Host"] = self.fake.hostname
            headers["X-GitHub-Enterprise-Version"] = GHES_VERSION
        key = secret if secret is not None else hook.secret
        if key is not None and not unsigned:
            headers["X-Hub-Signature"] = sign_sha1(key.encode(), body)
            headers["X-Hub-Signature-256"] = sign(key.encode(), body)
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        return headers

    def send(
        self,
        event: str,
        payload: Any,
        *,
        org: str | None = None,
        delivery_id: str | None = None,
        secret: str | None = None,
        signature: str | None = None,
        unsigned: bool = False,
    ) -> Delivery:
        """POST one delivery to the hook (RuntimeError without one); see `FakeGitHub.send`."""
        hook = self.outbox.require()
        body = encode(payload)
        if org is None and isinstance(payload, dict):
            org = (payload.get("organization") or {}).get("login")
        delivery_id = delivery_id or str(uuid.uuid4())
        headers = self.headers(
            hook, event, delivery_id, body, org, secret=secret, signature=signature, unsigned=unsigned
        )
        action = payload.get("action") if isinstance(payload, dict) else None
        return self.outbox.post(hook, delivery_id, event, action, headers, body)

    def repository(
        self, action: str, org: str, record: dict[str, Any], changes: dict[str, Any] | None = None
    ) -> Delivery | None:
        """The `repository` delivery of a change to `record` (now in `org`); None when no hook receives it."""
        hook = self.outbox.hook
        if hook is None or not self._receives(hook, org):
            return None
        payload: dict[str, Any] = {"action": action}
        if changes is not None:
            payload["changes"] = changes
        payload.update(
            {"repository": self.repo_json(org, record), "organization": self.org_json(org), "sender": self.sender()}
        )
        installation = self._installation_id(org)
        if hook.target == "integration" and installation is not None:
            payload["installation"] = {"id": installation, "node_id": node_id("Installation", installation)}
        return self.send("repository", payload, org=org)

    def ping(self, org: str | None = None) -> Delivery:
        """The `ping` GitHub sends when a hook is created (`org`: the hook's org, by default the first covered)."""
        hook = self.outbox.require()
        api = self.api()
        login = org or next((o for o in self.fake.orgs if hook.covers(o)), None) or next(iter(self.fake.orgs))
        config = {"content_type": "json", "insecure_ssl": "0" if hook.verify else "1", "url": hook.url}
        if hook.secret is not None:
            config["secret"] = "********"
        body: dict[str, Any] = {"type": "Organization", "id": hook.id, "name": "web", "active": True}
        body.update({"events": ["repository"], "config": config, "updated_at": _CREATED, "created_at": _CREATED})
        if hook.target == "integration":
            body.update({"type": "App", "app_id": APP_ID, "deliveries_url": f"{api}/app/hook/deliveries"})
            payload: dict[str, Any] = {"zen": next(self._zen), "hook_id": hook.id, "hook": body}
        else:
            hooks = f"{api}/orgs/{login}/hooks/{hook.id}"
            body.update({"url": hooks, "ping_url": f"{hooks}/pings", "deliveries_url": f"{hooks}/deliveries"})
            payload = {"zen": next(self._zen), "hook_id": hook.id, "hook": body, "organization": self.org_json(login)}
        payload["sender"] = self.sender()
        return self.send("ping", payload, org=login)

    def installation_repositories(
        self, org: str, added: Sequence[dict[str, Any]], removed: Sequence[dict[str, Any]]
    ) -> Delivery | None:
        """`installation_repositories` (added or removed) to an App's hook; None for an org's hook or no install.

        Only the delivery: the installation's repositories in the fake stay as they are.
        """
        hook = self.outbox.hook
        installation = self._installation_id(org)
        if hook is None or hook.target != "integration" or installation is None or not hook.covers(org):
            return None
        inst = self.fake.installations[installation]
        api, web = self.api(), self.fake.web

        def short(record: dict[str, Any]) -> dict[str, Any]:
            """The few repository fields these payloads carry."""
            repo_id = int(record["id"])
            name = str(record["name"])
            private = record.get("visibility", "public") != "public"
            return {"id": repo_id, "node_id": node_id("Repository", repo_id), "name": name,
                    "full_name": f"{org}/{name}", "private": private}  # fmt: skip

        payload = {
            "action": "added" if added else "removed",
            "installation": installation_json(inst, api, web),
            "repository_selection": inst.repository_selection,
            "repositories_added": [short(r) for r in added],
            "repositories_removed": [short(r) for r in removed],
            "requester": None,
            "sender": self.sender(),
        }
        return self.send("installation_repositories", payload, org=org)
