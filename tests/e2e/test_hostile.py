"""Hostile and odd answers through the whole CLI: the run ends with the right exit code, nothing that should stay
is removed from Datadog, no secret reaches any output, and no traceback is printed."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

import pytest

from syncer.simulator import Fault, Simulator
from syncer.simulator import seed as world
from tests.e2e.conftest import Run, stored_names

Syncer = Callable[..., Run]


def secrets(sim: Simulator) -> list[str]:
    basic = base64.b64encode(f"{world.JIRA_EMAIL}:{world.JIRA_API_TOKEN}".encode()).decode()
    return [*sim.env().values(), basic]


def echo(sim: Simulator) -> str:
    """An error text that quotes every credential back, as some upstreams and proxies do."""
    return "request rejected; you sent: " + " ".join(secrets(sim))


def repo_page(**overrides: Any) -> list[dict[str, Any]]:
    item = {"id": 1, "name": "x", "full_name": "acme/x", "private": False, "visibility": "public",
            "archived": False, "fork": False, "topics": []}  # fmt: skip
    item.update(overrides)
    return [item]


GITHUB = r"/orgs/[^/]+/repos$"
JIRA = r"/rest/api/2/project"
PD = r"/users"
CASES: list[Any] = [
    pytest.param("github", GITHUB, {"status": 302, "body": [], "headers": {"location": "/orgs/acme/repos?page=2"}},
                 id="github-302-empty-list"),
    pytest.param("github", GITHUB, {"status": 301, "body": []}, id="github-301-empty-list"),
    pytest.param("github", GITHUB, {"status": 202, "body": []}, id="github-202-forever"),
    pytest.param("github", GITHUB, {"status": 203, "body": []}, id="github-203"),
    pytest.param("github", GITHUB, {"status": 206, "body": []}, id="github-206"),
    pytest.param("github", GITHUB, {"status": 307, "body": [],
                                    "headers": {"location": "http://127.0.0.1:9/orgs/acme/repos"}},
                 id="github-307-other-host"),
    pytest.param("github", GITHUB, {"status": 200, "body": repo_page(archived="false")}, id="github-archived-string"),
    pytest.param("github", GITHUB, {"status": 200, "body": {"repos": []}}, id="github-object-not-list"),
    pytest.param("github", GITHUB, {"status": 200, "body": repo_page(),
                                    "headers": {"link": '<http://127.0.0.1/x?page=1000000000>; rel="last"'}},
                 id="github-last-page-1e9"),
    pytest.param("github", GITHUB, "echo-401", id="github-401-echoes-credentials"),
    pytest.param("jira", JIRA, {"status": 302, "body": {"values": [], "isLast": True},
                                "headers": {"location": "http://127.0.0.1:9/rest/api/2/project/search"}},
                 id="jira-302-other-host"),
    pytest.param("jira", JIRA, {"status": 203, "body": {"values": [], "isLast": True}}, id="jira-203-empty"),
    pytest.param("jira", JIRA, {"status": 200, "body": {"values": [{"key": 5}], "isLast": True}},
                 id="jira-key-number"),
    pytest.param("jira", JIRA, {"status": 200, "body": {"values": [], "isLast": "true"}}, id="jira-islast-string"),
    pytest.param("jira", JIRA, "echo-400", id="jira-400-echoes-credentials"),
    pytest.param("jira", JIRA, {"status": 200, "body": '{"values": [], "isLast": true}',
                                "headers": {"content-type": "text/html"}}, id="jira-empty-page-served-as-html"),
    pytest.param("github", GITHUB, {"status": 200, "body": "[]", "headers": {"content-type": "text/html"}},
                 id="github-empty-list-served-as-html"),
    pytest.param("pagerduty", PD, {"status": 200, "body": {"users": [
        {"id": "P1", "html_url": "https://app.pagerduty.com/users/P1"}], "more": False}},
        id="pagerduty-app-host"),
    pytest.param("pagerduty", PD, {"status": 200, "body": {"users": [
        {"id": "P1", "html_url": "https://acme.evil.example/users/P1"}], "more": False}},
        id="pagerduty-other-host"),
    pytest.param("pagerduty", PD, {"status": 302, "body": {"users": []},
                                   "headers": {"location": "http://127.0.0.1:9/users"}}, id="pagerduty-302"),
    pytest.param("pagerduty", PD, "echo-403", id="pagerduty-403-echoes-credentials"),
    pytest.param("pagerduty", PD, {"status": 200, "body": '{"users": []}', "headers": {"content-type": "text/html"}},
                 id="pagerduty-served-as-html"),
]  # fmt: skip


@pytest.mark.reliability(
    system="end to end (CLI)",
    outcome="exit 1; every stored entry of the failed source still in Datadog; no secret, no traceback",
)
@pytest.mark.parametrize(("integration", "path", "fault"), CASES)
def test_a_hostile_answer_fails_its_source_and_loses_nothing(
    sim: Simulator, syncer: Syncer, integration: str, path: str, fault: dict[str, Any] | str
) -> None:
    config = sim.config_dict()
    config["defaults"]["run_timeout"] = "20s"
    assert syncer(config, "sync").code == 0
    before = stored_names(sim, integration)
    assert before
    fake = {"github": sim.github, "jira": sim.jira, "pagerduty": sim.pagerduty}[integration]
    if isinstance(fault, str):
        fake.faults.add(Fault(path=path, status=int(fault.split("-")[1]), body={"message": echo(sim)}, times=None))
    else:
        fake.faults.add(Fault(path=path, times=None, **fault))
    run = syncer(config, "--log-level", "DEBUG", "sync", "--output", "json")
    assert run.code == 1, run.err
    report = next(r for r in run.json()["integrations"] if r["integration"] == integration)
    assert report["status"] == "failure"
    assert stored_names(sim, integration) >= before
    assert "Traceback" not in run.err
    for secret in secrets(sim):
        assert secret not in run.out
        assert secret not in run.err


@pytest.mark.reliability(
    system="Datadog GET",
    answer="404 with an HTML page (a proxy)",
    outcome="exit 1; the stored list is not overwritten, even under upsert-only",
)
def test_a_proxy_404_is_not_an_empty_list(sim: Simulator, syncer: Syncer) -> None:
    config = sim.config_dict()
    assert syncer(config, "sync").code == 0
    before = {name: stored_names(sim, name) for name in ("github", "jira", "pagerduty")}
    sim.datadog.faults.add(
        Fault(method="GET", path="entity_integrations", status=404, body="<html>Not Found</html>", times=None)
    )
    config["defaults"]["policy"] = "upsert-only"
    run = syncer(config, "sync", "--output", "json")
    assert run.code == 1
    assert {r["status"] for r in run.json()["integrations"]} == {"failure"}
    assert sim.datadog.count("PUT") == 3  # the first run's only
    assert {name: stored_names(sim, name) for name in before} == before


@pytest.mark.reliability(
    system="Jira",
    answer="pages without isLast and a total smaller than the real count",
    outcome="listing goes on to an empty page: nothing is removed",
)
def test_a_short_total_without_is_last_does_not_shorten_the_list(sim: Simulator, syncer: Syncer) -> None:
    config = sim.config_dict()
    assert syncer(config, "sync").code == 0
    before = stored_names(sim, "jira")
    first = [
        {"key": p["key"], "name": p["name"], "projectTypeKey": "software"}
        for p in sim.jira.projects
        if p["status"] == "live"
    ][:1]
    sim.jira.faults.add(
        Fault(path=r"/rest/api/2/project/search", status=200, body={"values": first, "total": 1, "startAt": 0})
    )
    run = syncer(config, "sync", "--only", "jira", "--output", "json")
    assert run.code == 0, run.err
    assert stored_names(sim, "jira") == before


def test_only_with_no_name_is_a_usage_error(sim: Simulator, syncer: Syncer) -> None:
    run = syncer(sim.config_dict(), "sync", "--only", "")
    assert run.code == 2
    assert sim.datadog.count() == 0


@pytest.mark.reliability(
    system="validate --online",
    answer="GitHub trickles its answer a byte at a time",
    outcome="the check fails within run_timeout (exit 1), no traceback",
)
def test_validate_online_ends_within_the_run_timeout(sim: Simulator, syncer: Syncer) -> None:
    config = sim.config_dict()
    config["defaults"]["run_timeout"] = "2s"
    sim.github.faults.add(Fault(path=r"^/orgs/", trickle=0.2, times=None))
    started = time.monotonic()
    run = syncer(config, "validate", "--online")
    assert time.monotonic() - started < 15
    assert run.code == 1
    assert "github" in run.out and "Traceback" not in run.err
