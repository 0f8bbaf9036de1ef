"""The starter configuration (`syncer config init [PATH]`): commented, every secret a ${VAR}, all three
integrations, valid once its variables are set, and never written over an existing file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from syncer.config import jsonschema as config_schema
from syncer.config import loader, starter
from syncer.config.interpolation import SECRET_KEYS
from syncer.errors import ConfigError
from syncer.model import Integration

ENV = {name: f"starter-{name.lower().replace('_', '-')}" for name in starter.VARIABLES}


def test_the_starter_loads_once_its_variables_are_set(tmp_path: Path) -> None:
    path = tmp_path / "config" / "syncer.yaml"
    starter.write(path)
    config = loader.load(path, ENV)
    assert config.integrations() == [Integration.GITHUB, Integration.JIRA, Integration.PAGERDUTY]
    assert config.datadog.api_key.get_secret_value() == ENV["DD_API_KEY"]
    assert config.pagerduty is not None
    assert config.pagerduty.sources[0].token.get_secret_value() == ENV["PAGERDUTY_TOKEN"]


def test_without_its_variables_every_missing_one_is_named(tmp_path: Path) -> None:
    path = tmp_path / "syncer.yaml"
    starter.write(path)
    with pytest.raises(ConfigError) as caught:
        loader.load(path, {})
    text = str(caught.value)
    assert f"{len(starter.VARIABLES)} problems in the configuration" in text
    for name in starter.VARIABLES:
        assert f"environment variable {name} is not set" in text


def test_every_secret_is_a_variable(tmp_path: Path) -> None:
    path = tmp_path / "syncer.yaml"
    starter.write(path)

    def secrets(node: object, key: str = "") -> list[str]:
        if isinstance(node, dict):
            return [value for name, child in node.items() for value in secrets(child, str(name))]
        if isinstance(node, list):
            return [value for child in node for value in secrets(child, key)]
        return [str(node)] if key in SECRET_KEYS else []

    found = secrets(yaml.safe_load(path.read_text()))
    assert len(found) == 5
    assert all(value.startswith("${") and value.endswith("}") for value in found), found


def test_it_is_commented_and_points_at_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "syncer.yaml"
    starter.write(path)
    lines = path.read_text().splitlines()
    assert lines[0] == "# yaml-language-server: $schema=syncer.schema.json"
    assert f"syncer config schema > {path.parent / 'syncer.schema.json'}" in lines[2]
    assert sum(1 for line in lines if "#" in line) >= 20
    validator = jsonschema.Draft202012Validator(config_schema.document())
    assert list(validator.iter_errors(yaml.safe_load(path.read_text()))) == []


def test_it_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "syncer.yaml"
    path.write_text("# mine\n")
    with pytest.raises(ConfigError, match=r"syncer\.yaml: already exists"):
        starter.write(path)
    assert path.read_text() == "# mine\n"


def test_a_dangling_symlink_is_not_followed(tmp_path: Path) -> None:
    path = tmp_path / "syncer.yaml"
    path.symlink_to(tmp_path / "elsewhere.yaml")
    with pytest.raises(ConfigError, match="already exists"):
        starter.write(path)
    assert not (tmp_path / "elsewhere.yaml").exists()


def test_an_unwritable_place_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match="cannot write the starter configuration"):
        starter.write(tmp_path / "file" / "syncer.yaml")


def test_config_init_then_validate_through_the_command_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DD_", "SYNCER_"))}

    def syncer(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "syncer", *args],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
            env={**env, **ENV},
            check=False,
        )

    created = syncer("config", "init")
    assert created.returncode == 0, created.stderr
    assert (tmp_path / "config" / "syncer.yaml").is_file()
    validated = syncer("validate")
    assert validated.returncode == 0, validated.stderr
    again = syncer("config", "init")
    assert again.returncode == 2
    assert "already exists" in again.stderr
