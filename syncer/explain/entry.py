"""The ENTRY of `syncer explain`: its accepted forms, and the configured scope that answers for it.

    github.com/ORG/REPO          a repo of github.com (also `github:` before it, or an https:// URL of the repo)
    HOST/ORG/REPO                a repo of a GitHub Enterprise Server host (its hostname, or its api_url's host)
    jira:SITE/KEY                a project of a Jira site (its hostname, or its url's host)
    pagerduty:SUBDOMAIN          a PagerDuty account (the `x` of x.pagerduty.com)

Resolving needs no network: a form not understood, an integration the file does not configure, or a scope no
configured source lists (and no `extra` entry names) is a BadEntry (exit 2) naming what is configured.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from syncer import scopes
from syncer.config.schema import Config
from syncer.errors import ConfigError
from syncer.model import Entry, GithubRepo, Integration, JiraProject, PagerDutyAccount, Scope
from syncer.sources import factory

FORMS = "github.com/ORG/REPO (HOST/ORG/REPO for GitHub Enterprise Server), jira:SITE/KEY or pagerduty:SUBDOMAIN"
_URL = re.compile(r"^https?://", re.IGNORECASE)
_SUBDOMAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")


class BadEntry(ConfigError):
    """The ENTRY is not one of the accepted forms, or names nothing the configuration lists (exit 2)."""


@dataclass(frozen=True)
class Asked:
    """An ENTRY as parsed, before the configuration is consulted."""

    integration: Integration
    parts: tuple[str, ...]  # github: host, org, repo; jira: site, key; pagerduty: subdomain


@dataclass(frozen=True)
class Target:
    """What `explain` looks at: the entry (spelt as asked, with the configured hostname and account) and its scope.

    `scope` is the GitHub org or Jira site a configured source lists; None for PagerDuty (each source that can
    hold the subdomain is asked) and for an `extra` entry of a scope no source lists.
    """

    integration: Integration
    entry: Entry
    label: str
    scope: Scope | None


def parse(text: str) -> Asked:
    """The integration and parts of an ENTRY; BadEntry naming the accepted forms when it is none of them."""
    raw = text.strip()
    head, colon, rest = raw.partition(":")
    kind = head.casefold() if colon and not _URL.match(raw) else ""
    if kind == "jira":
        site, slash, key = rest.strip().strip("/").partition("/")
        if not slash or not site or not key or "/" in key:
            raise BadEntry(f"{_shown(text)}: a Jira project is jira:SITE/KEY (jira:acme.atlassian.net/OPS)")
        return Asked(Integration.JIRA, (site, key))
    if kind == "pagerduty":
        subdomain = rest.strip()
        if not _SUBDOMAIN.match(subdomain):
            hint = " (the subdomain only: acme, not acme.pagerduty.com)" if "." in subdomain else ""
            raise BadEntry(f"{_shown(text)}: a PagerDuty account is pagerduty:SUBDOMAIN{hint}")
        return Asked(Integration.PAGERDUTY, (subdomain,))
    if kind == "github":
        raw = rest
    elif kind and not rest.split("/", 1)[0].isdigit():  # host:port/org/repo is a GitHub entry; x:... is not
        raise BadEntry(f"{_shown(text)}: unknown kind {head!r}; ENTRY is {FORMS}")
    path = _URL.sub("", raw.strip()).strip("/")
    path = path[: -len(".git")] if path.casefold().endswith(".git") else path
    parts = tuple(path.split("/"))
    if len(parts) != 3 or not all(parts):
        raise BadEntry(f"{_shown(text)} is not an entry syncer knows; ENTRY is {FORMS}")
    return Asked(Integration.GITHUB, parts)


def resolve(config: Config, asked: Asked) -> Target:
    """The entry and its scope under `config`; BadEntry when nothing configured answers for it."""
    integration = asked.integration
    section = config.section(integration)
    if section is None:
        configured = ", ".join(str(i) for i in config.integrations())
        raise BadEntry(f"this configuration has no {integration} section (it configures {configured})")
    if integration is Integration.GITHUB:
        return _github(config, *asked.parts)
    if integration is Integration.JIRA:
        return _jira(config, *asked.parts)
    return _pagerduty(config, asked.parts[0])


def _github(config: Config, host: str, org: str, repo: str) -> Target:
    scope = scopes.github(config, host, org)
    if scope is None:
        entry: Entry = GithubRepo(host, org, repo)
        if _in_extra(config, entry):
            return Target(Integration.GITHUB, entry, entry.label(), None)
        raise BadEntry(f"{host}/{org} is not listed by any configured GitHub source; configured: {_orgs(config)}")
    source = scopes.narrowed(config, Integration.GITHUB, [scope]).github
    hostname = source.sources[0].hostname if source is not None and source.sources else host
    entry = GithubRepo(hostname, org, repo)
    return Target(Integration.GITHUB, entry, entry.label(), scope)


def _jira(config: Config, site: str, key: str) -> Target:
    scope = scopes.jira(config, site)
    narrowed = None if scope is None else scopes.narrowed(config, Integration.JIRA, [scope]).jira
    if scope is None or narrowed is None or not narrowed.sources:
        for extra in factory.extra(Integration.JIRA, config):
            if isinstance(extra, JiraProject) and extra.key() == (site.casefold(), key.casefold()):
                return Target(Integration.JIRA, extra, f"jira:{extra.hostname}/{key}", None)
        sites = ", ".join(s.hostname for s in config.jira.sources) if config.jira else ""
        raise BadEntry(f"the Jira site {site} is not configured; configured sites: {sites or 'none'}")
    source = narrowed.sources[0]
    entry = JiraProject(source.hostname, source.account_id, key)
    return Target(Integration.JIRA, entry, f"jira:{source.hostname}/{key}", scope)


def _pagerduty(config: Config, subdomain: str) -> Target:
    sources = config.pagerduty.sources if config.pagerduty else []
    can_hold = [s for s in sources if s.subdomain is None or s.subdomain.casefold() == subdomain.casefold()]
    entry = PagerDutyAccount(True, subdomain)
    if not can_hold and not _in_extra(config, entry):
        named = ", ".join(s.subdomain for s in sources if s.subdomain)
        raise BadEntry(
            f"no configured PagerDuty source can be the account {subdomain}: every source names its subdomain "
            f"({named}) and pagerduty.extra does not hold it"
        )
    return Target(Integration.PAGERDUTY, entry, f"pagerduty:{subdomain}", None)


def _in_extra(config: Config, entry: Entry) -> bool:
    return any(e.key() == entry.key() for e in factory.extra(entry_integration(entry), config))


def entry_integration(entry: Entry) -> Integration:
    """The integration an entry belongs to."""
    if isinstance(entry, GithubRepo):
        return Integration.GITHUB
    return Integration.JIRA if isinstance(entry, JiraProject) else Integration.PAGERDUTY


def _orgs(config: Config) -> str:
    """The configured GitHub scopes, as `host/org` (an app without orgs: `host/*`)."""
    shown: list[str] = []
    for source in config.github.sources if config.github else []:
        if source.orgs:
            shown.extend(f"{source.hostname}/{org}" for org in source.orgs)
        else:
            shown.append(f"{source.hostname}/* (every org the GitHub App is installed on)")
    return ", ".join(shown) or "none"


def _shown(text: str) -> str:
    return repr(text[:120])
