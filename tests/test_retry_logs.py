"""Every retry is one readable WARNING line (`syncer.retry`), without secrets; no library logs a retry of its own.

Over real HTTP against the simulator: a 502 (or a 503, a 500) then a 200. The line names the system, the request
and what went wrong, then `retry N of M in Xs`; nothing else is logged at WARNING or above.
"""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from syncer.config.schema import GithubSource, JiraSource, PagerDutySource
from syncer.retry import RetryPolicy
from syncer.simulator import seed
from syncer.simulator.faults import Fault
from syncer.simulator.github.fake import FakeGitHub
from syncer.simulator.jira import FakeJira
from syncer.simulator.pagerduty import FakePagerDuty
from syncer.simulator.server import FakeServer
from syncer.sources.github import GithubRepos
from syncer.sources.jira import JiraProjects
from syncer.sources.pagerduty import PagerDutyAccounts

POLICY = RetryPolicy(attempts=3, base=0.01, cap=0.05, max_wait=5.0)
REPOS = r"^/orgs/acme-labs/repos$"
LINE = re.compile(r"^(?P<what>.+); retry (?P<n>\d+) of (?P<m>\d+) in (?P<wait>\d+\.\d)s$")


def _started(fake: FakeServer) -> Iterator[Any]:
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def _github() -> Iterator[FakeGitHub]:
    yield from _started(FakeGitHub())


@pytest.fixture
def github(_github: FakeGitHub) -> FakeGitHub:
    _github.reset()
    return _github


@pytest.fixture(scope="module")
def jira() -> Iterator[FakeJira]:
    yield from _started(FakeJira("acme.atlassian.net"))


@pytest.fixture(scope="module")
def pagerduty() -> Iterator[FakePagerDuty]:
    yield from _started(FakePagerDuty())


def warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Every record at WARNING or above, whichever logger (syncer's, urllib3's, PyGithub's, httpx2's)."""
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def no_sleep(_: float) -> None:
    return None


def github_source(fake: FakeGitHub) -> GithubSource:
    return GithubSource.model_validate({"api_url": fake.url, "token": fake.token, "orgs": ["acme-labs"]})


def test_a_github_502_then_200_is_one_readable_line_without_the_token(
    github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    github.faults.add(Fault(path=REPOS, status=502, body={"message": f"bad gateway (token {github.token})"}))
    caplog.set_level(logging.DEBUG)

    [found] = GithubRepos(github_source(github), 2, POLICY, no_sleep).discover()

    assert found.ok, found.error
    [record] = warnings(caplog)
    line = record.getMessage()
    assert record.name == "syncer.retry"
    assert record.levelno == logging.WARNING
    match = LINE.match(line)
    assert match, line
    assert match["what"].startswith("github: ")
    assert "GET /orgs/acme-labs/repos" in match["what"]
    assert "answered 502" in match["what"]
    assert (match["n"], match["m"]) == ("1", "2")
    assert github.token not in line
    assert "\n" not in line
    assert not [r for r in caplog.records if "Retrying" in r.getMessage()]  # urllib3 never retries for us


def test_each_retry_is_its_own_line_and_giving_up_adds_none(
    github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    github.faults.add(Fault(path=REPOS, status=502, times=None))
    caplog.set_level(logging.WARNING)

    [found] = GithubRepos(github_source(github), 2, POLICY, no_sleep).discover()

    assert not found.ok
    lines = [r.getMessage() for r in warnings(caplog) if r.name == "syncer.retry"]
    assert [LINE.match(line)["n"] for line in lines] == ["1", "2"]  # type: ignore[index]
    assert all(line.endswith(" of 2 in 0.0s") for line in lines)
    assert github.count("GET", REPOS) == 3


def test_a_jira_503_with_retry_after_names_the_site_and_the_asked_wait(
    jira: FakeJira, caplog: pytest.LogCaptureFixture
) -> None:
    jira.reset()
    jira.faults.add(Fault(path=r"/project", status=503, headers={"Retry-After": "2"}))
    fields = {"hostname": "acme.atlassian.net", "url": jira.url, "account_id": "1", "email": seed.JIRA_EMAIL}
    source = JiraSource.model_validate({**fields, "api_token": seed.JIRA_API_TOKEN})
    caplog.set_level(logging.WARNING)

    [found] = JiraProjects(source, POLICY, no_sleep).discover()

    assert found.ok, found.error
    [record] = warnings(caplog)
    line = record.getMessage()
    assert re.match(
        r"^jira acme\.atlassian\.net: GET /rest/api/2/project\S* answered 503.*; retry 1 of 2 in 2\.0s$", line
    )
    assert seed.JIRA_API_TOKEN not in line


def test_a_pagerduty_500_is_one_line(pagerduty: FakePagerDuty, caplog: pytest.LogCaptureFixture) -> None:
    pagerduty.reset()
    pagerduty.faults.add(Fault(path=r"^/users$", status=500))
    source = PagerDutySource.model_validate({"token": seed.PAGERDUTY_TOKEN, "api_url": pagerduty.url})
    caplog.set_level(logging.WARNING)

    [found] = PagerDutyAccounts(source, 0, None, POLICY, no_sleep).discover()

    assert found.ok, found.error
    [record] = warnings(caplog)
    line = record.getMessage()
    match = LINE.match(line)
    assert match, line
    assert "GET " in match["what"] and "/users answered 500" in match["what"]
    assert seed.PAGERDUTY_TOKEN not in line


def test_no_answer_at_all_is_one_line_per_retry_and_no_library_line(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as sock:  # a port nobody listens on: every connection is refused
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    caplog.set_level(logging.WARNING)
    two = RetryPolicy(attempts=2, base=0.01, cap=0.05)
    fields = {"hostname": "acme.atlassian.net", "url": url, "account_id": "1", "email": seed.JIRA_EMAIL}

    GithubRepos(
        GithubSource.model_validate({"api_url": url, "token": "t0ken", "orgs": ["acme"]}), 2, two, no_sleep
    ).discover()
    JiraProjects(JiraSource.model_validate({**fields, "api_token": seed.JIRA_API_TOKEN}), two, no_sleep).discover()
    PagerDutyAccounts(
        PagerDutySource.model_validate({"token": "pd-t0ken", "api_url": url}), 0, None, two, no_sleep
    ).discover()

    lines = [r.getMessage() for r in warnings(caplog)]
    assert [r.name for r in warnings(caplog)] == ["syncer.retry"] * 3, lines
    assert lines[0].startswith("github: ") and "ConnectionError" in lines[0]
    assert lines[1].startswith("jira acme.atlassian.net: GET ") and "no answer (ConnectionError)" in lines[1]
    assert lines[2].startswith("pagerduty token #1: GET ") and "no answer (ConnectError)" in lines[2]
    assert all(LINE.match(line) and line.endswith("retry 1 of 1 in 0.0s") for line in lines), lines
