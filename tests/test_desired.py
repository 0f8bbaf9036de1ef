"""desired.build: sources and extra merged, the first spelling of a key kept, failed sources left out, sorted."""

from __future__ import annotations

from syncer import desired
from syncer.model import Discovery, GithubRepo, PagerDutyAccount, Scope

SCOPE = Scope("github.com/acme", ("github.com", "acme"))


def repo(name: str, org: str = "acme") -> GithubRepo:
    return GithubRepo("github.com", org, name)


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


def test_a_source_spelling_wins_over_the_extra_one() -> None:
    result = desired.build([Discovery(SCOPE, entries=(repo("Api"),))], extra=[repo("API")])
    assert result == (repo("Api"),)


def test_the_first_source_spelling_wins() -> None:
    found = [Discovery(SCOPE, entries=(repo("api"),)), Discovery(SCOPE, entries=(repo("API"),))]
    assert desired.build(found) == (repo("api"),)


def test_extra_alone_is_the_desired_list() -> None:
    assert desired.build([], extra=[repo("b"), repo("a"), repo("A")]) == (repo("a"), repo("b"))


def test_the_list_is_sorted_case_insensitively() -> None:
    found = [Discovery(SCOPE, entries=(repo("Beta"), repo("alpha"), repo("Gamma")))]
    assert [e.repo_name for e in desired.build(found, extra=[repo("delta")])] == ["alpha", "Beta", "delta", "Gamma"]


def test_pagerduty_accounts_without_subdomain_are_one_entry_sorted_first() -> None:
    accounts = (PagerDutyAccount(True, "zeta"), PagerDutyAccount(True), PagerDutyAccount(False))
    found = [Discovery(Scope("pagerduty", None), entries=accounts)]
    assert desired.build(found) == (PagerDutyAccount(True), PagerDutyAccount(True, "zeta"))
