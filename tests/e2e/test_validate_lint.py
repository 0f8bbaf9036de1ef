"""The lint of `syncer validate --online` over real HTTP against the simulator: a rule that matches nothing listed is
a warning naming the source and the rule; rules that match stay quiet; the exit code never changes."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from syncer.simulator import Fault, Simulator
from tests.e2e.conftest import Run

Syncer = Callable[..., Run]
GITHUB = "github.sources[0] (github.com)"
JIRA = "jira.sources[0] (acme.atlassian.net)"


def warnings(run: Run) -> list[str]:
    return [line.removeprefix("WARNING ") for line in run.out.splitlines() if line.startswith("WARNING ")]


def lint_config(sim: Simulator) -> dict[str, Any]:
    """Every kind of rule, each with a value the seeded world holds and one it does not."""
    config = sim.config_dict()
    config["github"]["sources"][0].update(
        include=["*", "acme/video-*", "re:^nothing-[0-9]+$"],
        exclude=["*-docs", "zzz-*"],
        topics={"include": ["service", "no-such-topic"], "exclude": ["Deprecated", "never-seen"]},
        custom_properties={"team": ["payments", "no-such-team"], "unknown-prop": ["x"]},
        languages=["python", "COBOL"],
    )
    config["jira"]["sources"][0].update(
        exclude=["OBS", "NOPE*"], project_types=["software", "no_such_type"], categories=["engineering", "Nope"]
    )
    config["pagerduty"]["exclude"] = ["*-eu", "nobody"]
    return config


def test_a_rule_that_matches_nothing_is_a_warning_naming_the_source_and_the_rule(
    sim: Simulator, syncer: Syncer
) -> None:
    run = syncer(lint_config(sim), "validate", "--online")
    assert run.code == 0, run.out  # warnings never change the exit code
    assert sorted(warnings(run)) == sorted(
        [
            f'{GITHUB}: include pattern "re:^nothing-[0-9]+$" matches none of the 290 repos listed',
            f'{GITHUB}: exclude pattern "zzz-*" matches none of the 290 repos listed',
            f'{GITHUB}: topics.include "no-such-topic" is a topic of none of the 290 repos listed',
            f'{GITHUB}: topics.exclude "never-seen" is a topic of none of the 290 repos listed',
            f'{GITHUB}: custom_properties.team value "no-such-team" is held by none of the 290 repos listed',
            f"{GITHUB}: custom_properties.unknown-prop: none of the 290 repos listed has the property "
            '"unknown-prop" set',
            f'{GITHUB}: languages "COBOL" is the primary language of none of the 290 repos listed',
            f'{JIRA}: exclude pattern "NOPE*" matches none of the 107 projects listed',
            f'{JIRA}: project_types "no_such_type" is the type of none of the 107 projects listed',
            f'{JIRA}: categories "Nope" is the category of none of the 107 projects listed',
            'pagerduty: exclude pattern "nobody" matches none of the 2 accounts listed',
        ]
    )
    assert "7 check(s) failed" not in run.out and "every credential works" in run.out
    assert "11 warning(s)" in run.out
    logged = [json.loads(line) for line in run.err.splitlines() if line.startswith("{")]
    lint = [event for event in logged if event.get("event") == "lint"]
    assert len(lint) == 11
    assert {event.get("status", event.get("level")) for event in lint} == {"warning"}


def test_rules_that_match_stay_quiet(sim: Simulator, syncer: Syncer) -> None:
    config = sim.config_dict()
    config["github"]["sources"][0].update(
        include=["*-api", "acme-labs/*"], exclude=["*-docs"], topics={"include": ["service"]}, languages=["go"]
    )
    config["jira"]["sources"][0].update(project_types=["software"], categories=["Engineering"])
    run = syncer(config, "validate", "--online")
    assert run.code == 0, run.out
    assert warnings(run) == []
    assert "warning(s)" not in run.out


def test_the_lint_costs_a_listing_and_no_more(sim: Simulator, syncer: Syncer) -> None:
    config = lint_config(sim)
    run = syncer(config, "validate", "--online")
    assert run.code == 0
    for fake in (sim.github, sim.ghes):
        orgs = fake.orgs
        pages = sum(math.ceil(len(repos) / 100) for repos in orgs.values())
        assert fake.count() == len(orgs) + pages  # GET /orgs/{org} per org (the check), then the listing's pages
        assert fake.count("GET", r"/properties/values") == 0  # the listing carries custom_properties
    assert sim.datadog.count("PUT") == 0


def test_a_source_whose_check_failed_is_not_listed(sim: Simulator, syncer: Syncer, monkeypatch: Any) -> None:
    monkeypatch.setenv("SIM_GITHUB_TOKEN", "sim-revoked-github-token")
    run = syncer(lint_config(sim), "validate", "--online")
    assert run.code == 1
    assert sim.github.count("GET", r"/orgs/[^/]+/repos$") == 0
    assert not [w for w in warnings(run) if w.startswith(GITHUB)]
    assert any(w.startswith(JIRA) for w in warnings(run))  # the other sources are still linted


def test_a_listing_that_fails_is_not_linted(sim: Simulator, syncer: Syncer) -> None:
    sim.github.faults.add(Fault(path=r"/orgs/acme-labs/repos$", status=500, times=None))
    run = syncer(lint_config(sim), "validate", "--online")
    assert run.code == 0  # the credentials work; the warning says why the rules were not judged
    github = [w for w in warnings(run) if w.startswith(GITHUB)]
    assert len(github) == 1
    assert "not linted, the listing failed" in github[0] and "acme-labs" in github[0]
    assert "Traceback" not in run.err
