"""The lint of `syncer validate --online`: a rule of a source that matches nothing its listing held is a warning.

After the credential checks, each source whose check passed is listed once (`inspect()`: the requests of a
listing, no more) and every configured value of its rules is matched against every item listed, before any
filter:

    rule                         | matched against (as the filters compare)
    -----------------------------|-------------------------------------------------------------------
    include / exclude patterns   | repo names and full names, project keys, account subdomains
    topics.include / .exclude    | every listed repo's topics (case-insensitive)
    custom_properties.NAME value | every listed repo's values of NAME (exactly)
    languages                    | every listed repo's primary language (case-insensitive)
    project_types / categories   | every listed project's type and category name (case-insensitive)

Each warning names the source (`github.sources[0] (github.com)`, `jira.sources[1] (site)`, `pagerduty`) and the
rule. PagerDuty's include/exclude belong to the section: they are matched against every account listed. A source
whose listing failed is not linted (a warning says why). Warnings never change the exit code.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TypeVar

from syncer.config.schema import Config, GithubSource, JiraSource
from syncer.errors import SyncerError
from syncer.filters import Pattern, ProjectTraits, RepoTraits, compile_pattern
from syncer.model import Integration
from syncer.redact import redact
from syncer.sources.base import Inspection, Source
from syncer.sources.github import GithubRepos
from syncer.sources.jira import JiraProjects
from syncer.sources.pagerduty import PagerDutyAccounts

log = logging.getLogger("syncer")
T = TypeVar("T")


def warnings(config: Config, integration: Integration, passed: Sequence[tuple[int, Source]]) -> list[str]:
    """The lint warnings of an integration's sources whose credential check passed (`index` in its `sources`)."""
    section = config.section(integration)
    if section is None:
        return []
    found: list[str] = []
    subdomains: list[str] = []
    for index, source in passed:
        name = f"{integration}.sources[{index}]"
        try:
            if isinstance(source, GithubRepos) and config.github is not None:
                spec = config.github.sources[index]
                repos = _listed(source.inspect(), f"{name} ({spec.hostname})")
                found += _github(f"{name} ({spec.hostname})", spec, repos)
            elif isinstance(source, JiraProjects) and config.jira is not None:
                site = config.jira.sources[index]
                projects = _listed(source.inspect(), f"{name} ({site.hostname})")
                found += _jira(f"{name} ({site.hostname})", site, projects)
            elif isinstance(source, PagerDutyAccounts):
                subdomains += _listed(source.inspect(), name)
        except _NotLinted as exc:
            found.append(str(exc))
        except SyncerError as exc:
            found.append(redact(f"{name}: not linted: {exc}"))
    pd = config.pagerduty
    if integration is Integration.PAGERDUTY and pd is not None and passed and len(subdomains) == len(passed):
        # every account known: the section's patterns can be judged
        found += _patterns("pagerduty", pd.include, pd.exclude, [(s, None) for s in subdomains], "accounts")
    for line in found:
        log.warning("validate: %s", line, extra={"event": "lint", "integration": str(integration)})
    return found


class _NotLinted(Exception):
    """A listing failed: its source's rules cannot be judged (the message says which and why)."""


def _listed(inspections: Iterable[Inspection[T]], name: str) -> list[T]:
    """Every item of every scope listed; _NotLinted when a scope failed (a rule might match only there)."""
    items: list[T] = []
    for inspection in inspections:
        if inspection.discovery.error is not None:
            raise _NotLinted(redact(f"{name}: not linted, the listing failed: {inspection.discovery.error}"))
        items.extend(inspection.listed)
    return items


def _github(name: str, source: GithubSource, repos: list[RepoTraits]) -> list[str]:
    if not repos:
        return [f"{name}: listed no repos; none of its rules matches anything"]
    counted = f"the {len(repos)} repos listed"
    found = _patterns(name, source.include, source.exclude, [(r.name, r.full_name) for r in repos], "repos")
    topics = {t.lower() for r in repos for t in r.topics}
    for side, wanted in (("include", source.topics.include), ("exclude", source.topics.exclude)):
        found += [
            f'{name}: topics.{side} "{t}" is a topic of none of {counted}' for t in wanted if t.lower() not in topics
        ]
    for prop, values in source.custom_properties.items():
        held = {v for r in repos for v in (r.custom_properties or {}).get(prop, ())}
        if not held:
            found.append(f'{name}: custom_properties.{prop}: none of {counted} has the property "{prop}" set')
            continue
        found += [
            f'{name}: custom_properties.{prop} value "{v}" is held by none of {counted}'
            for v in values
            if v not in held
        ]
    languages = {r.language.casefold() for r in repos if r.language is not None}
    found += [
        f'{name}: languages "{language}" is the primary language of none of {counted}'
        for language in source.languages
        if language.casefold() not in languages
    ]
    return found


def _jira(name: str, source: JiraSource, projects: list[ProjectTraits]) -> list[str]:
    if not projects:
        return [f"{name}: listed no projects; none of its rules matches anything"]
    counted = f"the {len(projects)} projects listed"
    found = _patterns(name, source.include, source.exclude, [(p.key, None) for p in projects], "projects")
    types = {p.type_key.casefold() for p in projects if p.type_key is not None}
    found += [
        f'{name}: project_types "{t}" is the type of none of {counted}'
        for t in source.project_types
        if t.casefold() not in types
    ]
    categories = {p.category.casefold() for p in projects if p.category is not None}
    found += [
        f'{name}: categories "{c}" is the category of none of {counted}'
        for c in source.categories
        if c.casefold() not in categories
    ]
    return found


def _patterns(
    name: str, include: Sequence[str], exclude: Sequence[str], names: list[tuple[str, str | None]], what: str
) -> list[str]:
    """A warning per include or exclude pattern that matches none of `names` (short name, full name or None)."""
    found = []
    for side, texts in (("include", include), ("exclude", exclude)):
        for text in texts:
            pattern = _compiled(text)
            if pattern is not None and not any(pattern.matches(short, full) for short, full in names):
                found.append(f'{name}: {side} pattern "{text}" matches none of the {len(names)} {what} listed')
    return found


def _compiled(text: str) -> Pattern | None:
    try:
        return compile_pattern(text)
    except ValueError:  # the configuration refused it already; never here
        return None
