"""`syncer sync` end to end against the simulated GitHub, GHES and Datadog, over real HTTP."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from syncer.simulator import Fault, Simulator
from tests.e2e.conftest import Run, official_model, stored_names

Syncer = Callable[..., Run]


def expected(sim: Simulator, archived: bool = False, forks: bool = True) -> set[str]:
    """What the fakes hold that the default filters and the simulator config's custom property rules (GHES: tier-1
    and tier-2) keep, as host/org/repo."""
    names = set()
    rules = {s["hostname"]: s.get("custom_properties", {}) for s in sim.config_dict()["github"]["sources"]}
    for fake in (sim.github, sim.ghes):
        for org, repos in fake.orgs.items():
            for repo in repos:
                if (repo["archived"] and not archived) or (repo["fork"] and not forks):
                    continue
                held = repo["custom_properties"]
                if any(held.get(name) not in values for name, values in rules[fake.hostname].items()):
                    continue
                names.add(f"{fake.hostname}/{org}/{repo['name']}")
    return names


def configured_orgs(config: dict[str, Any]) -> set[str]:
    return {org for source in config["github"]["sources"] for org in source["orgs"]}


def test_first_sync_lists_every_page_of_every_org_on_both_hosts(
    sim: Simulator, syncer: Syncer, github_only: dict[str, Any]
) -> None:
    run = syncer(github_only, "sync")
    assert run.code == 0, run.err
    assert stored_names(sim) == expected(sim)
    for fake in (sim.github, sim.ghes):
        for org, repos in fake.orgs.items():
            pages = math.ceil(len(repos) / 100)
            assert fake.count("GET", rf"/orgs/{org}/repos$") == pages
    assert sim.datadog.count("PUT") == 1
    assert sim.datadog.count("GET") == 2  # the read, and the re-read right before the PUT (SPEC §6, §8)
    official_model(sim.datadog.put_bodies[0])


def test_second_run_sends_no_put(sim: Simulator, syncer: Syncer, github_only: dict[str, Any]) -> None:
    assert syncer(github_only, "sync").code == 0
    second = syncer(github_only, "sync", "--output", "json")
    assert second.code == 0
    assert sim.datadog.count("PUT") == 1
    report = second.json()["integrations"][0]
    assert report["counts"]["added"] == 0
    assert report["applied"] is False


def test_dry_run_and_plan_write_nothing(sim: Simulator, syncer: Syncer, github_only: dict[str, Any]) -> None:
    dry = syncer(github_only, "sync", "--dry-run")
    plan = syncer(github_only, "plan")
    assert (dry.code, plan.code) == (0, 0)
    assert sim.datadog.count("PUT") == 0
    some = sorted(expected(sim))[0]
    assert f"+ {some}" in dry.out
    assert dry.out == plan.out
    assert "dry run, nothing written" in plan.out


def test_every_filter_and_extra(sim: Simulator, syncer: Syncer, github_only: dict[str, Any]) -> None:
    sim.github.add_repo("acme", "pay-api", topics=["service"], visibility="private", private=True)
    sim.github.add_repo("acme", "pay-old", topics=["service", "deprecated"])
    sim.github.add_repo("acme", "pay-fork", topics=["service"], fork=True)
    sim.github.add_repo("acme", "pay-archived", topics=["service"], archived=True)
    sim.github.add_repo("acme", "pay-public", topics=["service"], visibility="public", private=False)
    sim.github.add_repo("acme", "tmp-pay-1", topics=["service"])
    sim.github.add_repo("acme-labs", "pay-lab", topics=["service"])
    source = github_only["github"]["sources"][0]
    source.update(
        include=["pay-*", "re:^tmp-pay-[0-9]+$"],
        exclude=["acme-labs/*", "re:^tmp-.*"],
        forks=False,
        archived=True,
        visibility=["private", "internal"],
        topics={"include": ["service"], "exclude": ["deprecated"]},
    )
    github_only["github"]["sources"] = [source]
    github_only["github"]["extra"] = [{"hostname": "github.com", "github_org_name": "acme", "repo_name": "legacy"}]
    run = syncer(github_only, "sync")
    assert run.code == 0, run.err
    names = stored_names(sim)
    assert "github.com/acme/pay-api" in names
    assert "github.com/acme/legacy" in names
    for dropped in ("pay-old", "pay-fork", "pay-public", "tmp-pay-1"):
        assert f"github.com/acme/{dropped}" not in names
    assert "github.com/acme-labs/pay-lab" not in names


def test_archived_repo_included_only_when_asked(sim: Simulator, syncer: Syncer, github_only: dict[str, Any]) -> None:
    sim.github.add_repo("acme", "attic", archived=True)
    assert syncer(github_only, "sync").code == 0
    assert "github.com/acme/attic" not in stored_names(sim)
    for source in github_only["github"]["sources"]:
        source["archived"] = True
    github_only["defaults"]["max_deletions"] = 0
    assert syncer(github_only, "sync").code == 0
    assert "github.com/acme/attic" in stored_names(sim)
    assert stored_names(sim) == expected(sim, archived=True)


def test_output_json_report(sim: Simulator, syncer: Syncer, github_only: dict[str, Any]) -> None:
    run = syncer(github_only, "sync", "--output", "json")
    report = run.json()
    assert report["exit_code"] == 0
    github = report["integrations"][0]
    assert github["integration"] == "github"
    assert github["status"] == "success"
    assert github["applied"] is True
    assert github["counts"]["added"] == len(expected(sim)) == len(github["added"])
    assert github["removed"] == []
    assert {s["scope"] for s in github["sources"]} == {
        "github.com/acme",
        "github.com/acme-labs",
        "ghe.acme.internal/platform",
    }


def test_source_failing_for_good_keeps_its_entries(sim: Simulator, syncer: Syncer, github_only: dict[str, Any]) -> None:
    assert syncer(github_only, "sync").code == 0
    before = stored_names(sim)
    sim.github.add_repo("acme", "brand-new")
    sim.github.faults.add(Fault(method="GET", path=r"^/orgs/acme-labs/repos$", status=500, times=None))
    run = syncer(github_only, "sync", "--output", "json")
    assert run.code == 1
    report = run.json()["integrations"][0]
    assert report["status"] == "failure"
    assert any("github.com/acme-labs" in e and "500" in e for e in report["errors"])
    after = stored_names(sim)
    assert {n for n in before if "/acme-labs/" in n} <= after
    assert "github.com/acme/brand-new" in after
    assert sim.github.count("GET", r"^/orgs/acme-labs/repos$") <= 4 * 3


def test_source_failing_with_abort_writes_nothing(sim: Simulator, syncer: Syncer, github_only: dict[str, Any]) -> None:
    github_only["github"]["on_source_error"] = "abort"
    sim.ghes.faults.add(Fault(method="GET", path=r"/repos$", status=401, times=None))
    run = syncer(github_only, "sync")
    assert run.code == 1
    assert sim.datadog.count("PUT") == 0
    assert "ghe.acme.internal/platform" in run.out
    assert "401" in run.out


def test_one_429_from_github_and_from_datadog_then_success(
    sim: Simulator, syncer: Syncer, github_only: dict[str, Any]
) -> None:
    sim.github.faults.add(Fault.rate_limited("github-secondary", path=r"^/orgs/acme/repos$", status=429))
    sim.datadog.faults.add(Fault.rate_limited("datadog", method="PUT", path=r"entity_integrations"))
    run = syncer(github_only, "sync")
    assert run.code == 0, run.out + run.err
    assert stored_names(sim) == expected(sim)
    assert sim.datadog.count("PUT") == 2
    assert sim.github.requests[0].status == 429 or any(r.status == 429 for r in sim.github.requests)


def test_deletion_guard_and_its_override(sim: Simulator, syncer: Syncer, github_only: dict[str, Any]) -> None:
    assert syncer(github_only, "sync").code == 0
    doomed = sorted(sim.github.orgs["acme"], key=lambda r: r["name"])[:30]
    sim.github.orgs["acme"] = [r for r in sim.github.orgs["acme"] if r not in doomed]
    github_only["defaults"]["max_deletions"] = 5
    refused = syncer(github_only, "sync")
    assert refused.code == 3
    assert sim.datadog.count("PUT") == 1
    assert "refusing to remove" in refused.out
    allowed = syncer(github_only, "sync", "--allow-deletions", "40")
    assert allowed.code == 0
    assert sim.datadog.count("PUT") == 2


def test_empty_result_over_a_non_empty_list_is_refused(
    sim: Simulator, syncer: Syncer, github_only: dict[str, Any]
) -> None:
    assert syncer(github_only, "sync").code == 0
    for source in github_only["github"]["sources"]:
        source["include"] = ["nothing-matches-this"]
    github_only["defaults"]["max_deletions"] = "100%"
    run = syncer(github_only, "sync")
    assert run.code == 3
    assert "refusing to empty" in run.out
    assert sim.datadog.count("PUT") == 1


def test_upsert_only_never_removes(sim: Simulator, syncer: Syncer, github_only: dict[str, Any]) -> None:
    assert syncer(github_only, "sync").code == 0
    sim.github.orgs["acme"] = sim.github.orgs["acme"][:10]
    sim.github.add_repo("acme", "fresh-one")
    github_only["defaults"]["policy"] = "upsert-only"
    run = syncer(github_only, "sync", "--output", "json")
    assert run.code == 0
    report = run.json()["integrations"][0]
    assert report["counts"]["removed"] == 0
    assert report["counts"]["added"] == 1
    assert "github.com/acme/fresh-one" in stored_names(sim)


def test_unmanaged_fields_and_keys_survive(sim: Simulator, syncer: Syncer, github_only: dict[str, Any]) -> None:
    repo = sim.github.orgs["acme"][0]
    sim.datadog.seed(
        "github",
        {
            "enabled_repos": [
                {"hostname": "github.com", "github_org_name": "ACME", "repo_name": repo["name"].upper(), "team": "x"}
            ],
            "auto_sync": True,
        },
    )
    assert syncer(github_only, "sync").code == 0
    stored = sim.datadog.store["github"]
    assert stored["auto_sync"] is True
    entry = next(e for e in stored["enabled_repos"] if e["repo_name"].lower() == repo["name"].lower())
    assert entry == {"hostname": "github.com", "github_org_name": "acme", "repo_name": repo["name"], "team": "x"}


def test_datadog_400_detail_is_shown(sim: Simulator, syncer: Syncer, github_only: dict[str, Any]) -> None:
    body = {"errors": [{"status": "400", "title": "Bad Request", "detail": "config is too large for this org"}]}
    sim.datadog.faults.add(Fault(method="PUT", path="entity_integrations", status=400, body=body))
    run = syncer(github_only, "sync")
    assert run.code == 1
    assert "config is too large for this org" in run.out
    assert sim.datadog.count("PUT") == 1, sim.datadog.requests


def test_wrong_datadog_keys_fail_without_a_retry_storm(
    sim: Simulator, syncer: Syncer, github_only: dict[str, Any], monkeypatch: Any
) -> None:
    monkeypatch.setenv("SIM_DD_API_KEY", "wrong-key-value")
    run = syncer(github_only, "sync")
    assert run.code == 1
    assert sim.datadog.count() == 1
    assert "403" in run.out
    assert "wrong-key-value" not in run.out + run.err


def test_shape_not_understood_fails_without_overwriting(
    sim: Simulator, syncer: Syncer, github_only: dict[str, Any]
) -> None:
    sim.datadog.seed("github", {"enabled_repos": [{"hostname": "github.com", "repo": "legacy"}]})
    run = syncer(github_only, "sync")
    assert run.code == 1
    assert "github_org_name" in run.out
    assert sim.datadog.count("PUT") == 0


def test_only_selects_integrations(sim: Simulator, syncer: Syncer) -> None:
    run = syncer(sim.config_dict(), "sync", "--only", "pagerduty", "--output", "json")
    assert run.code == 0
    assert [r["integration"] for r in run.json()["integrations"]] == ["pagerduty"]
    assert sim.github.count() == 0, sim.github.requests
    assert set(sim.datadog.store) == {"pagerduty"}
    official_model(sim.datadog.put_bodies[0])


def test_every_put_body_parses_with_the_official_models(sim: Simulator, syncer: Syncer) -> None:
    assert syncer(sim.config_dict(), "sync").code == 0
    assert len(sim.datadog.put_bodies) == 3
    for body in sim.datadog.put_bodies:
        official_model(body)
