"""The Simulator facade: the fakes it runs, the configuration it writes, fixed ports."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
import yaml

from syncer.simulator import Simulator
from syncer.simulator.seed import github_layout

SOURCE_KEYS = {
    "github": {"hostname", "api_url", "token", "orgs", "custom_properties"},
    "jira": {"hostname", "url", "account_id", "email", "api_token", "token", "categories"},
    "pagerduty": {"token", "api_url"},
}


def test_fakes_and_hostnames(sim: Simulator) -> None:
    assert sim.fakes == [sim.github, sim.ghes, sim.jira, sim.jira_dc, sim.pagerduty, sim.datadog]
    assert [f.hostname for f in sim.fakes[:4]] == [
        "github.com",
        "ghe.acme.internal",
        "acme.atlassian.net",
        "jira.acme.internal",
    ]
    assert sim.github.url.startswith("http://127.0.0.1:") and not sim.github.url.endswith("/")
    assert sim.urls()["ghes"] == sim.ghes.url
    assert (sim.jira.deployment, sim.jira_dc.deployment) == ("Cloud", "Server")


def test_config_uses_spec_keys_and_env_references(sim: Simulator) -> None:
    config = sim.config_dict()
    assert set(config) == {"datadog", "defaults", "github", "jira", "pagerduty"}
    assert config["defaults"] == {"schedule": "*/30 * * * *"}
    assert config["datadog"] == {
        "api_url": sim.datadog.url,
        "api_key": "${SIM_DD_API_KEY}",
        "app_key": "${SIM_DD_APP_KEY}",
    }
    for integration in ("github", "jira", "pagerduty"):
        for source in config[integration]["sources"]:
            assert set(source) <= SOURCE_KEYS[integration]
    github = config["github"]["sources"]
    assert [(s["hostname"], s["api_url"], s["orgs"]) for s in github] == [
        ("github.com", sim.github.url, ["acme", "acme-labs"]),
        ("ghe.acme.internal", sim.ghes.url, ["platform"]),
    ]
    jira = config["jira"]["sources"]
    assert [(s["hostname"], s["url"], s["account_id"]) for s in jira] == [
        ("acme.atlassian.net", sim.jira.url, "123456789"),
        ("jira.acme.internal", sim.jira_dc.url, "987654321"),
    ]
    assert "email" in jira[0] and "api_token" in jira[0] and "token" in jira[1]
    assert github[1]["custom_properties"] == {"tier": ["tier-1", "tier-2"]}, "a selector at work in the demo"
    assert jira[1]["categories"] == ["Engineering", "Operations"]
    assert [s["api_url"] for s in config["pagerduty"]["sources"]] == [sim.pagerduty.url] * 2
    env = sim.env()
    text = str(config)
    for name in env:
        assert f"${{{name}}}" in text
    assert env["SIM_DD_API_KEY"] == sim.datadog.api_key and env["SIM_GITHUB_TOKEN"] == sim.github.token


def test_written_config_round_trips_and_its_credentials_work(sim: Simulator, tmp_path: Path) -> None:
    path = tmp_path / "syncer.yaml"
    sim.write_config(path)
    loaded = yaml.safe_load(path.read_text())
    assert loaded == sim.config_dict()
    assert isinstance(loaded["jira"]["sources"][0]["account_id"], str)
    env = sim.env()
    with httpx.Client(verify=False) as client:
        gh = client.get(f"{sim.github.url}/user", headers={"Authorization": f"token {env['SIM_GITHUB_TOKEN']}"})
        ghes = client.get(f"{sim.ghes.url}/user", headers={"Authorization": f"token {env['SIM_GHES_TOKEN']}"})
        jira = client.get(f"{sim.jira.url}/rest/api/2/myself", auth=("bot@acme.com", env["SIM_JIRA_API_TOKEN"]))
        dc = client.get(
            f"{sim.jira_dc.url}/rest/api/2/myself", headers={"Authorization": f"Bearer {env['SIM_JIRA_DC_TOKEN']}"}
        )
        dd = client.get(
            f"{sim.datadog.url}/api/v2/validate_keys",
            headers={"DD-API-KEY": env["SIM_DD_API_KEY"], "DD-APPLICATION-KEY": env["SIM_DD_APP_KEY"]},
        )
    assert [r.status_code for r in (gh, ghes, jira, dc, dd)] == [200] * 5


def free_port_base(count: int = 6) -> int:
    """A base port with `count` free ports after it (best effort)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + count >= 65535:
            continue
        try:
            held = []
            for port in range(base, base + count):
                s = socket.socket()
                held.append(s)
                s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for s in held:
                s.close()
        return base
    pytest.skip("no block of free ports")


def test_port_base_assigns_consecutive_ports() -> None:
    base = free_port_base()
    with Simulator(port_base=base) as fixed:
        assert [f.port for f in fixed.fakes] == list(range(base, base + 6))
        assert fixed.ghes.url == f"http://127.0.0.1:{base + 1}/api/v3"
        assert fixed.config_dict()["datadog"]["api_url"] == f"http://127.0.0.1:{base + 5}"


def test_scales() -> None:
    assert github_layout("github.com", "large") == {f"org-{i:02d}": 1000 for i in range(20)}
    assert github_layout("ghe.acme.internal", "large") == {"platform": 120}
    with pytest.raises(ValueError, match="unknown scale"):
        Simulator(scale="huge")
