"""The Datadog change event of an applied write (SPEC §10): one Events API v2 event per PUT that changed a list.

With `datadog.events: true`, every run that wrote a list posts one event with category `change` to
`POST /api/v2/events` on `https://event-management-intake.{site}` (the host `EventsApi.create_event` of the official
client uses for each site), or on `datadog.api_url` when that is set. The event names the changed resource (the
integration's config), says `author.type: automation`, and its text gives the counts and up to 50 added and 50
removed entries. Posting it never changes the run's result: a failure is logged and counted, nothing else.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence

from syncer import metrics
from syncer.config.schema import DatadogConfig
from syncer.datadog.client import DatadogClient
from syncer.deadline import Deadline
from syncer.errors import SyncerError
from syncer.model import JSON, Entry, IntegrationReport
from syncer.redact import redact

log = logging.getLogger(__name__)
PATH = "/api/v2/events"
INTAKE = "https://event-management-intake.{site}"
LISTED = 50  # entries named per kind (added, removed) in the event's text
MESSAGE_LIMIT = 4000  # Datadog's limit on `message`
TITLE_LIMIT = 500
NAME_LIMIT = 128  # changed_resource.name, author.name, impacted_resources[].name
POST_SECONDS = 15.0  # one event post, retries included: it never holds a run for longer


def url(config: DatadogConfig) -> str:
    """Where events go: `{api_url}/api/v2/events` when api_url is set, else the site's event intake."""
    base = config.api_url.rstrip("/") if config.api_url else INTAKE.format(site=config.site)
    return base + PATH


def wanted(config: DatadogConfig, report: IntegrationReport) -> bool:
    """True when `report` is a write that changed a list and events are switched on."""
    return bool(config.events and report.applied and report.plan is not None and report.plan.has_changes)


def announce_all(
    client: DatadogClient,
    config: DatadogConfig,
    reports: Sequence[IntegrationReport],
    stop: threading.Event | None = None,
) -> int:
    """Post the change event of every report that wants one, within one POST_SECONDS for them all (ended early by
    `stop`: a signal); how many were accepted. Never raises."""
    bound = Deadline(POST_SECONDS, stop=stop, label="the change events' time limit")
    return sum(announce(client, config, report, bound) for report in reports)


def announce(
    client: DatadogClient, config: DatadogConfig, report: IntegrationReport, bound: Deadline | None = None
) -> bool:
    """Post the change event of `report` when `wanted`; True when one was accepted. Never raises: whatever goes
    wrong is logged and counted, and the run's result stays what it is.

    The post, retries included, ends at `bound` (default: POST_SECONDS from now)."""
    if not wanted(config, report):
        return False
    name = str(report.integration)
    try:
        client.post_event(
            url(config), body(report), bound or Deadline(POST_SECONDS, label="the change event's time limit")
        )
    except Exception as exc:  # an event is never worth a run: a library surprise is a failed post, not a crash
        metrics.CHANGE_EVENTS.labels(integration=name, result="failed").inc()
        reason = str(exc) if isinstance(exc, SyncerError) else f"{type(exc).__name__}: {exc}"
        log.warning(
            "%s: the Datadog change event was not posted: %s",
            name,
            redact(reason),
            extra={"event": "change_event_failed", "integration": name, "run_id": report.run_id},
        )
        return False
    metrics.CHANGE_EVENTS.labels(integration=name, result="posted").inc()
    log.info(
        "%s: Datadog change event posted",
        name,
        extra={"event": "change_event_posted", "integration": name, "run_id": report.run_id},
    )
    return True


def body(report: IntegrationReport) -> dict[str, JSON]:
    """The Events API v2 request body (`EventCreateRequestPayload`) of an applied write."""
    plan = report.plan
    added = () if plan is None else plan.added
    removed = () if plan is None else plan.removed
    changed = 0 if plan is None else len(plan.changed)
    name = str(report.integration)
    service = os.environ.get("DD_SERVICE") or "syncer"
    tags: list[JSON] = [f"integration:{name}", f"service:{service}", "source:syncer"]
    if os.environ.get("DD_ENV"):
        tags.append(f"env:{os.environ['DD_ENV']}")
    counts = f"+{len(added)} -{len(removed)} ~{changed}"
    metadata: dict[str, JSON] = {
        "run_id": report.run_id,
        "trigger": report.trigger,
        "added": len(added),
        "removed": len(removed),
        "changed": changed,
        "entries_before": report.current_count,
        "entries_after": report.final_count,
    }
    if report.targeted:
        metadata["targeted"] = list(report.targeted)
    return {
        "data": {
            "type": "event",
            "attributes": {
                "category": "change",
                "title": f"syncer updated the Datadog {name} entity integration list ({counts})"[:TITLE_LIMIT],
                "message": message(report, added, removed, changed),
                "tags": tags,
                "timestamp": report.finished_at.isoformat().replace("+00:00", "Z"),
                "attributes": {
                    "author": {"type": "automation", "name": service[:NAME_LIMIT]},
                    "changed_resource": {"type": "configuration", "name": f"idp/entity_integrations/{name}"},
                    "impacted_resources": [{"type": "service", "name": service[:NAME_LIMIT]}],
                    "prev_value": {"entries": report.current_count},
                    "new_value": {"entries": report.final_count},
                    "change_metadata": metadata,
                },
            },
        }
    }


def message(report: IntegrationReport, added: Sequence[Entry], removed: Sequence[Entry], changed: int) -> str:
    """The event's text: the counts, then up to LISTED added and LISTED removed entries, within MESSAGE_LIMIT."""
    head = (
        f"{len(added)} added, {len(removed)} removed, {changed} changed: "
        f"{report.current_count} entries before, {report.final_count} after "
        f"(run {report.run_id or '-'}, trigger {report.trigger})."
    )
    lines = [head]
    for title, mark, entries in (("Added", "+", added), ("Removed", "-", removed)):
        if entries:
            lines.append(f"{title}:")
            lines.extend(f"{mark} {entry.label()}" for entry in entries[:LISTED])
            if len(entries) > LISTED:
                lines.append(f"… and {len(entries) - LISTED} more {title.lower()}")
    return _fit(lines)


def _fit(lines: list[str]) -> str:
    """`lines` joined, cut at a whole line with a note of how many lines were left out, within MESSAGE_LIMIT."""
    text = "\n".join(lines)
    if len(text) <= MESSAGE_LIMIT:
        return text
    kept: list[str] = []
    size = 0
    for index, line in enumerate(lines):
        note = f"… {len(lines) - index} more lines not shown"
        if size + len(line) + 1 + len(note) > MESSAGE_LIMIT:
            return "\n".join([*kept, note])
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)  # pragma: no cover - the whole text fitted, handled above
