"""The HTTP interface against a registry with scripted runs: auth, parameters, single-flight, JSON shapes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from starlette.testclient import TestClient

from syncer import metrics
from syncer.daemon.registry import Registry
from syncer.daemon.web import Control, create_app
from syncer.model import Integration, IntegrationReport, Result
from tests.daemon.conftest import SPEC_METRICS

TOKEN = "s3cret-trigger-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NEXT = datetime(2030, 1, 1, tzinfo=UTC)


class Runs:
    """Runs that finish at once, or block while `hold` is set."""

    def __init__(self) -> None:
        self.hold = threading.Event()
        self.release = threading.Event()
        self.started = threading.Event()

    def __call__(self, integration: Integration) -> IntegrationReport:
        self.started.set()
        if self.hold.is_set():
            assert self.release.wait(5)
        now = datetime.now(UTC)
        return IntegrationReport(integration, Result.SUCCESS, now - timedelta(seconds=1), now, errors=())


class State:
    """Scripted liveness and readiness."""

    alive = True
    ready = True


@pytest.fixture
def runs() -> Runs:
    return Runs()


@pytest.fixture
def state() -> State:
    return State()


def make_client(runs: Runs, state: State, token: str | None = TOKEN) -> TestClient:
    registry = Registry([Integration.GITHUB, Integration.PAGERDUTY], runs)
    control = Control(
        registry=registry,
        schedules={Integration.GITHUB: "*/15 * * * *", Integration.PAGERDUTY: "every 1h"},
        next_run=lambda integration: NEXT,
        alive=lambda: state.alive,
        ready=lambda: state.ready,
        checks=lambda: {"scheduler": "running" if state.ready else "stopped"},
        token=token,
    )
    return TestClient(create_app(control))


@pytest.fixture
def client(runs: Runs, state: State) -> Iterator[TestClient]:
    with make_client(runs, state) as client:
        yield client
    runs.release.set()


def test_healthz_follows_liveness(client: TestClient, state: State) -> None:
    assert client.get("/healthz").status_code == 200
    state.alive = False
    assert client.get("/healthz").status_code == 503


def test_readyz_follows_readiness_and_shows_its_checks(client: TestClient, state: State) -> None:
    answer = client.get("/readyz")
    assert (answer.status_code, answer.json()) == (200, {"ready": True, "checks": {"scheduler": "running"}})
    state.ready = False
    assert client.get("/readyz").status_code == 503


def test_metrics_are_prometheus_text_with_every_spec_name(client: TestClient) -> None:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    for name in SPEC_METRICS:
        assert f"# TYPE {name} " in answer.text


def test_metrics_speak_openmetrics_when_asked(client: TestClient) -> None:
    answer = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert answer.headers["content-type"].startswith("application/openmetrics-text")
    assert answer.text.endswith("# EOF\n")


def test_trigger_without_the_variable_is_forbidden_to_everyone(runs: Runs, state: State) -> None:
    with make_client(runs, state, token=None) as client:
        answer = client.post("/sync", headers=AUTH)
    assert answer.status_code == 403
    assert "SYNCER_TRIGGER_TOKEN" in answer.json()["error"]
    assert not runs.started.is_set()


@pytest.mark.parametrize(
    ("headers", "challenge"),
    [
        ({}, 'Bearer realm="syncer"'),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 'Bearer realm="syncer"'),
        ({"Authorization": "Bearer "}, 'Bearer realm="syncer"'),
        ({"Authorization": "Bearer wrong"}, 'Bearer realm="syncer", error="invalid_token"'),
        ({"Authorization": f"Bearer {TOKEN}x"}, 'Bearer realm="syncer", error="invalid_token"'),
    ],
    ids=["missing", "basic", "empty", "wrong", "longer"],
)
def test_trigger_with_a_missing_or_wrong_token_is_unauthorized(
    client: TestClient, runs: Runs, headers: dict[str, str], challenge: str
) -> None:
    answer = client.post("/sync", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == challenge
    assert TOKEN not in answer.text
    assert not runs.started.is_set()


def test_trigger_starts_every_integration_and_answers_202_with_a_run_id(client: TestClient) -> None:
    answer = client.post("/sync", headers=AUTH)
    assert answer.status_code == 202
    body = answer.json()
    assert body["integrations"] == ["github", "pagerduty"]
    assert len(body["run_id"]) == 32


def test_trigger_with_wait_answers_the_report(client: TestClient) -> None:
    answer = client.post("/sync?integration=github&wait=true", headers={"authorization": f"bearer {TOKEN}"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["exit_code"] == 0
    assert [i["integration"] for i in body["integrations"]] == ["github"]
    assert body["integrations"][0]["status"] == "success"
    assert body["run_id"]


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("integration=gitlab", 400, "unknown integration 'gitlab'"),
        ("integration=", 400, "unknown integration ''"),
        ("integration=jira", 404, "jira is not configured"),
        ("wait=maybe", 400, "wait: expected true or false"),
    ],
)
def test_trigger_with_bad_parameters_is_refused(client: TestClient, query: str, status: int, message: str) -> None:
    answer = client.post(f"/sync?{query}", headers=AUTH)
    assert answer.status_code == status
    assert message in answer.json()["error"]


def test_a_second_trigger_of_a_running_integration_gets_409(client: TestClient, runs: Runs) -> None:
    runs.hold.set()
    assert client.post("/sync?integration=github", headers=AUTH).status_code == 202
    assert runs.started.wait(5)
    for query in ("integration=github", "", "integration=github&wait=true"):
        answer = client.post(f"/sync?{query}", headers=AUTH)
        assert answer.status_code == 409
        assert answer.json()["running"] == ["github"]
    assert client.post("/sync?integration=pagerduty", headers=AUTH).status_code == 202


def test_status_shows_schedule_next_run_running_and_last_run(client: TestClient, runs: Runs) -> None:
    before = client.get("/status").json()
    assert before["ready"] is True
    assert before["integrations"]["github"] == {
        "schedule": "*/15 * * * *",
        "next_run": NEXT.isoformat(),
        "running": None,
        "last_run": None,
    }
    client.post("/sync?integration=github&wait=true", headers=AUTH)
    runs.hold.set()
    client.post("/sync?integration=github", headers=AUTH)
    assert runs.started.wait(5)
    github = client.get("/status").json()["integrations"]["github"]
    assert github["running"]["trigger"] == "http"
    last = github["last_run"]
    assert last["result"] == "success"
    assert last["duration_seconds"] == pytest.approx(1.0, abs=0.1)
    assert set(last) >= {"run_id", "started_at", "finished_at", "counts", "errors", "sources", "applied"}


def test_a_trigger_during_shutdown_gets_503(runs: Runs, state: State) -> None:
    registry = Registry([Integration.GITHUB], runs)
    registry.close()
    control = Control(registry, {}, lambda i: None, lambda: True, lambda: False, dict, TOKEN)
    with TestClient(create_app(control)) as client:
        answer = client.post("/sync", headers=AUTH)
    assert answer.status_code == 503
    assert "shutting down" in answer.json()["error"]


def test_metrics_show_recorded_samples(client: TestClient) -> None:
    metrics.RUNS.labels(integration="github", result="success").inc(0)
    assert 'syncer_runs_total{integration="github",result="success"}' in client.get("/metrics").text
