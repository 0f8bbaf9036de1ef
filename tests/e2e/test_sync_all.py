"""Every integration at once, configuration errors, `validate`, and secrets kept out of every output."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from syncer.simulator import Fault, Simulator
from tests.e2e.conftest import Run, official_model, stored_names, total_requests
from tests.orchestrator import COUNT_KEYS, REPORT_KEYS

Syncer = Callable[..., Run]


def test_three_integrations_written_then_in_step(sim: Simulator, syncer: Syncer) -> None:
    config = sim.config_dict()
    config["pagerduty"]["extra"] = [{"enabled": False, "subdomain": "acme-legacy"}]
    first = syncer(config, "sync", "--output", "json")
    assert first.code == 0, first.err
    assert [r["status"] for r in first.json()["integrations"]] == ["success"] * 3
    run_id = first.json()["run_id"]
    for item in first.json()["integrations"]:  # the one report object, as /status and POST /sync give it
        assert set(item) == REPORT_KEYS and set(item["counts"]) == COUNT_KEYS
        assert (item["run_id"], item["trigger"]) == (run_id, "cli")
    assert stored_names(sim, "pagerduty") == {"acme", "acme-eu", "acme-legacy"}
    legacy = next(a for a in sim.datadog.store["pagerduty"]["accounts"] if a["subdomain"] == "acme-legacy")
    assert legacy["enabled"] is False
    live_cloud = [p for p in sim.jira.projects if p["status"] == "live"]
    cloud = {n for n in stored_names(sim, "jira") if n.startswith("acme.atlassian.net/")}
    assert len(cloud) == len(live_cloud)
    for body in sim.datadog.put_bodies:
        official_model(body)
    second = syncer(config, "sync", "--output", "json")
    assert second.code == 0
    assert len(sim.datadog.put_bodies) == 3
    assert all(not r["applied"] for r in second.json()["integrations"])


def test_one_jira_site_failing_keeps_its_projects_while_the_rest_syncs(sim: Simulator, syncer: Syncer) -> None:
    config = sim.config_dict()
    assert syncer(config, "sync").code == 0
    dc_before = {n for n in stored_names(sim, "jira") if n.startswith("jira.acme.internal/")}
    assert dc_before
    sim.jira_dc.faults.add(Fault(path=r"/rest/api/2/project", status=503, times=None))
    sim.jira.add_project("NEWP", "New Project")
    run = syncer(config, "sync", "--output", "json")
    assert run.code == 1
    jira = next(r for r in run.json()["integrations"] if r["integration"] == "jira")
    assert jira["status"] == "failure"
    assert any("jira.acme.internal" in e for e in jira["errors"])
    names = stored_names(sim, "jira")
    assert dc_before <= names
    assert "acme.atlassian.net/NEWP" in names
    others = [r["status"] for r in run.json()["integrations"] if r["integration"] != "jira"]
    assert others == ["success", "success"]


def test_one_pagerduty_token_failing_keeps_its_account(sim: Simulator, syncer: Syncer, monkeypatch: Any) -> None:
    config = sim.config_dict()
    assert syncer(config, "sync").code == 0
    monkeypatch.setenv("SIM_PAGERDUTY_EU_TOKEN", "revoked-token-value")
    run = syncer(config, "sync", "--output", "json")
    assert run.code == 1
    assert stored_names(sim, "pagerduty") == {"acme", "acme-eu"}
    assert "revoked-token-value" not in run.out + run.err


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        pytest.param(lambda c: c["github"]["sources"][0].update(tokn="x"), "tokn: unknown key", id="unknown-key"),
        pytest.param(lambda c: c["defaults"].update(schedule="*/5 * *"), "defaults.schedule", id="bad-cron"),
        pytest.param(lambda c: c["github"]["sources"][0].update(exclude=["re:(unclosed"]), "exclude", id="bad-regex"),
        pytest.param(lambda c: c["datadog"].update(api_key="${NOT_SET_ANYWHERE}"), "NOT_SET_ANYWHERE", id="env"),
        pytest.param(lambda c: c["jira"]["sources"][0].pop("account_id"), "account_id", id="missing-key"),
        pytest.param(lambda c: c["defaults"].update(max_deletions="lots"), "max_deletions", id="bad-max"),
    ],
)
def test_bad_configuration_exits_2_and_contacts_nothing(
    sim: Simulator, syncer: Syncer, mutate: Callable[[dict[str, Any]], object], message: str
) -> None:
    config = sim.config_dict()
    mutate(config)
    run = syncer(config, "sync")
    assert run.code == 2
    assert message in run.err
    assert "Traceback" not in run.err
    assert total_requests(sim) == 0


def test_unparsable_yaml_and_bad_usage_exit_2(sim: Simulator, syncer: Syncer) -> None:
    assert syncer("github: [unclosed\n", "sync").code == 2
    assert syncer(sim.config_dict(), "sync", "--only", "gitlab").code == 2
    assert syncer(sim.config_dict(), "sync", "--only", ",").code == 2
    with pytest.raises(SystemExit) as usage:
        syncer(sim.config_dict(), "sync", "--allow-deletions", "-3")
    assert usage.value.code == 2
    assert total_requests(sim) == 0


def test_validate_offline_and_online(sim: Simulator, syncer: Syncer, monkeypatch: Any) -> None:
    offline = syncer(sim.config_dict(), "validate")
    assert offline.code == 0
    assert total_requests(sim) == 0
    online = syncer(sim.config_dict(), "validate", "--online")
    assert online.code == 0, online.out
    assert sim.datadog.count("GET", "validate_keys") == 1
    monkeypatch.setenv("SIM_GITHUB_TOKEN", "ghp_revoked_value")
    broken = syncer(sim.config_dict(), "validate", "--online")
    assert broken.code == 1
    assert "github.com" in broken.out
    assert "ghp_revoked_value" not in broken.out + broken.err


def test_secrets_never_show_in_any_output(sim: Simulator, syncer: Syncer, monkeypatch: Any) -> None:
    config = sim.config_dict()
    sim.github.faults.add(Fault(path=r"/orgs/acme-labs/repos", status=500, times=None))
    sim.jira_dc.faults.add(Fault(path=r"/rest/api/2", status=401, times=None))
    sim.datadog.faults.add(Fault(method="PUT", path="pagerduty", status=400))
    runs = [
        syncer(config, "--log-level", "DEBUG", "sync", "--output", "json"),
        syncer(config, "--log-level", "DEBUG", "plan"),
        syncer(config, "--log-level", "DEBUG", "validate", "--online"),
    ]
    monkeypatch.setenv("SIM_DD_APP_KEY", "dd-app-key-that-is-wrong")
    runs.append(syncer(config, "--log-level", "DEBUG", "sync"))
    secrets = [*sim.env().values(), "dd-app-key-that-is-wrong"]
    for run in runs:
        for secret in secrets:
            assert secret not in run.out
            assert secret not in run.err
