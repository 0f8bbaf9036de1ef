"""The JSON Schema (draft 2020-12) of the configuration FILE, for editors (`syncer config schema`).

It is the models' schema (`Config.model_json_schema()`) told what the loader does before the models see a value:

- `${VAR}` and `${VAR:-default}`: any string key takes one as it is; an integer, boolean, enumerated or otherwise
  constrained key may also be given as a string holding one (config.values.EnvText);
- `<secret>_file` beside each secret key (token, api_token, api_key, app_key, private_key, secret): exactly one of
  the pair where the secret is required, at most one elsewhere (a null secret counts as not given);
- environment defaults: `datadog` and its `api_key`/`app_key` may be left out (DD_API_KEY, DD_APP_KEY);
- `max_deletions` is an integer or a percentage string; a run setting given as null means its default.

Unknown keys are refused (`additionalProperties: false`) wherever the models forbid extras, which is everywhere.
"""

from __future__ import annotations

import copy
from typing import Any

from syncer.config import keys
from syncer.config.interpolation import SECRET_KEYS
from syncer.config.loader import DATADOG_ENV_DEFAULTS
from syncer.config.problems import FILE_SUFFIX
from syncer.config.schema import DATADOG_SITES, Config
from syncer.config.settings import MAX_DELETIONS_TEXT, RunSettings

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "https://github.com/idp-syncer/syncer/schema/config.json"
ENV_REFERENCE = r"\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^${}]*)?\}"
_ENV_STRING = {
    "type": "string",
    "pattern": ENV_REFERENCE,
    "description": "read from the environment: ${VAR} or ${VAR:-default}",
}
_KEYWORDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}
_NAMED = ("properties", "$defs", "patternProperties")
_META = ("title", "description", "default")
_CONSTRAINED_STRING = ("enum", "const", "pattern", "maxLength")
_MAX_DELETIONS = {
    "anyOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": MAX_DELETIONS_TEXT},
    ],
    "default": "10%",
    "description": "guard: a number of entries (5) or a percentage of the current list ('10%')",
}

Schema = dict[str, Any]


def document() -> dict[str, object]:
    """The JSON Schema of the configuration file."""
    schema: Schema = Config.model_json_schema()
    defs: dict[str, Schema] = schema.setdefault("$defs", {})
    defs.pop("DeletionLimit", None)
    _datadog_defaults(defs["DatadogConfig"])
    models = keys.models()
    for name, definition in defs.items():
        model = models.get(name)
        if model is not None and "properties" in definition:
            _file_twins(definition)
            if issubclass(model, RunSettings):
                _run_settings(definition)
    required = [key for key in schema.pop("required", []) if key != "datadog"]  # the loader makes it when absent
    if required:
        schema["required"] = required
    schema = _walk(schema)
    head: Schema = {
        "$schema": DRAFT,
        "$id": SCHEMA_ID,
        "title": "syncer configuration",
        "description": "The configuration file of syncer (`syncer config schema`); see config/syncer.example.yaml.",
    }
    schema.pop("title", None)
    schema.pop("description", None)
    return copy.deepcopy({**head, **schema})


def _file_twins(definition: Schema) -> None:
    """Add `<secret>_file` beside each secret property, and the rule that only one of the two is given."""
    properties: Schema = definition["properties"]
    required: list[str] = definition.get("required", [])
    rules: list[Schema] = definition.setdefault("allOf", [])
    for secret in [key for key in properties if key in SECRET_KEYS]:
        twin = f"{secret}{FILE_SUFFIX}"
        properties[twin] = {
            "type": "string",
            "minLength": 1,
            "description": f"a file holding {secret} (relative: to this file's folder); instead of {secret}",
        }
        if secret in required:
            required.remove(secret)
            rules.append({"anyOf": [{"required": [secret]}, {"required": [twin]}]})
        # both given is an error, unless the secret is null (the loader's "not given")
        rules.append({"not": {"required": [secret, twin], "properties": {secret: {"not": {"type": "null"}}}}})
    if not rules:
        definition.pop("allOf")
    if "required" in definition and not required:
        definition.pop("required")


def _run_settings(definition: Schema) -> None:
    """`max_deletions` as the file writes it; every run setting may be null (its default)."""
    properties: Schema = definition["properties"]
    for name in RunSettings.model_fields:
        if name not in properties:
            continue
        own = dict(_MAX_DELETIONS) if name == "max_deletions" else properties[name]
        meta = {key: own.pop(key) for key in _META if key in own}
        properties[name] = {"anyOf": [own, {"type": "null"}], **meta}


def _datadog_defaults(definition: Schema) -> None:
    """The datadog keys the environment supplies are not required in the file."""
    required = [key for key in definition.get("required", []) if key not in DATADOG_ENV_DEFAULTS]
    if required:
        definition["required"] = required
    else:
        definition.pop("required", None)
    for key, variables in DATADOG_ENV_DEFAULTS.items():
        prop: Schema = definition["properties"].get(key, {})
        prop["description"] = f"default: the environment variable {' or '.join(variables)}"
    definition["properties"]["site"]["examples"] = list(DATADOG_SITES)


def _walk(node: Any, names: bool = False) -> Any:
    """Rename pydantic's ge/le keywords to JSON Schema's and let constrained values be ${VAR} strings.

    `names`: `node` maps names to schemas (`properties`, `$defs`), rather than being a schema itself.
    """
    if isinstance(node, list):
        return [_walk(item) for item in node]
    if not isinstance(node, dict):
        return node
    if names:
        return {key: _walk(value) for key, value in node.items()}
    out: Schema = {_keyword(key): _walk(value, key in _NAMED) for key, value in node.items()}
    if _takes_env_string(out):
        meta = {key: out.pop(key) for key in _META if key in out}
        return {"anyOf": [out, _ENV_STRING], **meta}
    return out


def _keyword(key: str) -> str:
    """JSON Schema's name of a keyword pydantic spells its own way (`ge` → `minimum`)."""
    return _KEYWORDS.get(key, key)


def _takes_env_string(node: Schema) -> bool:
    """True for a value schema that a `${VAR}` string would not satisfy as it stands."""
    if node.get("pattern") == ENV_REFERENCE:
        return False
    kind = node.get("type")
    if kind in ("integer", "number", "boolean"):
        return True
    return "enum" in node or (kind == "string" and any(key in node for key in _CONSTRAINED_STRING))
