"""Include/exclude patterns, the GitHub repo filters and the Jira project filters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from syncer.filters import (
    NameFilter,
    ProjectFilter,
    ProjectTraits,
    PropertyRule,
    RepoFilter,
    RepoTraits,
    compile_pattern,
)

PUSHED = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CUTOFF = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("include", "exclude", "name", "full_name", "kept"),
    [
        pytest.param(["*"], [], "api", "acme/api", True, id="star-keeps-all"),
        pytest.param(["api-*"], [], "api-gateway", "acme/api-gateway", True, id="glob-prefix"),
        pytest.param(["api-*"], [], "web", "acme/web", False, id="glob-miss"),
        pytest.param(["*"], ["*-archive"], "old-archive", "acme/old-archive", False, id="exclude-wins"),
        pytest.param(["re:^svc-[0-9]+$"], [], "svc-12", "acme/svc-12", True, id="regex-full-match"),
        pytest.param(["re:svc"], [], "my-svc-x", "acme/my-svc-x", False, id="regex-is-anchored"),
        pytest.param(["acme/*"], [], "x", "acme/x", True, id="org-slash-name"),
        pytest.param(["acme/*"], [], "x", "other/x", False, id="org-slash-name-other-org"),
        pytest.param(["*"], ["acme-labs/*"], "x", "acme-labs/x", False, id="exclude-a-whole-org"),
        pytest.param(["API"], [], "api", "acme/api", True, id="case-insensitive"),
        pytest.param(["re:^acme/.*-svc$"], [], "a-svc", "acme/a-svc", True, id="regex-with-slash-on-full-name"),
        pytest.param([], [], "api", "acme/api", False, id="empty-include-keeps-nothing"),
        pytest.param(["a?i"], [], "api", None, True, id="question-mark"),
        pytest.param(["acme/*"], [], "api", None, False, id="full-name-pattern-without-full-name"),
        pytest.param(["re:^API-[a-z]+$"], [], "api-Gateway", None, True, id="regex-case-insensitive"),
        pytest.param(["re:acme\\/.*"], [], "x", "acme/x", True, id="regex-escaped-slash-on-full-name"),
        pytest.param(["re:acme\\/.*"], [], "acme/x", None, False, id="regex-escaped-slash-not-on-short-name"),
    ],
)
def test_name_filter(include: list[str], exclude: list[str], name: str, full_name: str | None, kept: bool) -> None:
    assert NameFilter.of(include, exclude).matches(name, full_name) is kept


def test_invalid_regex_names_the_problem() -> None:
    with pytest.raises(ValueError, match="invalid regular expression"):
        compile_pattern("re:([")


def test_empty_pattern_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^empty pattern$"):
        compile_pattern("")


@pytest.mark.parametrize(
    ("include", "exclude", "message"),
    [
        pytest.param(["api", "re:(["], [], r"^\[1\] invalid regular expression '\(\['", id="include-index"),
        pytest.param(["*"], ["ok", "", "x"], r"^\[1\] empty pattern$", id="exclude-index"),
    ],
)
def test_a_bad_pattern_in_a_list_is_named_by_its_index(include: list[str], exclude: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        NameFilter.of(include, exclude)


@pytest.mark.parametrize("text", ["api-*", "re:^svc-[0-9]+$", "acme/*"])
def test_a_pattern_keeps_the_text_it_came_from(text: str) -> None:
    assert compile_pattern(text).text == text


def _repo(**overrides: object) -> RepoTraits:
    values: dict[str, object] = {
        "name": "api",
        "full_name": "acme/api",
        "archived": False,
        "fork": False,
        "visibility": "public",
        "topics": ("service",),
        "language": "Python",
        "pushed_at": PUSHED,
        "custom_properties": {"team": ("payments",), "compliance": ("pci", "sox")},
    }
    values.update(overrides)
    return RepoTraits(**values)  # type: ignore[arg-type]


def _team(*values: str) -> tuple[PropertyRule, ...]:
    return (PropertyRule("team", values),)


@pytest.mark.parametrize(
    ("filter_kwargs", "repo", "kept"),
    [
        pytest.param({}, _repo(), True, id="defaults-keep-plain-repo"),
        pytest.param({}, _repo(archived=True), False, id="archived-dropped-by-default"),
        pytest.param({"archived": True}, _repo(archived=True), True, id="archived-kept-when-asked"),
        pytest.param({"forks": False}, _repo(fork=True), False, id="forks-dropped-when-asked"),
        pytest.param({}, _repo(fork=True), True, id="forks-kept-by-default"),
        pytest.param({"visibility": frozenset({"public"})}, _repo(visibility="private"), False, id="visibility"),
        pytest.param({"visibility": frozenset({"internal"})}, _repo(visibility="INTERNAL"), True, id="vis-case"),
        pytest.param({"topics_include": frozenset({"library"})}, _repo(), False, id="topic-include-miss"),
        pytest.param({"topics_include": frozenset({"service"})}, _repo(), True, id="topic-include-hit"),
        pytest.param({"topics_exclude": frozenset({"service"})}, _repo(), False, id="topic-exclude"),
        pytest.param(
            {"topics_include": frozenset({"service"}), "topics_exclude": frozenset({"deprecated"})},
            _repo(topics=("service", "Deprecated")),
            False,
            id="topic-exclude-wins-case-insensitive",
        ),
        pytest.param({"properties": _team("payments")}, _repo(), True, id="property-holds-a-value"),
        pytest.param({"properties": _team("core", "payments")}, _repo(), True, id="property-one-of-several"),
        pytest.param({"properties": _team("core")}, _repo(), False, id="property-other-value"),
        pytest.param({"properties": _team("Payments")}, _repo(), False, id="property-values-are-case-sensitive"),
        pytest.param({"properties": (PropertyRule("Team", ("payments",)),)}, _repo(), False, id="property-name-exact"),
        pytest.param({"properties": _team("payments")}, _repo(custom_properties={}), False, id="property-unset"),
        pytest.param({"properties": _team("payments")}, _repo(custom_properties=None), False, id="property-unknown"),
        pytest.param({}, _repo(custom_properties=None), True, id="unknown-properties-unfiltered"),
        pytest.param(
            {"properties": (PropertyRule("compliance", ("sox",)),)}, _repo(), True, id="multi-select-any-value"
        ),
        pytest.param(
            {"properties": (PropertyRule("compliance", ("gdpr",)),)}, _repo(), False, id="multi-select-none-matches"
        ),
        pytest.param(
            {"properties": (*_team("payments"), PropertyRule("compliance", ("gdpr",)))},
            _repo(),
            False,
            id="every-named-property-must-hold",
        ),
        pytest.param({"languages": frozenset({"python"})}, _repo(), True, id="language-case-insensitive"),
        pytest.param({"languages": frozenset({"go", "rust"})}, _repo(), False, id="language-other"),
        pytest.param({"languages": frozenset({"python"})}, _repo(language=None), False, id="language-none"),
        pytest.param({}, _repo(language=None), True, id="no-languages-any"),
        pytest.param({"pushed_after": CUTOFF}, _repo(), True, id="pushed-within"),
        pytest.param({"pushed_after": PUSHED}, _repo(), True, id="pushed-at-the-cutoff-is-within"),
        pytest.param({"pushed_after": CUTOFF}, _repo(pushed_at=datetime(2025, 12, 31, tzinfo=UTC)), False, id="old"),
        pytest.param({"pushed_after": CUTOFF}, _repo(pushed_at=None), False, id="never-pushed"),
        pytest.param({}, _repo(pushed_at=None), True, id="no-window-any"),
    ],
)
def test_repo_filter(filter_kwargs: dict[str, object], repo: RepoTraits, kept: bool) -> None:
    repo_filter = RepoFilter(names=NameFilter.of(), **filter_kwargs)  # type: ignore[arg-type]
    assert repo_filter.matches(repo) is kept


@pytest.mark.parametrize(
    ("include", "exclude", "kept"),
    [
        pytest.param(["api"], [], True, id="short-name"),
        pytest.param(["acme/api"], [], True, id="full-name"),
        pytest.param(["acme/*"], [], True, id="whole-org"),
        pytest.param(["labs/*"], [], False, id="other-org"),
        pytest.param(["*"], ["acme/*"], False, id="org-excluded"),
        pytest.param(["*"], ["api"], False, id="name-excluded"),
    ],
)
def test_repo_filter_matches_names_on_the_short_and_the_full_name(
    include: list[str], exclude: list[str], kept: bool
) -> None:
    assert RepoFilter(names=NameFilter.of(include, exclude)).matches(_repo()) is kept


def _project(**overrides: object) -> ProjectTraits:
    values: dict[str, object] = {"key": "OPS", "type_key": "software", "archived": False, "category": "Engineering"}
    values.update(overrides)
    return ProjectTraits(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("filter_kwargs", "project", "kept"),
    [
        pytest.param({}, _project(), True, id="defaults-keep-a-live-project"),
        pytest.param({}, _project(deleted=True), False, id="trashed-never"),
        pytest.param({"archived": True}, _project(deleted=True), False, id="trashed-never-even-with-archived"),
        pytest.param({}, _project(archived=True), False, id="archived-dropped-by-default"),
        pytest.param({"archived": True}, _project(archived=True), True, id="archived-kept-when-asked"),
        pytest.param({"project_types": frozenset({"software"})}, _project(type_key="Software"), True, id="type-case"),
        pytest.param({"project_types": frozenset({"business"})}, _project(), False, id="type-other"),
        pytest.param({"project_types": frozenset({"business"})}, _project(type_key=None), False, id="type-none"),
        pytest.param({"categories": frozenset({"engineering"})}, _project(), True, id="category-case-insensitive"),
        pytest.param({"categories": frozenset({"operations"})}, _project(), False, id="category-other"),
        pytest.param({"categories": frozenset({"engineering"})}, _project(category=None), False, id="no-category"),
        pytest.param({}, _project(category=None), True, id="no-categories-any"),
        pytest.param({"names": NameFilter.of(["OPS"])}, _project(key="ops"), True, id="key-case-insensitive"),
        pytest.param({"names": NameFilter.of(["*"], ["O*"])}, _project(), False, id="key-excluded"),
    ],
)
def test_project_filter(filter_kwargs: dict[str, object], project: ProjectTraits, kept: bool) -> None:
    kwargs: dict[str, object] = {"names": NameFilter.of(), **filter_kwargs}
    assert ProjectFilter(**kwargs).matches(project) is kept  # type: ignore[arg-type]


def test_a_filter_needs_the_repos_properties_only_with_a_property_rule() -> None:
    assert RepoFilter(names=NameFilter.of()).needs_properties is False
    assert RepoFilter(names=NameFilter.of(), properties=_team("core")).needs_properties is True
