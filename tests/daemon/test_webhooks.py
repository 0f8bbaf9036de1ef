"""Signed deliveries to the real daemon process: refusals, dedupe, targeted runs of one scope, coalescing."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import socket
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from syncer.simulator import Simulator
from tests.daemon.conftest import FAR_FUTURE, DaemonProcess

GITHUB_SECRET = "gh-webhook-secret-for-tests"
JIRA_SECRET = "jira-webhook-secret-for-tests"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def repository_event(org: str, name: str, action: str = "created") -> dict[str, Any]:
    owner = {"login": org, "id": 1, "type": "Organization"}
    return {
        "action": action,
        "repository": {"id": 42, "name": name, "full_name": f"{org}/{name}", "owner": owner, "private": False},
        "organization": {"login": org, "id": 1},
        "sender": {"login": "octocat", "id": 2, "type": "User"},
    }


class Hooks:
    """Sends deliveries to a daemon the way GitHub and Jira do."""

    def __init__(self, daemon: DaemonProcess) -> None:
        self.daemon = daemon

    def github(
        self,
        payload: dict[str, Any] | bytes,
        event: str = "repository",
        delivery: str | None = None,
        secret: str | None = GITHUB_SECRET,
        signature: str | None = None,
        host: str | None = None,
    ) -> Any:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery or str(uuid.uuid4())}
        headers["Content-Type"] = "application/json"
        if signature is not None or secret is not None:
            headers["X-Hub-Signature-256"] = signature or sign(secret or "", body)
        if host is not None:
            headers["X-GitHub-Enterprise-Host"] = host
        return self.daemon.http.post("/webhooks/github", content=body, headers=headers)

    def jira(self, payload: dict[str, Any], secret: str = JIRA_SECRET, delivery: str | None = None) -> Any:
        body = json.dumps(payload).encode()
        headers = {
            "X-Atlassian-Webhook-Identifier": delivery or str(uuid.uuid4()),
            "X-Hub-Signature": sign(secret, body),
            "Content-Type": "application/json",
        }
        return self.daemon.http.post("/webhooks/jira", content=body, headers=headers)


def config_of(sim: Simulator, **webhooks: Any) -> dict[str, Any]:
    config = sim.config_dict()
    config.pop("pagerduty", None)
    config["defaults"] = {"schedule": FAR_FUTURE, "max_deletions": "100%"}
    config["webhooks"] = webhooks
    return config


@pytest.fixture(scope="module")
def hooked(sim: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    secrets = {"github": {"secret": GITHUB_SECRET}, "jira": {"secret": JIRA_SECRET}, "debounce": "2s"}
    process = DaemonProcess(tmp_path_factory.mktemp("hooked"), sim, config_of(sim, **secrets))
    try:
        process.wait_ready()
        idle(process)
        yield process
    finally:
        process.close()


@pytest.fixture
def hooks(hooked: DaemonProcess) -> Hooks:
    return Hooks(hooked)


def idle(daemon: DaemonProcess, timeout: float = 20) -> dict[str, Any]:
    """Wait until no run is going or queued; the /status integrations."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = daemon.http.get("/status").json()
        runs = status["integrations"]
        if not status["queued"] and all(v["running"] is None and v["last_run"] for v in runs.values()):
            return dict(runs)
        time.sleep(0.05)
    raise AssertionError(f"runs still going after {timeout}s:\n{daemon.log}")


def runs(daemon: DaemonProcess, integration: str = "github") -> float:
    return sum(
        daemon.metric(f'syncer_runs_total{{integration="{integration}",result="{result}"}}') or 0
        for result in ("success", "failure", "refused")
    )


def repos(sim: Simulator) -> set[str]:
    return {f"{r['github_org_name']}/{r['repo_name']}" for r in sim.datadog.store["github"]["enabled_repos"]}


@pytest.mark.parametrize(
    ("signature", "secret"),
    [(None, None), ("sha256=" + "0" * 64, None), ("sha1=abc", None), (None, "another-secret")],
    ids=["missing", "wrong", "not-sha256", "signed-with-another-secret"],
)
def test_a_delivery_without_the_right_signature_is_refused_and_starts_nothing(
    hooks: Hooks, hooked: DaemonProcess, signature: str | None, secret: str | None
) -> None:
    before = runs(hooked)
    answer = hooks.github(repository_event("acme", "x"), signature=signature, secret=secret)
    assert answer.status_code == 401
    time.sleep(0.3)
    assert runs(hooked) == before and hooked.http.get("/status").json()["queued"] == {}


def test_a_body_over_5_mb_is_refused_with_413(hooks: Hooks) -> None:
    body = b'{"action": "created", "pad": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    assert hooks.github(body).status_code == 413


def test_ping_answers_200_and_other_events_204(hooks: Hooks, hooked: DaemonProcess) -> None:
    before = runs(hooked)
    assert hooks.github({"zen": "Keep it logically awesome.", "hook_id": 1}, event="ping").status_code == 200
    assert hooks.github({"ref": "refs/heads/main"}, event="push").status_code == 204
    assert hooks.github(repository_event("acme", "x", action="starred"), event="repository").status_code == 204
    time.sleep(0.3)
    assert runs(hooked) == before


def test_a_payload_that_is_not_json_or_lacks_its_org_is_invalid(hooks: Hooks) -> None:
    assert hooks.github(b"not json").status_code == 400
    assert hooks.github({"action": "created", "repository": {"name": "x"}}).status_code == 400


def test_an_org_no_source_lists_is_answered_202_and_ignored(hooks: Hooks, hooked: DaemonProcess) -> None:
    before = runs(hooked)
    answer = hooks.github(repository_event("someone-else", "x"))
    assert answer.status_code == 202 and answer.json()["result"] == "ignored"
    assert hooks.github(repository_event("acme", "x"), host="ghe.unknown.example").json()["result"] == "ignored"
    time.sleep(0.3)
    assert runs(hooked) == before


def test_a_created_repo_reaches_datadog_in_a_targeted_run_of_its_org_alone(
    hooks: Hooks, hooked: DaemonProcess, sim: Simulator
) -> None:
    idle(hooked)
    other_orgs = {r for r in repos(sim) if not r.startswith("acme/")}
    gone = next(r for r in sorted(other_orgs) if r.startswith("acme-labs/")).split("/")[1]
    sim.github.remove_repo("acme-labs", gone)  # a full run would remove it; a targeted run of acme must not
    sim.github.add_repo("acme", "payments-webhook-svc")
    sim.github.reset_counters()
    sim.ghes.reset_counters()
    sent = time.monotonic()
    answer = hooks.github(repository_event("acme", "payments-webhook-svc"))
    answered = time.monotonic() - sent
    assert answer.status_code == 202, answer.text
    assert answer.json()["result"] == "accepted" and answered < 1.0
    while "acme/payments-webhook-svc" not in repos(sim):
        assert time.monotonic() - sent < 10, hooked.log
        time.sleep(0.02)
    github = idle(hooked)["github"]
    assert github["last_run"]["targeted"] == ["github.com/acme"]
    assert github["last_run"]["trigger"] == f"webhook:{answer.json()['delivery']}"
    assert {r for r in repos(sim) if not r.startswith("acme/")} == other_orgs  # other orgs untouched
    assert f"acme-labs/{gone}" in repos(sim)
    assert sim.github.count("GET", r"/orgs/acme/repos") >= 1
    assert sim.github.count("GET", r"/orgs/acme-labs") == 0  # the other org was not listed again
    assert sim.ghes.count() == 0  # nor the other host
    journal = hooked.http.get("/status").json()["journal"]
    assert journal[0]["trigger"].startswith("webhook:") and "acme/payments-webhook-svc" in journal[0]["added"][0]


def test_a_delivery_seen_before_is_answered_200_and_starts_no_run(hooks: Hooks, hooked: DaemonProcess) -> None:
    idle(hooked)
    delivery = str(uuid.uuid4())
    first = hooks.github(repository_event("acme", "x", action="edited"), delivery=delivery)
    assert first.status_code == 202
    idle(hooked)
    before = runs(hooked)
    again = hooks.github(repository_event("acme", "x", action="edited"), delivery=delivery)
    assert again.status_code == 200 and again.json()["result"] == "duplicate"
    time.sleep(0.5)
    assert runs(hooked) == before


def test_a_burst_for_one_org_becomes_at_most_two_runs(hooks: Hooks, hooked: DaemonProcess, sim: Simulator) -> None:
    idle(hooked)
    before = runs(hooked)
    for n in range(50):
        sim.github.add_repo("acme", f"burst-{n}")
    sent = time.monotonic()
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda n: hooks.github(repository_event("acme", f"burst-{n}")), range(50)))
    took = time.monotonic() - sent
    assert [a.status_code for a in answers] == [202] * 50
    idle(hooked)
    # one run at once, one after the 2 s window; a loaded machine sending for longer opens one more window per 2 s
    assert 1 <= runs(hooked) - before <= 1 + max(1, math.ceil(took / 2.0))
    assert {f"acme/burst-{n}" for n in range(50)} <= repos(sim)  # the last delivery's repo made it too


def test_a_jira_delivery_lists_its_site_again(hooks: Hooks, hooked: DaemonProcess, sim: Simulator) -> None:
    idle(hooked)
    before = runs(hooked, "jira")
    site = sim.config_dict()["jira"]["sources"][0]["url"]
    project = {"self": f"{site}/rest/api/2/project/10000", "id": 10000, "key": "ENG", "name": "Engineering"}
    answer = hooks.jira({"timestamp": 1, "webhookEvent": "project_updated", "project": project})
    assert answer.status_code == 202, answer.text
    jira = idle(hooked)["jira"]
    assert runs(hooked, "jira") == before + 1
    assert jira["last_run"]["targeted"] == [sim.config_dict()["jira"]["sources"][0]["hostname"]]
    wrong = hooks.jira({"timestamp": 1, "webhookEvent": "project_updated", "project": project}, secret="nope")
    assert wrong.status_code == 401


def test_deliveries_are_counted_by_result(hooks: Hooks, hooked: DaemonProcess) -> None:
    def counts() -> dict[str, float]:
        results = ("accepted", "duplicate", "ignored", "unauthorized", "invalid")
        return {
            r: hooked.metric(f'syncer_webhook_deliveries_total{{result="{r}",source="github"}}') or 0 for r in results
        }

    before = counts()
    delivery = str(uuid.uuid4())
    hooks.github({"zen": "z", "hook_id": 1}, event="ping", delivery=delivery)  # accepted
    hooks.github({"zen": "z", "hook_id": 1}, event="ping", delivery=delivery)  # duplicate
    hooks.github({"ref": "x"}, event="push")  # ignored
    hooks.github({"zen": "z"}, event="ping", secret="wrong")  # unauthorized
    hooks.github(b"[not json")  # invalid
    after = counts()
    assert {r: after[r] - before[r] for r in after} == dict.fromkeys(after, 1)


def test_bodies_read_at_once_are_bounded_before_any_is_verified(hooks: Hooks, hooked: DaemonProcess) -> None:
    host, port = hooked.url.removeprefix("http://").split(":")
    slow = []
    try:
        for _ in range(8):  # eight deliveries whose bodies never finish arriving
            sock = socket.create_connection((host, int(port)))
            sock.sendall(
                b"POST /webhooks/github HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n"
                b"X-GitHub-Event: ping\r\n\r\n" + b"x" * 1000
            )
            slow.append(sock)
        time.sleep(0.3)
        refused = hooks.github({"zen": "z", "hook_id": 1}, event="ping")
        assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
    finally:
        for sock in slow:
            sock.close()
    deadline = time.monotonic() + 5
    while hooks.github({"zen": "z", "hook_id": 1}, event="ping").status_code != 200:
        assert time.monotonic() < deadline, "the slots were not given back"
        time.sleep(0.05)


def test_without_a_secret_the_route_answers_403(start: Any, sim: Simulator) -> None:
    daemon = start(config_of(sim))
    daemon.wait_ready()
    answer = Hooks(daemon).github(repository_event("acme", "x"))
    assert answer.status_code == 403
    assert daemon.http.post("/webhooks/jira", content=b"{}").status_code == 403


def test_with_a_state_file_a_redelivery_after_a_restart_is_still_a_duplicate(
    start: Any, sim: Simulator, tmp_path: Path
) -> None:
    config = config_of(sim, github={"secret": GITHUB_SECRET})
    config["state"] = {"path": str(tmp_path / "state.db")}
    delivery = str(uuid.uuid4())
    first = start(config)
    first.wait_ready()
    assert Hooks(first).github(repository_event("acme", "x", action="edited"), delivery=delivery).status_code == 202
    idle(first)
    first.close()
    second = start(config)
    second.wait_ready()
    idle(second)
    again = Hooks(second).github(repository_event("acme", "x", action="edited"), delivery=delivery)
    assert again.status_code == 200 and again.json()["result"] == "duplicate"
    fresh = Hooks(second).github(repository_event("acme", "x", action="edited"))
    assert fresh.status_code == 202
