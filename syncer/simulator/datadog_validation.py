"""Validation of entity-integration PUT bodies, with JSON:API error objects pointing at the bad value."""

from __future__ import annotations

from typing import Any

REQUEST_TYPE = "entity_integration_config_requests"
LIST_KEYS = {"github": "enabled_repos", "jira": "enabled_projects", "pagerduty": "accounts"}
REQUIRED_STRINGS = {
    "github": ("hostname", "github_org_name", "repo_name"),
    "jira": ("hostname", "account_id", "project_key"),
    "pagerduty": (),
}
MAX_ERRORS = 50


def json_type(value: Any) -> str:
    """The JSON name of a Python value's type (`string`, `number`, `null`, ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def bad_request(detail: str, pointer: str | None = None) -> dict[str, Any]:
    """One JSON:API error object of a 400 answer."""
    error: dict[str, Any] = {"status": "400", "title": "Bad Request", "detail": detail}
    if pointer is not None:
        error["source"] = {"pointer": pointer}
    return error


def _check_entry(integration: str, entry: Any, pointer: str) -> list[dict[str, Any]]:
    if not isinstance(entry, dict):
        return [bad_request(f"invalid type: expected object, got {json_type(entry)}", pointer)]
    errors = []
    for name in REQUIRED_STRINGS[integration]:
        field_pointer = f"{pointer}/{name}"
        if name not in entry:
            errors.append(bad_request(f'missing required field "{name}"', field_pointer))
        elif not isinstance(entry[name], str):
            errors.append(bad_request(f'field "{name}" must be a string, got {json_type(entry[name])}', field_pointer))
        elif not entry[name].strip():
            errors.append(bad_request(f'field "{name}" must not be empty', field_pointer))
    if integration == "pagerduty":
        if "enabled" not in entry:
            errors.append(bad_request('missing required field "enabled"', f"{pointer}/enabled"))
        elif not isinstance(entry["enabled"], bool):
            got = json_type(entry["enabled"])
            errors.append(bad_request(f'field "enabled" must be a boolean, got {got}', f"{pointer}/enabled"))
        if "subdomain" in entry and not isinstance(entry["subdomain"], str):
            got = json_type(entry["subdomain"])
            errors.append(bad_request(f'field "subdomain" must be a string, got {got}', f"{pointer}/subdomain"))
    return errors


def validate_request(integration: str, body: Any) -> list[dict[str, Any]]:
    """Every problem of a PUT body for `integration` (empty when valid)."""
    if not isinstance(body, dict):
        return [bad_request(f"invalid type: request body must be an object, got {json_type(body)}", "")]
    data = body.get("data")
    if not isinstance(data, dict):
        detail = 'missing required field "data"' if data is None else 'field "data" must be an object'
        return [bad_request(detail, "/data")]
    errors = []
    if data.get("type") != REQUEST_TYPE:
        got = data.get("type")
        detail = (
            'missing required field "type"'
            if got is None
            else f'invalid value {got!r} for "type": must be "{REQUEST_TYPE}"'.replace("'", '"')
        )
        errors.append(bad_request(detail, "/data/type"))
    attributes = data.get("attributes")
    if not isinstance(attributes, dict):
        detail = 'missing required field "attributes"' if attributes is None else 'field "attributes" must be an object'
        return [*errors, bad_request(detail, "/data/attributes")]
    config = attributes.get("config")
    if not isinstance(config, dict):
        detail = 'missing required field "config"' if config is None else 'field "config" must be an object'
        return [*errors, bad_request(detail, "/data/attributes/config")]
    key = LIST_KEYS[integration]
    pointer = f"/data/attributes/config/{key}"
    entries = config.get(key)
    if key not in config:
        return [*errors, bad_request(f'config for integration "{integration}" must contain "{key}"', pointer)]
    if not isinstance(entries, list):
        return [*errors, bad_request(f'field "{key}" must be an array, got {json_type(entries)}', pointer)]
    for index, entry in enumerate(entries):
        errors.extend(_check_entry(integration, entry, f"{pointer}/{index}"))
        if len(errors) >= MAX_ERRORS:
            break
    return errors[:MAX_ERRORS]
