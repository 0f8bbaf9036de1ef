"""End-to-end fixtures: the simulator on loopback, a config file written from SPEC §4, the CLI run in-process."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from datadog_api_client import Configuration
from datadog_api_client.model_utils import validate_and_convert_types
from datadog_api_client.v2.model.entity_integration_config_request import EntityIntegrationConfigRequest

from syncer import cli
from syncer.retry import RetryPolicy
from syncer.simulator import Simulator

FAST = RetryPolicy(attempts=3, base=0.01, cap=0.05, max_wait=2.0)


@dataclass
class Run:
    """What one CLI invocation printed and returned."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """stdout parsed as the --output json report."""
        return json.loads(self.out)


@pytest.fixture(scope="session")
def sim() -> Iterator[Simulator]:
    """Every fake API, started once for the session."""
    with Simulator() as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def fresh(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """New seed data, no faults, zero counters, fast retries, and the simulator's credentials in the env."""
    sim.reset()
    for name, value in sim.env().items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def github_only(sim: Simulator) -> dict[str, Any]:
    """A config with Datadog and the github section only (github.com + GHES)."""
    config = sim.config_dict()
    config.pop("jira")
    config.pop("pagerduty")
    return config


@pytest.fixture
def syncer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Run `syncer --config <written config> ARGS` in-process; returns exit code, stdout, stderr."""

    def run(config: dict[str, Any] | str, *args: str) -> Run:
        path = tmp_path / "syncer.yaml"
        path.write_text(config if isinstance(config, str) else yaml.safe_dump(config))
        capsys.readouterr()
        code = cli.main(["--config", str(path), "--log-format", "json", *args], retry=FAST)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def official_model(body: dict[str, Any]) -> EntityIntegrationConfigRequest:
    """Parse a PUT body with Datadog's own client models; fail on anything they do not accept."""
    model = validate_and_convert_types(body, (EntityIntegrationConfigRequest,), ["body"], True, True, Configuration())
    assert isinstance(model, EntityIntegrationConfigRequest)
    assert not getattr(model.data, "_unparsed", False)
    assert not getattr(model.data.type, "_unparsed", False)
    return model


def stored_names(sim: Simulator, integration: str = "github") -> set[str]:
    """The stored list as lowercase host/org/repo labels (or the entries' values for other integrations)."""
    config = sim.datadog.store.get(integration, {})
    if integration == "github":
        return {f"{e['hostname']}/{e['github_org_name']}/{e['repo_name']}" for e in config.get("enabled_repos", [])}
    if integration == "jira":
        return {f"{e['hostname']}/{e['project_key']}" for e in config.get("enabled_projects", [])}
    return {str(e.get("subdomain")) for e in config.get("accounts", [])}


def total_requests(sim: Simulator) -> int:
    """Requests served by every fake."""
    return sum(fake.count() for fake in sim.fakes)
