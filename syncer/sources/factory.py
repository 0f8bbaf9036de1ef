"""Build the sources of one integration from the configuration."""

from __future__ import annotations

import time

from syncer.config import Config, GithubSection
from syncer.model import Entry, Integration
from syncer.retry import RetryPolicy, Sleep
from syncer.sources.base import Source
from syncer.sources.github import GithubRepos


def sources(integration: Integration, config: Config, policy: RetryPolicy, sleep: Sleep = time.sleep) -> list[Source]:
    """One Source per configured `sources` entry of the integration."""
    section = config.section(integration)
    concurrency = config.effective(integration).concurrency
    if isinstance(section, GithubSection):
        return [GithubRepos(s, concurrency, policy, sleep) for s in section.sources]
    return []


def extra(integration: Integration, config: Config) -> list[Entry]:
    """The static `extra` entries of the integration."""
    section = config.section(integration)
    return [] if section is None else [item.entry() for item in section.extra]
