"""Build the sources of one integration from the configuration."""

from __future__ import annotations

import time
from collections.abc import Sequence

from syncer import tls
from syncer.config.schema import Config, GithubSection, JiraSection, PagerDutySection
from syncer.deadline import Deadline
from syncer.filters import NameFilter
from syncer.model import Entry, Integration, Scope, orgs_on
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
    targeted: Sequence[Scope] = (),
) -> list[Source]:
    """One Source per configured `sources` entry of the integration, bounded by the run's deadline.

    `cache` (the state store, in memory or `state.path`) keeps the ETags of GitHub list pages: with it a page
    that did not change is answered 304 and costs no rate-limit point. None: every page is asked in full.
    `targeted` (the scopes of a targeted run): a GitHub source lists only their orgs on its host (an app without
    `orgs` those of them it is installed on), and a source owning none of them is left out.
    """
    tls.use(config.http)  # every client these sources make trusts http.ca_bundle's CAs too
    section = config.section(integration)
    concurrency = config.effective(integration).concurrency
    if isinstance(section, GithubSection):
        built: list[Source] = []
        for s in section.sources:
            orgs = orgs_on(s.hostname, targeted) if targeted else None
            if orgs is None or orgs:
                built.append(GithubRepos(s, concurrency, policy, sleep, deadline=deadline, cache=cache, only_orgs=orgs))
        return built
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
