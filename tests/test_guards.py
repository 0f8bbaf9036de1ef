"""Guards: deletion limit, empty-list refusal, upsert-only, keeping the entries of failed sources."""

from __future__ import annotations

import re

import pytest

from syncer import guards, plan
from syncer.config.settings import parse_deletion_limit
from syncer.errors import GuardRefused
from syncer.guards import DeletionLimit, Rules
from syncer.model import Discovery, GithubRepo, Integration, PagerDutyAccount, Result, Scope

GH = Integration.GITHUB


def repos(n: int, org: str = "acme") -> list[GithubRepo]:
    return [GithubRepo("github.com", org, f"r{i:03}") for i in range(n)]


@pytest.mark.parametrize(
    ("text", "size", "allowed"),
    [(5, 100, 5), ("10%", 100, 10), ("10%", 9, 0), ("50%", 3, 1), ("0", 10, 0), ("100%", 7, 7)],
)
def test_deletion_limit(text: object, size: int, allowed: int) -> None:
    assert parse_deletion_limit(text).allowed(size) == allowed


@pytest.mark.parametrize("bad", ["ten", "-1", -1, "150%", True, "10 %%"])
def test_bad_deletion_limit(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_deletion_limit(bad)


def test_within_limit_passes() -> None:
    current = repos(20)
    guards.check(plan.compute(GH, current, current[:-2]), 20, Rules(DeletionLimit(count=2)))


def test_over_limit_refused_naming_the_allow_deletions_that_would_pass() -> None:
    current = repos(20)
    with pytest.raises(GuardRefused, match=r"refusing to remove 3 of 20 .*rerun with --allow-deletions 1 "):
        guards.check(plan.compute(GH, current, current[:-3]), 20, Rules(DeletionLimit(count=2)))


def test_allow_deletions_extends_the_limit() -> None:
    current = repos(20)
    guards.check(plan.compute(GH, current, current[:-3]), 20, Rules(DeletionLimit(count=2), allow_deletions=1))


def test_emptying_a_list_is_refused_even_at_100_percent() -> None:
    current = repos(3)
    with pytest.raises(GuardRefused, match="refusing to empty"):
        guards.check(plan.compute(GH, current, []), 3, Rules(DeletionLimit(percent=100)))


def test_emptying_allowed_when_allow_deletions_covers_it() -> None:
    current = repos(3)
    guards.check(plan.compute(GH, current, []), 3, Rules(DeletionLimit(percent=100), allow_deletions=3))
    with pytest.raises(GuardRefused):
        guards.check(plan.compute(GH, current, []), 3, Rules(DeletionLimit(percent=100), allow_deletions=2))


def test_upsert_only_keeps_everything_current() -> None:
    current = repos(5)
    result = plan.compute(GH, current, current[:2], guards.keeper([], upsert_only=True))
    assert result.removed == () and result.to_write == tuple(current)


def test_failed_scope_keeps_its_own_entries_only() -> None:
    current = repos(3, "acme") + repos(2, "broken")
    discoveries = [
        Discovery(Scope("github.com/acme", ("github.com", "acme")), entries=tuple(repos(2, "acme"))),
        Discovery(Scope("github.com/broken", ("github.com", "broken")), error="500"),
    ]
    result = plan.compute(GH, current, repos(2, "acme"), guards.keeper(discoveries, upsert_only=False))
    assert [e.repo_name for e in result.removed] == ["r002"]
    assert {e.github_org_name for e in result.unchanged} == {"acme", "broken"}


def test_failed_scope_of_unknown_identity_keeps_everything_not_produced() -> None:
    current = [PagerDutyAccount(True, "acme"), PagerDutyAccount(True, "gone"), PagerDutyAccount(True, "other")]
    discoveries = [
        Discovery(Scope("pagerduty:acme", ("acme",)), entries=(PagerDutyAccount(True, "acme"),)),
        Discovery(Scope("pagerduty token #2", None), error="401"),
    ]
    keep = guards.keeper(discoveries, upsert_only=False)
    assert plan.compute(Integration.PAGERDUTY, current, [PagerDutyAccount(True, "acme")], keep).removed == ()


def test_a_failed_scope_of_unknown_identity_does_not_keep_a_duplicate_of_a_produced_entry() -> None:
    current = [PagerDutyAccount(True, "acme"), PagerDutyAccount(False, "ACME"), PagerDutyAccount(True, "other")]
    discoveries = [
        Discovery(Scope("pagerduty:acme", ("acme",)), entries=(PagerDutyAccount(True, "acme"),)),
        Discovery(Scope("pagerduty token #2", None), error="401"),
    ]
    keep = guards.keeper(discoveries, upsert_only=False)
    result = plan.compute(Integration.PAGERDUTY, current, [PagerDutyAccount(True, "acme")], keep)
    assert result.removed == (PagerDutyAccount(False, "ACME"),)  # "other" was not produced: kept


@pytest.mark.parametrize(
    ("removed", "expected"),
    [
        pytest.param([GithubRepo("github.com", "acme", "gone")], ["gone"], id="missing-from-a-healthy-listing"),
        pytest.param([GithubRepo("github.com", "acme", "R000")], [], id="a-duplicate-of-a-desired-key"),
        pytest.param([GithubRepo("github.com", "broken", "x")], [], id="its-scope-failed"),
        pytest.param([GithubRepo("github.com", "nobody", "x")], [], id="no-scope-answers-for-it"),
    ],
)
def test_which_removals_are_looked_up(removed: list[GithubRepo], expected: list[str]) -> None:
    discoveries = [
        Discovery(Scope("github.com/acme", ("github.com", "acme")), entries=tuple(repos(1, "acme"))),
        Discovery(Scope("github.com/broken", ("github.com", "broken")), error="500"),
    ]
    asked = guards.to_confirm(removed, repos(1, "acme"), discoveries)
    assert [e.repo_name for e in asked] == expected


@pytest.mark.parametrize(
    ("failed", "refused", "expected"),
    [
        (False, False, Result.SUCCESS),
        (False, True, Result.REFUSED),
        (True, False, Result.FAILURE),
        (True, True, Result.FAILURE),
    ],
    ids=["clean", "refused", "failed", "failure-beats-refusal"],
)
def test_which_result_wins(failed: bool, refused: bool, expected: Result) -> None:
    assert guards.result(failed, refused) is expected


@pytest.mark.parametrize(
    ("abort", "failures", "stops"),
    [(True, ["acme: 500"], True), (True, [], False), (False, ["acme: 500"], False)],
    ids=["abort-and-a-failure", "abort-all-healthy", "keep-with-a-failure"],
)
def test_on_source_error_abort_stops_only_when_a_source_failed(abort: bool, failures: list[str], stops: bool) -> None:
    rules = Rules(DeletionLimit(count=0), abort_on_source_error=abort)
    reason = guards.abort(rules, failures, "github")
    assert (reason is not None) is stops
    if reason is not None:
        assert reason == "on_source_error is abort: github was not written"


def test_a_limit_is_shown_as_the_operator_wrote_it() -> None:
    assert (str(DeletionLimit(count=3)), str(DeletionLimit(percent=12.5))) == ("3", "12.5%")


def test_refusal_names_the_limit_and_the_extra_allowance() -> None:
    current = repos(20)
    with pytest.raises(GuardRefused) as caught:
        guards.check(plan.compute(GH, current, current[:-5]), 20, Rules(DeletionLimit(percent=10), allow_deletions=1))
    assert "max_deletions 10% allows 2, --allow-deletions adds 1; rerun with --allow-deletions 3 " in str(caught.value)


def test_a_refusal_does_not_repeat_the_removals_the_plan_lists() -> None:
    current = repos(30)
    with pytest.raises(GuardRefused) as caught:
        guards.check(plan.compute(GH, current, current[:5]), 30, Rules(DeletionLimit(count=0)))
    assert "r0" not in str(caught.value)


def test_a_refusal_without_allow_deletions_says_only_the_limit() -> None:
    current = repos(10)
    with pytest.raises(GuardRefused) as caught:
        guards.check(plan.compute(GH, current, current[:8]), 10, Rules(DeletionLimit(count=1)))
    assert str(caught.value) == (
        "refusing to remove 2 of 10 github entries: max_deletions 1 allows 1; "
        "rerun with --allow-deletions 1 to allow this run, or raise max_deletions"
    )


def test_seventy_removals_past_one_percent_of_seven_hundred_need_sixty_three() -> None:
    current = repos(700)
    with pytest.raises(GuardRefused) as caught:
        guards.check(plan.compute(GH, current, current[70:]), 700, Rules(DeletionLimit(percent=1)))
    assert str(caught.value) == (
        "refusing to remove 70 of 700 github entries: max_deletions 1% allows 7; "
        "rerun with --allow-deletions 63 to allow this run, or raise max_deletions"
    )


def test_refusing_to_empty_names_the_allow_deletions_that_would_pass() -> None:
    current = repos(3)
    with pytest.raises(GuardRefused) as caught:
        guards.check(plan.compute(GH, current, []), 3, Rules(DeletionLimit(percent=100), allow_deletions=1))
    assert str(caught.value) == (
        "refusing to empty the github list (3 entries) (--allow-deletions 1 covers 1); "
        "rerun with --allow-deletions 3 to allow this run"
    )


@pytest.mark.parametrize(
    ("limit", "size", "removals"),
    [
        (DeletionLimit(percent=1), 700, 70),
        (DeletionLimit(percent=10), 9, 3),
        (DeletionLimit(count=5), 40, 6),
        (DeletionLimit(count=0), 10, 10),
        (DeletionLimit(percent=12.5), 33, 20),
    ],
    ids=["1%-of-700", "10%-of-9-allows-none", "count", "count-zero-empties", "fractional-percent"],
)
def test_the_named_allow_deletions_passes_and_one_less_is_refused(
    limit: DeletionLimit, size: int, removals: int
) -> None:
    current = repos(size)
    changes = plan.compute(GH, current, current[removals:])
    with pytest.raises(GuardRefused) as caught:
        guards.check(changes, size, Rules(limit))
    [value] = re.findall(r"rerun with --allow-deletions (\d+) ", str(caught.value))
    guards.check(changes, size, Rules(limit, allow_deletions=int(value)))
    with pytest.raises(GuardRefused):
        guards.check(changes, size, Rules(limit, allow_deletions=int(value) - 1))
