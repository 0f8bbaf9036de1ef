"""Build the sources of one integration from the configuration."""

from __future__ import annotations

import time

from syncer.config.schema import Config, GithubSection, JiraSection, PagerDutySection
from syncer.deadline import Deadline
from syncer.filters import NameFilter
from syncer.model import Entry, Integration
from syncer.retry import RetryPolicy, Sleep
from syncer.sources.base import Source
from syncer.sources.github import GithubRepos
from syncer.sources.github_cache import PageCache
from syncer.sources.jira import JiraProjects
from syncer.sources.pagerduty import PagerDutyAccounts


def sources(
    integration: Integration,
    config: Config,
    policy: RetryPolicy,
    sleep: Sleep = time.sleep,
    deadline: Deadline | None = None,
    cache: PageCache | None = None,
) -> list[Source]:
    """One Source per configured `sources` entry of the integration, bounded by the run's deadline.

    `cache` (the state store, in memory or `state.path`) keeps the ETags of GitHub list pages: with it a page
    that did not change is answered 304 and costs no rate-limit point. None: every page is asked in full.
    """
    section = config.section(integration)
    concurrency = config.effective(integration).concurrency
    if isinstance(section, GithubSection):
        return [GithubRepos(s, concurrency, policy, sleep, deadline=deadline, cache=cache) for s in section.sources]
    if isinstance(section, JiraSection):
        return [JiraProjects(s, policy, sleep, deadline=deadline) for s in section.sources]
    if isinstance(section, PagerDutySection):
        names = NameFilter.of(section.include, section.exclude)
        return [
            PagerDutyAccounts(s, index, names, policy, sleep, deadline=deadline)
            for index, s in enumerate(section.sources)
        ]
    return []


def extra(integration: Integration, config: Config) -> list[Entry]:
    """The static `extra` entries of the integration."""
    section = config.section(integration)
    return [] if section is None else [item.entry() for item in section.extra]
