"""Validation of Events API v2 bodies (`POST /api/v2/events`), as Datadog's EventCreateRequestPayload describes them.

The rules are those of the official description: `data.type` is `event`; `category` is `change` or `alert`; the
string limits of `title` (500), `message` (4000), `aggregation_key` (100), `host` (255); 1 to 100 `tags`; a change
event's `changed_resource` (`feature_flag` or `configuration`, a name of 1 to 128 characters), its optional `author`
(`user`, `system`, `api`, `automation`) and up to 100 `impacted_resources` of type `service`; an alert's `status`.
Unknown keys are refused, as the models forbid them. Each problem is a JSON:API error object pointing at the value.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from syncer.simulator.datadog_validation import bad_request, json_type

EVENT_TYPE = "event"
PAYLOAD_KEYS = {
    "aggregation_key",
    "attributes",
    "category",
    "host",
    "integration_id",
    "message",
    "tags",
    "timestamp",
    "title",
}
LENGTHS = {"title": 500, "message": 4000, "aggregation_key": 100, "host": 255}
CHANGE_KEYS = {"author", "change_metadata", "changed_resource", "impacted_resources", "new_value", "prev_value"}
ALERT_KEYS = {"custom", "links", "priority", "status"}
AUTHOR_TYPES = ("user", "system", "api", "automation")
RESOURCE_TYPES = ("feature_flag", "configuration")
ALERT_STATUSES = ("warn", "error", "ok")
ALERT_PRIORITIES = ("1", "2", "3", "4", "5")
NAME_LIMIT = 128
OLDEST = timedelta(hours=18)  # Datadog takes no event timestamped further back
Errors = list[dict[str, Any]]


def validate_event(body: Any) -> Errors:
    """Every problem of an Events API v2 request body (empty when Datadog would accept it)."""
    if not isinstance(body, dict):
        return [bad_request(f"invalid type: request body must be an object, got {json_type(body)}", "")]
    data = body.get("data")
    if not isinstance(data, dict):
        return [bad_request(_missing_or("data", data, "an object"), "/data")]
    errors = _unknown(body, {"data"}, "")
    if data.get("type") != EVENT_TYPE:
        errors.append(bad_request(f'"type" must be "{EVENT_TYPE}"', "/data/type"))
    errors.extend(_unknown(data, {"type", "attributes"}, "/data"))
    payload = data.get("attributes")
    if not isinstance(payload, dict):
        return [*errors, bad_request(_missing_or("attributes", payload, "an object"), "/data/attributes")]
    return [*errors, *_payload(payload, "/data/attributes")]


def _payload(payload: dict[str, Any], at: str) -> Errors:
    errors = _unknown(payload, PAYLOAD_KEYS, at)
    for key in ("title", "message", "aggregation_key", "host"):
        if key in payload or key == "title":
            errors.extend(_string(payload.get(key), f"{at}/{key}", key, LENGTHS[key]))
    if "tags" in payload:
        errors.extend(_tags(payload["tags"], f"{at}/tags"))
    if "timestamp" in payload:
        errors.extend(_timestamp(payload["timestamp"], f"{at}/timestamp"))
    if "integration_id" in payload and payload["integration_id"] != "custom-events":
        errors.append(bad_request('"integration_id" must be "custom-events"', f"{at}/integration_id"))
    category = payload.get("category")
    specific = payload.get("attributes")
    if not isinstance(specific, dict):
        errors.append(bad_request(_missing_or("attributes", specific, "an object"), f"{at}/attributes"))
        specific = None
    if category == "change":
        if specific is not None:
            errors.extend(_change(specific, f"{at}/attributes"))
    elif category == "alert":
        if specific is not None:
            errors.extend(_alert(specific, f"{at}/attributes"))
    else:
        errors.append(bad_request('"category" must be one of "change", "alert"', f"{at}/category"))
    return errors


def _change(attributes: dict[str, Any], at: str) -> Errors:
    errors = _unknown(attributes, CHANGE_KEYS, at)
    errors.extend(_named(attributes.get("changed_resource"), f"{at}/changed_resource", RESOURCE_TYPES, required=True))
    if "author" in attributes:
        errors.extend(_named(attributes["author"], f"{at}/author", AUTHOR_TYPES, required=True))
    for key in ("change_metadata", "new_value", "prev_value"):
        if key in attributes and not isinstance(attributes[key], dict):
            errors.append(bad_request(f'"{key}" must be an object, got {json_type(attributes[key])}', f"{at}/{key}"))
    impacted = attributes.get("impacted_resources")
    if impacted is not None:
        if not isinstance(impacted, list) or len(impacted) > 100:
            errors.append(
                bad_request('"impacted_resources" must be an array of at most 100', f"{at}/impacted_resources")
            )
        else:
            for index, item in enumerate(impacted):
                errors.extend(_named(item, f"{at}/impacted_resources/{index}", ("service",), required=True))
    return errors


def _alert(attributes: dict[str, Any], at: str) -> Errors:
    errors = _unknown(attributes, ALERT_KEYS, at)
    if attributes.get("status") not in ALERT_STATUSES:
        errors.append(bad_request('"status" must be one of "warn", "error", "ok"', f"{at}/status"))
    if "priority" in attributes and attributes["priority"] not in ALERT_PRIORITIES:
        errors.append(bad_request('"priority" must be one of "1" to "5"', f"{at}/priority"))
    return errors


def _named(value: Any, at: str, types: tuple[str, ...], *, required: bool) -> Errors:
    """An object of a `name` (1 to 128 characters) and a `type` among `types`."""
    if value is None and not required:
        return []
    if not isinstance(value, dict):
        return [bad_request(_missing_or(at.rsplit("/", 1)[-1], value, "an object"), at)]
    errors = _unknown(value, {"name", "type"}, at)
    errors.extend(_string(value.get("name"), f"{at}/name", "name", NAME_LIMIT))
    if value.get("type") not in types:
        allowed = ", ".join(f'"{t}"' for t in types)
        errors.append(bad_request(f'"type" must be one of {allowed}', f"{at}/type"))
    return errors


def _string(value: Any, at: str, key: str, limit: int) -> Errors:
    if not isinstance(value, str):
        return [bad_request(_missing_or(key, value, "a string"), at)]
    if not 1 <= len(value) <= limit:
        return [bad_request(f'"{key}" must be 1 to {limit} characters long, got {len(value)}', at)]
    return []


def _tags(value: Any, at: str) -> Errors:
    if not isinstance(value, list) or not 1 <= len(value) <= 100:
        return [bad_request('"tags" must be an array of 1 to 100 strings', at)]
    return [
        bad_request('"tags" items must be strings', f"{at}/{i}")
        for i, tag in enumerate(value)
        if not isinstance(tag, str)
    ]


def _timestamp(value: Any, at: str) -> Errors:
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None:
        return [bad_request('"timestamp" must be an ISO 8601 date-time', at)]
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if when < datetime.now(UTC) - OLDEST:
        return [bad_request('"timestamp" must be no older than 18 hours', at)]
    return []


def _unknown(node: dict[str, Any], known: set[str], at: str) -> Errors:
    return [bad_request(f'unknown field "{key}"', f"{at}/{key}") for key in sorted(node) if key not in known]


def _missing_or(key: str, value: Any, kind: str) -> str:
    return f'missing required field "{key}"' if value is None else f'"{key}" must be {kind}, got {json_type(value)}'
