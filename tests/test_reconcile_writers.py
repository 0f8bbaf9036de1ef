"""The orchestrator and what Datadog already holds: other writers, duplicates, look-ups before removing."""

from __future__ import annotations

from typing import Any

import pytest

from syncer.model import Integration, PagerDutyAccount, Result, Scope
from syncer.reconcile import run_once
from tests.orchestrator import GH, LABS, MemorySource, ScriptedTarget, job, names, ok, repo, stored


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
