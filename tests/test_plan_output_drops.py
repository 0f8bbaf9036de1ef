"""Drop reasons: the first failing rule of each filter, and the counts by reason a listing is sorted into."""

from __future__ import annotations

import pytest

from syncer.filters import NameFilter, ProjectFilter, ProjectTraits, PropertyRule, RepoFilter, RepoTraits, sort_out


def repo(name: str = "svc", **traits: object) -> RepoTraits:
    values: dict[str, object] = {
        "name": name,
        "full_name": f"acme/{name}",
        "archived": False,
        "fork": False,
        "visibility": "private",
        "topics": (),
        "custom_properties": {"team": ("core",)},
    }
    values.update(traits)
    return RepoTraits(**values)  # type: ignore[arg-type]


RULES = RepoFilter(
    names=NameFilter.of(["svc*"], ["*-old"]),
    forks=False,
    visibility=frozenset({"private"}),
    topics_include=frozenset({"service"}),
    topics_exclude=frozenset({"deprecated"}),
    properties=(PropertyRule("team", ("core",)),),
)


@pytest.mark.parametrize(
    ("item", "rule"),
    [
        pytest.param(repo(topics=("service",)), None, id="kept"),
        pytest.param(repo(archived=True, fork=True, name="x-old"), "archived", id="archived-before-anything"),
        pytest.param(repo(fork=True, name="x-old", topics=("service",)), "forks", id="forks-before-patterns"),
        pytest.param(repo(visibility="public", topics=("service",)), "visibility", id="visibility"),
        pytest.param(repo(), "topics.include", id="topics-include"),
        pytest.param(repo(topics=("service", "deprecated")), "topics.exclude", id="topics-exclude"),
        pytest.param(repo(topics=("service",), custom_properties={}), "custom_properties.team", id="property"),
        pytest.param(repo(name="svc-old", topics=("service",)), "exclude", id="exclude-wins"),
        pytest.param(repo(name="api", topics=("service",)), "include", id="no-include"),
    ],
)
def test_the_first_failing_rule_of_a_repo(item: RepoTraits, rule: str | None) -> None:
    assert RULES.first_failing_rule(item) == rule
    assert RULES.matches(item) is (rule is None)
    failed = [v.rule for v in RULES.verdicts(item) if not v.passed]
    assert rule is None or rule in failed


def test_a_listing_is_sorted_into_kept_items_and_counts_by_reason_most_first() -> None:
    listing = [
        repo("svc-a", topics=("service",)),
        repo("svc-b", archived=True),
        repo("svc-c", archived=True),
        repo("svc-d", archived=True),
        repo("svc-e", topics=("service", "deprecated")),
        repo("svc-f"),
        repo("svc-g", fork=True),
        repo("svc-old", topics=("service",)),
        repo("api", topics=("service",)),
    ]
    kept, dropped = sort_out(listing, RULES.first_failing_rule)
    assert [r.name for r in kept] == ["svc-a"]
    assert dropped == (("archived", 3), ("pattern", 2), ("topics", 2), ("forks", 1))


def test_jira_and_pagerduty_rules_fail_first_in_the_order_they_are_tried() -> None:
    rules = ProjectFilter(NameFilter.of(["*"], ["OLD*"]), project_types=frozenset({"software"}))
    projects = [
        ProjectTraits("OPS", "software", archived=False),
        ProjectTraits("OLD1", "business", archived=True, deleted=True),
        ProjectTraits("OLD2", "business", archived=True),
        ProjectTraits("OLD3", "business", archived=False),
        ProjectTraits("OLD4", "software", archived=False),
    ]
    kept, dropped = sort_out(projects, rules.first_failing_rule)
    assert [p.key for p in kept] == ["OPS"]
    assert dropped == (("archived", 1), ("deleted", 1), ("pattern", 1), ("project_types", 1))
    names = NameFilter.of(["acme*"], ["acme-eu"])
    assert sort_out(["acme", "acme-eu", "other"], names.first_failing_rule) == (["acme"], (("pattern", 2),))
