"""The orchestrator's cases, as a table: run_once against in-memory sources and an in-memory target."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from syncer.errors import PermanentError, ShapeError, TransientError
from syncer.model import Result
from syncer.reconcile import run_once
from tests.orchestrator import ACME, GH, LABS, MemorySource, ScriptedTarget, broken, job, names, ok, repo, stored


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


CASES = {
    "targeted: only the scope listed changes; every entry outside it stays": Case(
        stored("a", "gone") + stored("x", org="labs"),
        (ok(repo("a"), repo("n")),),
        Result.SUCCESS,
        1,
        ["a", "n", "x"],
        {"targeted": (ACME,)},
        applied=True,
        counts=(3, 3),
        plan=(1, 1, 2),
    ),
    "targeted: an entry of another org the listing returned stays too": Case(
        stored("x", org="labs"),
        (ok(repo("a"), repo("y", org="labs")),),
        Result.SUCCESS,
        1,
        ["a", "x", "y"],
        {"targeted": (ACME,)},
        applied=True,
        plan=(2, 0, 1),
    ),
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


def test_a_targeted_run_writes_every_entry_outside_its_scope_back_exactly_and_says_what_it_listed() -> None:
    outside = [
        *stored("x", org="labs", team="core"),
        {"hostname": "ghe.example", "github_org_name": "p", "repo_name": "q"},
    ]
    target = ScriptedTarget({GH: {"enabled_repos": stored("a") + outside}})
    report = run_once(job(ok(), targeted=(ACME,), max_deletions="100%"), target)
    assert report.result is Result.SUCCESS and report.targeted == ("github.com/acme",)
    ((_, written),) = target.writes
    # the scope's one repo is gone; the others are exactly as held
    assert sorted(written["enabled_repos"], key=str) == sorted(outside, key=str)


def test_a_targeted_run_is_still_guarded() -> None:
    target = ScriptedTarget({GH: {"enabled_repos": stored("a", "b", "c") + stored("x", org="labs")}})
    report = run_once(job(ok(), targeted=(ACME,), max_deletions="1"), target)
    assert report.result is Result.REFUSED and target.writes == []
