"""Properties of the pure core that must hold for any input: nothing owned by a failed source is ever removed, and
every filter keeps exactly what its verdicts (and the README) say."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from syncer import desired, guards, plan
from syncer.filters import NameFilter, ProjectFilter, ProjectTraits, PropertyRule, RepoFilter, RepoTraits
from syncer.model import Discovery, GithubRepo, Integration, Scope, sort_key

ORGS = ("acme", "labs", "ops")
names = st.sampled_from(["api", "API", "web", "Web", "db", "cli", "docs", "infra", "sdk", "Sdk"])
repos = st.builds(GithubRepo, st.just("github.com"), st.sampled_from(ORGS), names)
repo_lists = st.lists(repos, max_size=25)


@st.composite
def discoveries(draw: st.DrawFn) -> list[Discovery]:
    """One discovery per org: healthy with some repos of that org, or failed."""
    out = []
    for org in ORGS:
        scope = Scope(f"github.com/{org}", ("github.com", org))
        if draw(st.booleans()):
            entries = [r for r in draw(repo_lists) if r.github_org_name == org]
            out.append(Discovery(scope, entries=tuple(entries)))
        else:
            out.append(Discovery(scope, error="failed"))
    return out


@settings(max_examples=300, deadline=None)
@given(current=repo_lists, found=discoveries(), extra=repo_lists, upsert=st.booleans())
def test_failed_scopes_lose_nothing_and_a_second_plan_is_empty(
    current: list[GithubRepo], found: list[Discovery], extra: list[GithubRepo], upsert: bool
) -> None:
    wanted = desired.build(found, extra)
    keep = guards.keeper(found, upsert_only=upsert)
    result = plan.compute(Integration.GITHUB, current, wanted, keep)
    failed = [d.scope for d in found if not d.ok]
    for entry in result.removed:
        assert not any(scope.covers(entry) for scope in failed), "an entry of a failed source was removed"
        assert not upsert, "upsert-only removed an entry"
    rewritten = [i for i in result.origin if i is not None]
    assert len(rewritten) == len(set(rewritten)), "a stored item written twice"
    assert len(current) == len(rewritten) + len(result.removed), "a stored item neither written back nor removed"
    new_keys = [e.key() for e, i in zip(result.to_write, result.origin, strict=True) if i is None]
    assert len(new_keys) == len(set(new_keys)), "a new entry written twice"
    assert list(result.to_write) == sorted(result.to_write, key=sort_key)
    again = plan.compute(Integration.GITHUB, result.to_write, wanted, keep)
    assert not again.has_changes, "writing the result and planning again must change nothing"


@settings(max_examples=300, deadline=None)
@given(current=repo_lists, found=discoveries(), extra=repo_lists)
def test_every_desired_and_extra_entry_is_in_the_result(
    current: list[GithubRepo], found: list[Discovery], extra: list[GithubRepo]
) -> None:
    wanted = desired.build(found, extra)
    result = plan.compute(Integration.GITHUB, current, wanted, guards.keeper(found, upsert_only=False))
    written = {e.key() for e in result.to_write}
    assert {e.key() for e in wanted} <= written
    assert {e.key() for e in extra} <= written


# -- the selectors: each filter's verdicts agree with matches(), and with the rules as the README states them ----

TEXTS = ["api", "API", "svc-pay", "Svc-Pay", "web-old", "docs"]
PATTERNS = ["*", "svc-*", "re:^api$", "acme/*", "labs/web-*", "*-old", "re:.*PAY.*", "d?cs"]
TOPICS = ["service", "Service", "pci", "deprecated", "Deprecated"]
LANGUAGES = ["Python", "python", "Go", "GO", "Rust"]
VALUES = ["payments", "Payments", "core", "tier-1"]
INSTANTS = [datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)]
name_filters = st.builds(
    NameFilter.of, st.lists(st.sampled_from(PATTERNS), max_size=3), st.lists(st.sampled_from(PATTERNS), max_size=2)
)
properties = st.dictionaries(
    st.sampled_from(["team", "tier", "Team"]), st.lists(st.sampled_from(VALUES), max_size=2).map(tuple), max_size=3
)


@st.composite
def repo_traits(draw: st.DrawFn) -> RepoTraits:
    """A repo with any mix of traits, the new ones sometimes not known."""
    name = draw(st.sampled_from(TEXTS))
    return RepoTraits(
        name=name,
        full_name=f"{draw(st.sampled_from(ORGS))}/{name}",
        archived=draw(st.booleans()),
        fork=draw(st.booleans()),
        visibility=draw(st.sampled_from(["public", "private", "internal", "Private"])),
        topics=tuple(draw(st.lists(st.sampled_from(TOPICS), max_size=3))),
        language=draw(st.none() | st.sampled_from(LANGUAGES)),
        pushed_at=draw(st.none() | st.sampled_from(INSTANTS)),
        custom_properties=draw(st.none() | properties),
    )


@st.composite
def repo_filters(draw: st.DrawFn) -> RepoFilter:
    """A source's filters with any mix of the selectors configured."""
    rules = draw(st.dictionaries(st.sampled_from(["team", "tier"]), st.lists(st.sampled_from(VALUES), min_size=1)))
    since = draw(st.none() | st.sampled_from(INSTANTS))
    return RepoFilter(
        names=draw(name_filters),
        archived=draw(st.booleans()),
        forks=draw(st.booleans()),
        visibility=frozenset(draw(st.sets(st.sampled_from(["public", "private", "internal"]), min_size=1))),
        topics_include=frozenset(t.lower() for t in draw(st.sets(st.sampled_from(TOPICS), max_size=2))),
        topics_exclude=frozenset(t.lower() for t in draw(st.sets(st.sampled_from(TOPICS), max_size=1))),
        properties=tuple(PropertyRule(name, tuple(values)) for name, values in rules.items()),
        languages=frozenset(lang.casefold() for lang in draw(st.sets(st.sampled_from(LANGUAGES), max_size=2))),
        pushed_after=since,
        pushed_within=None if since is None else "30d",
    )


def kept_by_the_readme(rules: RepoFilter, repo: RepoTraits) -> bool:
    """The README's rules, written out independently of syncer.filters."""
    topics = {t.casefold() for t in repo.topics}
    names_ok = any(p.matches(repo.name, repo.full_name) for p in rules.names.include) and not any(
        p.matches(repo.name, repo.full_name) for p in rules.names.exclude
    )
    held = repo.custom_properties
    properties_ok = not rules.properties or (
        held is not None and all(set(held.get(r.name, ())) & set(r.values) for r in rules.properties)
    )
    language_ok = not rules.languages or (repo.language or "").casefold() in rules.languages
    pushed_ok = rules.pushed_after is None or (repo.pushed_at is not None and repo.pushed_at >= rules.pushed_after)
    return (
        names_ok
        and (rules.archived or not repo.archived)
        and (rules.forks or not repo.fork)
        and repo.visibility.casefold() in rules.visibility
        and (not rules.topics_include or bool(topics & rules.topics_include))
        and not topics & rules.topics_exclude
        and properties_ok
        and language_ok
        and pushed_ok
    )


@settings(max_examples=500, deadline=None)
@given(rules=repo_filters(), repo=repo_traits())
def test_a_repo_is_kept_when_every_verdict_passes_as_the_readme_says(rules: RepoFilter, repo: RepoTraits) -> None:
    verdicts = rules.verdicts(repo)
    assert rules.matches(repo) == all(v.passed for v in verdicts)
    assert rules.matches(repo) == kept_by_the_readme(rules, repo)
    named = [f"custom_properties.{r.name}" for r in rules.properties] or ["custom_properties"]
    assert [v.rule for v in verdicts] == [
        "include", "exclude", "archived", "forks", "visibility", "topics.include", "topics.exclude",
        *named, "languages", "pushed_within",
    ]  # fmt: skip
    assert all(v.detail for v in verdicts)


@settings(max_examples=300, deadline=None)
@given(rules=repo_filters(), repo=repo_traits(), extra=repo_filters())
def test_a_selector_added_never_keeps_more(rules: RepoFilter, repo: RepoTraits, extra: RepoFilter) -> None:
    narrower = dataclasses.replace(
        rules,
        properties=rules.properties + extra.properties,
        languages=rules.languages or extra.languages,
        pushed_after=rules.pushed_after or extra.pushed_after,
    )
    assert not narrower.matches(repo) or rules.matches(repo)


@st.composite
def projects(draw: st.DrawFn) -> ProjectTraits:
    """A Jira project with any mix of traits."""
    return ProjectTraits(
        key=draw(st.sampled_from(["OPS", "ops", "PAY", "HR-OLD"])),
        type_key=draw(st.none() | st.sampled_from(["software", "Business", "service_desk"])),
        archived=draw(st.booleans()),
        deleted=draw(st.booleans()),
        category=draw(st.none() | st.sampled_from(["Engineering", "engineering", "Operations"])),
    )


@st.composite
def project_filters(draw: st.DrawFn) -> ProjectFilter:
    """A Jira source's filters."""
    types = draw(st.sets(st.sampled_from(["software", "business", "service_desk"]), max_size=2))
    return ProjectFilter(
        names=draw(name_filters),
        archived=draw(st.booleans()),
        project_types=frozenset(types),
        categories=frozenset(draw(st.sets(st.sampled_from(["engineering", "operations", "people"]), max_size=2))),
    )


@settings(max_examples=300, deadline=None)
@given(rules=project_filters(), project=projects())
def test_a_project_is_kept_when_every_verdict_passes(rules: ProjectFilter, project: ProjectTraits) -> None:
    verdicts = rules.verdicts(project)
    assert rules.matches(project) == all(v.passed for v in verdicts)
    expected = (
        rules.names.matches(project.key)
        and not project.deleted
        and (rules.archived or not project.archived)
        and (not rules.project_types or (project.type_key or "").casefold() in rules.project_types)
        and (not rules.categories or (project.category or "").casefold() in rules.categories)
    )
    assert rules.matches(project) == expected
    assert [v.rule for v in verdicts] == ["include", "exclude", "deleted", "archived", "project_types", "categories"]


@settings(max_examples=300, deadline=None)
@given(names=name_filters, name=st.sampled_from(TEXTS), org=st.none() | st.sampled_from(ORGS))
def test_names_are_kept_when_both_name_verdicts_pass(names: NameFilter, name: str, org: str | None) -> None:
    full_name = None if org is None else f"{org}/{name}"
    include, exclude = names.verdicts(name, full_name)
    assert names.matches(name, full_name) == (include.passed and exclude.passed)
    assert (include.rule, exclude.rule) == ("include", "exclude")
