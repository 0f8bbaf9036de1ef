"""The fake Jira's projects changed while it runs, and the admin webhook their signed deliveries go to.

With a hook (`hook(url, secret)`), each change POSTs the delivery Jira sends to an admin webhook before it
returns: `X-Atlassian-Webhook-Identifier` (unique per delivery), `X-Atlassian-Webhook-Flow: Primary`,
`X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>` when the hook has a secret, and the body
`{"timestamp": ms, "webhookEvent": "project_...", "project": {...}}`, its `self` URL on the site's own base URL
(`https://{hostname}`, what Jira calls its base URL; the fake itself answers on loopback).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from syncer.simulator.deliveries import DEFAULT_TIMEOUT, Delivery, Hook, Outbox, encode, sign
from syncer.simulator.jira_model import webhook_project_json

USER_AGENT = "Atlassian Webhook HTTP Client"
PROJECT_EVENTS = (
    "project_created",
    "project_updated",
    "project_deleted",
    "project_soft_deleted",
    "project_restored_deleted",
    "project_archived",
    "project_restored_archived",
)
_FIXED = frozenset({"id", "key", "status", "previous_keys"})


def _changed_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


class JiraWorld:
    """The projects of one fake Jira site, the ways tests change them, and the site's admin webhook."""

    hostname: str
    cloud: bool
    projects: list[dict[str, Any]]
    outbox: Outbox

    @property
    def site(self) -> str:
        """The site's base URL as Jira names it in payloads: `https://{hostname}`."""
        return f"https://{self.hostname}"

    def project(self, key: str) -> dict[str, Any]:
        """The stored record of a project by its current key; KeyError when there is none."""
        record = next((p for p in self.projects if p["key"] == key), None)
        if record is None:
            raise KeyError(f"no project {key}")
        return record

    # -- changes ----------------------------------------------------------------------------------

    def add_project(self, key: str, name: str, **fields: Any) -> dict[str, Any]:
        """Create a project record (`projectTypeKey`, `status` live/archived/deleted, `category`, ...):
        `project_created`.
        """
        next_id = max((int(p["id"]) for p in self.projects), default=9999) + 1
        record: dict[str, Any] = {
            "id": str(next_id),
            "key": key,
            "name": name,
            "projectTypeKey": "software",
            "simplified": False,
            "isPrivate": False,
            "category": None,
            "status": "live",
            "changed": "2025-01-01T00:00:00.000+0000",
            "description": f"{name} work tracking",
        }
        record.update(fields)
        self.projects.append(record)
        self._announce("project_created", record)
        return record

    def rename_project(self, key: str, new_key: str) -> dict[str, Any]:
        """Change a project's key; as in Jira, the old key still finds it (`/project/{old}` answers the new key).

        Sends `project_updated`; the id stays.
        """
        record = self.project(key)
        record["previous_keys"] = [*record.get("previous_keys", []), key]
        record["key"] = new_key
        self._announce("project_updated", record)
        return record

    def update_project(self, key: str, **fields: Any) -> dict[str, Any]:
        """Change a project's name, category, type, ... (not its key or status): `project_updated`."""
        if _FIXED & fields.keys():
            raise ValueError("use rename_project, archive_project, remove_project or restore_project for those")
        record = self.project(key)
        record.update(fields)
        self._announce("project_updated", record)
        return record

    def archive_project(self, key: str) -> dict[str, Any]:
        """Archive a live project (gone from the default listings): `project_archived`."""
        record = self.project(key)
        if record.get("status", "live") != "live":
            raise ValueError(f"project {key} is {record['status']}, not live")
        record.update(status="archived", changed=_changed_now())
        self._announce("project_archived", record)
        return record

    def remove_project(self, key: str, *, permanently: bool | None = None) -> dict[str, Any]:
        """Delete a project: to the trash (`project_soft_deleted`, status deleted) or for good (`project_deleted`).

        By default Cloud moves it to the trash and Data Center deletes it; a project in the trash is always deleted
        for good. Returns the record as it was last stored.
        """
        record = self.project(key)
        if permanently is None:
            permanently = not self.cloud or record.get("status") == "deleted"
        if permanently:
            self.projects.remove(record)
            self._announce("project_deleted", record)
        else:
            record.update(status="deleted", changed=_changed_now())
            self._announce("project_soft_deleted", record)
        return record

    def restore_project(self, key: str) -> dict[str, Any]:
        """Bring an archived or trashed project back to live: `project_restored_archived` or `..._deleted`."""
        record = self.project(key)
        status = record.get("status", "live")
        if status not in ("archived", "deleted"):
            raise ValueError(f"project {key} is {status}: nothing to restore")
        record.update(status="live", changed=_changed_now())
        self._announce("project_restored_archived" if status == "archived" else "project_restored_deleted", record)
        return record

    # -- webhooks ---------------------------------------------------------------------------------

    def hook(
        self, url: str, secret: str | None = None, *, timeout: float = DEFAULT_TIMEOUT, verify: bool = True
    ) -> Hook:
        """Send an admin-webhook delivery to `url` for every project change from now on (replaces any hook;
        `reset` removes it); signed with `secret` in `X-Hub-Signature`, unsigned without one.
        """
        hook = Hook(url, secret, timeout=timeout, verify=verify)
        self.outbox.configure(hook)
        return hook

    def unhook(self) -> None:
        """Stop sending deliveries (those sent stay in `deliveries`)."""
        self.outbox.configure(None)

    @property
    def deliveries(self) -> list[Delivery]:
        """Every delivery sent so far (since the last reset), in order."""
        return self.outbox.deliveries

    def send(
        self,
        event: str | None,
        payload: Any,
        *,
        delivery_id: str | None = None,
        secret: str | None = None,
        signature: str | None = None,
        unsigned: bool = False,
    ) -> Delivery:
        """Send any body to the hook (RuntimeError without one) and return the delivery.

        `payload` is JSON-encoded unless bytes or text; `event` only labels the delivery in `deliveries` (Jira names
        it in the body's `webhookEvent`; None: taken from there). `delivery_id` reuses an identifier (a duplicate),
        `secret` signs with another secret, `signature` sends that X-Hub-Signature value, `unsigned` sends none.
        """
        hook = self.outbox.require()
        body = encode(payload)
        if event is None:
            event = str(payload.get("webhookEvent", "")) if isinstance(payload, dict) else ""
        delivery_id = delivery_id or str(uuid.uuid4())
        headers = {
            "Accept": "*/*",
            "Content-Type": "application/json; charset=UTF-8",
            "User-Agent": USER_AGENT,
            "X-Atlassian-Webhook-Identifier": delivery_id,
            "X-Atlassian-Webhook-Flow": "Primary",
        }
        key = secret if secret is not None else hook.secret
        if key is not None and not unsigned:
            headers["X-Hub-Signature"] = sign(key.encode(), body)
        if signature is not None:
            headers["X-Hub-Signature"] = signature
        return self.outbox.post(hook, delivery_id, event, None, headers, body)

    def redeliver(self, delivery: Delivery) -> Delivery:
        """Send a delivery again with the same identifier, headers and body (as Jira's retries do)."""
        return self.outbox.redeliver(delivery)

    def event_payload(self, event: str, record: dict[str, Any]) -> dict[str, Any]:
        """The body of a project_* delivery about `record`."""
        project = webhook_project_json(record, self.site, cloud=self.cloud)
        return {"timestamp": int(time.time() * 1000), "webhookEvent": event, "project": project}

    def _announce(self, event: str, record: dict[str, Any]) -> Delivery | None:
        if self.outbox.hook is None:
            return None
        return self.send(event, self.event_payload(event, record))
