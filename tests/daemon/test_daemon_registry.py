"""The run registry: one run per integration at a time, all-or-none starts, crash safety, the PUT gate."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from syncer.daemon.registry import Registry
from syncer.daemon.runs import Busy, Closed
from syncer.daemon.writegate import PutGate
from syncer.errors import Stopped
from syncer.model import Integration, IntegrationReport, Result

GITHUB, JIRA = Integration.GITHUB, Integration.JIRA


class Gated:
    """An execute function whose runs block until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Semaphore(0)
        self.calls: list[Integration] = []

    def __call__(self, integration: Integration) -> IntegrationReport:
        self.calls.append(integration)
        self.started.release()
        assert self.release.wait(5)
        now = datetime.now(UTC)
        return IntegrationReport(integration, Result.SUCCESS, now, now)


def test_a_run_reports_and_frees_its_integration() -> None:
    execute = Gated()
    registry = Registry([GITHUB, JIRA], execute)
    batch = registry.start([GITHUB], trigger="http")
    assert execute.started.acquire(timeout=5)
    assert set(registry.running()) == {GITHUB}
    execute.release.set()
    assert batch.wait(5)
    assert [r.result for r in batch.reports] == [Result.SUCCESS]
    assert registry.wait_idle(5)
    last = registry.last()[GITHUB]
    assert (last.run_id, last.trigger) == (batch.run_id, "http")
    assert (batch.reports[0].run_id, batch.reports[0].trigger) == (batch.run_id, "http")  # what POST /sync answers


def test_a_second_start_of_a_running_integration_is_refused_not_queued() -> None:
    execute = Gated()
    registry = Registry([GITHUB, JIRA], execute)
    first = registry.start([GITHUB], trigger="schedule")
    with pytest.raises(Busy) as busy:
        registry.start([GITHUB], trigger="http")
    assert busy.value.integrations == (GITHUB,)
    execute.release.set()
    assert first.wait(5)
    assert execute.calls == [GITHUB]


def test_start_is_all_or_none_when_one_integration_is_busy() -> None:
    execute = Gated()
    registry = Registry([GITHUB, JIRA], execute)
    registry.start([GITHUB], trigger="schedule")
    with pytest.raises(Busy, match="github"):
        registry.start([GITHUB, JIRA], trigger="http")
    assert set(registry.running()) == {GITHUB}
    execute.release.set()
    assert registry.wait_idle(5)


def test_concurrent_starts_of_one_integration_give_exactly_one_run() -> None:
    execute = Gated()
    registry = Registry([GITHUB], execute)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def trigger() -> None:
        barrier.wait()
        try:
            registry.start([GITHUB], trigger="http")
            outcomes.append("started")
        except Busy:
            outcomes.append("busy")

    threads = [threading.Thread(target=trigger) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    execute.release.set()
    assert registry.wait_idle(5)
    assert sorted(outcomes) == ["busy"] * 7 + ["started"]


def test_a_crashing_run_becomes_a_failure_report_and_releases_the_lock() -> None:
    def crash(integration: Integration) -> IntegrationReport:
        raise RuntimeError("boom")

    registry = Registry([GITHUB], crash)
    batch = registry.start([GITHUB], trigger="http")
    assert batch.wait(5)
    (report,) = batch.reports
    assert report.result is Result.FAILURE
    assert "RuntimeError: boom" in report.errors[0]
    assert registry.start([GITHUB], trigger="http").wait(5)


def test_a_closed_registry_takes_no_new_runs() -> None:
    registry = Registry([GITHUB], Gated())
    registry.close()
    with pytest.raises(Closed):
        registry.start([GITHUB], trigger="http")


def test_an_unconfigured_integration_cannot_be_started() -> None:
    with pytest.raises(ValueError, match="jira"):
        Registry([GITHUB], Gated()).start([JIRA], trigger="http")


def test_on_done_fires_once_done_and_at_once_when_already_done() -> None:
    execute = Gated()
    batch = Registry([GITHUB], execute).start([GITHUB], trigger="http")
    fired: list[str] = []
    batch.on_done(lambda: fired.append("early"))
    execute.release.set()
    assert batch.wait(5)
    batch.on_done(lambda: fired.append("late"))
    assert fired == ["early", "late"]


def test_the_put_gate_waits_for_a_put_in_flight_and_refuses_new_ones() -> None:
    gate = PutGate()
    inside, leave = threading.Event(), threading.Event()

    def put() -> None:
        with gate.put():
            inside.set()
            leave.wait(5)

    worker = threading.Thread(target=put)
    worker.start()
    assert inside.wait(5)
    assert gate.close(0.05) is False
    with pytest.raises(Stopped, match="shutting down"):
        gate.put().__enter__()
    leave.set()
    assert gate.close(5) is True
    worker.join()
