"""The scopes a webhook delivery names (SPEC §9), which configured source owns them, and a targeted run's config.

A GitHub delivery names a host and an org, a Jira delivery a site. A scope is owned when a configured source
lists it: a GitHub source of that host whose `orgs` hold the org (a GitHub App source without `orgs` owns every
org of its host), a Jira source of that site. `narrowed` is the configuration of a targeted run: the
integration's sources cut down to the owned scopes, so that only they are listed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlparse

from syncer.config.schema import Config, GithubSource, JiraSource
from syncer.model import Integration, Scope, orgs_on

GITHUB_COM = "github.com"


def github(config: Config, host: str, org: str) -> Scope | None:
    """The scope of `org` on the GitHub `host` when a configured source lists it, else None."""
    for source in config.github.sources if config.github else []:
        if not _serves(host, source.hostname, source.base_url):
            continue
        if not source.orgs:  # a GitHub App taking every org it is installed on
            return _org_scope(source, org)
        named = next((o for o in source.orgs if o.casefold() == org.casefold()), None)
        if named is not None:
            return _org_scope(source, named)
    return None


def jira(config: Config, host: str) -> Scope | None:
    """The scope of the Jira site at `host` (host[:port] of its URLs) when a configured source lists it, else None."""
    for source in config.jira.sources if config.jira else []:
        if _serves(host, source.hostname, source.base_url):
            return _site_scope(source)
    return None


def narrowed(config: Config, integration: Integration, scopes: Sequence[Scope]) -> Config:
    """`config` with the sources of `integration` cut down to the `scopes` (what a targeted run lists again)."""
    owned = {scope.owns for scope in scopes if scope.owns is not None}
    if integration is Integration.GITHUB and config.github is not None:
        github_sources = [
            source.model_copy(update={"orgs": orgs})
            for source in config.github.sources
            if (orgs := _orgs_of(source, scopes)) is None or orgs
        ]
        return config.model_copy(update={"github": config.github.model_copy(update={"sources": github_sources})})
    if integration is Integration.JIRA and config.jira is not None:
        jira_sources = [s for s in config.jira.sources if _site_scope(s).owns in owned]
        return config.model_copy(update={"jira": config.jira.model_copy(update={"sources": jira_sources})})
    return config


def _orgs_of(source: GithubSource, scopes: Sequence[Scope]) -> list[str] | None:
    """The configured orgs of `source` the scopes name ([]: none); None for an app without `orgs`, which keeps
    taking the orgs it is installed on (the factory's `targeted` narrows those to the scopes)."""
    wanted = orgs_on(source.hostname, scopes)
    if source.orgs:
        return [org for org in source.orgs if org.casefold() in wanted]
    return None if wanted else []


def _org_scope(source: GithubSource, org: str) -> Scope:
    return Scope(label=f"{source.hostname}/{org}", owns=(source.hostname.casefold(), org.casefold()))


def _site_scope(source: JiraSource) -> Scope:
    return Scope(label=source.hostname, owns=(source.hostname.casefold(),))


def _serves(host: str, hostname: str, base_url: str) -> bool:
    """True when `host` (from a delivery: a host, or host:port) names this source: its hostname, or its URL's."""
    wanted = host.strip().casefold().rstrip(".")
    return wanted in {hostname.casefold(), urlparse(base_url).netloc.casefold()}
