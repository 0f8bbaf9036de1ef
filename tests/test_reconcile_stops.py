"""The orchestrator under deadlines and stops, with bugs around it, and what it says in its logs."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from syncer.deadline import Deadline, Stop
from syncer.errors import Interrupted
from syncer.model import Current, Integration, Result, Stored
from syncer.reconcile import run_once
from tests.orchestrator import GH, LABS, MemorySource, ScriptedTarget, job, names, ok, repo, stored


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
    # nothing is written; the one read is the one made while the sources were listed, none after the stop
    assert target.writes == [] and target.reads <= 1


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
