"""The text plan and the JSON report of a run."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from syncer import plan, report
from syncer.model import (
    Discovery,
    GithubRepo,
    Integration,
    IntegrationReport,
    Result,
    RunReport,
    Scope,
)

START = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
OK_SCOPE = Scope("github.com/acme", ("github.com", "acme"))
BAD_SCOPE = Scope("github.com/broken", ("github.com", "broken"))


def run_report(result: Result = Result.SUCCESS, dry_run: bool = False) -> RunReport:
    current = [GithubRepo("github.com", "acme", "old"), GithubRepo("github.com", "acme", "API")]
    desired = [GithubRepo("github.com", "acme", "api"), GithubRepo("github.com", "acme", "new")]
    changes = plan.compute(Integration.GITHUB, current, desired)
    sources = (
        Discovery(OK_SCOPE, entries=tuple(desired), seen=5),
        Discovery(BAD_SCOPE, error="github.com/broken: GET /orgs/broken/repos page 1 answered 500"),
    )
    one = IntegrationReport(
        integration=Integration.GITHUB,
        result=result,
        started_at=START,
        finished_at=START + timedelta(seconds=2),
        dry_run=dry_run,
        applied=not dry_run,
        plan=changes,
        current_count=2,
        final_count=2,
        sources=sources,
        errors=(sources[1].error or "",),
    )
    return RunReport((one,))


def test_text_lists_every_change_and_each_error_once() -> None:
    text = report.as_text(run_report(Result.FAILURE), colour=False)
    assert text.splitlines()[0] == (
        "github: failure: 1 added, 1 removed, 1 changed, 0 unchanged; written (2 -> 2 entries)"
    )
    assert "  + github.com/acme/new" in text
    assert "  - github.com/acme/old" in text
    assert "  ~ github.com/acme/API -> github.com/acme/api" in text
    assert "  source github.com/acme: 5 listed, 2 kept" in text
    assert text.count("answered 500") == 1


def test_text_limit_shows_how_many_more() -> None:
    text = report.as_text(run_report(), limit=0, colour=False)
    assert "  + ... and 1 more" in text


def test_dry_run_says_nothing_was_written() -> None:
    assert "dry run, nothing written" in report.as_text(run_report(dry_run=True))


def test_json_report() -> None:
    body = report.as_json(run_report(Result.FAILURE))
    assert body["exit_code"] == 1
    [github] = body["integrations"]  # type: ignore[misc]
    assert github["status"] == "failure"
    assert github["counts"] == {
        "current": 2,
        "final": 2,
        "desired": 2,
        "added": 1,
        "removed": 1,
        "changed": 1,
        "unchanged": 0,
    }
    assert github["added"] == [{"hostname": "github.com", "github_org_name": "acme", "repo_name": "new"}]
    assert github["changed"][0]["before"]["repo_name"] == "API"
    assert github["sources"][1] == {
        "scope": "github.com/broken",
        "ok": False,
        "listed": 0,
        "entries": 0,
        "error": "github.com/broken: GET /orgs/broken/repos page 1 answered 500",
        "dropped": {},
    }


def test_summary_for_the_log_carries_the_errors() -> None:
    assert "answered 500" in report.summary(run_report(Result.FAILURE).integrations[0])


def test_exit_codes() -> None:
    assert run_report(Result.SUCCESS).exit_code == 0
    assert run_report(Result.FAILURE).exit_code == 1
    assert run_report(Result.REFUSED).exit_code == 3
    both = RunReport(run_report(Result.REFUSED).integrations + run_report(Result.FAILURE).integrations)
    assert both.exit_code == 1


def test_the_footer_counts_every_entry_even_when_the_lines_are_cut() -> None:
    text = report.as_text(run_report(dry_run=True), limit=0, colour=False)
    assert text.splitlines()[-1] == "Plan: 1 to add, 1 to change, 1 to remove."


def test_the_footer_adds_up_the_integrations_and_names_those_not_written() -> None:
    applied = run_report().integrations[0]
    refused = replace(applied, integration=Integration.JIRA, result=Result.REFUSED, applied=False)
    text = report.as_text(RunReport((applied, applied, refused)), colour=False)
    assert text.splitlines()[-2:] == [
        "Applied: 2 added, 2 changed, 2 removed.",
        "Not written: 1 to add, 1 to change, 1 to remove (jira refused).",
    ]


def test_a_source_line_names_its_drop_reasons_and_a_failed_one_its_error() -> None:
    kept = Discovery(OK_SCOPE, entries=(), seen=9, dropped=(("pattern", 5), ("visibility", 3), ("forks", 1)))
    assert report.source_line(kept) == (
        "source github.com/acme: 9 listed, 0 kept (5 excluded by pattern, 3 by visibility, 1 fork)"
    )
    failed = Discovery(BAD_SCOPE, error="page 1 answered 500")
    assert report.source_line(failed) == "source FAILED github.com/broken: page 1 answered 500"
