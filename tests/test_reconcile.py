"""The orchestrator's cases, as a table: run_once against in-memory sources and an in-memory target."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from syncer.deadline import Deadline, Stop
from syncer.errors import Interrupted, PermanentError, ShapeError, TransientError
from syncer.model import Current, GithubRepo, Integration, PagerDutyAccount, Result, Scope, Stored
from syncer.reconcile import run_once
from tests.orchestrator import GH, LABS, MemorySource, ScriptedTarget, job, names, repo, stored


@dataclass(frozen=True)
class Case:
    """One run: what Datadog holds, what the sources say, the options; what the run must end with."""

    held: list[dict[str, Any]] | None
    sources: tuple[MemorySource, ...]
    result: Result
    writes: int
    after: list[str]
    options: dict[str, Any] = field(default_factory=dict)
    errors: tuple[str, ...] = ()  # each must appear in one of the report's errors
    applied: bool = False
    counts: tuple[int, int] | None = None  # (current_count, final_count)
    plan: tuple[int, int, int] | None = None  # (added, removed, unchanged); None: no plan was made
    config: dict[str, Any] | None = None  # the whole stored config, when `held` is not the story (an odd shape)
    put_answer: str = "stored"  # what the target answers a PUT with: stored | unreadable | empty


def ok(*found: GithubRepo) -> MemorySource:
    return MemorySource(list(found))


def broken(error: str = "acme: 500", where: Scope | None = None) -> MemorySource:
    return MemorySource(error=error, **({"where": where} if where else {}))


CASES = {
    "first-run": Case(
        None, (ok(repo("a"), repo("b")),), Result.SUCCESS, 1, ["a", "b"], applied=True, counts=(0, 2), plan=(2, 0, 0)
    ),
    "second-run-writes-nothing": Case(
        stored("a", "b"), (ok(repo("a"), repo("b")),), Result.SUCCESS, 0, ["a", "b"], counts=(2, 2), plan=(0, 0, 2)
    ),
    "dry-run-writes-nothing": Case(
        stored("a"),
        (ok(repo("a"), repo("b")),),
        Result.SUCCESS,
        0,
        ["a"],
        {"dry_run": True},
        counts=(1, 1),
        plan=(1, 0, 1),
    ),
    "keep: a failed source keeps its entries": Case(
        stored("a", "b"),
        (broken(),),
        Result.FAILURE,
        0,
        ["a", "b"],
        errors=("acme: 500",),
        counts=(2, 2),
        plan=(0, 0, 2),
    ),
    "keep: a failed source's entries are written back with the others' changes": Case(
        stored("a") + stored("x", org="labs"),
        (ok(repo("a"), repo("n")), broken("labs: 500", LABS)),
        Result.FAILURE,
        1,
        ["a", "n", "x"],
        errors=("labs: 500",),
        applied=True,
        counts=(2, 3),
        plan=(1, 0, 2),
    ),
    "abort writes nothing": Case(
        stored("a", "b"),
        (ok(repo("a"), repo("n")), broken("labs: 500", LABS)),
        Result.FAILURE,
        0,
        ["a", "b"],
        {"on_source_error": "abort"},
        errors=("labs: 500", "on_source_error is abort: github was not written"),
    ),
    "abort with healthy sources writes": Case(
        stored("a"),
        (ok(repo("a"), repo("n")),),
        Result.SUCCESS,
        1,
        ["a", "n"],
        {"on_source_error": "abort"},
        applied=True,
    ),
    "refused by max_deletions": Case(
        stored("a", "b", "c"),
        (ok(repo("a")),),
        Result.REFUSED,
        0,
        ["a", "b", "c"],
        {"max_deletions": 1, "confirm_removals": 0},
        errors=("refusing to remove 2 of 3",),
        counts=(3, 3),
        plan=(0, 2, 1),
    ),
    "allow_deletions lets the same plan through": Case(
        stored("a", "b", "c"),
        (ok(repo("a")),),
        Result.SUCCESS,
        1,
        ["a"],
        {"max_deletions": 1, "confirm_removals": 0, "allow_deletions": 1},
        applied=True,
        counts=(3, 1),
        plan=(0, 2, 1),
    ),
    "refused: emptying the list": Case(
        stored("a", "b"), (ok(),), Result.REFUSED, 0, ["a", "b"], {"confirm_removals": 0}, errors=("refusing to empty",)
    ),
    "refused while a source failed is a failure": Case(
        stored("a", "b", "c") + stored("x", org="labs"),
        (ok(), broken("labs: 500", LABS)),
        Result.FAILURE,
        0,
        ["a", "b", "c", "x"],
        {"max_deletions": 1, "confirm_removals": 0},
        errors=("refusing to remove 3 of 4", "labs: 500"),
    ),
    "upsert-only adds, never removes": Case(
        stored("a", "b"),
        (ok(repo("a"), repo("n")),),
        Result.SUCCESS,
        1,
        ["a", "b", "n"],
        {"policy": "upsert-only", "max_deletions": 0},
        applied=True,
        counts=(2, 3),
        plan=(1, 0, 2),
    ),
    "upsert-only with nothing new writes nothing": Case(
        stored("a", "b"), (ok(repo("a")),), Result.SUCCESS, 0, ["a", "b"], {"policy": "upsert-only"}
    ),
    "a stored shape not understood fails and writes nothing": Case(
        None,
        (ok(repo("a")),),
        Result.FAILURE,
        0,
        [],
        {"policy": "upsert-only"},
        errors=("has no enabled_repos list but other keys (other)",),
        config={"other": 1},
    ),
    "a PUT whose answer is unreadable is confirmed by reading the list back": Case(
        None,
        (ok(repo("a"), repo("b")),),
        Result.SUCCESS,
        1,
        ["a", "b"],
        applied=True,
        counts=(0, 2),
        put_answer="unreadable",
    ),
    "a PUT whose answer lacks what was written fails": Case(
        None,
        (ok(repo("a")),),
        Result.FAILURE,
        1,
        ["a"],
        errors=("holds 0 entries without 1 of the 1 written",),
        applied=True,
        counts=(0, 0),
        put_answer="empty",
    ),
    "extra entries are always in the list": Case(
        None, (ok(repo("a")),), Result.SUCCESS, 1, ["a", "legacy"], {"extra": [repo("legacy")]}, applied=True
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_orchestrator_cases(case: Case) -> None:
    held = case.config if case.config is not None else None if case.held is None else {"enabled_repos": case.held}
    target = ScriptedTarget({GH: held} if held is not None else None)
    target.put_answer = case.put_answer
    report = run_once(job(*case.sources, **case.options), target)
    assert report.result is case.result, report.errors
    assert len(target.writes) == case.writes
    assert names(target) == case.after
    assert report.applied is case.applied
    assert report.dry_run is bool(case.options.get("dry_run"))
    for expected in case.errors:
        assert any(expected in error for error in report.errors), (expected, report.errors)
    if not case.errors and case.result is Result.SUCCESS:
        assert report.errors == ()
    if case.counts is not None:
        assert (report.current_count, report.final_count) == case.counts
    assert report.plan is None or report.plan.integration is GH
    if case.plan is not None:
        assert report.plan is not None
        assert (len(report.plan.added), len(report.plan.removed), len(report.plan.unchanged)) == case.plan
    assert not report.interrupted
    assert [d.scope for d in report.sources] == [s.scope for s in case.sources]


def test_the_report_names_its_run_and_spans_the_run() -> None:
    ticks = iter([datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 0, 0, 3, tzinfo=UTC)])
    target = ScriptedTarget()
    report = run_once(job(ok(repo("a")), run_id="r-1", trigger="http"), target, clock=lambda: next(ticks))
    assert (report.run_id, report.trigger, report.integration) == ("r-1", "http", GH)
    assert report.finished_at - report.started_at == timedelta(seconds=3)


def test_what_is_written_keeps_the_keys_beside_the_list_and_the_unmanaged_fields() -> None:
    held = {"enabled_repos": stored("a", team="core"), "auto_sync": True}
    target = ScriptedTarget({GH: held})
    run_once(job(ok(repo("a"), repo("b"))), target)
    ((_, written),) = target.writes
    assert written["auto_sync"] is True
    assert written["enabled_repos"] == [*stored("a", team="core"), *stored("b")]


@pytest.mark.parametrize(
    "stored_config",
    [
        pytest.param({"other": 1}, id="no-list-but-other-keys"),
        pytest.param({"enabled_repos": None}, id="list-null"),
        pytest.param({"enabled_repos": [{"repo_name": 1}]}, id="items-of-the-wrong-type"),
        pytest.param({"enabled_repos": ["acme/a"]}, id="items-not-objects"),
    ],
)
def test_a_stored_shape_not_understood_fails_and_writes_nothing(stored_config: dict[str, Any]) -> None:
    target = ScriptedTarget({GH: stored_config})
    report = run_once(job(ok(repo("a")), policy="upsert-only"), target)
    assert report.result is Result.FAILURE
    assert target.writes == []
    assert target.configs[GH] == stored_config
    assert report.plan is None and not report.applied


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (TransientError("Datadog GET answered 503 (gave up after 5 attempts)", system="datadog"), "503"),
        (PermanentError("Datadog GET answered 403: Forbidden", system="datadog", status=403), "403"),
        (ShapeError("Datadog github config: enabled_repos is not a list"), "not a list"),
    ],
)
def test_a_read_that_fails_fails_the_run_with_the_reason(error: Exception, shown: str) -> None:
    target = ScriptedTarget({GH: {"enabled_repos": stored("a")}})
    target.get_errors = [error]  # type: ignore[list-item]
    report = run_once(job(ok(repo("a"), repo("b"))), target)
    assert report.result is Result.FAILURE
    assert target.writes == []
    assert any(shown in e for e in report.errors)


def test_a_failed_put_is_a_failure_that_says_nothing_was_applied() -> None:
    target = ScriptedTarget()
    target.put_error = TransientError("Datadog PUT answered 500 (gave up after 5 attempts)", system="datadog")
    report = run_once(job(ok(repo("a"))), target)
    assert report.result is Result.FAILURE and not report.applied
    assert report.errors == ("Datadog PUT answered 500 (gave up after 5 attempts)",)


def test_a_put_whose_answer_is_unreadable_is_confirmed_by_reading_the_list_back() -> None:
    target = ScriptedTarget()
    target.put_answer = "unreadable"
    report = run_once(job(ok(repo("a"), repo("b"))), target)
    assert report.result is Result.SUCCESS, report.errors
    assert report.applied and report.final_count == 2
    assert target.reads == 3  # the read, the re-read before the PUT, the read-back


def test_a_put_whose_answer_and_read_back_both_fail_says_it_was_written() -> None:
    target = ScriptedTarget()
    target.put_answer = "unreadable"
    target.get_errors = [None, None, TransientError("Datadog GET answered 500")]
    report = run_once(job(ok(repo("a"))), target)
    assert report.result is Result.FAILURE and report.applied
    assert report.final_count == 1
    assert any("accepted the PUT, but the list could not be read back" in e for e in report.errors)


def test_a_put_whose_answer_lacks_what_was_written_is_a_failure() -> None:
    target = ScriptedTarget()
    target.put_answer = "empty"
    report = run_once(job(ok(repo("a"), repo("b"))), target)
    assert report.result is Result.FAILURE and report.applied
    assert report.final_count == 0
    assert any("holds 0 entries without 2 of the 2 written" in e for e in report.errors), report.errors


def test_a_put_answer_with_every_entry_written_is_a_success_even_with_more() -> None:
    target = ScriptedTarget()
    target.after_read = [[], stored("theirs")]  # nothing changes before the PUT; the read-back is never needed
    report = run_once(job(ok(repo("a"))), target)
    assert report.result is Result.SUCCESS


@pytest.mark.reliability(
    system="Datadog stored list",
    answer="another writer changes the list between the read and the PUT",
    outcome="re-read before the PUT, planned again: the other writer's entries are kept",
)
def test_a_concurrent_writers_entries_survive_the_put() -> None:
    target = ScriptedTarget({GH: {"enabled_repos": stored("a")}})
    target.after_read = [stored("a", "theirs")]
    report = run_once(job(ok(repo("a"), repo("mine")), policy="upsert-only"), target)
    assert report.result is Result.SUCCESS
    assert names(target) == ["a", "mine", "theirs"]
    assert len(target.writes) == 1
    assert report.current_count == 2


@pytest.mark.reliability(
    system="Datadog stored list",
    answer="the list changes on every read",
    outcome="fails after 3 re-plans; nothing written",
)
def test_a_list_that_keeps_changing_fails_without_a_write() -> None:
    target = ScriptedTarget({GH: {"enabled_repos": stored("a")}})
    target.after_read = [stored("a", f"t{i}") for i in range(10)]
    report = run_once(job(ok(repo("a"), repo("mine")), policy="upsert-only"), target)
    assert report.result is Result.FAILURE
    assert "the github list in Datadog changed 4 times between the plan and the PUT" in " ".join(report.errors)
    assert target.writes == []
    assert target.reads == 5  # the first read, then one re-read per plan (up to 3 re-plans)


def test_a_list_that_changes_three_times_is_written_on_the_fourth_plan(caplog: pytest.LogCaptureFixture) -> None:
    target = ScriptedTarget({GH: {"enabled_repos": stored("a")}})
    target.after_read = [stored("a", f"t{i}") for i in range(3)]
    report = run_once(job(ok(repo("a"), repo("mine")), policy="upsert-only"), target)
    assert report.result is Result.SUCCESS
    assert len(target.writes) == 1
    assert names(target) == ["a", "mine", "t2"]
    again = [r for r in caplog.records if "planning again on the new list" in r.getMessage()]
    assert [getattr(r, "attempt", None) for r in again] == [1, 2, 3]
    assert all(r.levelname == "WARNING" and r.getMessage().startswith("github: the list in Datadog") for r in again)


@pytest.mark.reliability(
    system="Datadog stored list",
    answer="case duplicates R1 and r1, each with its own field",
    outcome="the dropped duplicate is a removal for the guard (refused at max_deletions 0)",
)
def test_case_duplicates_each_count_as_a_removal() -> None:
    target = ScriptedTarget({GH: {"enabled_repos": stored("R1", team="a") + stored("r1", team="b") + stored("k")}})
    report = run_once(job(ok(repo("r1"), repo("k")), max_deletions=0), target)
    assert report.result is Result.REFUSED
    assert report.plan is not None and len(report.plan.removed) == 1
    assert target.writes == []


def test_upsert_only_keeps_every_duplicate_with_its_own_fields() -> None:
    target = ScriptedTarget({GH: {"enabled_repos": stored("R1", team="a") + stored("r1", team="b")}})
    report = run_once(job(ok(repo("r1"), repo("new")), policy="upsert-only"), target)
    assert report.result is Result.SUCCESS
    items: Any = target.configs[GH]["enabled_repos"]
    assert sorted((i["repo_name"], i.get("team")) for i in items) == [("R1", "a"), ("new", None), ("r1", "b")]


def test_pagerduty_accounts_without_subdomain_are_each_counted() -> None:
    pd = Integration.PAGERDUTY
    held = {"accounts": [{"enabled": True}, {"enabled": False}, {"enabled": True, "subdomain": "acme"}]}
    source = MemorySource([PagerDutyAccount(True, "acme")], where=Scope("pagerduty:acme", ("acme",)))
    target = ScriptedTarget({pd: held})
    report = run_once(job(source, integration=pd, max_deletions=1), target)
    assert report.result is Result.REFUSED
    assert report.plan is not None and len(report.plan.removed) == 2
    upsert = run_once(job(source, integration=pd, policy="upsert-only"), target)
    assert upsert.result is Result.SUCCESS
    assert target.writes == [] and upsert.plan is not None and not upsert.plan.has_changes


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
def test_confirm_removals(exists: set[str], confirm_error: Exception | None, limit: int, after: list[str]) -> None:
    target = ScriptedTarget({GH: {"enabled_repos": stored("a", "b", "c")}})
    source = MemorySource([repo("a")], exists=exists, confirm_error=confirm_error)
    report = run_once(job(source, confirm_removals=limit), target)
    assert report.result is Result.SUCCESS, report.errors
    assert names(target) == after
    assert len(source.asked) == min(limit, 2)


def test_confirm_is_off_under_upsert_only() -> None:
    target = ScriptedTarget({GH: {"enabled_repos": stored("a", "b")}})
    source = MemorySource([repo("a")], exists={"b"})
    run_once(job(source, policy="upsert-only"), target)
    assert source.asked == []


def test_confirm_asks_only_healthy_scopes_and_never_for_extra() -> None:
    target = ScriptedTarget({GH: {"enabled_repos": stored("a", "b", "legacy") + stored("x", org="labs")}})
    healthy, failed = MemorySource([repo("a")]), MemorySource(error="labs: 500", where=LABS)
    run_once(job(healthy, failed, extra=[repo("legacy")]), target)
    assert [e.key() for e in healthy.asked] == [repo("b").key()]
    assert failed.asked == []


@pytest.mark.reliability(
    system="any source",
    answer="a listing that never returns",
    outcome="abandoned at run_timeout; the run fails, its entries are kept, nothing is written",
)
def test_a_source_stuck_past_the_deadline_is_abandoned_and_nothing_is_written() -> None:
    target = ScriptedTarget({GH: {"enabled_repos": stored("a", "b")}})
    stuck = MemorySource([repo("a")], block=threading.Event())
    started = time.monotonic()
    report = run_once(job(stuck, deadline=Deadline(0.3), grace_seconds=0.2), target)
    assert time.monotonic() - started < 5
    assert report.result is Result.FAILURE
    assert report.sources[0].abandoned
    assert "run_timeout" in " ".join(report.errors)
    assert target.writes == []
    assert stuck.block is not None
    stuck.block.set()


def test_a_stop_during_discovery_writes_nothing_and_reports_interrupted() -> None:
    stop = Stop()
    target = ScriptedTarget()
    source = MemorySource([repo("a"), repo("new")], on_discover=lambda: stop.stop("interrupted by SIGINT", "SIGINT"))
    report = run_once(job(source, deadline=Deadline(60, stop=stop)), target)
    assert report.interrupted
    assert report.result is Result.FAILURE
    assert "interrupted by SIGINT" in " ".join(report.errors)
    assert (target.reads, target.writes) == (0, [])  # nothing is even read after a stop


def test_a_bug_in_a_source_fails_only_its_scope() -> None:
    class Broken(MemorySource):
        def discover(self) -> list[Any]:
            raise KeyError("surprise")

    target = ScriptedTarget({GH: {"enabled_repos": stored("a") + stored("x", org="labs")}})
    report = run_once(job(ok(repo("a"), repo("n")), Broken(where=LABS)), target)
    assert report.result is Result.FAILURE and report.applied
    assert names(target) == ["a", "n", "x"]
    assert any("github.com/labs: KeyError" in e for e in report.errors)


def test_a_bug_in_the_target_is_a_failed_run_not_a_crash() -> None:
    class Buggy(ScriptedTarget):
        def get_config(self, integration: Integration, deadline: Deadline | None = None) -> Any:
            raise ZeroDivisionError("boom")

    report = run_once(job(ok(repo("a"))), Buggy())
    assert report.result is Result.FAILURE
    assert report.errors == ("unexpected error: ZeroDivisionError: boom",)


def test_confirmed_entries_and_a_limit_reached_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    target = ScriptedTarget({GH: {"enabled_repos": stored("a", "b", "c")}})
    source = MemorySource([repo("a")], exists={"b", "c"})
    run_once(job(source, confirm_removals=1), target)
    messages = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "github: 2 removals, 1 looked up (confirm_removals); the deletion guard decides the rest" in messages
    kept = [r for r in caplog.records if getattr(r, "event", None) == "removals_confirmed"]
    assert [r.getMessage() for r in kept] == [
        "github: 1 entries missing from a listing still exist and are kept: github.com/acme/b"
    ]


def test_a_failing_look_up_is_logged_and_keeps_the_entries(caplog: pytest.LogCaptureFixture) -> None:
    target = ScriptedTarget({GH: {"enabled_repos": stored("a", "b")}})
    run_once(job(MemorySource([repo("a")], confirm_error=RuntimeError("lookup broke"))), target)
    assert "github.com/acme: looking up removals failed (lookup broke); keeping them" in caplog.messages
    assert names(target) == ["a", "b"]


def test_a_stop_during_the_look_ups_stops_the_run() -> None:
    target = ScriptedTarget({GH: {"enabled_repos": stored("a", "b")}})
    source = MemorySource([repo("a")], confirm_error=Interrupted("interrupted by SIGTERM"))
    report = run_once(job(source), target)
    assert report.result is Result.FAILURE
    assert report.errors == ("interrupted by SIGTERM",)
    assert target.writes == []


def test_no_put_starts_once_the_run_is_stopped_after_planning() -> None:
    stop = Stop()

    class StopOnRead(ScriptedTarget):
        def get_config(self, integration: Integration, deadline: Deadline | None = None) -> Any:
            current = super().get_config(integration, deadline)
            stop.stop("interrupted by SIGTERM", "SIGTERM")
            return current

    target = StopOnRead()
    report = run_once(job(ok(repo("a")), deadline=Deadline(60, stop=stop)), target)
    assert report.interrupted and not report.applied
    assert report.result is Result.FAILURE
    assert target.writes == []


class RecordingTarget(ScriptedTarget):
    """A ScriptedTarget that records the deadline each call was given."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadlines: list[tuple[str, Deadline | None]] = []

    def get_config(self, integration: Integration, deadline: Deadline | None = None) -> Any:
        self.deadlines.append(("get", deadline))
        return super().get_config(integration, deadline)

    def put_config(self, integration: Integration, config: Any, deadline: Deadline | None = None) -> Any:
        self.deadlines.append(("put", deadline))
        return super().put_config(integration, config, deadline)


def test_every_call_to_datadog_and_the_write_lock_is_bounded_by_the_run() -> None:
    bound = Deadline(60)
    locked: list[Deadline] = []

    @contextlib.contextmanager
    def lock(deadline: Deadline) -> Iterator[None]:
        locked.append(deadline)
        yield

    target = RecordingTarget()
    target.put_answer = "unreadable"
    run_once(job(ok(repo("a")), deadline=bound, write_lock=lock), target)
    calls = [name for name, _ in target.deadlines]
    assert calls == ["get", "get", "put", "get"]  # read, re-read, PUT, read-back
    assert all(d is bound for _, d in target.deadlines[:3])
    assert locked == [bound]
    read_back = target.deadlines[3][1]
    assert read_back is not None and read_back is not bound  # its own bound: the PUT was accepted already
    assert read_back.timeout(3600) < 3600  # bounded all the same


def test_a_stop_just_before_the_put_names_where_it_stopped() -> None:
    stop = Stop()

    @contextlib.contextmanager
    def lock(deadline: Deadline) -> Iterator[None]:
        stop.stop("interrupted by SIGTERM", "SIGTERM")
        yield

    target = ScriptedTarget()
    report = run_once(job(ok(repo("a")), deadline=Deadline(60, stop=stop), write_lock=lock), target)
    assert report.errors == ("before the PUT: interrupted by SIGTERM",)
    assert target.writes == [] and report.interrupted


def test_the_list_that_keeps_changing_is_named_with_its_cause() -> None:
    target = ScriptedTarget({GH: {"enabled_repos": stored("a")}})
    target.after_read = [stored("a", f"t{i}") for i in range(10)]
    report = run_once(job(ok(repo("a"), repo("mine")), policy="upsert-only"), target)
    assert report.errors == (
        "the github list in Datadog changed 4 times between the plan and the PUT (another writer?); nothing written",
    )


def test_a_put_answer_missing_one_of_two_duplicates_is_a_failure() -> None:
    target = ScriptedTarget({GH: {"enabled_repos": stored("R1", team="a") + stored("r1", team="b")}})

    class HoldsOne(ScriptedTarget):
        def put_config(self, integration: Integration, config: Any, deadline: Deadline | None = None) -> Any:
            super().put_config(integration, config, deadline)
            return Current(integration, entries=(Stored(repo("R1"), {}),), exists=True)

    holds_one = HoldsOne(target.configs)
    report = run_once(job(ok(repo("r1"), repo("new")), policy="upsert-only"), holds_one)
    assert report.result is Result.FAILURE
    assert report.errors == (
        "Datadog accepted the PUT but holds 1 entries without 2 of the 3 written "
        "(e.g. github.com/acme/new, github.com/acme/r1); check the github list in Datadog",
    )


def test_a_put_answer_missing_many_entries_names_the_first_ten() -> None:
    target = ScriptedTarget()
    target.put_answer = "empty"
    report = run_once(job(ok(*(repo(f"r{i:02}") for i in range(12)))), target)
    (error,) = report.errors
    shown = error.split("(e.g. ")[1].split(")")[0]
    assert shown == ", ".join(f"github.com/acme/r{i:02}" for i in range(10))


@pytest.mark.parametrize(("limit", "warned"), [(0, False), (2, False), (1, True)], ids=["off", "all-asked", "some"])
def test_the_look_up_limit_is_reported_only_when_reached(limit: int, warned: bool, caplog: Any) -> None:
    target = ScriptedTarget({GH: {"enabled_repos": stored("a", "b", "c")}})
    run_once(job(MemorySource([repo("a")]), confirm_removals=limit), target)
    assert ("(confirm_removals); the deletion guard decides the rest" in caplog.text) is warned


def test_confirmed_entries_are_counted_and_a_bounded_sample_named() -> None:
    held = stored(*(f"r{i:02}" for i in range(25)))
    target = ScriptedTarget({GH: {"enabled_repos": [*held, *stored("a")]}})
    source = MemorySource([repo("a")], exists={f"r{i:02}" for i in range(25)})
    with _capture() as records:
        run_once(job(source), target)
    (kept,) = [r for r in records if getattr(r, "event", None) == "removals_confirmed"]
    named = kept.getMessage().split("are kept: ")[1].split(", ")
    assert kept.getMessage().startswith("github: 25 entries missing from a listing still exist and are kept")
    assert 0 < len(named) < 25 and set(named) <= {f"github.com/acme/r{i:02}" for i in range(25)}  # a bounded line


def test_every_warning_and_error_of_a_run_names_its_integration() -> None:
    class Buggy(ScriptedTarget):
        def put_config(self, integration: Integration, config: Any, deadline: Deadline | None = None) -> Any:
            raise ZeroDivisionError("boom")

    target = Buggy({GH: {"enabled_repos": stored("a", "b", "c", "d")}})
    target.after_read = [stored("a", "b", "c", "d", "theirs")]
    source = MemorySource([repo("a")], exists={"b", "c"}, confirm_error=None)
    with _capture() as records:
        run_once(job(source, confirm_removals=2), target)
    mine = [r for r in records if r.name == "syncer.reconcile" and r.levelno >= logging.WARNING]
    assert {r.getMessage().split(":")[0] for r in mine} == {"github"}
    assert all(getattr(r, "integration", None) == "github" for r in mine)
    (crash,) = [r for r in mine if r.levelno == logging.ERROR]
    assert crash.getMessage() == "github: unexpected error"
    assert crash.exc_info is not None or "ZeroDivisionError" in (crash.exc_text or "")  # the traceback is logged


@contextlib.contextmanager
def _capture() -> Iterator[list[logging.LogRecord]]:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(logging.DEBUG)
    logger = logging.getLogger("syncer")
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


@pytest.mark.parametrize(
    ("exists", "confirm_error"),
    [({"R1", "r1"}, None), (set(), RuntimeError("lookup broke"))],
    ids=["confirmed", "look-up-failed"],
)
def test_every_stored_duplicate_of_a_kept_key_stays(exists: set[str], confirm_error: Exception | None) -> None:
    target = ScriptedTarget({GH: {"enabled_repos": stored("R1", team="a") + stored("r1", team="b") + stored("k")}})
    source = MemorySource([repo("k")], exists=exists, confirm_error=confirm_error)
    report = run_once(job(source), target)
    assert report.result is Result.SUCCESS and target.writes == []
    assert names(target) == ["R1", "k", "r1"]
