"""plan.compute: table-driven, including first run, second run and idempotency."""

from __future__ import annotations

import pytest

from syncer import plan
from syncer.model import Change, GithubRepo, Integration, JiraProject, PagerDutyAccount

GH = Integration.GITHUB


def repo(name: str, org: str = "acme", host: str = "github.com") -> GithubRepo:
    return GithubRepo(host, org, name)


@pytest.mark.parametrize(
    ("current", "wanted", "added", "removed", "changed", "unchanged"),
    [
        pytest.param([], [repo("a"), repo("b")], 2, 0, 0, 0, id="first-run-adds-everything"),
        pytest.param([repo("a"), repo("b")], [repo("a"), repo("b")], 0, 0, 0, 2, id="second-run-no-change"),
        pytest.param([repo("a")], [repo("a"), repo("c")], 1, 0, 0, 1, id="new-repo"),
        pytest.param([repo("a"), repo("old")], [repo("a")], 0, 1, 0, 1, id="deleted-repo"),
        pytest.param([repo("API")], [repo("api")], 0, 0, 1, 0, id="respelled-is-changed"),
        pytest.param([repo("a", "Acme")], [repo("a", "acme")], 0, 0, 1, 0, id="org-respelled"),
        pytest.param([repo("a"), repo("a")], [repo("a")], 0, 1, 0, 1, id="duplicates-in-current-each-counted"),
        pytest.param([repo("R1"), repo("r1")], [repo("r1")], 0, 1, 0, 1, id="case-dups-exact-match-other-removed"),
        pytest.param([repo("R1"), repo("r1")], [], 0, 2, 0, 0, id="case-duplicates-both-removed"),
        pytest.param([], [], 0, 0, 0, 0, id="empty-both"),
    ],
)
def test_compute(
    current: list[GithubRepo], wanted: list[GithubRepo], added: int, removed: int, changed: int, unchanged: int
) -> None:
    result = plan.compute(GH, current, wanted)
    assert (len(result.added), len(result.removed), len(result.changed), len(result.unchanged)) == (
        added,
        removed,
        changed,
        unchanged,
    )
    assert result.has_changes is bool(added or removed or changed)


def test_result_is_sorted_and_applying_it_is_idempotent() -> None:
    wanted = [repo("zeta"), repo("Alpha"), repo("beta", "acme-labs")]
    first = plan.compute(GH, [], wanted)
    assert [e.repo_name for e in first.to_write] == ["Alpha", "zeta", "beta"]
    second = plan.compute(GH, first.to_write, wanted)
    assert not second.has_changes
    assert second.to_write == first.to_write


def test_jira_account_change_is_a_change_not_a_swap() -> None:
    before = JiraProject("acme.atlassian.net", "1", "OPS")
    after = JiraProject("acme.atlassian.net", "2", "OPS")
    result = plan.compute(Integration.JIRA, [before], [after])
    assert result.changed[0].before == before
    assert result.changed[0].after == after
    assert not result.added
    assert not result.removed


def test_pagerduty_enabled_flip_is_a_change() -> None:
    result = plan.compute(Integration.PAGERDUTY, [PagerDutyAccount(True, "acme")], [PagerDutyAccount(False, "ACME")])
    assert len(result.changed) == 1


def test_kept_duplicates_are_written_back_each_with_its_origin() -> None:
    current = [repo("R1"), repo("r1"), repo("gone")]
    result = plan.compute(GH, current, [repo("r1")], keep=lambda e: e.repo_name != "gone")
    assert [e.repo_name for e in result.removed] == ["gone"]
    assert sorted(result.origin, key=lambda i: -1 if i is None else i) == [0, 1]
    assert sorted(e.repo_name for e in result.to_write) == ["R1", "r1"]


def test_every_stored_item_is_written_back_or_removed() -> None:
    accounts = [PagerDutyAccount(True), PagerDutyAccount(False), PagerDutyAccount(True, "acme")]
    result = plan.compute(Integration.PAGERDUTY, accounts, [PagerDutyAccount(True, "acme")])
    assert len(result.removed) == 2
    assert [i for i in result.origin if i is not None] == [2]


def test_plan_names_its_integration() -> None:
    assert plan.compute(Integration.JIRA, [], []).integration is Integration.JIRA


def test_every_list_of_the_plan_is_sorted_case_insensitively() -> None:
    current = [repo("Zulu"), repo("yankee"), repo("Beta"), repo("alpha"), repo("Mike"), repo("lima")]
    wanted = [repo("Zulu"), repo("yankee"), repo("Delta"), repo("charlie"), repo("mike"), repo("Lima")]
    result = plan.compute(GH, current, wanted)
    assert [e.repo_name for e in result.added] == ["charlie", "Delta"]
    assert [e.repo_name for e in result.removed] == ["alpha", "Beta"]
    assert [e.repo_name for e in result.unchanged] == ["yankee", "Zulu"]
    assert [c.after.repo_name for c in result.changed] == ["Lima", "mike"]
    assert [e.repo_name for e in result.to_write] == ["charlie", "Delta", "Lima", "mike", "yankee", "Zulu"]


def test_without_an_equal_stored_item_the_first_of_its_key_is_rewritten() -> None:
    result = plan.compute(GH, [repo("AB"), repo("Ab")], [repo("ab")])
    assert result.changed == (Change(before=repo("AB"), after=repo("ab")),)
    assert result.removed == (repo("Ab"),)
    assert result.origin == (0,)


def test_an_equal_stored_item_is_preferred_over_the_first_of_its_key() -> None:
    result = plan.compute(GH, [repo("AB"), repo("ab"), repo("Ab")], [repo("ab")])
    assert result.unchanged == (repo("ab"),)
    assert result.removed == (repo("AB"), repo("Ab"))
    assert result.origin == (1,)


def test_added_entries_have_no_origin_and_kept_ones_their_index() -> None:
    current = [repo("kept"), repo("same")]
    result = plan.compute(GH, current, [repo("new"), repo("same")], keep=lambda e: True)
    assert list(zip(result.to_write, result.origin, strict=True)) == [
        (repo("kept"), 0),
        (repo("new"), None),
        (repo("same"), 1),
    ]
    assert result.added == (repo("new"),)
    assert result.unchanged == (repo("kept"), repo("same"))
    assert not result.removed


def test_the_first_spelling_of_a_desired_key_wins() -> None:
    result = plan.compute(GH, [], [repo("Api"), repo("API")])
    assert result.added == (repo("Api"),)
    assert result.to_write == (repo("Api"),)
