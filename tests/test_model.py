"""The value types: identity (key), what is sent to Datadog (to_json), how entries read (label) and sort, scopes,
and the exit code of a pass."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from syncer.model import (
    Change,
    Discovery,
    Entry,
    ExitCode,
    GithubRepo,
    Integration,
    IntegrationReport,
    JiraProject,
    PagerDutyAccount,
    Plan,
    Result,
    RunReport,
    Scope,
    sort_key,
)

START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("entry", "key"),
    [
        pytest.param(GithubRepo("GitHub.com", "Acme", "API"), ("github.com", "acme", "api"), id="github-case-folded"),
        pytest.param(
            JiraProject("Acme.atlassian.net", "42", "Ops"), ("acme.atlassian.net", "ops"), id="jira-no-account"
        ),
        pytest.param(PagerDutyAccount(True, "Acme"), ("acme",), id="pagerduty-subdomain"),
        pytest.param(PagerDutyAccount(True), ("",), id="pagerduty-no-subdomain-is-the-empty-subdomain"),
    ],
)
def test_key_is_the_case_folded_identity(entry: Entry, key: tuple[str, ...]) -> None:
    assert entry.key() == key


def test_jira_account_is_a_value_not_part_of_the_identity() -> None:
    assert JiraProject("a.atlassian.net", "1", "OPS").key() == JiraProject("a.atlassian.net", "2", "ops").key()


def test_pagerduty_account_without_subdomain_is_no_named_account() -> None:
    nameless = PagerDutyAccount(True).key()
    assert all(nameless != PagerDutyAccount(True, name).key() for name in ("x", "xxxx", "none", "(no subdomain)"))


@pytest.mark.parametrize(
    ("entry", "body"),
    [
        pytest.param(
            GithubRepo("github.com", "Acme", "API"),
            {"hostname": "github.com", "github_org_name": "Acme", "repo_name": "API"},
            id="github-spelling-kept",
        ),
        pytest.param(
            JiraProject("acme.atlassian.net", "42", "OPS"),
            {"hostname": "acme.atlassian.net", "account_id": "42", "project_key": "OPS"},
            id="jira",
        ),
        pytest.param(PagerDutyAccount(False, "Acme"), {"enabled": False, "subdomain": "Acme"}, id="pagerduty"),
        pytest.param(PagerDutyAccount(True), {"enabled": True}, id="pagerduty-absent-subdomain-left-out"),
    ],
)
def test_to_json_is_the_managed_fields_as_datadog_expects_them(entry: Entry, body: dict[str, object]) -> None:
    assert entry.to_json() == body


@pytest.mark.parametrize(
    ("entry", "label"),
    [
        pytest.param(GithubRepo("github.com", "Acme", "API"), "github.com/Acme/API", id="github"),
        pytest.param(JiraProject("acme.atlassian.net", "42", "OPS"), "acme.atlassian.net/OPS (account 42)", id="jira"),
        pytest.param(PagerDutyAccount(True, "acme"), "acme (enabled)", id="pagerduty-enabled"),
        pytest.param(PagerDutyAccount(False, "acme"), "acme (disabled)", id="pagerduty-disabled"),
        pytest.param(PagerDutyAccount(True), "(no subdomain) (enabled)", id="pagerduty-no-subdomain"),
    ],
)
def test_label_is_how_plans_and_logs_name_an_entry(entry: Entry, label: str) -> None:
    assert entry.label() == label


def test_sort_key_orders_by_identity_then_exact_spelling() -> None:
    repos = [GithubRepo("github.com", "acme", n) for n in ("beta", "API", "Alpha", "api")]
    assert [r.repo_name for r in sorted(repos, key=sort_key)] == ["Alpha", "API", "api", "beta"]


def test_accounts_without_a_subdomain_sort_first() -> None:
    accounts = [PagerDutyAccount(True, "zeta"), PagerDutyAccount(True), PagerDutyAccount(True, "acme")]
    assert [a.subdomain for a in sorted(accounts, key=sort_key)] == [None, "acme", "zeta"]


@pytest.mark.parametrize(
    ("owns", "entry", "covered"),
    [
        pytest.param(("github.com", "acme"), GithubRepo("github.com", "acme", "api"), True, id="own-org"),
        pytest.param(("github.com", "acme"), GithubRepo("GitHub.com", "ACME", "api"), True, id="case-insensitive"),
        pytest.param(("github.com", "acme"), GithubRepo("github.com", "labs", "api"), False, id="other-org"),
        pytest.param(("github.com", "acme"), GithubRepo("ghe.acme.io", "acme", "api"), False, id="other-host"),
        pytest.param(("github.com",), GithubRepo("github.com", "labs", "api"), True, id="whole-host"),
        pytest.param(("acme",), PagerDutyAccount(True, "Acme"), True, id="pagerduty-subdomain"),
        pytest.param(("acme",), PagerDutyAccount(True), False, id="pagerduty-nameless-not-covered"),
        pytest.param(None, GithubRepo("github.com", "acme", "api"), False, id="unknown-identity-covers-nothing"),
    ],
)
def test_scope_covers_the_entries_under_its_prefix(owns: tuple[str, ...] | None, entry: Entry, covered: bool) -> None:
    assert Scope("scope", owns).covers(entry) is covered


def test_discovery_is_ok_until_it_has_an_error() -> None:
    scope = Scope("github.com/acme", ("github.com", "acme"))
    assert Discovery(scope).ok
    assert not Discovery(scope, error="page 3 failed").ok


def _plan(**lists: tuple[object, ...]) -> Plan:
    fields: dict[str, tuple[object, ...]] = {"added": (), "removed": (), "changed": (), "unchanged": (), "to_write": ()}
    return Plan(Integration.GITHUB, **(fields | lists))  # type: ignore[arg-type]


def test_a_plan_has_changes_when_something_is_added_removed_or_changed() -> None:
    repo = GithubRepo("github.com", "acme", "api")
    assert not _plan(unchanged=(repo,), to_write=(repo,)).has_changes
    assert _plan(added=(repo,)).has_changes
    assert _plan(removed=(repo,)).has_changes
    assert _plan(changed=(Change(repo, GithubRepo("github.com", "acme", "API")),)).has_changes


def test_list_key_names_the_list_in_each_config() -> None:
    assert [i.list_key for i in Integration] == ["enabled_repos", "enabled_projects", "accounts"]


def _report(result: Result, seconds: float = 0.0) -> IntegrationReport:
    return IntegrationReport(Integration.GITHUB, result, START, START + timedelta(seconds=seconds))


def test_duration_is_the_wall_time_of_the_run() -> None:
    assert _report(Result.SUCCESS, 2.5).duration_seconds == 2.5


S, F, R = Result.SUCCESS, Result.FAILURE, Result.REFUSED


@pytest.mark.parametrize(
    ("results", "interrupted_by", "code"),
    [
        pytest.param((), None, ExitCode.OK, id="nothing-to-do"),
        pytest.param((S, S), None, ExitCode.OK, id="all-in-step"),
        pytest.param((S, F), None, ExitCode.FAILURE, id="a-failure"),
        pytest.param((R, S), None, ExitCode.REFUSED, id="a-refusal"),
        pytest.param((R, F), None, ExitCode.FAILURE, id="failure-wins-over-refusal"),
        pytest.param((F, R), None, ExitCode.FAILURE, id="failure-wins-in-any-order"),
        pytest.param((S,), "SIGINT", ExitCode.SIGINT, id="sigint"),
        pytest.param((F,), "SIGTERM", ExitCode.SIGTERM, id="sigterm-wins-over-failure"),
    ],
)
def test_exit_code_of_a_pass(results: tuple[Result, ...], interrupted_by: str | None, code: ExitCode) -> None:
    report = RunReport(tuple(_report(r) for r in results), interrupted_by=interrupted_by)
    assert report.exit_code == code


def test_exit_codes_are_those_of_the_spec() -> None:
    assert [int(c) for c in (ExitCode.OK, ExitCode.FAILURE, ExitCode.REFUSED)] == [0, 1, 3]
    assert [int(c) for c in (ExitCode.SIGINT, ExitCode.SIGTERM)] == [130, 143]
