"""The JSON Schema of the configuration file (`syncer config schema`): a valid draft 2020-12 schema that accepts
every configuration syncer ships or writes, and refuses the usual mistakes the loader refuses."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from syncer.config import jsonschema as config_schema
from syncer.config import loader, starter
from syncer.errors import ConfigError
from syncer.simulator import Simulator

REPO = Path(__file__).resolve().parents[1]
ENV = {"DD_API_KEY": "schema-dd-api", "DD_APP_KEY": "schema-dd-app", "GITHUB_TOKEN": "ghp_schema", "N": "8"}


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    document = config_schema.document()
    jsonschema.Draft202012Validator.check_schema(document)
    return jsonschema.Draft202012Validator(document)


def problems(validator: jsonschema.Draft202012Validator, tree: object) -> list[str]:
    return [f"{'.'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(tree)]


def test_the_schema_is_draft_2020_12_with_an_id() -> None:
    document = config_schema.document()
    jsonschema.Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert str(document["$id"]).startswith("https://")
    assert document["title"] == "syncer configuration"
    assert document["additionalProperties"] is False


def test_the_schema_is_plain_json_and_the_same_every_time() -> None:
    first = config_schema.document()
    text = json.dumps(first, sort_keys=True)
    first["$defs"] = {}
    assert json.dumps(config_schema.document(), sort_keys=True) == text


def test_every_mapping_refuses_unknown_keys() -> None:
    document = config_schema.document()
    defs: dict[str, Any] = document["$defs"]  # type: ignore[assignment]
    for name, definition in defs.items():
        if definition.get("type") == "object" and "properties" in definition:
            assert definition["additionalProperties"] is False, name


def _shipped() -> Iterator[Any]:
    yield pytest.param(yaml.safe_load((REPO / "config" / "syncer.example.yaml").read_text()), id="example")
    yield pytest.param(yaml.safe_load(starter.text(Path("config/syncer.yaml"))), id="starter")
    yield pytest.param(yaml.safe_load((REPO / "deploy" / "base" / "config.yaml").read_text()), id="kustomize")
    values = yaml.safe_load((REPO / "deploy" / "helm" / "syncer" / "values.yaml").read_text())
    yield pytest.param(values["config"], id="helm-values")
    for doc in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        text = doc.read_text()
        for index, block in enumerate(re.findall(r"```ya?ml\n(.*?)```", text, re.S)):
            tree = yaml.safe_load(block)
            if isinstance(tree, dict) and tree and set(tree) <= set(config_schema.document()["properties"]):  # type: ignore[call-overload]
                yield pytest.param(tree, id=f"{doc.name}-{index}")


@pytest.mark.parametrize("tree", list(_shipped()))
def test_the_configurations_syncer_ships_are_valid(validator: jsonschema.Draft202012Validator, tree: object) -> None:
    assert problems(validator, tree) == []


@pytest.mark.parametrize("scale", ["small", "large"])
def test_the_simulators_configuration_is_valid(
    validator: jsonschema.Draft202012Validator, scale: str, tmp_path: Path
) -> None:
    with Simulator(scale=scale) as sim:
        path = tmp_path / "simulator.yaml"
        sim.write_config(path)  # what `syncer simulate --write-config` and `syncer demo` use
        assert problems(validator, yaml.safe_load(path.read_text())) == []


def minimal(**source: object) -> dict[str, Any]:
    return {"github": {"sources": [{"token": "${GITHUB_TOKEN}", "orgs": ["acme"], **source}]}}


ACCEPTED = {
    "minimal": minimal(),
    "datadog-keys-from-the-environment": {**minimal(), "datadog": {"site": "datadoghq.eu"}},
    "datadog-key-files": {**minimal(), "datadog": {"api_key_file": "dd/api", "app_key_file": "dd/app"}},
    "token-file": minimal(token=None, token_file="secrets/gh"),
    "integer-from-the-environment": {**minimal(), "defaults": {"concurrency": "${N}"}},
    "integer-with-a-default": {**minimal(), "defaults": {"concurrency": "${N:-4}", "jitter": "${J:-0}"}},
    "boolean-from-the-environment": minimal(archived="${ARCHIVED:-false}"),
    "enum-from-the-environment": {**minimal(), "defaults": {"policy": "${POLICY:-sync}"}},
    "visibility-from-the-environment": minimal(visibility=["${VISIBILITY:-public}"]),
    "max-deletions-count": {**minimal(), "defaults": {"max_deletions": 5}},
    "max-deletions-percent": {**minimal(), "github": {**minimal()["github"], "max_deletions": "25%"}},
    "max-deletions-all": {**minimal(), "defaults": {"max_deletions": "100%"}},
    "null-run-settings": {**minimal(), "defaults": {"run_timeout": None, "confirm_removals": None}},
    "app-key-file": {"github": {"sources": [{"app": {"app_id": "${APP_ID:-3}", "private_key_file": "app.pem"}}]}},
    "webhook-secret-file": {**minimal(), "webhooks": {"github": {"secret_file": "hook"}}},
    "pagerduty-enabled-from-env": {"pagerduty": {"sources": [{"token": "t", "enabled": "${PD_ENABLED:-true}"}]}},
}
REJECTED = {
    "unknown-top-level-key": ({**minimal(), "bogus": 1}, "'bogus' was unexpected"),
    "unknown-nested-key": ({**minimal(), "defaults": {"max_deletion": 3}}, "'max_deletion' was unexpected"),
    "integer-as-a-string": ({**minimal(), "defaults": {"concurrency": "8"}}, "concurrency"),
    "integer-out-of-range": ({**minimal(), "defaults": {"concurrency": 65}}, "concurrency"),
    "boolean-as-a-string": (minimal(forks="yes"), "github"),
    "list-as-a-string": (minimal(orgs="acme"), "github"),
    "token-and-token-file": (minimal(token_file="secrets/gh"), "github"),
    "api-key-and-its-file": ({**minimal(), "datadog": {"api_key": "k", "api_key_file": "f"}}, "datadog"),
    "pagerduty-without-a-token": ({"pagerduty": {"sources": [{"enabled": True}]}}, "pagerduty"),
    "pagerduty-token-and-file": ({"pagerduty": {"sources": [{"token": "t", "token_file": "f"}]}}, "pagerduty"),
    "bad-policy": ({**minimal(), "defaults": {"policy": "yolo"}}, "policy"),
    "bad-max-deletions": ({**minimal(), "defaults": {"max_deletions": "lots"}}, "max_deletions"),
    "max-deletions-over-100-percent": ({**minimal(), "defaults": {"max_deletions": "150%"}}, "max_deletions"),
    "unquoted-account-id": (
        {"jira": {"sources": [{"hostname": "a.atlassian.net", "account_id": 1, "token": "t"}]}},
        "jira",
    ),
    "file-twin-of-a-non-secret": (minimal(hostname_file="h"), "github"),
}


@pytest.mark.parametrize("tree", list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_the_schema_accepts_what_the_loader_accepts(
    validator: jsonschema.Draft202012Validator, tree: dict[str, Any], tmp_path: Path
) -> None:
    assert problems(validator, tree) == []
    for name in ("dd/api", "dd/app", "secrets/gh", "hook"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("file-secret\n")
    (tmp_path / "app.pem").write_text(_pem())
    resolved = copy.deepcopy(tree)
    loader.parse(resolved, ENV, base=tmp_path)


@pytest.mark.parametrize(("tree", "words"), list(REJECTED.values()), ids=list(REJECTED))
def test_the_schema_refuses_what_the_loader_refuses(
    validator: jsonschema.Draft202012Validator, tree: dict[str, Any], words: str, tmp_path: Path
) -> None:
    found = problems(validator, tree)
    assert found, "the schema accepted it"
    assert any(words in problem for problem in found), found
    (tmp_path / "secrets").mkdir()
    for name in ("secrets/gh", "f", "h"):
        (tmp_path / name).write_text("file-secret\n")
    with pytest.raises(ConfigError):
        loader.parse(copy.deepcopy(tree), ENV, base=tmp_path)


def _pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem.decode()
