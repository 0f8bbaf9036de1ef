"""GitHub answers that must fail an org rather than shorten it: rate limits past their bound, broken bodies."""

from __future__ import annotations

from syncer.config.schema import GithubSource
from syncer.retry import RetryPolicy
from syncer.simulator.faults import Fault
from syncer.simulator.github.fake import FakeGitHub
from syncer.sources.github import GithubRepos

from .conftest import FAST, Sleeps


def source(fake: FakeGitHub) -> GithubSource:
    return GithubSource.model_validate({"api_url": fake.url, "token": fake.token, "orgs": ["acme-labs"]})


def test_429_with_a_spent_limit_waits_until_the_reset(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    github_api.faults.add(
        Fault(
            path=r"^/orgs/acme-labs/repos$",
            status=429,
            headers={"x-ratelimit-remaining": "0"},
            reset_after=1.5,
            reset_header="x-ratelimit-reset",
            reset_epoch=True,
        )
    )
    patient = RetryPolicy(attempts=3, base=0.01, cap=0.05, max_wait=30.0)
    [found] = GithubRepos(source(github_api), 2, patient, sleeps).discover()
    assert found.ok, found.error
    assert len(sleeps) == 1
    assert 1.0 <= sleeps[0] <= 3.5, "waits until the reset (+1 s), not the short backoff"


def test_429_without_any_hint_backs_off_and_gives_up_bounded(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    github_api.faults.add(Fault(path=r"^/orgs/acme-labs/repos$", status=429, times=None))
    [found] = GithubRepos(source(github_api), 2, FAST, sleeps).discover()
    assert not found.ok
    assert "429" in (found.error or "")
    assert len(sleeps) == FAST.attempts - 1
    assert github_api.count("GET", r"^/orgs/acme-labs/repos$") == FAST.attempts


def test_a_truncated_page_fails_the_org_instead_of_shortening_it(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    github_api.faults.add(Fault(path=r"^/orgs/acme-labs/repos$", malformed=True))
    [found] = GithubRepos(source(github_api), 2, FAST, sleeps).discover()
    assert not found.ok
    assert "not valid JSON" in (found.error or "")
    assert found.entries == ()


def test_an_error_answer_that_is_not_json_still_names_the_status(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    github_api.faults.add(Fault(path=r"^/orgs/acme-labs/repos$", status=404, body="<html>Not Found</html>"))
    [found] = GithubRepos(source(github_api), 2, FAST, sleeps).discover()
    assert not found.ok
    assert "answered 404" in (found.error or "")
