"""Changes to the fake GitHub's repos while it runs, and the hook their signed deliveries go to.

`RepoChanges` is the part of `GitHubWorld` that archives, unarchives, publicizes, privatizes and edits repos
(creating, deleting, renaming and transferring are in world.py) and configures the webhook: with a hook, each
change POSTs the matching `repository` delivery before it returns (hooks.py builds and sends them).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from syncer.simulator.github.repos import repo_record

if TYPE_CHECKING:
    from syncer.simulator.deliveries import Delivery, Hook
    from syncer.simulator.github.hooks import GitHubWebhooks

VISIBILITIES = ("public", "private", "internal")
EDITED_FIELDS = ("default_branch", "description", "homepage", "topics")  # what an `edited` delivery's changes name


def _now() -> str:
    return datetime.fromtimestamp(time.time(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class RepoChanges:
    """Archive, visibility and field changes of stored repos, and the webhook API of the fake GitHub."""

    orgs: dict[str, list[dict[str, Any]]]
    webhooks: GitHubWebhooks

    def repo(self, org: str, name: str) -> dict[str, Any]:
        """The stored record of a repo (exact org and name); KeyError when there is none."""
        record = next((r for r in self.orgs.get(org, []) if r["name"] == name), None)
        if record is None:
            raise KeyError(f"no repo {org}/{name}")
        return record

    def archive_repo(self, org: str, name: str, archived: bool = True) -> dict[str, Any]:
        """Archive (or with `archived=False`, unarchive) a repo; `archived`/`unarchived` when it changed."""
        record = self.repo(org, name)
        if bool(record.get("archived")) != archived:
            record.update(archived=archived, updated_at=_now())
            self.webhooks.repository("archived" if archived else "unarchived", org, record)
        return record

    def unarchive_repo(self, org: str, name: str) -> dict[str, Any]:
        """Unarchive a repo (`unarchived` when it was archived)."""
        return self.archive_repo(org, name, archived=False)

    def set_visibility(self, org: str, name: str, visibility: str) -> dict[str, Any]:
        """Make a repo public, private or internal: `publicized` when it becomes public, `privatized` when it stops
        being public (a change between private and internal sends nothing, as GitHub names no action for it).
        """
        if visibility not in VISIBILITIES:
            raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}")
        record = self.repo(org, name)
        was_public = record.get("visibility", "public") == "public"
        record.update(visibility=visibility, private=visibility != "public", updated_at=_now())
        if was_public != (visibility == "public"):
            self.webhooks.repository("publicized" if visibility == "public" else "privatized", org, record)
        return record

    def edit_repo(self, org: str, name: str, **fields: Any) -> dict[str, Any]:
        """Change a repo's fields (topics, description, ...; not its name, org or visibility): `edited`, its
        `changes` holding the previous value of each of default_branch, description, homepage, topics changed.
        """
        record = self.repo(org, name)
        if {"name", "visibility", "private", "archived", "id"} & fields.keys():
            raise ValueError("use rename_repo, set_visibility or archive_repo for those fields")
        changed = {key: value for key, value in fields.items() if record.get(key) != value}
        if changed:
            changes = {key: {"from": record.get(key)} for key in EDITED_FIELDS if key in changed}
            record.update(changed, updated_at=_now())
            self.webhooks.repository("edited", org, record, changes)
        return record

    # -- webhooks ---------------------------------------------------------------------------------

    def hook(
        self,
        url: str,
        secret: str | None = None,
        *,
        orgs: Sequence[str] | None = None,
        target: str = "organization",
        timeout: float = 5.0,
        verify: bool = True,
    ) -> Hook:
        """Send a signed delivery to `url` for every change from now on (replaces any hook; `reset` removes it).

        `orgs` limits the hook to those orgs (default: every org of the host); `target="integration"` makes it a
        GitHub App's hook (events only from orgs with an unsuspended installation, carrying `installation`).
        Without a secret deliveries go unsigned, as GitHub sends them. The hook's `id` is its X-GitHub-Hook-ID.
        """
        return self.webhooks.configure(url, secret, orgs=orgs, target=target, timeout=timeout, verify=verify)

    def unhook(self) -> None:
        """Stop sending deliveries (those sent stay in `deliveries`)."""
        self.webhooks.outbox.configure(None)

    @property
    def deliveries(self) -> list[Delivery]:
        """Every delivery sent so far (since the last reset), in order."""
        return self.webhooks.outbox.deliveries

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
        """Send any event to the hook (RuntimeError without one) and return the delivery.

        `payload` is JSON-encoded unless bytes or text (sent as they are); `delivery_id` reuses an id (a duplicate);
        `secret` signs with another secret (a wrong signature), `signature` sends that X-Hub-Signature-256 value,
        `unsigned` leaves both signature headers out. `org` names the hook's target (default: the payload's org).
        """
        return self.webhooks.send(
            event, payload, org=org, delivery_id=delivery_id, secret=secret, signature=signature, unsigned=unsigned
        )

    def ping(self, org: str | None = None) -> Delivery:
        """Send the `ping` GitHub sends when a hook is created (`zen`, `hook_id`, `hook`)."""
        return self.webhooks.ping(org)

    def redeliver(self, delivery: Delivery) -> Delivery:
        """Send a delivery again, with the same X-GitHub-Delivery, headers and body (GitHub's "Redeliver")."""
        return self.webhooks.outbox.redeliver(delivery)

    def installation_repositories(
        self, org: str, *, added: Sequence[str] = (), removed: Sequence[str] = ()
    ) -> Delivery | None:
        """Send an App's hook `installation_repositories` for repos of `org` added to or removed from its
        installation (exactly one of the two); the fake's listings do not change. None without an App's hook.
        """
        if bool(added) == bool(removed):
            raise ValueError("name the repos either added or removed")
        known = {str(r["name"]): r for r in self.orgs.get(org, [])}
        records = [known.get(n) or repo_record(0, n) for n in (added or removed)]
        return self.webhooks.installation_repositories(org, records if added else [], [] if added else records)
