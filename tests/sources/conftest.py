"""Fixtures of the source tests: the simulator's fake APIs on loopback, a fast retry policy, recorded sleeps."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

from syncer.retry import RetryPolicy
from syncer.simulator.github.fake import FakeGitHub
from syncer.simulator.jira import FakeJira
from syncer.simulator.pagerduty import FakePagerDuty
from syncer.simulator.server import FakeServer

FAST = RetryPolicy(attempts=3, base=0.01, cap=0.05, max_wait=0.5)
T = TypeVar("T")


def returns_within(call: Callable[[], T], bound: float, what: str = "discover()") -> T:
    """`call()` in a thread that must end within `bound` seconds; its result, or its exception raised here."""
    box: list[T | BaseException] = []

    def run() -> None:
        try:
            box.append(call())
        except BaseException as exc:  # handed to the test thread
            box.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(bound)
    assert not thread.is_alive(), f"{what} did not return within {bound} s"
    [result] = box
    if isinstance(result, BaseException):
        raise result
    return result


class Sleeps(list[float]):
    """A Sleep that records each wait instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def settle(fake: FakeServer, answered: int, within: float = 5.0) -> None:
    """Wait until the fake has answered this many requests (a request the client gave up on answers late)."""
    deadline = time.monotonic() + within
    while fake.count() < answered and time.monotonic() < deadline:
        time.sleep(0.02)
    assert fake.count() == answered


@pytest.fixture
def sleeps() -> Sleeps:
    """Every wait a source asked for, in order."""
    return Sleeps()


@pytest.fixture(scope="module")
def _jira_cloud() -> Iterator[FakeJira]:
    fake = FakeJira("acme.atlassian.net")
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def jira_cloud(_jira_cloud: FakeJira) -> FakeJira:
    """A fresh Jira Cloud site (120 projects, pages capped at 50)."""
    _jira_cloud.reset()
    _jira_cloud.max_results_cap = 50
    return _jira_cloud


@pytest.fixture(scope="module")
def _jira_dc() -> Iterator[FakeJira]:
    fake = FakeJira("jira.acme.internal", deployment="Server")
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def jira_dc(_jira_dc: FakeJira) -> FakeJira:
    """A fresh Jira Data Center site (no project/search)."""
    _jira_dc.reset()
    return _jira_dc


@pytest.fixture(scope="module")
def _pagerduty() -> Iterator[FakePagerDuty]:
    fake = FakePagerDuty()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def pagerduty_api(_pagerduty: FakePagerDuty) -> FakePagerDuty:
    """A fresh PagerDuty API with two accounts: acme (account-level token) and acme-eu (user-level token)."""
    _pagerduty.reset()
    return _pagerduty


@pytest.fixture(scope="module")
def _github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def github_api(_github: FakeGitHub) -> Iterator[FakeGitHub]:
    """A fresh github.com with an app installed on acme and acme-labs (and suspended on acme-old)."""
    _github.reset()
    yield _github
    _github.token_ttl = 3600.0


@pytest.fixture(scope="module")
def _ghes() -> Iterator[FakeGitHub]:
    fake = FakeGitHub("ghe.acme.internal")
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def ghes_api(_ghes: FakeGitHub) -> FakeGitHub:
    """A fresh GitHub Enterprise Server (3.19 unless a test sets `version`) with one org, platform (120 repos)."""
    _ghes.reset()
    return _ghes
