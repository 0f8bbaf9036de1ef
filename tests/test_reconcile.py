"""run_once against the fake Datadog over real HTTP, with in-memory sources: the orchestrator's cases."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from syncer.config import DatadogConfig
from syncer.datadog import DatadogClient
from syncer.deadline import Deadline, Stop
from syncer.model import Current, Discovery, Entry, GithubRepo, Integration, PagerDutyAccount, Result, Scope
from syncer.reconcile import Job, run_once
from syncer.retry import RetryPolicy
from syncer.settings import DeletionLimit, Effective
from syncer.simulator.datadog import FakeDatadog
from syncer.simulator.faults import Fault

GH = Integration.GITHUB
FAST = RetryPolicy(attempts=2, base=0.01, cap=0.02, max_wait=0.05)
ACME = Scope("github.com/acme", ("github.com", "acme"))


def repo(name: str, org: str = "acme") -> GithubRepo:
    return GithubRepo("github.com", org, name)


def stored(*names: str, org: str = "acme", **fields: Any) -> list[dict[str, Any]]:
    return [{"hostname": "github.com", "github_org_name": org, "repo_name": n, **fields} for n in names]


@dataclass
class MemorySource:
    """A source that answers from memory: its listing, or an error; `confirm` keeps what `exists` names."""

    found: Sequence[Entry] = ()
    error: str | None = None
    where: Scope = ACME
    exists: set[str] = field(default_factory=set)
    confirm_error: Exception | None = None
    block: threading.Event | None = None
    asked: list[Entry] = field(default_factory=list)
    on_discover: Callable[[], None] | None = None

    @property
    def scope(self) -> Scope:
        return self.where

    def discover(self) -> list[Discovery]:
        if self.on_discover is not None:
            self.on_discover()
        if self.block is not None:
            self.block.wait()
        if self.error is not None:
            return [Discovery(self.where, error=self.error)]
        return [Discovery(self.where, entries=tuple(self.found), seen=len(self.found))]

    def check(self) -> None:
        return None

    def confirm(self, entries: Sequence[Entry]) -> tuple[Entry, ...]:
        self.asked.extend(entries)
        if self.confirm_error is not None:
            raise self.confirm_error
        return tuple(e for e in entries if isinstance(e, GithubRepo) and e.repo_name in self.exists)


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


def settings(**overrides: Any) -> Effective:
    values: dict[str, Any] = {
        "schedule": "every 1h",
        "policy": "sync",
        "max_deletions": DeletionLimit(percent=100.0),
        "on_source_error": "keep",
        "concurrency": 8,
        "jitter": 0,
        "run_timeout": 60.0,
        "run_timeout_text": "1m",
        "confirm_removals": 50,
    }
    values.update(overrides)
    known = set(Effective.model_fields)
    return Effective.model_validate({k: v for k, v in values.items() if k in known})


def job(*sources: MemorySource, integration: Integration = GH, **kwargs: Any) -> Job:
    options = {k: kwargs.pop(k) for k in ("dry_run", "allow_deletions", "deadline", "grace_seconds") if k in kwargs}
    return Job(integration=integration, settings=settings(**kwargs), sources=sources, **options)


def names(fake: FakeDatadog, integration: str = "github") -> list[str]:
    items = fake.store.get(integration, {}).get("enabled_repos", [])
    return sorted(i["repo_name"] for i in items)


@pytest.mark.parametrize(
    ("seeded", "source", "options", "result", "puts", "after"),
    [
        pytest.param(None, MemorySource([repo("a"), repo("b")]), {}, Result.SUCCESS, 1, ["a", "b"], id="first-run"),
        pytest.param(
            stored("a", "b"),
            MemorySource([repo("a"), repo("b")]),
            {},
            Result.SUCCESS,
            0,
            ["a", "b"],
            id="second-run-writes-nothing",
        ),
        pytest.param(
            stored("a"),
            MemorySource([repo("a"), repo("b")]),
            {"dry_run": True},
            Result.SUCCESS,
            0,
            ["a"],
            id="dry-run-writes-nothing",
        ),
        pytest.param(
            stored("a", "b"),
            MemorySource(error="acme: 500"),
            {},
            Result.FAILURE,
            0,
            ["a", "b"],
            id="failed-source-keeps-entries",
        ),
        pytest.param(
            stored("a", "b"),
            MemorySource(error="acme: 500"),
            {"on_source_error": "abort"},
            Result.FAILURE,
            0,
            ["a", "b"],
            id="abort-writes-nothing",
        ),
        pytest.param(
            stored("a", "b", "c"),
            MemorySource([repo("a")]),
            {"max_deletions": DeletionLimit(count=1), "confirm_removals": 0},
            Result.REFUSED,
            0,
            ["a", "b", "c"],
            id="refused-by-max-deletions",
        ),
        pytest.param(
            stored("a", "b"),
            MemorySource([repo("a"), repo("n")]),
            {"policy": "upsert-only"},
            Result.SUCCESS,
            1,
            ["a", "b", "n"],
            id="upsert-only-adds-never-removes",
        ),
        pytest.param(
            stored("a", "b"),
            MemorySource([]),
            {"confirm_removals": 0},
            Result.REFUSED,
            0,
            ["a", "b"],
            id="emptying-refused",
        ),
    ],
)
def test_orchestrator_cases(
    fake: FakeDatadog,
    datadog: DatadogClient,
    seeded: list[dict[str, Any]] | None,
    source: MemorySource,
    options: dict[str, Any],
    result: Result,
    puts: int,
    after: list[str],
) -> None:
    if seeded is not None:
        fake.seed("github", {"enabled_repos": seeded})
    report = run_once(job(source, **options), datadog)
    assert report.result is result, report.errors
    assert fake.count("PUT") == puts
    assert names(fake) == after


def test_refused_while_a_source_failed_is_a_failure(fake: FakeDatadog, datadog: DatadogClient) -> None:
    fake.seed("github", {"enabled_repos": stored("a", "b", "c") + stored("x", org="labs")})
    labs = MemorySource(error="labs: 500", where=Scope("github.com/labs", ("github.com", "labs")))
    report = run_once(job(MemorySource([]), labs, max_deletions=DeletionLimit(count=1), confirm_removals=0), datadog)
    assert report.result is Result.FAILURE
    assert fake.count("PUT") == 0
    assert any("refusing" in e for e in report.errors) and any("labs: 500" in e for e in report.errors)


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
    system="Datadog stored list",
    answer="case duplicates R1 and r1, each with its own field",
    outcome="the dropped duplicate is a removal for the guard (refused at max_deletions 0)",
)
def test_case_duplicates_each_count_as_a_removal(fake: FakeDatadog, datadog: DatadogClient) -> None:
    fake.seed("github", {"enabled_repos": stored("R1", team="a") + stored("r1", team="b") + stored("k")})
    report = run_once(job(MemorySource([repo("r1"), repo("k")]), max_deletions=DeletionLimit(count=0)), datadog)
    assert report.result is Result.REFUSED
    assert report.plan is not None and len(report.plan.removed) == 1
    assert fake.count("PUT") == 0


@pytest.mark.reliability(
    system="Datadog stored list",
    answer="case duplicates under upsert-only",
    outcome="both written back, each with its own unmanaged fields",
)
def test_upsert_only_keeps_every_duplicate_with_its_own_fields(fake: FakeDatadog, datadog: DatadogClient) -> None:
    fake.seed("github", {"enabled_repos": stored("R1", team="a") + stored("r1", team="b")})
    report = run_once(job(MemorySource([repo("r1"), repo("new")]), policy="upsert-only"), datadog)
    assert report.result is Result.SUCCESS
    items = fake.store["github"]["enabled_repos"]
    assert sorted((i["repo_name"], i.get("team")) for i in items) == [("R1", "a"), ("new", None), ("r1", "b")]


@pytest.mark.reliability(
    system="Datadog stored list",
    answer="PagerDuty accounts without subdomain",
    outcome="each counted as a removal; upsert-only keeps them all",
)
def test_pagerduty_accounts_without_subdomain_are_each_counted(fake: FakeDatadog, datadog: DatadogClient) -> None:
    fake.seed(
        "pagerduty", {"accounts": [{"enabled": True}, {"enabled": False}, {"enabled": True, "subdomain": "acme"}]}
    )
    source = MemorySource([PagerDutyAccount(True, "acme")], where=Scope("pagerduty:acme", ("acme",)))
    report = run_once(job(source, integration=Integration.PAGERDUTY, max_deletions=DeletionLimit(count=1)), datadog)
    assert report.result is Result.REFUSED
    assert report.plan is not None and len(report.plan.removed) == 2
    upsert = run_once(job(source, integration=Integration.PAGERDUTY, policy="upsert-only"), datadog)
    assert upsert.result is Result.SUCCESS
    assert len(fake.store["pagerduty"]["accounts"]) == 3


class SecondWriter(DatadogClient):
    """Datadog as seen while another writer changes the list right after each of syncer's reads."""

    def __init__(self, *args: Any, writes: list[list[dict[str, Any]]], fake: FakeDatadog, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.writes, self.fake = writes, fake

    def get_config(self, integration: Integration, deadline: Deadline | None = None) -> Current:
        current = super().get_config(integration, deadline)
        if self.writes:
            self.fake.seed("github", {"enabled_repos": self.writes.pop(0)})
        return current


def writer(fake: FakeDatadog, writes: list[list[dict[str, Any]]]) -> SecondWriter:
    config = DatadogConfig.model_validate({"api_key": fake.api_key, "app_key": fake.app_key, "api_url": fake.url})
    return SecondWriter(config, retry=FAST, sleep=lambda _: None, writes=writes, fake=fake)


@pytest.mark.reliability(
    system="Datadog stored list",
    answer="another writer changes the list between the read and the PUT",
    outcome="re-read before the PUT, planned again: the other writer's entries are kept",
)
def test_a_concurrent_writers_entries_survive_the_put(fake: FakeDatadog) -> None:
    fake.seed("github", {"enabled_repos": stored("a")})
    with writer(fake, [stored("a", "theirs")]) as dd:
        report = run_once(job(MemorySource([repo("a"), repo("mine")]), policy="upsert-only"), dd)
    assert report.result is Result.SUCCESS
    assert names(fake) == ["a", "mine", "theirs"]
    assert fake.count("PUT") == 1


@pytest.mark.reliability(
    system="Datadog stored list",
    answer="the list changes on every read",
    outcome="fails after 3 re-plans; nothing written",
)
def test_a_list_that_keeps_changing_fails_without_a_write(fake: FakeDatadog) -> None:
    fake.seed("github", {"enabled_repos": stored("a")})
    churn = [stored("a", f"t{i}") for i in range(10)]
    with writer(fake, churn) as dd:
        report = run_once(job(MemorySource([repo("a"), repo("mine")]), policy="upsert-only"), dd)
    assert report.result is Result.FAILURE
    assert "changed" in " ".join(report.errors)
    assert fake.count("PUT") == 0


@pytest.mark.reliability(
    system="confirm_removals", outcome="kept when the look-up finds it or fails; removed when it is gone"
)
@pytest.mark.parametrize(
    ("exists", "confirm_error", "limit", "after"),
    [
        pytest.param({"b"}, None, 50, ["a", "b"], id="still-there-is-kept"),
        pytest.param(set(), None, 50, ["a"], id="gone-is-removed"),
        pytest.param(set(), RuntimeError("lookup broke"), 50, ["a", "b", "c"], id="lookup-error-keeps"),
        pytest.param({"b", "c"}, None, 1, ["a", "b"], id="only-up-to-the-limit"),
        pytest.param({"b", "c"}, None, 0, ["a"], id="off"),
    ],
)
def test_confirm_removals(
    fake: FakeDatadog,
    datadog: DatadogClient,
    exists: set[str],
    confirm_error: Exception | None,
    limit: int,
    after: list[str],
) -> None:
    fake.seed("github", {"enabled_repos": stored("a", "b", "c")})
    source = MemorySource([repo("a")], exists=exists, confirm_error=confirm_error)
    report = run_once(job(source, confirm_removals=limit), datadog)
    assert report.result is Result.SUCCESS, report.errors
    assert names(fake) == after
    assert len(source.asked) == min(limit, 2)


def test_confirm_asks_only_healthy_scopes_and_never_for_extra(fake: FakeDatadog, datadog: DatadogClient) -> None:
    fake.seed("github", {"enabled_repos": stored("a", "b") + stored("x", org="labs")})
    labs_scope = Scope("github.com/labs", ("github.com", "labs"))
    healthy, failed = MemorySource([repo("a")]), MemorySource(error="labs: 500", where=labs_scope)
    run_once(job(healthy, failed), datadog)
    assert [e.key() for e in healthy.asked] == [repo("b").key()]
    assert failed.asked == []


@pytest.mark.reliability(
    system="any source",
    answer="a listing that never returns",
    outcome="abandoned at run_timeout; the run fails, its entries are kept, nothing is written",
)
def test_a_source_stuck_past_the_deadline_is_abandoned_and_nothing_is_written(
    fake: FakeDatadog, datadog: DatadogClient
) -> None:
    fake.seed("github", {"enabled_repos": stored("a", "b")})
    stuck = MemorySource([repo("a")], block=threading.Event())
    started = time.monotonic()
    report = run_once(job(stuck, deadline=Deadline(0.3), grace_seconds=0.2), datadog)
    assert time.monotonic() - started < 5
    assert report.result is Result.FAILURE
    assert "run_timeout" in " ".join(report.errors)
    assert fake.count("PUT") == 0
    stuck.block.set() if stuck.block else None


def test_a_stop_during_discovery_writes_nothing_and_reports_interrupted(
    fake: FakeDatadog, datadog: DatadogClient
) -> None:
    stop = Stop()
    source = MemorySource([repo("a"), repo("new")], on_discover=lambda: stop.stop("interrupted by SIGINT", "SIGINT"))
    report = run_once(job(source, deadline=Deadline(60, stop=stop)), datadog)
    assert report.interrupted
    assert report.result is Result.FAILURE
    assert "interrupted by SIGINT" in " ".join(report.errors)
    assert fake.count("PUT") == 0


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
