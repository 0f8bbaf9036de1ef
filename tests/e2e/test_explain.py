"""`syncer explain ENTRY` end to end over real HTTP against the simulator: the deciding rule of included and excluded
repos, projects and accounts, extra, a failed source's keep, Datadog's list, the JSON keys, bad ENTRY forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from syncer.simulator import Fault, Simulator
from tests.e2e.conftest import Run, total_requests

Syncer = Callable[..., Run]

REPO_RULES = [
    "include", "exclude", "archived", "forks", "visibility", "topics.include", "topics.exclude",
    "custom_properties.team", "languages", "pushed_within",
]  # fmt: skip
SELECTIVE = {
    "include": ["svc-*", "acme/legacy-*"],
    "exclude": ["*-old"],
    "archived": False,
    "forks": False,
    "visibility": ["private", "internal"],
    "topics": {"include": ["service"], "exclude": ["deprecated"]},
    "custom_properties": {"team": ["payments", "core"]},
    "languages": ["python", "go"],
    "pushed_within": "365d",
}
# A repo every rule of SELECTIVE keeps (pushed now, by the fake's default); each case below breaks exactly one rule.
PASSING: dict[str, Any] = {
    "visibility": "private",
    "topics": ["service"],
    "language": "Go",
    "custom_properties": {"team": "payments", "tier": "tier-1"},
}
REPO_CASES = [
    ("svc-kept", {}, None),
    ("web-frontend", {}, "include"),
    ("svc-pay-old", {}, "exclude"),
    ("svc-archived", {"archived": True}, "archived"),
    ("svc-fork", {"fork": True}, "forks"),
    ("svc-public", {"visibility": "public"}, "visibility"),
    ("svc-untagged", {"topics": ["library"]}, "topics.include"),
    ("svc-deprecated", {"topics": ["service", "deprecated"]}, "topics.exclude"),
    ("svc-growth", {"custom_properties": {"team": "growth", "tier": "tier-1"}}, "custom_properties.team"),
    ("svc-ruby", {"language": "Ruby"}, "languages"),
    ("svc-stale", {"pushed_at": "2019-01-01T00:00:00Z"}, "pushed_within"),
]
JIRA_RULES = {"exclude": ["ZTMP*"], "project_types": ["software"], "categories": ["Engineering"]}
PROJECT_CASES = [
    ("ZKEEP", {}, None, "listing"),
    ("ZTMPX", {}, "exclude", "listing"),
    ("ZDESK", {"projectTypeKey": "service_desk"}, "project_types", "listing"),
    ("ZBIZ", {"category": "Business"}, "categories", "listing"),
    ("ZNONE", {"category": None}, "categories", "listing"),
    ("ZARCH", {"status": "archived"}, "archived", "look-up"),  # archived: false lists live projects only
]
JSON_KEYS = {
    "entry", "integration", "scope", "sources", "listed", "found_by", "listed_as", "verdicts", "decided_by",
    "looked_up", "extra", "source_failed", "source_errors", "kept_by_failure", "datadog", "desired",
    "desired_entry", "action", "conclusion", "errors", "exit_code",
}  # fmt: skip


def github_config(sim: Simulator, **rules: Any) -> dict[str, Any]:
    config = sim.config_dict()
    config.pop("jira")
    config.pop("pagerduty")
    config["github"]["sources"][0].update(rules)
    return config


def jira_config(sim: Simulator) -> dict[str, Any]:
    config = sim.config_dict()
    config.pop("github")
    config.pop("pagerduty")
    config["jira"]["sources"][0].update(JIRA_RULES)
    return config


def repo_entry(org: str, name: str) -> dict[str, str]:
    return {"hostname": "github.com", "github_org_name": org, "repo_name": name}


@pytest.mark.parametrize(("name", "traits", "rule"), REPO_CASES, ids=[c[0] for c in REPO_CASES])
def test_explain_names_the_rule_that_decided_a_repo(
    sim: Simulator, syncer: Syncer, name: str, traits: dict[str, Any], rule: str | None
) -> None:
    sim.github.add_repo("acme", name, **{**PASSING, **traits})
    run = syncer(github_config(sim, **SELECTIVE), "explain", f"github.com/acme/{name}", "--output", "json")
    assert run.code == 0, run.err
    found = run.json()
    assert found["listed"] is True and found["found_by"] == "listing"
    assert [v["rule"] for v in found["verdicts"]] == REPO_RULES  # every rule, in the order they apply
    assert [v["rule"] for v in found["verdicts"] if not v["passed"]] == ([rule] if rule else [])
    if rule is None:
        assert found["decided_by"] is None
        assert (found["desired"], found["action"]) == (True, "add")
    else:
        assert found["decided_by"]["rule"] == rule
        assert found["decided_by"]["detail"] == next(v["detail"] for v in found["verdicts"] if v["rule"] == rule)
        assert (found["desired"], found["action"]) == (False, "nothing")
    text = syncer(github_config(sim, **SELECTIVE), "explain", f"github.com/acme/{name}")
    assert text.code == 0
    assert f"decided by    {rule}: " in text.out if rule else "decided by    kept by every rule" in text.out
    assert sim.datadog.count("PUT") == 0


def test_the_first_rule_that_drops_a_repo_decides(sim: Simulator, syncer: Syncer) -> None:
    sim.github.add_repo("acme", "svc-many", **{**PASSING, "archived": True, "fork": True, "language": "Ruby"})
    run = syncer(github_config(sim, **SELECTIVE), "explain", "github.com/acme/svc-many", "--output", "json")
    found = run.json()
    assert [v["rule"] for v in found["verdicts"] if not v["passed"]] == ["archived", "forks", "languages"]
    assert found["decided_by"]["rule"] == "archived"


def test_explain_and_the_plan_name_the_same_rule_when_a_pattern_and_a_trait_both_drop(
    sim: Simulator, syncer: Syncer
) -> None:
    sim.github.add_repo("acme", "svc-gone-old", **{**PASSING, "archived": True})  # exclude "*-old" drops it too
    run = syncer(github_config(sim, **SELECTIVE), "explain", "github.com/acme/svc-gone-old", "--output", "json")
    found = run.json()
    assert [v["rule"] for v in found["verdicts"] if not v["passed"]] == ["exclude", "archived"]
    assert found["decided_by"]["rule"] == "archived"  # the plan counts it as archived, not as excluded by pattern
    plan = syncer(github_config(sim, **SELECTIVE), "plan", "--only", "github", "--output", "json")
    (acme,) = [s for s in plan.json()["integrations"][0]["sources"] if s["scope"] == "github.com/acme"]
    assert acme["dropped"]["archived"] >= 1


def test_explain_lists_only_the_entrys_org(sim: Simulator, syncer: Syncer) -> None:
    run = syncer(sim.config_dict(), "explain", "github.com/acme-labs/social-lib", "--output", "json")
    assert run.code == 0, run.err
    assert [s["scope"] for s in run.json()["sources"]] == ["github.com/acme-labs"]
    assert sim.github.count("GET", r"/orgs/acme-labs/repos$") == 1
    assert sim.github.count("GET", r"/orgs/acme/repos$") == 0
    assert (sim.ghes.count(), sim.jira.count(), sim.jira_dc.count(), sim.pagerduty.count()) == (0, 0, 0, 0)
    assert sim.datadog.count("GET", "entity_integrations/github") == 1
    assert sim.datadog.count("PUT") == 0


def test_explain_through_a_github_app_without_orgs(sim: Simulator, syncer: Syncer) -> None:
    config = github_config(sim)
    app = {"app_id": sim.github.app_id, "private_key": sim.github.app_private_key}
    config["github"]["sources"][0] = {"hostname": "github.com", "api_url": sim.github.url, "app": app}
    run = syncer(config, "explain", "github.com/acme/video-lib", "--output", "json")
    assert run.code == 0, run.err
    assert [s["scope"] for s in run.json()["sources"]] == ["github.com/acme"]
    assert run.json()["listed"] is True
    assert sim.github.count("GET", r"/orgs/acme-labs/") == 0
    elsewhere = syncer(config, "explain", "github.com/not-installed/x", "--output", "json")
    assert elsewhere.code == 0, elsewhere.err  # not installed: neither listed nor failed, as in a full run
    assert (elsewhere.json()["sources"], elsewhere.json()["action"]) == ([], "nothing")


def test_explain_a_ghes_repo_dropped_by_a_custom_property(sim: Simulator, syncer: Syncer) -> None:
    config = github_config(sim)
    config["github"]["sources"][1]["custom_properties"] = {"tier": ["tier-1", "tier-2"]}
    sim.ghes.add_repo("platform", "tier3-service", custom_properties={"tier": "tier-3"})
    run = syncer(config, "explain", "ghe.acme.internal/platform/tier3-service", "--output", "json")
    assert run.code == 0, run.err
    assert run.json()["decided_by"]["rule"] == "custom_properties.tier"
    assert 'tier is "tier-3"' in run.json()["decided_by"]["detail"]
    assert sim.github.count() == 0


@pytest.mark.parametrize(("key", "fields", "rule", "via"), PROJECT_CASES, ids=[c[0] for c in PROJECT_CASES])
def test_explain_names_the_rule_that_decided_a_project(
    sim: Simulator, syncer: Syncer, key: str, fields: dict[str, Any], rule: str | None, via: str
) -> None:
    sim.jira.add_project(key, f"{key} project", **{"category": "Engineering", **fields})
    run = syncer(jira_config(sim), "explain", f"jira:acme.atlassian.net/{key}", "--output", "json")
    assert run.code == 0, run.err
    found = run.json()
    assert found["found_by"] == via
    assert found["listed"] is (via == "listing")
    assert [v["rule"] for v in found["verdicts"] if not v["passed"]] == ([rule] if rule else [])
    assert (found["decided_by"] or {}).get("rule") == rule
    assert found["desired"] is (rule is None)
    assert found["desired_entry"] == (
        {"hostname": "acme.atlassian.net", "account_id": "123456789", "project_key": key} if rule is None else None
    )
    assert sim.jira_dc.count() == 0


def test_a_project_jira_does_not_have(sim: Simulator, syncer: Syncer) -> None:
    found = syncer(jira_config(sim), "explain", "jira:acme.atlassian.net/ZGONE", "--output", "json").json()
    assert (found["listed"], found["found_by"], found["looked_up"], found["verdicts"]) == (False, None, False, [])
    assert sim.jira.count("GET", r"/rest/api/2/project/ZGONE$") == 2  # the sync's look-up, and the traits'


def test_explain_an_account_excluded_by_the_pagerduty_patterns(sim: Simulator, syncer: Syncer) -> None:
    config = sim.config_dict()
    config["pagerduty"]["exclude"] = ["*-eu"]
    dropped = syncer(config, "explain", "pagerduty:acme-eu", "--output", "json").json()
    assert dropped["decided_by"] == {"rule": "exclude", "detail": 'matches exclude pattern "*-eu", and exclude wins'}
    kept = syncer(config, "explain", "pagerduty:acme", "--output", "json").json()
    assert (kept["decided_by"], kept["desired"], kept["action"]) == (None, True, "add")


def test_explain_an_extra_entry(sim: Simulator, syncer: Syncer) -> None:
    config = github_config(sim)
    config["github"]["extra"] = [repo_entry("acme", "legacy-monolith"), repo_entry("elsewhere", "vendored")]
    listed_org = syncer(config, "explain", "github.com/acme/legacy-monolith", "--output", "json").json()
    assert (listed_org["listed"], listed_org["extra"], listed_org["desired"]) == (False, True, True)
    assert listed_org["action"] == "add"
    other = syncer(config, "explain", "github.com/elsewhere/vendored", "--output", "json")
    assert other.code == 0, other.err
    assert (other.json()["scope"], other.json()["sources"], other.json()["extra"]) == (None, [], True)
    assert "the integration's extra holds it" in syncer(config, "explain", "github.com/elsewhere/vendored").out


def test_explain_what_datadog_holds(sim: Simulator, syncer: Syncer) -> None:
    sim.github.add_repo("acme", "svc-kept", **PASSING)
    sim.github.add_repo("acme", "svc-ruby", **{**PASSING, "language": "Ruby"})
    sim.datadog.seed("github", {"enabled_repos": [repo_entry("acme", "svc-kept"), repo_entry("acme", "svc-ruby"),
                                                  repo_entry("acme", "gone-repo")]})  # fmt: skip
    config = github_config(sim, **SELECTIVE)

    def explained(name: str) -> dict[str, Any]:
        run = syncer(config, "explain", f"github.com/acme/{name}", "--output", "json")
        assert run.code == 0, run.err
        found: dict[str, Any] = run.json()
        return found

    kept = explained("svc-kept")
    assert kept["datadog"] == {"read": True, "holds": True, "held": [repo_entry("acme", "svc-kept")], "error": None}
    assert kept["action"] == "keep"
    assert explained("svc-ruby")["action"] == "remove"
    gone = explained("gone-repo")
    assert (gone["listed"], gone["looked_up"], gone["action"]) == (False, False, "remove")
    assert sim.github.count("GET", r"/repos/acme/gone-repo$") == 1  # the look-up a sync makes before removing it
    assert sim.datadog.count("PUT") == 0


def test_explain_a_jira_project_held_with_another_account_id(sim: Simulator, syncer: Syncer) -> None:
    sim.jira.add_project("ZKEEP", "Kept", category="Engineering")
    held = {"hostname": "acme.atlassian.net", "account_id": "111", "project_key": "ZKEEP"}
    sim.datadog.seed("jira", {"enabled_projects": [held]})
    found = syncer(jira_config(sim), "explain", "jira:acme.atlassian.net/ZKEEP", "--output", "json").json()
    assert found["action"] == "change"
    assert found["datadog"]["held"] == [held]


@pytest.mark.parametrize("on_source_error", ["keep", "abort"])
def test_a_failed_source_keeps_the_entry_datadog_holds(sim: Simulator, syncer: Syncer, on_source_error: str) -> None:
    sim.github.faults.add(Fault(path=r"/orgs/acme/repos$", status=500, times=None))
    sim.datadog.seed("github", {"enabled_repos": [repo_entry("acme", "video-lib")]})
    config = github_config(sim)
    config["defaults"]["on_source_error"] = on_source_error
    run = syncer(config, "explain", "github.com/acme/video-lib", "--output", "json")
    assert run.code == 1  # the scope's listing failed: what is known is still shown
    found = run.json()
    assert found["source_failed"] is True and "500" in found["source_errors"][0]
    assert found["sources"][0]["ok"] is False and found["listed"] is False
    assert found["datadog"]["holds"] is True
    if on_source_error == "keep":
        assert (found["kept_by_failure"], found["action"]) == (True, "keep")
    else:
        assert (found["kept_by_failure"], found["action"]) == (False, "nothing")
        assert "on_source_error is abort" in found["conclusion"]
    text = syncer(config, "explain", "github.com/acme/video-lib")
    assert text.code == 1 and "FAILED" in text.out and "Traceback" not in text.err
    not_held = syncer(config, "explain", "github.com/acme/audit-docs", "--output", "json").json()
    assert (not_held["kept_by_failure"], not_held["action"]) == (False, "nothing")


def test_a_failed_pagerduty_token_keeps_the_account_datadog_holds(sim: Simulator, syncer: Syncer) -> None:
    sim.pagerduty.faults.add(Fault(path=r"/users", status=500, times=None))
    sim.datadog.seed("pagerduty", {"accounts": [{"enabled": True, "subdomain": "acme"}]})
    run = syncer(sim.config_dict(), "explain", "pagerduty:acme", "--output", "json")
    assert run.code == 1
    found = run.json()
    assert (found["source_failed"], found["kept_by_failure"], found["action"]) == (True, True, "keep")
    assert [s["scope"] for s in found["sources"]] == ["pagerduty token #1", "pagerduty token #2"]


def test_datadog_failing_still_shows_the_verdicts(sim: Simulator, syncer: Syncer) -> None:
    sim.datadog.faults.add(Fault(method="GET", path="entity_integrations/github", status=500, times=None))
    run = syncer(github_config(sim), "explain", "github.com/acme/video-lib", "--output", "json")
    assert run.code == 1
    found = run.json()
    assert found["listed"] is True and found["verdicts"]
    assert found["datadog"]["read"] is False and found["datadog"]["holds"] is None
    assert "500" in found["datadog"]["error"]
    assert found["action"] == "unknown"


def test_the_json_keys_are_stable(sim: Simulator, syncer: Syncer) -> None:
    for entry in ("github.com/acme/video-lib", "jira:acme.atlassian.net/WEB", "pagerduty:acme", "github.com/acme/x"):
        run = syncer(sim.config_dict(), "explain", entry, "--output", "json")
        assert run.code == 0, run.err
        assert set(run.json()) == JSON_KEYS
        assert set(run.json()["datadog"]) == {"read", "holds", "held", "error"}
        assert run.json()["action"] in {"add", "keep", "change", "remove", "nothing", "unknown"}


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        ("billing-api", "ENTRY is github.com/ORG/REPO"),
        ("github.com/acme", "ENTRY is github.com/ORG/REPO"),
        ("jira:acme.atlassian.net", "jira:SITE/KEY"),
        ("pagerduty:acme.pagerduty.com", "the subdomain only"),
        ("gitlab:gitlab.com/acme/api", "unknown kind"),
        ("github.com/nobody/api", "configured: github.com/acme, github.com/acme-labs, ghe.acme.internal/platform"),
        ("jira:nowhere.atlassian.net/OPS", "configured sites: acme.atlassian.net, jira.acme.internal"),
    ],
)
def test_a_bad_entry_exits_2_naming_what_is_accepted(sim: Simulator, syncer: Syncer, entry: str, said: str) -> None:
    run = syncer(sim.config_dict(), "explain", entry)
    assert run.code == 2
    assert said in run.err
    assert "Traceback" not in run.err
    assert total_requests(sim) == 0  # nothing was contacted


def test_an_integration_not_configured_exits_2(sim: Simulator, syncer: Syncer) -> None:
    run = syncer(github_config(sim), "explain", "jira:acme.atlassian.net/WEB")
    assert run.code == 2 and "no jira section" in run.err
    assert total_requests(sim) == 0


def test_secrets_never_show(sim: Simulator, syncer: Syncer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIM_GITHUB_TOKEN", "sim-revoked-github-token")
    runs = [
        syncer(sim.config_dict(), "--log-level", "DEBUG", "explain", "github.com/acme/video-lib"),
        syncer(sim.config_dict(), "--log-level", "DEBUG", "explain", "github.com/acme/video-lib", "--output", "json"),
        syncer(sim.config_dict(), "--log-level", "DEBUG", "explain", "jira:acme.atlassian.net/WEB"),
    ]
    assert runs[0].code == 1  # the token is refused: the listing failed
    for run in runs:
        for secret in [*sim.env().values(), "sim-revoked-github-token"]:
            assert secret not in run.out + run.err
