"""What the orchestrator tests share: in-memory sources, a scripted in-memory target, jobs built from settings."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from syncer.config.settings import RunSettings
from syncer.datadog.target import InMemoryTarget
from syncer.deadline import Deadline
from syncer.errors import SyncerError
from syncer.model import JSON, Current, Discovery, Entry, GithubRepo, Integration, Scope
from syncer.reconcile import Job

GH = Integration.GITHUB
ACME = Scope("github.com/acme", ("github.com", "acme"))
LABS = Scope("github.com/labs", ("github.com", "labs"))


def repo(name: str, org: str = "acme") -> GithubRepo:
    return GithubRepo("github.com", org, name)


def stored(*names: str, org: str = "acme", **fields: Any) -> list[dict[str, Any]]:
    return [{"hostname": "github.com", "github_org_name": org, "repo_name": n, **fields} for n in names]


@dataclass
class MemorySource:
    """A source that answers from memory: its listing, or an error; `confirm` keeps what `exists` names."""

    found: Sequence[Entry] = ()
    error: str | None = None
    where: Scope = ACME
    exists: set[str] = field(default_factory=set)
    confirm_error: Exception | None = None
    block: threading.Event | None = None
    asked: list[Entry] = field(default_factory=list)
    on_discover: Callable[[], None] | None = None

    @property
    def scope(self) -> Scope:
        return self.where

    def discover(self) -> list[Discovery]:
        if self.on_discover is not None:
            self.on_discover()
        if self.block is not None:
            self.block.wait()
        if self.error is not None:
            return [Discovery(self.where, error=self.error)]
        return [Discovery(self.where, entries=tuple(self.found), seen=len(self.found))]

    def check(self) -> None:
        return None

    def confirm(self, entries: Sequence[Entry]) -> tuple[Entry, ...]:
        self.asked.extend(entries)
        if self.confirm_error is not None:
            raise self.confirm_error
        return tuple(e for e in entries if isinstance(e, GithubRepo) and e.repo_name in self.exists)


class ScriptedTarget(InMemoryTarget):
    """An InMemoryTarget whose answers can be scripted: errors, another writer, what a PUT answers."""

    def __init__(self, configs: Mapping[Integration, Mapping[str, JSON]] | None = None) -> None:
        super().__init__(configs)
        self.get_errors: list[SyncerError | None] = []  # per read, in order: raise it (None: answer normally)
        self.put_error: SyncerError | None = None
        self.after_read: list[list[dict[str, Any]]] = []  # another writer stores these right after each read
        self.put_answer: str = "stored"  # stored | unreadable | empty (an answer holding another list)
        self.reads = 0

    def get_config(self, integration: Integration, deadline: Deadline | None = None) -> Current:
        self.reads += 1
        error = self.get_errors.pop(0) if self.get_errors else None
        if error is not None:
            raise error
        current = super().get_config(integration, deadline)
        if self.after_read:
            self.configs[integration] = {integration.list_key: self.after_read.pop(0)}  # type: ignore[dict-item]
        return current

    def put_config(
        self, integration: Integration, config: Mapping[str, JSON], deadline: Deadline | None = None
    ) -> Current | None:
        if self.put_error is not None:
            raise self.put_error
        written = super().put_config(integration, config, deadline)
        if self.put_answer == "unreadable":
            return None
        if self.put_answer == "empty":
            return Current(integration=integration, exists=True)
        return written


def ok(*found: GithubRepo) -> MemorySource:
    return MemorySource(list(found))


def broken(error: str = "acme: 500", where: Scope | None = None) -> MemorySource:
    return MemorySource(error=error, **({"where": where} if where else {}))


def names(target: InMemoryTarget, integration: Integration = GH) -> list[str]:
    items: Any = target.configs.get(integration, {}).get(integration.list_key, [])
    return sorted(i.get("repo_name") or i.get("subdomain") or "" for i in items)


def settings(**overrides: Any) -> RunSettings:
    values: dict[str, Any] = {"max_deletions": "100%", "run_timeout": "1m"}
    values.update(overrides)
    return RunSettings.model_validate(values)


def job(*sources: MemorySource, integration: Integration = GH, **kwargs: Any) -> Job:
    names_ = (
        "dry_run",
        "allow_deletions",
        "deadline",
        "grace_seconds",
        "run_id",
        "trigger",
        "extra",
        "write_lock",
        "targeted",
    )
    options = {k: kwargs.pop(k) for k in names_ if k in kwargs}
    return Job(integration=integration, settings=settings(**kwargs), sources=sources, **options)


# the keys of the one per-integration report object (SPEC §3): CLI JSON, /status last_run, POST /sync?wait=true
REPORT_KEYS = {
    "integration",
    "run_id",
    "trigger",
    "targeted",
    "status",
    "result",
    "dry_run",
    "applied",
    "interrupted",
    "abandoned",
    "started_at",
    "finished_at",
    "duration_seconds",
    "counts",
    "added",
    "removed",
    "changed",
    "sources",
    "errors",
}
COUNT_KEYS = {"current", "final", "desired", "added", "removed", "changed", "unchanged"}
