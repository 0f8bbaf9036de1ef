"""One retry loop for every GitHub request: what is retried, after which wait, how often, over real HTTP.

Waits are recorded by an injected sleep (never slept); requests are counted in the simulator's request log.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from syncer.config.schema import GithubSource
from syncer.deadline import Deadline
from syncer.errors import Interrupted, PermanentError
from syncer.model import GithubRepo
from syncer.retry import RetryPolicy
from syncer.simulator.faults import Fault
from syncer.simulator.github.fake import FakeGitHub
from syncer.sources.github import GithubRepos

from .conftest import FAST, Sleeps
from .test_github_app import TOKENS, app_source

pytestmark = pytest.mark.reliability(system="GitHub retries")

REPOS = r"^/orgs/acme-labs/repos$"  # 40 repos: one page
INSTALLATIONS = r"^/app/installations$"
PATIENT = RetryPolicy(attempts=3, base=0.01, cap=0.05, max_wait=120.0)


def source(fake: FakeGitHub, **overrides: Any) -> GithubSource:
    """Token auth on the fake github.com, listing acme-labs."""
    return GithubSource.model_validate({"api_url": fake.url, "token": fake.token, "orgs": ["acme-labs"], **overrides})


def listed_once(fake: FakeGitHub, sleeps: Sleeps, policy: RetryPolicy = PATIENT, **overrides: Any) -> None:
    """discover() of acme-labs succeeds."""
    [found] = GithubRepos(source(fake, **overrides), 2, policy, sleeps).discover()
    assert found.ok, found.error
    assert found.seen == len(fake.orgs["acme-labs"])


def test_a_429_with_retry_after_is_retried_once_after_the_asked_wait(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    github_api.faults.add(Fault(path=REPOS, status=429, headers={"Retry-After": "7"}))

    listed_once(github_api, sleeps)

    assert sleeps == [7.0]
    assert github_api.count("GET", REPOS) == 2


def test_a_primary_rate_limit_403_waits_until_the_reset(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    github_api.faults.add(Fault.rate_limited("github", path=REPOS, retry_after=5))  # remaining 0, reset in 5 s

    listed_once(github_api, sleeps)

    [wait] = sleeps
    assert 4.0 <= wait <= 6.5, "until x-ratelimit-reset (+1 s), not the short backoff"
    assert github_api.count("GET", REPOS) == 2


@pytest.mark.parametrize(
    ("fault", "wait"),
    [
        pytest.param(lambda: Fault.rate_limited("github-secondary", path=REPOS, retry_after=3), 3.0, id="retry-after"),
        pytest.param(
            lambda: Fault(
                path=REPOS, status=403, body={"message": "You have exceeded a secondary rate limit. Please wait."}
            ),
            60.0,
            id="message-only-waits-a-minute",
        ),
        pytest.param(
            lambda: Fault.rate_limited("github-secondary", path=REPOS, retry_after=2, status=429), 2.0, id="429"
        ),
    ],
)
def test_a_secondary_rate_limit_is_retried(github_api: FakeGitHub, sleeps: Sleeps, fault: Any, wait: float) -> None:
    github_api.faults.add(fault())

    listed_once(github_api, sleeps)

    assert sleeps == [wait]
    assert github_api.count("GET", REPOS) == 2


@pytest.mark.parametrize(
    ("status", "body"),
    [
        pytest.param(401, {"message": "Bad credentials"}, id="401"),
        pytest.param(404, {"message": "Not Found"}, id="404"),
        pytest.param(403, {"message": "Resource not accessible by integration"}, id="403-not-a-rate-limit"),
        pytest.param(422, {"message": "Validation Failed"}, id="422"),
    ],
)
def test_a_refusal_is_not_retried(github_api: FakeGitHub, sleeps: Sleeps, status: int, body: Any) -> None:
    github_api.faults.add(Fault(path=REPOS, status=status, body=body, times=None))

    [found] = GithubRepos(source(github_api), 2, PATIENT, sleeps).discover()

    assert not found.ok and f"page 1 answered {status}" in (found.error or "")
    assert "gave up" not in (found.error or "")
    assert github_api.count("GET", REPOS) == 1
    assert sleeps == []


@pytest.mark.parametrize("attempts", [1, 2, 4])
def test_the_number_of_attempts_is_the_policys(github_api: FakeGitHub, sleeps: Sleeps, attempts: int) -> None:
    github_api.faults.add(Fault(path=REPOS, status=503, times=None))
    policy = RetryPolicy(attempts=attempts, base=0.01, cap=0.05, max_wait=1.0)

    [found] = GithubRepos(source(github_api), 2, policy, sleeps).discover()

    assert not found.ok and "answered 503" in (found.error or "")
    assert f"gave up after {attempts} attempts" in (found.error or "")
    assert github_api.count("GET", REPOS) == attempts, "neither PyGithub nor urllib3 retries on its own"
    assert len(sleeps) == attempts - 1


class Dropper:
    """A host that accepts every connection and closes it at once, counting them."""

    def __init__(self) -> None:
        self.accepted = 0
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """Its base URL."""
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            self.accepted += 1
            connection.close()

    def close(self) -> None:
        """Stop accepting."""
        self._socket.close()


@pytest.fixture
def dropper() -> Iterator[Dropper]:
    """A host dropping every connection."""
    host = Dropper()
    yield host
    host.close()


def test_a_dropped_connection_is_retried_by_the_policy_alone(dropper: Dropper, sleeps: Sleeps) -> None:
    config = GithubSource.model_validate({"api_url": dropper.url, "token": "ghp_" + "x" * 36, "orgs": ["acme"]})

    [found] = GithubRepos(config, 2, FAST, sleeps).discover()

    assert not found.ok and "ConnectionError" in (found.error or ""), found.error
    assert f"gave up after {FAST.attempts} attempts" in (found.error or "")
    assert dropper.accepted == FAST.attempts, "urllib3 makes one attempt per retry.call attempt"
    assert len(sleeps) == FAST.attempts - 1


def test_a_wait_past_the_deadline_is_not_waited(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    github_api.faults.add(Fault(path=REPOS, status=429, headers={"Retry-After": "60"}, times=None))

    [found] = GithubRepos(source(github_api), 2, PATIENT, sleeps, deadline=Deadline(5.0)).discover()

    assert not found.ok and "no time left before the run's deadline" in (found.error or "")
    assert github_api.count("GET", REPOS) == 1
    assert sleeps == []


def test_the_installation_token_mint_retries_a_503_once(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    github_api.faults.add(Fault(method="POST", path=TOKENS, status=503))

    [found] = GithubRepos(app_source(github_api, orgs=["acme-labs"]), 2, FAST, sleeps).discover()

    assert found.ok, found.error
    assert github_api.count("POST", TOKENS) == 2
    assert github_api.count("GET", REPOS) == 1, "the page is asked once the token is minted"
    assert len(sleeps) == 1


def test_a_mint_that_keeps_failing_is_tried_as_often_as_the_policy_says(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    github_api.faults.add(Fault(method="POST", path=TOKENS, status=503, times=None))

    [found] = GithubRepos(app_source(github_api, orgs=["acme-labs"]), 2, FAST, sleeps).discover()

    assert not found.ok
    assert "github.com/acme-labs: GET /orgs/acme-labs/repos page 1: POST /app/installations/" in (found.error or "")
    assert github_api.count("POST", TOKENS) == FAST.attempts, "the mint is never retried by two loops at once"
    assert github_api.count("GET", REPOS) == 0


def test_the_installations_listing_retries_a_503_once(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    github_api.faults.add(Fault(method="GET", path=INSTALLATIONS, status=503))

    found = GithubRepos(app_source(github_api, orgs=["acme-labs"]), 2, FAST, sleeps).discover()

    assert [d.ok for d in found] == [True]
    assert github_api.count("GET", INSTALLATIONS) == 2


def test_check_retries_a_503_once_and_not_a_404(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    github_api.faults.add(Fault(path=r"^/orgs/acme-labs$", status=503))
    GithubRepos(source(github_api), 2, FAST, sleeps).check()
    assert github_api.count("GET", r"^/orgs/acme-labs$") == 2

    github_api.reset_counters()
    with pytest.raises(PermanentError, match=r"github.com/nowhere: GET /orgs/nowhere answered 404"):
        GithubRepos(source(github_api, orgs=["nowhere"]), 2, FAST, sleeps).check()
    assert github_api.count("GET", r"^/orgs/nowhere$") == 1


def listed_repos(fake: FakeGitHub, sleeps: Sleeps) -> GithubRepos:
    """A source whose acme-labs listing is healthy; the request log cleared afterwards."""
    repos = GithubRepos(source(fake, archived=True), 2, FAST, sleeps)
    [found] = repos.discover()
    assert found.ok, found.error
    fake.reset_counters()
    sleeps.clear()
    return repos


def test_a_confirm_look_up_retries_a_503_once(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    repos = listed_repos(github_api, sleeps)
    github_api.faults.add(Fault(path=r"^/repos/acme-labs/gone$", status=503))

    assert repos.confirm([GithubRepo("github.com", "acme-labs", "gone")]) == (), "the 404 after the retry is proof"

    assert github_api.count("GET", r"^/repos/acme-labs/gone$") == 2
    assert len(sleeps) == 1


def test_a_confirm_look_up_failing_after_every_retry_keeps_the_entry(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    repos = listed_repos(github_api, sleeps)
    github_api.faults.add(Fault(path=r"^/repos/acme-labs/gone$", status=502, times=None))
    kept = GithubRepo("github.com", "acme-labs", "gone")

    assert repos.confirm([kept]) == (kept,)

    assert github_api.count("GET", r"^/repos/acme-labs/gone$") == FAST.attempts
    assert len(sleeps) == FAST.attempts - 1


def test_a_confirm_look_up_is_not_retried_on_a_refusal(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    repos = listed_repos(github_api, sleeps)
    github_api.faults.add(Fault(path=r"^/repos/acme-labs/gone$", status=401, times=None))
    kept = GithubRepo("github.com", "acme-labs", "gone")

    assert repos.confirm([kept]) == (kept,)

    assert github_api.count("GET", r"^/repos/acme-labs/gone$") == 1
    assert sleeps == []


def test_a_stop_is_never_retried_and_stays_a_stop(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    deadline = Deadline(600.0)
    deadline.stop("interrupted by SIGTERM")

    with pytest.raises(Interrupted, match=r"^github.com/acme-labs: GET /orgs/acme-labs: interrupted by SIGTERM$"):
        GithubRepos(source(github_api), 2, FAST, sleeps, deadline=deadline).check()

    assert github_api.count() == 0
    assert sleeps == []


def test_a_stop_during_a_retry_wait_ends_the_loop(github_api: FakeGitHub) -> None:
    deadline = Deadline(600.0)
    github_api.faults.add(Fault(path=REPOS, status=503, times=None))

    def sleep(seconds: float) -> None:
        deadline.stop("interrupted by SIGINT")

    [found] = GithubRepos(source(github_api), 2, PATIENT, sleep, deadline=deadline).discover()

    assert not found.ok and "interrupted by SIGINT" in (found.error or "")
    assert github_api.count("GET", REPOS) == 1, "no attempt after the stop"
