"""The selectors of a GitHub source: its compiled filter, and the custom properties its repos must carry.

`pushed_within` counts back from the "now" the filter is built with (a listing builds it when it starts, so the
filter itself stays pure). A filter on custom properties needs every listed repo's properties: an org whose
listing lacks them has them read from `GET /orgs/{org}/properties/values` (github_properties) and merged in here;
a repo that read does not name has no property set.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, MutableMapping
from datetime import UTC, datetime, timedelta

from syncer.config.schedule import parse_duration
from syncer.config.schema import GithubSource
from syncer.filters import NameFilter, Properties, PropertyRule, RepoFilter, RepoTraits
from syncer.sources.github_pages import Page
from syncer.sources.github_traits import NO_PROPERTIES


def repo_filter(source: GithubSource, now: datetime | None = None) -> RepoFilter:
    """Every filter of a source, compiled; `pushed_within` counts back from `now` (default: the current time)."""
    window = source.pushed_within
    since = None if window is None else (now or datetime.now(UTC)) - timedelta(seconds=parse_duration(window))
    return RepoFilter(
        names=NameFilter.of(source.include, source.exclude),
        archived=source.archived,
        forks=source.forks,
        visibility=frozenset(source.visibility),
        topics_include=frozenset(t.lower() for t in source.topics.include),
        topics_exclude=frozenset(t.lower() for t in source.topics.exclude),
        properties=tuple(PropertyRule(name, tuple(values)) for name, values in source.custom_properties.items()),
        languages=frozenset(language.casefold() for language in source.languages),
        pushed_after=since,
        pushed_within=window,
    )


def lacks(rules: RepoFilter, pages: Iterable[Page]) -> bool:
    """True when the filters need custom properties and a listed repo came without them."""
    return rules.needs_properties and any(repo.custom_properties is None for page in pages for repo in page.repos)


def with_values(repos: MutableMapping[str, RepoTraits], values: Mapping[str, Properties]) -> None:
    """Give each repo (by casefolded full name) that came without custom properties the ones read for it."""
    for key, repo in repos.items():
        if repo.custom_properties is None:
            repos[key] = dataclasses.replace(repo, custom_properties=values.get(key, NO_PROPERTIES))
