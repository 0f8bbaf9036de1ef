"""The verdicts of each filter: every rule in the order it applies, each evaluated, naming what decided."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from syncer.filters import (
    NameFilter,
    ProjectFilter,
    ProjectTraits,
    PropertyRule,
    RepoFilter,
    RepoTraits,
    Verdict,
)

NOW = datetime(2026, 12, 1, tzinfo=UTC)
CUTOFF = datetime(2025, 12, 1, tzinfo=UTC)
REPO_RULES = (
    "include",
    "exclude",
    "archived",
    "forks",
    "visibility",
    "topics.include",
    "topics.exclude",
    "custom_properties.team",
    "custom_properties.tier",
    "languages",
    "pushed_within",
)


def repo(**overrides: object) -> RepoTraits:
    values: dict[str, object] = {
        "name": "svc-payments",
        "full_name": "acme/svc-payments",
        "archived": False,
        "fork": False,
        "visibility": "private",
        "topics": ("Service", "pci"),
        "language": "Go",
        "pushed_at": datetime(2026, 11, 2, 8, 30, tzinfo=UTC),
        "custom_properties": {"team": ("payments",), "tier": ("tier-1",)},
    }
    values.update(overrides)
    return RepoTraits(**values)  # type: ignore[arg-type]


def selective(**overrides: object) -> RepoFilter:
    values: dict[str, object] = {
        "names": NameFilter.of(["api-*", "svc-*"], ["*-old", "acme/legacy-*"]),
        "visibility": frozenset({"private", "internal"}),
        "topics_include": frozenset({"service"}),
        "topics_exclude": frozenset({"deprecated"}),
        "properties": (PropertyRule("team", ("payments", "core")), PropertyRule("tier", ("tier-1",))),
        "languages": frozenset({"go", "python"}),
        "pushed_after": CUTOFF,
        "pushed_within": "365d",
    }
    values.update(overrides)
    return RepoFilter(**values)  # type: ignore[arg-type]


def by_rule(verdicts: tuple[Verdict, ...]) -> dict[str, Verdict]:
    return {v.rule: v for v in verdicts}


def test_a_kept_repo_has_every_rule_passed_in_order_each_saying_why() -> None:
    verdicts = selective().verdicts(repo())
    assert tuple(v.rule for v in verdicts) == REPO_RULES
    assert all(v.passed for v in verdicts)
    assert [v.detail for v in verdicts] == [
        'matches include pattern "svc-*"',
        'matches no exclude pattern ("*-old", "acme/legacy-*")',
        "not archived",
        "not a fork",
        "private, one of visibility [internal, private]",
        'has topic "service" of topics.include',
        'has none of topics.exclude ("deprecated")',
        'team is "payments", one of ["payments", "core"]',
        'tier is "tier-1", one of ["tier-1"]',
        "primary language Go, one of languages [go, python]",
        "last pushed 2026-11-02T08:30:00Z, within pushed_within 365d (since 2025-12-01T00:00:00Z)",
    ]


def test_every_rule_is_evaluated_so_each_failure_is_named() -> None:
    dropped = repo(
        name="web-old",
        full_name="acme/web-old",
        archived=True,
        fork=True,
        visibility="public",
        topics=("deprecated",),
        language="Ruby",
        pushed_at=datetime(2020, 5, 1, tzinfo=UTC),
        custom_properties={"team": ("growth",)},
    )
    verdicts = by_rule(selective(forks=False).verdicts(dropped))
    assert [v.passed for v in verdicts.values()] == [False] * len(REPO_RULES)
    assert verdicts["include"].detail == 'matches no include pattern ("api-*", "svc-*")'
    assert verdicts["exclude"].detail == 'matches exclude pattern "*-old", and exclude wins'
    assert verdicts["archived"].detail == "archived, and archived: false drops archived repos"
    assert verdicts["forks"].detail == "a fork, and forks: false drops forks"
    assert verdicts["visibility"].detail == "public, not one of visibility [internal, private]"
    assert verdicts["topics.include"].detail == 'has none of topics.include ("service"); its topics: "deprecated"'
    assert verdicts["topics.exclude"].detail == 'has topic "deprecated" of topics.exclude'
    assert verdicts["custom_properties.team"].detail == 'team is "growth", not one of ["payments", "core"]'
    assert verdicts["custom_properties.tier"].detail == ('tier is not set (set: "team"); wanted one of ["tier-1"]')
    assert verdicts["languages"].detail == "primary language Ruby, not one of languages [go, python]"
    assert verdicts["pushed_within"].detail == (
        "last pushed 2020-05-01T00:00:00Z, before pushed_within 365d (since 2025-12-01T00:00:00Z)"
    )


def test_the_first_matching_pattern_in_configured_order_is_named() -> None:
    names = NameFilter.of(["*", "svc-*"], ["svc-*", "*-payments"])
    include, exclude = names.verdicts("svc-payments", "acme/svc-payments")
    assert include == Verdict("include", True, 'matches include pattern "*"')
    assert exclude == Verdict("exclude", False, 'matches exclude pattern "svc-*", and exclude wins')


def test_a_full_name_pattern_is_named_when_it_decides() -> None:
    include, exclude = NameFilter.of(["acme/*"], ["acme/legacy-*"]).verdicts("legacy-web", "acme/legacy-web")
    assert include.detail == 'matches include pattern "acme/*"'
    assert exclude.detail == 'matches exclude pattern "acme/legacy-*", and exclude wins'


def test_an_empty_include_keeps_nothing_and_says_so() -> None:
    include, exclude = NameFilter.of([], []).verdicts("api")
    assert include == Verdict("include", False, "include is empty: it keeps nothing")
    assert exclude == Verdict("exclude", True, "no exclude pattern")


def test_rules_left_at_their_defaults_pass_and_say_they_take_anything() -> None:
    verdicts = by_rule(RepoFilter(names=NameFilter.of()).verdicts(repo(archived=True)))
    assert verdicts["archived"] == Verdict("archived", False, "archived, and archived: false drops archived repos")
    assert verdicts["topics.include"].detail == "topics.include is empty: any topics"
    assert verdicts["topics.exclude"].detail == "topics.exclude is empty"
    assert verdicts["custom_properties"] == Verdict(
        "custom_properties", True, "custom_properties is empty: any properties"
    )
    assert verdicts["languages"].detail == "languages is empty: any language"
    assert verdicts["pushed_within"].detail == "pushed_within is not set: any push date"
    kept = by_rule(RepoFilter(names=NameFilter.of(), archived=True).verdicts(repo(archived=True, fork=True)))
    assert kept["archived"] == Verdict("archived", True, "archived, and archived: true keeps archived repos")
    assert kept["forks"] == Verdict("forks", True, "a fork, and forks: true keeps forks")


@pytest.mark.parametrize(
    ("traits", "rule", "detail"),
    [
        pytest.param(
            repo(custom_properties=None),
            "custom_properties.team",
            "the repo's custom properties are not known",
            id="properties-not-known",
        ),
        pytest.param(
            repo(custom_properties={"tier": ("tier-1",), "compliance": ()}),
            "custom_properties.team",
            'team is not set (set: "compliance", "tier"); wanted one of ["payments", "core"]',
            id="property-not-set",
        ),
        pytest.param(
            repo(custom_properties={"team": ()}),
            "custom_properties.team",
            'team is empty, not one of ["payments", "core"]',
            id="property-empty-multi-select",
        ),
        pytest.param(
            repo(custom_properties={"team": ("data", "core")}),
            "custom_properties.team",
            'team is "core", one of ["payments", "core"]',
            id="multi-select-names-the-value-that-matched",
        ),
        pytest.param(
            repo(language=None),
            "languages",
            "no primary language known, and languages asks for one of [go, python]",
            id="no-language",
        ),
        pytest.param(
            repo(pushed_at=None),
            "pushed_within",
            "never pushed (or not known), and pushed_within 365d (since 2025-12-01T00:00:00Z) asks for a push",
            id="never-pushed",
        ),
        pytest.param(
            repo(topics=()),
            "topics.include",
            'has none of topics.include ("service"); its topics: none',
            id="no-topics",
        ),
    ],
)
def test_what_a_repo_lacks_is_named(traits: RepoTraits, rule: str, detail: str) -> None:
    verdict = by_rule(selective().verdicts(traits))[rule]
    assert verdict == Verdict(rule, verdict.passed, detail)
    assert verdict.passed is detail.startswith('team is "core"')


def test_a_long_list_of_set_properties_is_cut() -> None:
    held = {f"p{n:02d}": ("x",) for n in range(12)}
    detail = by_rule(selective().verdicts(repo(custom_properties=held)))["custom_properties.team"].detail
    assert detail.startswith('team is not set (set: "p00", "p01", ')
    assert '"p09" and 2 more); wanted' in detail


def test_project_verdicts_in_order() -> None:
    rules = ProjectFilter(
        names=NameFilter.of(["OPS", "PAY*"], ["*-OLD"]),
        project_types=frozenset({"software", "service_desk"}),
        categories=frozenset({"engineering"}),
    )
    kept = rules.verdicts(ProjectTraits("PAYMENTS", "software", False, category="Engineering"))
    assert [(v.rule, v.passed, v.detail) for v in kept] == [
        ("include", True, 'matches include pattern "PAY*"'),
        ("exclude", True, 'matches no exclude pattern ("*-OLD")'),
        ("deleted", True, "not in the trash"),
        ("archived", True, "not archived"),
        ("project_types", True, "software, one of project_types [service_desk, software]"),
        ("categories", True, 'category "Engineering", one of categories [engineering]'),
    ]
    dropped = by_rule(rules.verdicts(ProjectTraits("HR-OLD", None, True, deleted=True, category="People")))
    assert [v.passed for v in dropped.values()] == [False] * 6
    assert dropped["deleted"].detail == "in the trash: a deleted project is never kept"
    assert dropped["archived"].detail == "archived, and archived: false drops archived projects"
    assert dropped["project_types"].detail == "no type, not one of project_types [service_desk, software]"
    assert dropped["categories"].detail == 'category "People", not one of categories [engineering]'
    uncategorised = by_rule(rules.verdicts(ProjectTraits("OPS", "software", False)))["categories"]
    assert uncategorised == Verdict("categories", False, "no category, and categories asks for one of [engineering]")


def test_project_rules_at_their_defaults() -> None:
    verdicts = by_rule(ProjectFilter(names=NameFilter.of(), archived=True).verdicts(ProjectTraits("A", "x", True)))
    assert verdicts["archived"].detail == "archived, and archived: true keeps archived projects"
    assert verdicts["project_types"].detail == "project_types is empty: every type"
    assert verdicts["categories"].detail == "categories is empty: any category"
    assert [v.passed for v in verdicts.values()] == [True] * 6


def test_a_project_without_a_type_fails_project_types_whatever_they_are() -> None:
    rules = ProjectFilter(names=NameFilter.of(), project_types=frozenset({"", "xxxx"}))
    assert not rules.matches(ProjectTraits("OPS", None, False))
    assert by_rule(rules.verdicts(ProjectTraits("OPS", None, False)))["project_types"].passed is False
    assert rules.matches(ProjectTraits("OPS", "XXXX", False))


def test_every_verdict_is_a_plain_boolean() -> None:
    for verdict in (*selective().verdicts(repo()), *selective().verdicts(repo(name="x", topics=(), archived=True))):
        assert type(verdict.passed) is bool, verdict


def test_a_full_name_pattern_decides_the_repo_verdicts() -> None:
    rules = RepoFilter(names=NameFilter.of(["acme/*"], ["labs/*"]))
    include, exclude = rules.verdicts(repo(name="web", full_name="acme/web"))[:2]
    assert include == Verdict("include", True, 'matches include pattern "acme/*"')
    assert exclude.passed is True
    assert rules.verdicts(repo(name="web", full_name="labs/web"))[1].passed is False


def test_only_the_first_matching_topic_is_named() -> None:
    rules = selective(topics_include=frozenset({"pci", "service"}), topics_exclude=frozenset({"pci", "service"}))
    verdicts = by_rule(rules.verdicts(repo(topics=("service", "pci"))))
    assert verdicts["topics.include"].detail == 'has topic "pci" of topics.include'
    assert verdicts["topics.exclude"] == Verdict("topics.exclude", False, 'has topic "pci" of topics.exclude')


def test_a_push_at_the_cutoff_is_within_the_window() -> None:
    verdict = by_rule(selective().verdicts(repo(pushed_at=CUTOFF)))["pushed_within"]
    assert verdict == Verdict(
        "pushed_within",
        True,
        "last pushed 2025-12-01T00:00:00Z, within pushed_within 365d (since 2025-12-01T00:00:00Z)",
    )
    old = by_rule(selective(pushed_within=None).verdicts(repo(pushed_at=datetime(2025, 11, 30, tzinfo=UTC))))
    assert old["pushed_within"] == Verdict(
        "pushed_within", False, "last pushed 2025-11-30T00:00:00Z, before the window (since 2025-12-01T00:00:00Z)"
    )


def test_instants_are_shown_in_utc_whatever_the_local_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/Lima")
    time.tzset()
    try:
        lima = timezone(timedelta(hours=-5))
        verdict = by_rule(selective().verdicts(repo(pushed_at=datetime(2026, 3, 1, 19, 0, tzinfo=lima))))
    finally:
        monkeypatch.undo()
        time.tzset()
    assert verdict["pushed_within"].detail.startswith("last pushed 2026-03-02T00:00:00Z, within")


def test_ten_set_properties_are_all_named() -> None:
    held = {f"p{n}": ("x",) for n in range(10)}
    detail = by_rule(selective().verdicts(repo(custom_properties=held)))["custom_properties.team"].detail
    assert '"p9"); wanted' in detail
    assert "more" not in detail


def test_every_wanted_category_is_named() -> None:
    rules = ProjectFilter(names=NameFilter.of(), categories=frozenset({"operations", "engineering"}))
    [verdict] = [
        v for v in rules.verdicts(ProjectTraits("OPS", "software", False, category="Data")) if v.rule == "categories"
    ]
    assert verdict == Verdict("categories", False, 'category "Data", not one of categories [engineering, operations]')
