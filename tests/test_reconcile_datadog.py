"""run_once over real HTTP against the fake Datadog: what the orchestrator does with Datadog's own answers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from syncer.config.schema import DatadogConfig
from syncer.datadog.client import DatadogClient
from syncer.deadline import Deadline, Stop
from syncer.model import Result
from syncer.reconcile import run_once
from syncer.retry import RetryPolicy
from syncer.simulator.datadog import FakeDatadog
from syncer.simulator.faults import Fault
from tests.orchestrator import MemorySource, job, repo, stored

FAST = RetryPolicy(attempts=2, base=0.01, cap=0.02, max_wait=0.05)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeDatadog]:
    server = FakeDatadog()
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fresh(fake: FakeDatadog) -> None:
    fake.reset()


@pytest.fixture
def datadog(fake: FakeDatadog) -> Iterator[DatadogClient]:
    config = DatadogConfig.model_validate({"api_key": fake.api_key, "app_key": fake.app_key, "api_url": fake.url})
    with DatadogClient(config, retry=FAST, sleep=lambda _: None) as client:
        yield client


def names(fake: FakeDatadog, integration: str = "github") -> list[str]:
    items = fake.store.get(integration, {}).get("enabled_repos", [])
    return sorted(i["repo_name"] for i in items)


def test_first_and_second_run_over_http(fake: FakeDatadog, datadog: DatadogClient) -> None:
    first = run_once(job(MemorySource([repo("a"), repo("b")])), datadog)
    second = run_once(job(MemorySource([repo("a"), repo("b")])), datadog)
    assert (first.result, first.applied, second.result, second.applied) == (Result.SUCCESS, True, Result.SUCCESS, False)
    assert fake.count("PUT") == 1
    assert names(fake) == ["a", "b"]


@pytest.mark.reliability(system="Datadog GET", outcome="the integration fails; nothing is written")
@pytest.mark.parametrize(
    ("status", "body", "headers"),
    [
        pytest.param(404, "<html><body>Not Found</body></html>", {"content-type": "text/html"}, id="404-html"),
        pytest.param(404, {"message": "not found"}, {}, id="404-json-not-errors-doc"),
        pytest.param(404, "", {}, id="404-empty"),
        pytest.param(302, "", {"location": "https://login.example.com/"}, id="302-login"),
        pytest.param(301, {"errors": []}, {"location": "https://api.datadoghq.eu/x"}, id="301-site"),
        pytest.param(202, {"data": {}}, {}, id="202"),
        pytest.param(203, {"errors": ["x"]}, {}, id="203"),
        pytest.param(204, "", {}, id="204"),
        pytest.param(206, {"data": {}}, {}, id="206"),
        pytest.param(200, {"data": {"attributes": {"config": {"other": 1}}}}, {}, id="200-no-list-other-keys"),
        pytest.param(200, {"data": {"attributes": {"config": {"enabled_repos": None}}}}, {}, id="200-list-null"),
        pytest.param(
            200, {"data": {"attributes": {"config": {"enabled_repos": [{"repo_name": 1}]}}}}, {}, id="200-wrong-types"
        ),
    ],
)
def test_an_answer_that_is_not_datadogs_never_becomes_an_empty_list(
    fake: FakeDatadog, datadog: DatadogClient, status: int, body: Any, headers: dict[str, str]
) -> None:
    fake.seed("github", {"enabled_repos": stored("a", "b")})
    fake.faults.add(Fault(method="GET", path="entity_integrations", status=status, body=body, headers=headers))
    report = run_once(job(MemorySource([repo("a"), repo("n")]), policy="upsert-only"), datadog)
    assert report.result is Result.FAILURE
    assert fake.count("PUT") == 0
    assert names(fake) == ["a", "b"]


@pytest.mark.reliability(
    system="Datadog PUT",
    answer="429 with X-RateLimit-Reset far past the run's deadline",
    outcome="no wait past the deadline, no PUT after it; the run fails",
)
def test_put_retries_end_at_the_deadline(fake: FakeDatadog) -> None:
    fake.rate_limited(method="PUT", path="entity_integrations", retry_after=30.0, times=None)
    config = DatadogConfig.model_validate({"api_key": fake.api_key, "app_key": fake.app_key, "api_url": fake.url})
    deadline = Deadline(2.0)
    started = time.monotonic()
    with DatadogClient(config, retry=RetryPolicy(attempts=5, max_wait=120.0), sleep=deadline.sleep) as dd:
        report = run_once(job(MemorySource([repo("a")]), deadline=deadline), dd)
    assert time.monotonic() - started < 10
    assert report.result is Result.FAILURE
    assert fake.count("PUT") == 1
    assert "github" not in fake.store


def test_a_stop_during_put_retries_starts_no_further_put(fake: FakeDatadog) -> None:
    fake.rate_limited(method="PUT", path="entity_integrations", retry_after=5.0, times=None)
    config = DatadogConfig.model_validate({"api_key": fake.api_key, "app_key": fake.app_key, "api_url": fake.url})
    stop = Stop()
    deadline = Deadline(60, stop=stop)
    threading.Timer(0.5, stop.stop, args=("interrupted by SIGINT", "SIGINT")).start()
    with DatadogClient(config, retry=RetryPolicy(attempts=5, max_wait=120.0), sleep=deadline.sleep) as dd:
        report = run_once(job(MemorySource([repo("a")]), deadline=deadline), dd)
    assert report.interrupted and not report.applied
    assert fake.count("PUT") == 1


@pytest.mark.reliability(system="Datadog PUT", outcome="the run fails, naming the entries Datadog does not hold")
@pytest.mark.parametrize(
    ("body", "stores"),
    [
        pytest.param("<html>ok</html>", False, id="200-html-and-nothing-stored"),
        pytest.param({"data": {"attributes": {"config": {"enabled_repos": []}}}}, True, id="200-other-list"),
    ],
)
def test_a_put_whose_answer_does_not_hold_the_list_is_a_failure(
    fake: FakeDatadog, datadog: DatadogClient, body: Any, stores: bool
) -> None:
    fake.faults.add(Fault(method="PUT", path="entity_integrations", status=200, body=body))
    report = run_once(job(MemorySource([repo("a"), repo("b")])), datadog)
    assert report.result is Result.FAILURE
    assert report.applied
    assert any("without 2 of the 2 written" in e for e in report.errors), report.errors


def test_a_put_with_an_unreadable_answer_is_confirmed_by_reading_the_list(
    fake: FakeDatadog, datadog: DatadogClient
) -> None:
    fake.faults.add(Fault(method="PUT", path="entity_integrations", malformed=True))  # stored, answer cut in half
    report = run_once(job(MemorySource([repo("a"), repo("b")])), datadog)
    assert report.result is Result.SUCCESS, report.errors
    assert report.applied and report.final_count == 2
    assert names(fake) == ["a", "b"]
    assert fake.count("GET") == 3  # the read, the re-read before the PUT, and the read-back of an unreadable answer


def test_a_put_whose_answer_and_read_back_both_fail_is_a_failure_that_says_it_was_written(
    fake: FakeDatadog, datadog: DatadogClient
) -> None:
    fake.faults.add(Fault(method="PUT", path="entity_integrations", malformed=True))  # stored, answer cut in half
    fake.faults.add(Fault(method="GET", path="entity_integrations", times=2))  # the read and the re-read go through
    fake.faults.add(Fault(method="GET", path="entity_integrations", status=500, times=None))  # the read-back fails
    report = run_once(job(MemorySource([repo("a")])), datadog)
    assert report.result is Result.FAILURE and report.applied
    assert any("could not be read back" in e for e in report.errors), report.errors
    assert names(fake) == ["a"]
