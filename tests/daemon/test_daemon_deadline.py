"""Bounded runs in the daemon: every run has its deadline, a stuck run is abandoned (and can never PUT after), the
integration stays schedulable and triggerable; shown in /status and /readyz while /healthz stays 200."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from syncer.config import loader
from syncer.daemon import service as daemon
from syncer.daemon.registry import Registry
from syncer.daemon.runs import Busy
from syncer.daemon.writegate import ABANDONED, PutGate, RunGuard
from syncer.datadog.client import DatadogClient
from syncer.deadline import Deadline
from syncer.errors import Stopped
from syncer.model import Integration, IntegrationReport, Result
from syncer.reconcile import Job
from syncer.retry import RetryPolicy
from syncer.simulator import Fault, Simulator
from tests.daemon.conftest import TOKEN

pytestmark = pytest.mark.reliability(system="daemon run deadline")

GITHUB = Integration.GITHUB
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def wait_for(condition: Callable[[], Any], timeout: float = 15, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"{what} not reached within {timeout}s")


class Hung:
    """An execute function whose runs never return until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.returned = threading.Semaphore(0)

    def __call__(self, integration: Integration) -> IntegrationReport:
        self.release.wait(30)
        now = datetime.now(UTC)
        self.returned.release()
        return IntegrationReport(integration, Result.SUCCESS, now, now)


def test_a_run_past_its_timeout_and_grace_is_abandoned_and_the_integration_is_free_again() -> None:
    execute, recorded = Hung(), []
    registry = Registry([GITHUB], execute, timeout=lambda i: 0.2, grace=0.2, record=recorded.append)
    batch = registry.start([GITHUB], trigger="http")
    assert wait_for(registry.overdue, 5, "overdue")
    assert GITHUB in registry.running()
    assert batch.wait(5)
    (report,) = batch.reports
    assert (report.result, report.errors) == (Result.FAILURE, (ABANDONED,))
    assert registry.running() == {}
    assert registry.last()[GITHUB].abandoned is True
    assert [a.run_id for a in registry.abandoned()] == [batch.run_id]
    again = registry.start([GITHUB], trigger="http")  # not Busy
    execute.release.set()
    assert again.wait(5)
    assert again.reports[0].result is Result.SUCCESS
    assert wait_for(lambda: not registry.abandoned(), 5, "the abandoned thread returned")
    assert [r.result for r in recorded] == [Result.FAILURE, Result.SUCCESS]  # the abandoned one's report is dropped
    assert registry.last()[GITHUB].run_id == again.run_id


def test_a_run_that_returns_in_time_is_not_abandoned() -> None:
    execute = Hung()
    execute.release.set()
    registry = Registry([GITHUB], execute, timeout=lambda i: 0.5, grace=0.1)
    assert registry.start([GITHUB], trigger="schedule").wait(5)
    time.sleep(0.8)
    assert registry.last()[GITHUB].abandoned is False
    assert registry.abandoned() == []


def test_a_run_is_not_abandoned_while_its_put_is_under_way() -> None:
    gate, inside, leave = PutGate(), threading.Event(), threading.Event()

    def putting(integration: Integration) -> IntegrationReport:
        from syncer.daemon.registry import current

        run = current()
        assert run is not None
        with gate.put(run.guard):
            inside.set()
            leave.wait(5)
        now = datetime.now(UTC)
        return IntegrationReport(integration, Result.SUCCESS, now, now, applied=True)

    registry = Registry([GITHUB], putting, timeout=lambda i: 0.1, grace=0.1)
    batch = registry.start([GITHUB], trigger="http")
    assert inside.wait(5)
    time.sleep(0.6)
    assert not batch.done
    with pytest.raises(Busy):
        registry.start([GITHUB], trigger="http")
    leave.set()
    assert batch.wait(5)
    assert batch.reports[0].applied is True
    assert registry.last()[GITHUB].abandoned is False


def test_the_guard_refuses_puts_once_abandoned_stopped_or_past_the_deadline() -> None:
    gate = PutGate()
    abandoned = RunGuard()
    assert abandoned.abandon() is True
    with pytest.raises(Stopped, match="abandoned"):
        gate.put(abandoned).__enter__()
    late = RunGuard()
    late.deadline = Deadline(0.0)
    with pytest.raises(Stopped, match="PUT not sent: run_timeout"):
        gate.put(late).__enter__()
    stopped = RunGuard()
    stopped.deadline = Deadline(60.0)
    stopped.deadline.stop("the daemon is shutting down")
    with pytest.raises(Stopped, match="shutting down"):
        gate.put(stopped).__enter__()
    fine = RunGuard()
    fine.deadline = Deadline(60.0)
    with gate.put(fine):
        assert fine.abandon() is False  # a PUT under way is never cut off
    assert fine.abandon() is True


class InProcess:
    """The real Daemon in this process (so a test can shorten its run_timeout), serving HTTP on loopback."""

    def __init__(self, sim: Simulator, config: dict[str, Any], run_timeout: float, grace: float) -> None:
        class Short(daemon.Daemon):
            def run_timeout(self, integration: Integration) -> float | None:
                return run_timeout

        self.daemon = Short(loader.parse(config, sim.env()), TOKEN, RetryPolicy(attempts=2, base=0.05), grace=grace)
        sock = socket.create_server(("127.0.0.1", 0))
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}", timeout=30)
        self.daemon.start(sock)

    def github(self) -> dict[str, Any]:
        github: dict[str, Any] = self.http.get("/status").json()["integrations"]["github"]
        return github

    def close(self) -> None:
        self.daemon.stop(1)
        self.http.close()


@pytest.fixture
def in_process(sim: Simulator) -> Iterator[Callable[..., InProcess]]:
    started: list[InProcess] = []

    def launch(config: dict[str, Any], run_timeout: float, grace: float = 30.0) -> InProcess:
        started.append(InProcess(sim, config, run_timeout, grace))
        return started[-1]

    sim.reset()
    yield launch
    for subject in started:
        subject.close()
    sim.reset()


@pytest.mark.parametrize(
    "fault",
    [
        Fault(method="GET", path=r"^/orgs/acme/repos$", timeout=True, times=None),
        Fault(method="GET", path=r"^/orgs/acme/repos$", trickle=0.5, times=None),
    ],
    ids=["timeout", "trickle"],
)
def test_a_hanging_source_ends_the_run_at_its_deadline_and_the_integration_stays_triggerable(
    in_process: Callable[..., InProcess], sim: Simulator, config: Callable[..., dict[str, Any]], fault: Fault
) -> None:
    sim.github.faults.add(fault)
    subject = in_process(config(), run_timeout=1.5)
    started = time.monotonic()
    first = wait_for(lambda: subject.github()["last_run"], 20, "the first run's end")
    assert time.monotonic() - started < 12
    assert first["result"] == "failure"
    assert any("github.com/acme" in error for error in first["errors"])
    for _ in range(2):
        answer = subject.http.post("/sync?integration=github&wait=true", headers=AUTH)
        assert answer.status_code == 200, answer.text
        assert answer.json()["integrations"][0]["status"] == "failure"
    assert sim.datadog.count("PUT") == 0
    assert subject.http.get("/healthz").status_code == 200
    sim.github.faults.clear()
    healed = subject.http.post("/sync?integration=github&wait=true", headers=AUTH).json()
    assert healed["exit_code"] == 0
    assert sim.datadog.count("PUT") == 1


def test_a_run_that_ignores_its_deadline_is_abandoned_shown_and_never_puts(
    in_process: Callable[..., InProcess],
    sim: Simulator,
    config: Callable[..., dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release, refused = threading.Event(), []

    def stuck(job: Job, datadog: DatadogClient) -> IntegrationReport:
        release.wait(30)  # deaf to its deadline, as a wedged library call would be
        try:
            datadog.put_config(job.integration, {"enabled_repos": []})
        except Stopped as exc:
            refused.append(str(exc))
        else:
            refused.append("sent")
        now = datetime.now(UTC)
        return IntegrationReport(job.integration, Result.SUCCESS, now, now, applied=True)

    monkeypatch.setattr(daemon, "run_once", stuck)
    subject = in_process(config(), run_timeout=0.3, grace=1.5)
    stuck_ready = wait_for(
        lambda: (r := subject.http.get("/readyz")).status_code == 503 and r, 5, "readyz 503 for a stuck run"
    )
    assert stuck_ready.json()["checks"]["runs"].startswith("stuck: github past its run_timeout")
    assert subject.github()["running"]["overdue"] is True
    assert subject.http.get("/healthz").status_code == 200
    last = wait_for(lambda: subject.github()["last_run"], 10, "the abandonment")
    assert (last["result"], last["errors"], last["abandoned"]) == ("failure", [ABANDONED], True)
    status = subject.http.get("/status").json()
    assert [a["run_id"] for a in status["abandoned_runs"]] == [last["run_id"]]
    ready = subject.http.get("/readyz")
    assert ready.status_code == 200
    assert "abandoned" in ready.json()["checks"]["runs"]
    answer = subject.http.post("/sync?integration=github", headers=AUTH)
    assert answer.status_code == 202  # triggerable again, not 409 forever
    wait_for(lambda: (subject.github()["running"] or {}).get("overdue"), 5, "the second run past its deadline")
    release.set()
    wait_for(lambda: len(refused) == 2, 10, "both stuck runs tried to PUT")
    assert f"PUT not sent: {ABANDONED}" in refused  # the abandoned one
    assert all(message.startswith("PUT not sent: ") for message in refused), refused  # the late one: its deadline
    assert sim.datadog.count("PUT") == 0
    wait_for(lambda: not subject.http.get("/status").json()["abandoned_runs"], 10, "abandoned threads returned")


def test_run_timeout_from_the_configuration_bounds_a_daemon_run(
    start: Any, sim: Simulator, config: Callable[..., dict[str, Any]]
) -> None:
    sim.github.faults.add(Fault(method="GET", path=r"^/orgs/acme/repos$", timeout=True, times=None))
    subject = start(config(run_timeout="2s"))
    subject.wait_ready()
    started = time.monotonic()
    first = subject.wait_idle(20)["last_run"]
    assert time.monotonic() - started < 15
    assert first["result"] == "failure"
    answer = subject.sync("integration=github&wait=true")
    assert answer.status_code == 200
    assert sim.datadog.count("PUT") == 0
