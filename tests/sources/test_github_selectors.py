"""GitHub selectors over real HTTP: custom properties, languages, pushed_within, alone and with the 0.1 filters.

The expected entries are computed from the fake's own records, not by syncer.filters. On github.com (and GHES from
3.18) the org listing carries `custom_properties`, so no selector costs a request; GHES 3.13 to 3.17 need
`GET /orgs/{org}/properties/values`, and GHES before 3.13 answers it 404.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from syncer.config.schema import GithubSource
from syncer.filters import PropertyRule, RepoTraits
from syncer.model import GithubRepo
from syncer.simulator.faults import Fault
from syncer.simulator.github.fake import FakeGitHub
from syncer.sources.base import Inspectable
from syncer.sources.github import GithubRepos, repo_filter
from syncer.state.store import StateStore

from .conftest import FAST, Sleeps

NOW = datetime(2026, 12, 1, tzinfo=UTC)
Record = dict[str, Any]


def source(fake: FakeGitHub, orgs: list[str], **selectors: object) -> GithubSource:
    fields = {"hostname": fake.hostname, "api_url": fake.url, "token": fake.token, "orgs": orgs, **selectors}
    return GithubSource.model_validate(fields)


def listed(fake: FakeGitHub, orgs: list[str], sleeps: Sleeps, **selectors: object) -> set[str]:
    """The full names one discover() keeps (every org must list)."""
    found = GithubRepos(source(fake, orgs, **selectors), 4, FAST, sleeps, clock=lambda: NOW).discover()
    assert all(d.ok for d in found), [d.error for d in found]
    return {f"{e.github_org_name}/{e.repo_name}" for d in found for e in d.entries if isinstance(e, GithubRepo)}


def expected(fake: FakeGitHub, orgs: list[str], keep: Callable[[Record], bool]) -> set[str]:
    """The full names of the fake's live (not archived) repos that `keep` takes."""
    return {f"{org}/{r['name']}" for org in orgs for r in fake.orgs[org] if not r["archived"] and keep(r)}


def holds(record: Record, name: str, *values: str) -> bool:
    held = record.get("custom_properties", {}).get(name)
    found = held if isinstance(held, list) else [held]
    return any(v in values for v in found)


def pushed_since(record: Record, days: int) -> bool:
    pushed = datetime.fromisoformat(record["pushed_at"])
    return (NOW - pushed).total_seconds() <= days * 86400


def test_a_source_without_selectors_compiles_a_filter_taking_everything() -> None:
    rules = repo_filter(GithubSource.model_validate({"token": "t", "orgs": ["acme"]}), NOW)
    assert (rules.properties, rules.languages, rules.pushed_after, rules.needs_properties) == (
        (),
        frozenset(),
        None,
        False,
    )


def test_the_selectors_compile_into_the_filter() -> None:
    configured = GithubSource.model_validate(
        {"token": "t", "orgs": ["acme"], "languages": ["Python", "go"], "pushed_within": "365d",
         "custom_properties": {"team": ["payments", "core"], "tier": ["tier-1"]}}
    )  # fmt: skip
    rules = repo_filter(configured, datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    assert rules.properties == (PropertyRule("team", ("payments", "core")), PropertyRule("tier", ("tier-1",)))
    assert rules.needs_properties
    assert rules.languages == frozenset({"python", "go"})
    assert rules.pushed_after == datetime(2025, 12, 1, 12, 0, tzinfo=UTC)
    assert rules.pushed_within == "365d"


def test_pushed_within_counts_back_from_the_current_time_by_default() -> None:
    before = datetime.now(UTC)
    since = repo_filter(GithubSource.model_validate({"token": "t", "orgs": ["a"], "pushed_within": "2h"})).pushed_after
    assert since is not None
    assert before.timestamp() - 7201 <= since.timestamp() <= datetime.now(UTC).timestamp() - 7199


SELECTORS: list[Any] = [
    pytest.param({"custom_properties": {"team": ["payments"]}}, lambda r: holds(r, "team", "payments"), id="team"),
    pytest.param(
        {"custom_properties": {"team": ["payments", "identity"], "tier": ["tier-1"]}},
        lambda r: holds(r, "team", "payments", "identity") and holds(r, "tier", "tier-1"),
        id="two-properties",
    ),
    pytest.param(
        {"custom_properties": {"compliance": ["sox"]}}, lambda r: holds(r, "compliance", "sox"), id="multi-select"
    ),
    pytest.param({"custom_properties": {"team": ["Payments"]}}, lambda r: False, id="values-case-sensitive"),
    pytest.param(
        {"languages": ["python", "GO"]}, lambda r: (r["language"] or "").lower() in ("python", "go"), id="languages"
    ),
    pytest.param({"pushed_within": "700d"}, lambda r: pushed_since(r, 700), id="pushed-within"),
    pytest.param(
        {
            "custom_properties": {"tier": ["tier-1", "tier-2"]},
            "languages": ["TypeScript", "Go"],
            "exclude": ["*-docs"],
            "visibility": ["private", "internal"],
            "forks": False,
        },
        lambda r: (
            holds(r, "tier", "tier-1", "tier-2")
            and r["language"] in ("TypeScript", "Go")
            and not r["name"].endswith("-docs")
            and r["visibility"] != "public"
            and not r["fork"]
        ),
        id="combined-with-the-0.1-filters",
    ),
]


@pytest.mark.parametrize(("selectors", "keep"), SELECTORS)
def test_each_selector_keeps_exactly_the_expected_repos_on_github_com(
    github_api: FakeGitHub, sleeps: Sleeps, selectors: dict[str, object], keep: Callable[[Record], bool]
) -> None:
    orgs = ["acme", "acme-labs"]
    wanted = expected(github_api, orgs, keep)
    assert listed(github_api, orgs, sleeps, **selectors) == wanted
    assert len(wanted) < len(expected(github_api, orgs, lambda r: True)), "the selector must drop something"
    pages = sum(math.ceil(len(github_api.orgs[org]) / 100) for org in orgs)
    assert github_api.count("GET") == pages, "the org listing carries every trait: no request beyond its pages"
    assert github_api.count("GET", "/properties/") == 0


@pytest.mark.parametrize(("selectors", "keep"), SELECTORS)
def test_each_selector_on_ghes_3_17_reads_the_property_values_only_when_it_needs_them(
    ghes_api: FakeGitHub, sleeps: Sleeps, selectors: dict[str, object], keep: Callable[[Record], bool]
) -> None:
    ghes_api.version = (3, 17)
    assert listed(ghes_api, ["platform"], sleeps, **selectors) == expected(ghes_api, ["platform"], keep)
    pages = math.ceil(len(ghes_api.orgs["platform"]) / 100)
    wanted = pages if "custom_properties" in selectors else 0
    assert ghes_api.count("GET", r"^/orgs/platform/properties/values$") == wanted
    assert ghes_api.count("GET", r"^/orgs/platform/repos$") + ghes_api.count("GET", r"/organizations/") == pages
    assert ghes_api.count("GET") == pages + wanted


def test_ghes_3_19_lists_the_properties_itself(ghes_api: FakeGitHub, sleeps: Sleeps) -> None:
    keep = expected(ghes_api, ["platform"], lambda r: holds(r, "team", "platform", "data"))
    assert listed(ghes_api, ["platform"], sleeps, custom_properties={"team": ["platform", "data"]}) == keep
    assert ghes_api.count("GET", "/properties/") == 0


def test_many_pages_of_property_values_are_all_read(ghes_api: FakeGitHub, sleeps: Sleeps) -> None:
    ghes_api.version = (3, 14)
    for n in range(130):  # 250 repos: three pages of values
        ghes_api.add_repo("platform", f"extra-{n:03d}", custom_properties={"team": "core" if n % 2 else "data"})
    keep = expected(ghes_api, ["platform"], lambda r: holds(r, "team", "core"))
    assert listed(ghes_api, ["platform"], sleeps, custom_properties={"team": ["core"]}) == keep
    assert ghes_api.count("GET", r"^/orgs/platform/properties/values$") == 3


def test_a_ghes_without_custom_properties_fails_the_org_naming_the_feature_and_its_version(
    ghes_api: FakeGitHub, sleeps: Sleeps
) -> None:
    ghes_api.version = (3, 12)
    rules = source(ghes_api, ["platform"], custom_properties={"team": ["core"]})
    [found] = GithubRepos(rules, 4, FAST, sleeps).discover()
    assert not found.ok
    assert found.entries == ()
    assert found.error == (
        "ghe.acme.internal/platform: GET /orgs/platform/properties/values page 1 answered 404: Not Found: this GitHub "
        "Enterprise Server has no custom properties (they came with GHES 3.13); upgrade it, or remove "
        "custom_properties from this source"
    )
    assert ghes_api.count("GET", r"/properties/values$") == 1, "a 404 is not retried"


def test_without_a_property_filter_an_old_ghes_is_listed_as_before(ghes_api: FakeGitHub, sleeps: Sleeps) -> None:
    ghes_api.version = (3, 12)
    assert listed(ghes_api, ["platform"], sleeps, languages=["go"]) == expected(
        ghes_api, ["platform"], lambda r: r["language"] == "Go"
    )
    assert ghes_api.count("GET", "/properties/") == 0


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        pytest.param(
            Fault(path=r"/properties/values$", status=500, times=None),
            "GET /orgs/platform/properties/values page 1 answered 500",
            id="a-server-error-after-the-retries",
        ),
        pytest.param(
            Fault(path=r"/properties/values$", query=r"\bpage=2\b", status=403, body={"message": "Forbidden"}),
            "page 2 answered 403: Forbidden: the credentials cannot read the org's custom properties",
            id="a-later-page-refused",
        ),
        pytest.param(
            Fault(path=r"/properties/values$", query=r"\bpage=2\b", body=[{"repository_full_name": 3}]),
            "page 2: repository 0 is malformed (repository_full_name is a number, expected a string)",
            id="a-malformed-page",
        ),
        pytest.param(
            Fault(path=r"/properties/values$", query=r"\bpage=1\b", malformed=True),
            "page 1: the answer is not valid JSON",
            id="a-truncated-page",
        ),
        pytest.param(
            Fault(path=r"/properties/values$", query=r"\bpage=2\b", body=[]),
            "page 2 is empty or repeats earlier pages; the listing is not whole",
            id="an-empty-page-in-the-middle",
        ),
    ],
)
def test_a_failed_read_of_the_values_fails_the_org_rather_than_shortening_it(
    ghes_api: FakeGitHub, sleeps: Sleeps, fault: Fault, error: str
) -> None:
    ghes_api.version = (3, 16)
    ghes_api.faults.add(fault)
    [found] = GithubRepos(
        source(ghes_api, ["platform"], custom_properties={"tier": ["tier-1"]}), 4, FAST, sleeps
    ).discover()
    assert not found.ok, "a failed read of the values is never a short list"
    assert found.entries == ()
    assert error in (found.error or "")


def test_inspect_gives_every_listed_repo_with_its_properties_and_the_verdicts_agree(
    ghes_api: FakeGitHub, sleeps: Sleeps
) -> None:
    ghes_api.version = (3, 17)
    repos = GithubRepos(source(ghes_api, ["platform"], custom_properties={"team": ["core"]}), 4, FAST, sleeps)
    checked: Inspectable[RepoTraits] = repos
    [inspection] = checked.inspect()
    assert inspection.discovery.ok
    records = {r["name"]: r for r in ghes_api.orgs["platform"]}
    assert {r.name for r in inspection.listed} == set(records)
    for repo in inspection.listed:
        held = records[repo.name]["custom_properties"]
        assert repo.custom_properties == {k: tuple(v) if isinstance(v, list) else (v,) for k, v in held.items()}
    kept = {repos.entry_of(r) for r in inspection.listed if all(v.passed for v in repos.verdicts(r))}
    assert kept == set(inspection.discovery.entries)
    assert inspection.discovery.seen == len(records)


def test_a_repo_without_any_value_in_the_values_listing_has_no_property(ghes_api: FakeGitHub, sleeps: Sleeps) -> None:
    ghes_api.version = (3, 17)
    ghes_api.add_repo("platform", "unclassified", custom_properties={})
    [inspection] = GithubRepos(
        source(ghes_api, ["platform"], custom_properties={"tier": ["tier-3"]}), 4, FAST, sleeps
    ).inspect()
    [repo] = [r for r in inspection.listed if r.name == "unclassified"]
    assert repo.custom_properties == {}
    assert GithubRepo(ghes_api.hostname, "platform", "unclassified") not in inspection.discovery.entries


def test_a_missed_repo_is_confirmed_with_its_properties(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    kept = next(r for r in github_api.orgs["acme-labs"] if not r["archived"] and holds(r, "tier", "tier-1"))
    dropped = next(r for r in github_api.orgs["acme-labs"] if not r["archived"] and holds(r, "tier", "tier-3"))
    github_api.paging.hidden = {kept["name"], dropped["name"]}
    repos = GithubRepos(source(github_api, ["acme-labs"], custom_properties={"tier": ["tier-1"]}), 4, FAST, sleeps)
    assert all(d.ok for d in repos.discover())
    entries = [GithubRepo("github.com", "acme-labs", r["name"]) for r in (kept, dropped)]
    assert repos.confirm(entries) == (entries[0],), "the look-up judges the repo by its properties too"


def test_pushed_within_counts_from_the_clock_of_each_listing(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    moments = iter([NOW, NOW, datetime(2040, 1, 1, tzinfo=UTC)])
    repos = GithubRepos(
        source(github_api, ["acme-labs"], pushed_within="700d"), 4, FAST, sleeps, clock=lambda: next(moments)
    )
    first = repos.discover()
    assert first[0].entries, "some acme-labs repos were pushed within 700 days of NOW"
    assert repos.discover()[0].entries == (), "nothing was pushed within 700 days of 2040"


def test_a_warm_cache_keeps_the_traits_the_selectors_read(
    tmp_path: Path, github_api: FakeGitHub, sleeps: Sleeps
) -> None:
    selectors = {"custom_properties": {"tier": ["tier-1"]}, "languages": ["go", "python"], "pushed_within": "700d"}
    wanted = expected(
        github_api,
        ["acme"],
        lambda r: holds(r, "tier", "tier-1") and r["language"] in ("Go", "Python") and pushed_since(r, 700),
    )
    path = tmp_path / "state.db"
    for run in range(2):
        cache = StateStore(str(path))  # a restart between the runs: the second reads the pages from the blobs
        [found] = GithubRepos(
            source(github_api, ["acme"], **selectors), 4, FAST, sleeps, cache=cache, clock=lambda: NOW
        ).discover()
        cache.close()
        assert found.ok, found.error
        assert {f"acme/{e.repo_name}" for e in found.entries if isinstance(e, GithubRepo)} == wanted, f"run {run + 1}"
    assert github_api.listings.not_modified == 3, "the second run's pages were all answered 304"
    assert github_api.count("GET", "/properties/") == 0


def test_a_github_app_reads_the_values_with_its_installation_token(ghes_api: FakeGitHub, sleeps: Sleeps) -> None:
    ghes_api.version = (3, 15)
    app = {"app_id": ghes_api.app_id, "private_key": ghes_api.app_private_key}
    configured = GithubSource.model_validate(
        {"hostname": ghes_api.hostname, "api_url": ghes_api.url, "app": app, "custom_properties": {"team": ["data"]}}
    )
    [found] = GithubRepos(configured, 4, FAST, sleeps).discover()
    assert found.ok, found.error
    assert {e.repo_name for e in found.entries if isinstance(e, GithubRepo)} == {
        r["name"] for r in ghes_api.orgs["platform"] if not r["archived"] and holds(r, "team", "data")
    }
    assert ghes_api.count("GET", r"^/orgs/platform/properties/values$") == 2
