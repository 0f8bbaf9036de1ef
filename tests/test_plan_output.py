"""The text plan of a pass run through the real pipeline against the simulator: drop reasons per source, the
`+`/`-`/`~` lines and their colours, the footer of totals, and a guard refusal naming the value that passes."""

from __future__ import annotations

import fnmatch
import io
import math
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from syncer import report, runner
from syncer.config import loader
from syncer.config.schema import Config
from syncer.explain.explanation import Found
from syncer.model import Integration, Result, RunReport
from syncer.retry import RetryPolicy
from syncer.simulator import Simulator
from syncer.sources.github import GithubRepos
from tests.test_progress import Tty

FAST = RetryPolicy(attempts=2, base=0.01, cap=0.02, max_wait=0.5)
EXCLUDE = "*-docs"  # a pattern the seeded names hit a few times per org
GREEN, RED, YELLOW, RESET = "\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[0m"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator() as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def fresh(sim: Simulator) -> None:
    sim.reset()


def config(sim: Simulator, **defaults: Any) -> Config:
    """github.com only (acme, acme-labs): archived dropped (the default), forks dropped, names `*-docs` excluded."""
    tree = sim.config_dict()
    for key in ("jira", "pagerduty"):
        tree.pop(key)
    [github] = [s for s in tree["github"]["sources"] if s["hostname"] == "github.com"]
    github.update(forks=False, exclude=[EXCLUDE])
    tree["github"]["sources"] = [github]
    tree["defaults"] = {**tree["defaults"], **defaults}
    return loader.parse(tree, sim.env())


def expected_drops(sim: Simulator, org: str) -> tuple[list[str], dict[str, int]]:
    """From the fake's own records: the names kept and the dropped counted under the first rule that drops them."""
    kept: list[str] = []
    dropped: Counter[str] = Counter()
    for record in sim.github.orgs[org]:
        if record["archived"]:
            dropped["archived"] += 1
        elif record["fork"]:
            dropped["forks"] += 1
        elif fnmatch.fnmatch(record["name"].lower(), EXCLUDE):
            dropped["pattern"] += 1
        else:
            kept.append(record["name"])
    return kept, dict(dropped)


def desired(sim: Simulator) -> list[str]:
    """The labels of the repos the filters keep, in the plan's order (by host, org and name, case-folded)."""
    kept = [("github.com", org, name) for org in ("acme", "acme-labs") for name in expected_drops(sim, org)[0]]
    return ["/".join(parts) for parts in sorted(kept, key=lambda parts: tuple(p.casefold() for p in parts))]


def sync(sim: Simulator, dry_run: bool = True, allow_deletions: int = 0, **defaults: Any) -> RunReport:
    """One pass of the github integration; max_deletions 100% unless given."""
    settings = {"max_deletions": "100%", **defaults}
    return runner.run(
        config(sim, **settings), [Integration.GITHUB], dry_run=dry_run, allow_deletions=allow_deletions, policy=FAST
    )


def stored(labels: list[str]) -> dict[str, Any]:
    items = [label.split("/") for label in labels]
    return {"enabled_repos": [{"hostname": h, "github_org_name": o, "repo_name": r} for h, o, r in items]}


def test_each_source_says_why_listed_repos_were_dropped(sim: Simulator) -> None:
    result = sync(sim)
    [github] = result.integrations
    text = report.as_text(result, colour=False)
    body = report.as_json(result)["integrations"][0]  # type: ignore[index]
    for index, org in enumerate(("acme", "acme-labs")):
        kept, dropped = expected_drops(sim, org)
        assert dropped.get("archived") and (org != "acme" or (dropped.get("forks") and dropped.get("pattern")))
        found = github.sources[index]
        assert (found.scope.label, found.seen, len(found.entries)) == (
            f"github.com/{org}",
            len(sim.github.orgs[org]),
            len(kept),
        )
        assert dict(found.dropped) == dropped
        assert body["sources"][index]["dropped"] == dropped
        reasons = sorted(dropped.items(), key=lambda pair: (-pair[1], pair[0]))
        phrases = {"archived": "archived", "forks": "forks", "pattern": "excluded by pattern"}
        shown = ", ".join(f"{n} {'fork' if (r, n) == ('forks', 1) else phrases[r]}" for r, n in reasons)
        line = f"  source github.com/{org}: {len(sim.github.orgs[org])} listed, {len(kept)} kept ({shown})"
        assert line in text.splitlines()


def test_a_source_that_drops_nothing_shows_no_reasons(sim: Simulator) -> None:
    tree = config(sim)
    tree.github.sources[0].exclude.clear()  # type: ignore[union-attr]
    for org in ("acme", "acme-labs"):
        for record in sim.github.orgs[org]:
            record.update(archived=False, fork=False)
    result = runner.run(tree, [Integration.GITHUB], dry_run=True, policy=FAST)
    [acme, _] = result.integrations[0].sources
    assert acme.dropped == ()
    assert f"  source github.com/acme: {acme.seen} listed, {acme.seen} kept" in report.as_text(result).splitlines()
    assert report.as_json(result)["integrations"][0]["sources"][0]["dropped"] == {}  # type: ignore[index]


def test_the_plan_marks_each_change_and_ends_with_the_totals(sim: Simulator) -> None:
    wanted = desired(sim)
    renamed = wanted[0].rsplit("/", 1)[0] + "/" + wanted[0].rsplit("/", 1)[1].upper()
    gone = ["github.com/acme/gone-1", "github.com/acme/gone-2", "github.com/acme-labs/gone-3"]
    sim.datadog.seed("github", stored([renamed, *wanted[1:5], *gone]))
    result = sync(sim, confirm_removals=0)
    lines = report.as_text(result, colour=False).splitlines()
    added = [line for line in lines if line.startswith("  + ")]
    removed = [line for line in lines if line.startswith("  - ")]
    changed = [line for line in lines if line.startswith("  ~ ")]
    assert added == [f"  + {label}" for label in wanted[5:]]
    assert removed == [f"  - {label}" for label in gone]
    assert changed == [f"  ~ {renamed} -> {wanted[0]}"]
    assert lines[-1] == f"Plan: {len(wanted) - 5} to add, 1 to change, 3 to remove."
    assert result.integrations[0].dry_run and "github" in sim.datadog.store


def test_an_applied_sync_says_what_it_wrote(sim: Simulator) -> None:
    wanted = desired(sim)
    sim.datadog.seed("github", stored([*wanted[1:], "github.com/acme/gone-1"]))
    result = sync(sim, dry_run=False, confirm_removals=0)
    assert result.integrations[0].applied
    assert report.as_text(result).splitlines()[-1] == "Applied: 1 added, 0 changed, 1 removed."


def test_colours_on_a_terminal_unless_no_color(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    wanted = desired(sim)
    renamed = wanted[0].rsplit("/", 1)[0] + "/" + wanted[0].rsplit("/", 1)[1].upper()
    sim.datadog.seed("github", stored([renamed, *wanted[2:], "github.com/acme/gone-1"]))
    result = sync(sim, confirm_removals=0)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr("sys.stdout", Tty())
    coloured = report.as_text(result).splitlines()
    assert f"{GREEN}  + {wanted[1]}{RESET}" in coloured
    assert f"{RED}  - github.com/acme/gone-1{RESET}" in coloured
    assert f"{YELLOW}  ~ {renamed} -> {wanted[0]}{RESET}" in coloured
    assert coloured[-1] == "Plan: 1 to add, 1 to change, 1 to remove.", "only the marked lines are coloured"
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in report.as_text(result)
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setattr("sys.stdout", io.StringIO())
    assert "\x1b[" not in report.as_text(result), "not a terminal: no colour"


@pytest.mark.parametrize(
    ("terminal", "environ", "colour"),
    [
        (True, {}, True),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": "anything"}, False),
        (True, {"NO_COLOR": ""}, True),
        (False, {}, False),
    ],
    ids=["terminal", "no-color-1", "no-color-any-value", "no-color-empty-is-unset", "not-a-terminal"],
)
def test_colour_is_decided_by_the_stream_and_no_color(terminal: bool, environ: dict[str, str], colour: bool) -> None:
    assert report.colour_for(Tty() if terminal else io.StringIO(), environ) is colour


def test_a_refusal_names_the_allow_deletions_that_passes_and_lists_the_removals_once(sim: Simulator) -> None:
    wanted = desired(sim)
    gone = [f"github.com/acme/gone-{n:03}" for n in range(70)]
    sim.datadog.seed("github", stored([*wanted, *gone]))
    size = len(wanted) + len(gone)
    needed = len(gone) - math.floor(size * 1 / 100)  # max_deletions 1%; --allow-deletions N: limit + N may go
    refused = sync(sim, max_deletions="1%", confirm_removals=0)
    [github] = refused.integrations
    assert github.result is Result.REFUSED
    text = report.as_text(refused, colour=False)
    [value] = re.findall(r"rerun with --allow-deletions (\d+) to allow this run, or raise max_deletions", text)
    assert int(value) == needed
    assert all(text.count(label) == 1 for label in gone), "each removal is listed once, in the plan"
    assert text.splitlines()[-1] == f"Plan: 0 to add, 0 to change, {len(gone)} to remove."
    assert sync(sim, allow_deletions=needed, max_deletions="1%", confirm_removals=0).exit_code == 0
    assert sync(sim, allow_deletions=needed - 1, max_deletions="1%", confirm_removals=0).exit_code == 3
    applied = sync(sim, dry_run=False, allow_deletions=needed, max_deletions="1%", confirm_removals=0)
    assert applied.integrations[0].applied and len(sim.datadog.store["github"]["enabled_repos"]) == len(wanted)


def test_a_refused_sync_says_what_was_not_written(sim: Simulator) -> None:
    wanted = desired(sim)
    sim.datadog.seed("github", stored([*wanted[:10], *(f"github.com/acme/gone-{n}" for n in range(20))]))
    result = sync(sim, dry_run=False, max_deletions=1, confirm_removals=0)
    assert report.as_text(result).splitlines()[-2:] == [
        "Applied: 0 added, 0 changed, 0 removed.",
        f"Not written: {len(wanted) - 10} to add, 0 to change, 20 to remove (github refused).",
    ]


def test_the_rule_a_drop_is_counted_under_is_one_its_verdicts_failed(sim: Simulator) -> None:
    [source] = runner.job(config(sim), Integration.GITHUB).sources
    assert isinstance(source, GithubRepos)
    judged = [repo for inspection in source.inspect() for repo in inspection.listed]
    assert len(judged) == sum(len(sim.github.orgs[org]) for org in ("acme", "acme-labs"))
    for repo in judged:
        rule = source.rules.first_failing_rule(repo)
        failed = [verdict.rule for verdict in source.verdicts(repo) if not verdict.passed]
        assert (rule is None) is (not failed)
        assert rule is None or rule in failed
        found = Found("github.com/acme", source.entry_of(repo), source.verdicts(repo), decided=source.decided(repo))
        decided = found.decided_by
        assert (None if decided is None else decided.rule) == rule, "explain names the rule the plan counts"


def test_jira_sites_say_why_listed_projects_were_dropped(sim: Simulator) -> None:
    tree = sim.config_dict()
    for key in ("github", "pagerduty"):
        tree.pop(key)
    cloud, center = tree["jira"]["sources"]
    cloud.update(project_types=["software"], exclude=["P*"])
    result = runner.run(loader.parse(tree, sim.env()), [Integration.JIRA], dry_run=True, policy=FAST)
    text = report.as_text(result, colour=False).splitlines()
    wanted = {sim.jira.hostname: Counter[str](), sim.jira_dc.hostname: Counter[str]()}
    for project in (p for p in sim.jira.projects if p["status"] == "live"):  # what project/search lists by default
        if project["projectTypeKey"] != "software":
            wanted[sim.jira.hostname]["project_types"] += 1
        elif project["key"].startswith("P"):
            wanted[sim.jira.hostname]["pattern"] += 1
    for project in (p for p in sim.jira_dc.projects if p["status"] == "live"):
        if project["category"] not in center["categories"]:
            wanted[sim.jira_dc.hostname]["categories"] += 1
    for found in result.integrations[0].sources:
        dropped = wanted[found.scope.label]
        assert dropped and dict(found.dropped) == dict(dropped)
        assert found.seen - len(found.entries) == sum(count for _, count in found.dropped)
        assert any(line.startswith(f"  source {found.scope.label}: {found.seen} listed") for line in text)
    reasons = dict(result.integrations[0].sources[0].dropped)
    shown = f"({reasons['project_types']} by project_types, {reasons['pattern']} excluded by pattern)"
    assert reasons["project_types"] > reasons["pattern"], "the seed drops more by type than by pattern"
    assert f"  source {sim.jira.hostname}: " in text[1] and text[1].endswith(shown)
