"""plan.compute and desired.build: table-driven, including first run, second run and idempotency."""

from __future__ import annotations

import pytest

from syncer import desired, plan
from syncer.model import Discovery, GithubRepo, Integration, JiraProject, PagerDutyAccount, Scope

GH = Integration.GITHUB
SCOPE = Scope("github.com/acme", ("github.com", "acme"))


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
    assert [e.repo_name for e in first.result] == ["Alpha", "zeta", "beta"]
    second = plan.compute(GH, first.result, wanted)
    assert not second.has_changes
    assert second.result == first.result


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


def test_desired_merges_sources_and_extra_dedupes_and_sorts() -> None:
    discoveries = [
        Discovery(SCOPE, entries=(repo("b"), repo("a"))),
        Discovery(Scope("github.com/acme-labs", ("github.com", "acme-labs")), entries=(repo("A"),)),
        Discovery(Scope("github.com/broken", ("github.com", "broken")), error="boom"),
    ]
    result = desired.build(discoveries, extra=[repo("legacy"), repo("B")])
    assert [e.repo_name for e in result] == ["a", "b", "legacy"]


def test_desired_ignores_entries_of_failed_discoveries() -> None:
    failed = Discovery(SCOPE, entries=(repo("partial"),), error="page 3 failed")
    assert desired.build([failed]) == ()


def test_kept_duplicates_are_written_back_each_with_its_origin() -> None:
    current = [repo("R1"), repo("r1"), repo("gone")]
    result = plan.compute(GH, current, [repo("r1")], keep=lambda e: e.repo_name != "gone")
    assert [e.repo_name for e in result.removed] == ["gone"]
    assert sorted(result.origin, key=lambda i: -1 if i is None else i) == [0, 1]
    assert sorted(e.repo_name for e in result.result) == ["R1", "r1"]


def test_every_stored_item_is_written_back_or_removed() -> None:
    accounts = [PagerDutyAccount(True), PagerDutyAccount(False), PagerDutyAccount(True, "acme")]
    result = plan.compute(Integration.PAGERDUTY, accounts, [PagerDutyAccount(True, "acme")])
    assert len(result.removed) == 2
    assert [i for i in result.origin if i is not None] == [2]
