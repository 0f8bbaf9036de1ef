"""The values table of deploy/helm/syncer/README.md is in step with values.yaml and values.schema.json.

One row per leaf of values.yaml (a scalar, a list or an empty mapping): key, type, default (JSON), description.
A value added without a row, a row naming a key that does not exist, a default or a type that differs, or a key the
schema does not know is a failure. `python3 deploy/helm/values_table.py` rewrites the table.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "syncer"
README = CHART / "README.md"
VALUES = CHART / "values.yaml"
SCHEMA = CHART / "values.schema.json"
GENERATOR = REPO / "deploy" / "helm" / "values_table.py"

ROW = re.compile(r"^\| `(?P<key>[^`]+)` \| (?P<type>[^|]+?) \| `(?P<default>[^`]*)` \| (?P<text>.*) \|$")
TABLE = re.compile(r"<!-- values-table:start -->\n(.*?)\n<!-- values-table:end -->", re.S)
JSON_TYPES = {"boolean": "boolean", "integer": "integer", "number": "number", "string": "string", "list": "array"}
JSON_TYPES |= {"object": "object"}


def _leaves(node: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(node, dict) and node:
        out: dict[str, Any] = {}
        for key, value in node.items():
            out |= _leaves(value, f"{prefix}.{key}" if prefix else str(key))
        return out
    return {prefix: node}


def _type(value: Any) -> str:
    for kind, name in ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"), (list, "list")):
        if isinstance(value, kind):
            return name
    return "object" if isinstance(value, dict) else "null"


def _rows(readme: str) -> dict[str, dict[str, str]]:
    match = TABLE.search(readme)
    assert match, "README.md has no <!-- values-table:start --> ... <!-- values-table:end --> block"
    lines = match.group(1).splitlines()
    assert lines[:2] == ["| key | type | default | description |", "|---|---|---|---|"], lines[:2]
    rows: dict[str, dict[str, str]] = {}
    for line in lines[2:]:
        row = ROW.match(line)
        assert row, f"not a values-table row: {line}"
        assert row["key"] not in rows, f"two rows for {row['key']}"
        rows[row["key"]] = row.groupdict()
    return rows


def _schema_node(schema: dict[str, Any], key: str) -> tuple[dict[str, Any] | None, str | None]:
    """The schema of a dotted key (None past an open object), or a complaint when the schema refuses the key."""
    node: dict[str, Any] | None = schema
    for part in key.split("."):
        assert node is not None
        if part in node.get("properties", {}):
            node = node["properties"][part]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        elif node.get("additionalProperties") is False:
            return None, f"{key}: values.schema.json does not allow {part!r}"
        else:
            return None, None  # an open object (e.g. the syncer config's sections): nothing more to check
    return node, None


def problems(values: dict[str, Any], readme: str, schema: dict[str, Any]) -> list[str]:
    found = []
    leaves = _leaves(values)
    rows = _rows(readme)
    for key, default in leaves.items():
        node, complaint = _schema_node(schema, key)
        if complaint:
            found.append(complaint)
        elif node is not None and "type" in node:
            types = node["type"] if isinstance(node["type"], list) else [node["type"]]
            if JSON_TYPES.get(_type(default)) not in types:
                found.append(f"{key}: values.schema.json wants {types}, the default is {_type(default)}")
        if key not in rows:
            suggestion = f"| `{key}` | {_type(default)} | `{json.dumps(default)}` | ... |"
            found.append(f"{key}: no row in the values table of README.md; add: {suggestion}")
            continue
        row = rows[key]
        if row["type"].strip() != _type(default):
            found.append(f"{key}: the table says type {row['type'].strip()}, values.yaml has {_type(default)}")
        try:
            shown = json.loads(row["default"].replace("\\|", "|"))
        except json.JSONDecodeError:
            found.append(f"{key}: the default {row['default']} is not JSON")
        else:
            if shown != default or type(shown) is not type(default):
                found.append(f"{key}: the table's default {row['default']} differs from values.yaml's {default!r}")
        if not row["text"].strip():
            found.append(f"{key}: no description")
    for key in rows:
        if key not in leaves:
            found.append(f"{key}: a row of the values table names no value of values.yaml")
    for key in schema["properties"]:
        if key not in values and key != "global":
            found.append(f"{key}: values.schema.json knows it but values.yaml has no default")
    return found


@pytest.fixture(scope="module")
def real() -> tuple[dict[str, Any], str, dict[str, Any]]:
    return yaml.safe_load(VALUES.read_text()), README.read_text(), json.loads(SCHEMA.read_text())


def test_values_table_is_in_step_with_values_and_schema(real: tuple[dict[str, Any], str, dict[str, Any]]) -> None:
    found = problems(*real)
    assert not found, "\n".join(found)


def test_the_check_catches_drift(real: tuple[dict[str, Any], str, dict[str, Any]]) -> None:
    values, readme, schema = real
    added = copy.deepcopy(values)
    added["networkPolicy"]["brandNew"] = True
    assert problems(added, readme, schema) == [
        "networkPolicy.brandNew: values.schema.json does not allow 'brandNew'",
        "networkPolicy.brandNew: no row in the values table of README.md; add: "
        "| `networkPolicy.brandNew` | boolean | `true` | ... |",
    ]
    changed = copy.deepcopy(values)
    changed["logFormat"] = "text"
    assert problems(changed, readme, schema) == [
        "logFormat: the table's default \"json\" differs from values.yaml's 'text'"
    ]
    retyped = copy.deepcopy(values)
    retyped["daemon"]["port"] = "8080"
    assert "daemon.port: the table says type integer, values.yaml has string" in problems(retyped, readme, schema)
    removed = copy.deepcopy(values)
    del removed["tests"]
    assert problems(removed, readme, schema) == [
        "tests.enabled: a row of the values table names no value of values.yaml",
        "tests: values.schema.json knows it but values.yaml has no default",
    ]
    blank = readme.replace('| `logLevel` | string | `"info"` | ', '| `logLevel` | string | `"info"` |  ')
    blank = re.sub(r"(\| `logLevel` \| string \| `\"info\"` \|) [^\n]*\|", r"\1  |", blank)
    assert problems(values, blank, schema) == ["logLevel: no description"]


def test_the_generator_changes_nothing(real: tuple[dict[str, Any], str, dict[str, Any]]) -> None:
    """Running deploy/helm/values_table.py now would write the table as it is (order, formatting, descriptions)."""
    spec = importlib.util.spec_from_file_location("values_table", GENERATOR)
    assert spec and spec.loader
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    values, readme, _ = real
    kept = {key: row["text"].replace("\\|", "|") for key, row in _rows(readme).items()}
    match = TABLE.search(readme)
    assert match
    assert generator.table(values, kept) == match.group(1)


def test_every_secret_file_default_is_documented(real: tuple[dict[str, Any], str, dict[str, Any]]) -> None:
    """The README's table of expected Secret keys lists each default of secretFiles with its file."""
    values, readme, _ = real
    for key, file in values["secretFiles"].items():
        assert f"| `{key}` | `/var/run/secrets/syncer/{file}` |" in readme, key
