"""Frozen value types shared by every layer: integrations, entries, scopes, discoveries, plans and reports."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Union

JSONScalar = Union[str, int, float, bool, None]  # noqa: UP007 - a recursive alias needs Union
JSON = Union[JSONScalar, list["JSON"], dict[str, "JSON"]]  # noqa: UP007 - a recursive alias needs Union
EntryKey = tuple[str, ...]


class Integration(StrEnum):
    """The three Datadog IDP entity integrations syncer manages."""

    GITHUB = "github"
    JIRA = "jira"
    PAGERDUTY = "pagerduty"

    @property
    def list_key(self) -> str:
        """Name of the list inside the integration's config object."""
        return _LIST_KEYS[self]


_LIST_KEYS = {
    Integration.GITHUB: "enabled_repos",
    Integration.JIRA: "enabled_projects",
    Integration.PAGERDUTY: "accounts",
}


def _fold(text: str) -> str:
    """`text` case-folded; the same string object when folding changes nothing (the key costs no copy then)."""
    folded = text.casefold()
    return text if folded == text else folded


@dataclass(frozen=True, order=True)
class GithubRepo:
    """One entry of `enabled_repos`."""

    hostname: str
    github_org_name: str
    repo_name: str
    _key: EntryKey = field(init=False, repr=False, compare=False)  # a plan asks each key many times: made once

    def __post_init__(self) -> None:
        key = (sys.intern(_fold(self.hostname)), sys.intern(_fold(self.github_org_name)), _fold(self.repo_name))
        object.__setattr__(self, "_key", key)

    def key(self) -> EntryKey:
        """Identity of the entry, compared case-insensitively."""
        return self._key

    def to_json(self) -> dict[str, JSON]:
        """The managed fields as Datadog expects them."""
        return {
            "hostname": self.hostname,
            "github_org_name": self.github_org_name,
            "repo_name": self.repo_name,
        }

    def label(self) -> str:
        """Human-readable name used in plans and logs."""
        return f"{self.hostname}/{self.github_org_name}/{self.repo_name}"


@dataclass(frozen=True, order=True)
class JiraProject:
    """One entry of `enabled_projects`."""

    hostname: str
    account_id: str
    project_key: str
    _key: EntryKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_key", (sys.intern(_fold(self.hostname)), _fold(self.project_key)))

    def key(self) -> EntryKey:
        """Identity of the entry (account_id is a value, not part of the key)."""
        return self._key

    def to_json(self) -> dict[str, JSON]:
        """The managed fields as Datadog expects them."""
        return {"hostname": self.hostname, "account_id": self.account_id, "project_key": self.project_key}

    def label(self) -> str:
        """Human-readable name used in plans and logs."""
        return f"{self.hostname}/{self.project_key} (account {self.account_id})"


@dataclass(frozen=True, order=True)
class PagerDutyAccount:
    """One entry of `accounts`; `subdomain` is optional in Datadog's schema."""

    enabled: bool
    subdomain: str | None = None

    def key(self) -> EntryKey:
        """Identity of the entry: the subdomain."""
        return ((self.subdomain or "").casefold(),)

    def to_json(self) -> dict[str, JSON]:
        """The managed fields; an absent subdomain is left out rather than sent as null."""
        out: dict[str, JSON] = {"enabled": self.enabled}
        if self.subdomain is not None:
            out["subdomain"] = self.subdomain
        return out

    def label(self) -> str:
        """Human-readable name used in plans and logs."""
        state = "enabled" if self.enabled else "disabled"
        return f"{self.subdomain or '(no subdomain)'} ({state})"


Entry = GithubRepo | JiraProject | PagerDutyAccount


def sort_key(entry: Entry) -> tuple[str, ...]:
    """Stable order of a list: by key, then by exact spelling."""
    return (*entry.key(), entry.label())


@dataclass(frozen=True)
class Stored:
    """An entry as Datadog holds it: the parsed entry plus every field of the raw object."""

    entry: Entry
    raw: Mapping[str, JSON]


@dataclass(frozen=True)
class Current:
    """The integration config Datadog holds: its entries and the keys beside the list."""

    integration: Integration
    entries: tuple[Stored, ...] = ()
    other: Mapping[str, JSON] = field(default_factory=dict)
    exists: bool = False


@dataclass(frozen=True)
class Scope:
    """What one source (or part of one) answers for; a failed scope keeps its current entries.

    `owns` is a case-folded prefix of entry keys (github: host, org; jira: host; pagerduty: subdomain).
    `owns=None` means the identity is unknown: every current entry no healthy scope produced is kept.
    """

    label: str
    owns: EntryKey | None

    def covers(self, entry: Entry) -> bool:
        """True when this scope answers for the entry."""
        return self.owns is not None and entry.key()[: len(self.owns)] == self.owns


def orgs_on(hostname: str, scopes: Sequence[Scope]) -> frozenset[str]:
    """The case-folded orgs the GitHub scopes among `scopes` name on this host."""
    host = hostname.casefold()
    return frozenset(s.owns[1] for s in scopes if s.owns is not None and len(s.owns) == 2 and s.owns[0] == host)


@dataclass(frozen=True)
class Discovery:
    """The outcome of discovering one scope: its filtered entries, or the error that stopped it."""

    scope: Scope
    entries: tuple[Entry, ...] = ()
    error: str | None = None
    seen: int = 0
    abandoned: bool = False  # still listing when the run ended: its thread was left behind
    dropped: tuple[tuple[str, int], ...] = ()  # listed items the filters dropped: (reason, count), most first

    @property
    def ok(self) -> bool:
        """True when discovery ran to its end."""
        return self.error is None


@dataclass(frozen=True)
class Change:
    """An entry whose key stays but whose values (or spelling) change."""

    before: Entry
    after: Entry


@dataclass(frozen=True)
class Plan:
    """The difference between current and desired, and the full list to write."""

    integration: Integration
    added: tuple[Entry, ...]
    removed: tuple[Entry, ...]
    changed: tuple[Change, ...]
    unchanged: tuple[Entry, ...]
    to_write: tuple[Entry, ...]  # the whole list a PUT writes (sorted)
    origin: tuple[int | None, ...] = ()  # per `to_write` entry: the index of the stored item it rewrites, or None

    @property
    def has_changes(self) -> bool:
        """True when a PUT is needed."""
        return bool(self.added or self.removed or self.changed)


class Result(StrEnum):
    """Outcome of one integration's run (the `result` label of syncer_runs_total)."""

    SUCCESS = "success"
    FAILURE = "failure"
    REFUSED = "refused"


@dataclass(frozen=True)
class IntegrationReport:
    """What one run of one integration did."""

    integration: Integration
    result: Result
    started_at: datetime
    finished_at: datetime
    dry_run: bool = False
    applied: bool = False
    plan: Plan | None = None
    current_count: int = 0
    final_count: int = 0
    sources: tuple[Discovery, ...] = ()
    errors: tuple[str, ...] = ()
    interrupted: bool = False  # stopped by a signal or the daemon's shutdown before it could finish
    run_id: str = ""  # the pass (CLI) or the daemon's run this report belongs to
    trigger: str = "cli"  # what started it: cli, schedule, http, webhook
    abandoned: bool = False  # the daemon gave up on the run (past run_timeout plus a grace)
    targeted: tuple[str, ...] = ()  # a targeted run: the labels of the scopes listed again; () = a full run

    @property
    def duration_seconds(self) -> float:
        """Wall time of the run."""
        return (self.finished_at - self.started_at).total_seconds()


class ExitCode(IntEnum):
    """The exit codes of `sync`, `plan`, `validate` and `explain` (SPEC §3)."""

    OK = 0  # every selected integration is in step
    FAILURE = 1  # at least one integration failed
    USAGE = 2  # configuration or usage error; nothing was contacted
    REFUSED = 3  # a guard refused a write
    SIGINT = 130
    SIGTERM = 143


@dataclass(frozen=True)
class RunReport:
    """The reports of every integration of one pass."""

    integrations: tuple[IntegrationReport, ...]
    interrupted_by: str | None = None  # "SIGINT" or "SIGTERM" when a signal stopped the pass
    run_id: str = ""

    @property
    def exit_code(self) -> ExitCode:
        """OK all in step, FAILURE a failure, REFUSED a guard refused (failure wins); 130/143 after a signal."""
        if self.interrupted_by is not None:
            return ExitCode.SIGTERM if self.interrupted_by == "SIGTERM" else ExitCode.SIGINT
        results = {r.result for r in self.integrations}
        if Result.FAILURE in results:
            return ExitCode.FAILURE
        if Result.REFUSED in results:
            return ExitCode.REFUSED
        return ExitCode.OK
