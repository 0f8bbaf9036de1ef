"""Why one entry is, or is not, in the desired list: one scope listed, every rule's verdict, Datadog's list read.

The steps of a run, for one key and without writing anything: the sources of a targeted run (the entry's GitHub
org or Jira site, through the narrowed configuration; PagerDuty: each source that can be the account) are listed
with `inspect()`; the listed item of the entry is judged by every rule (`verdicts`); a healthy listing that lacks
it has it looked up directly (GitHub `GET /repos/{o}/{r}`, Jira `GET /project/{key}`: the source's `confirm`);
the desired list is built with `extra`; Datadog's list is read; the keep of a failed scope (`guards.keeper`) and
`plan.compute` say what a sync would do with the key.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from syncer import desired, guards, plan, scopes
from syncer.config.schema import Config
from syncer.config.settings import OnSourceError, RunSettings
from syncer.datadog.client import DatadogClient
from syncer.deadline import Deadline
from syncer.errors import ConfigError, SyncerError
from syncer.explain.entry import Target, parse, resolve
from syncer.filters import Verdict
from syncer.model import Discovery, Entry, EntryKey, ExitCode, Integration, JiraProject, Plan
from syncer.redact import redact
from syncer.retry import RetryPolicy
from syncer.sources import factory
from syncer.sources.base import Inspectable, Source
from syncer.sources.github import GithubRepos
from syncer.sources.jira import JiraProjects
from syncer.sources.pagerduty import PagerDutyAccounts

log = logging.getLogger("syncer")
ACTIONS = ("add", "keep", "change", "remove", "nothing", "unknown")
T = TypeVar("T")


class _Lister(Source, Inspectable[T], Protocol[T]):
    """A source that lists, and shows what it listed."""


@dataclass(frozen=True)
class Found:
    """The entry's item in a listing: the scope that listed it, the entry it becomes, each rule's verdict."""

    scope: str
    entry: Entry
    verdicts: tuple[Verdict, ...]
    via: str = "listing"  # "listing", or "look-up": a healthy listing lacked it and a direct look-up found it
    decided: str | None = None  # the rule the filter drops it by (a plan counts the drop under it); None: kept

    @property
    def decided_by(self) -> Verdict | None:
        """The verdict of the rule that dropped it (the filter's own first failing rule); None when it is kept."""
        failed = [v for v in self.verdicts if not v.passed]
        return next((v for v in failed if v.rule == self.decided), failed[0] if failed else None)


@dataclass(frozen=True)
class Explanation:
    """Everything `syncer explain` found out about one entry (rendered by explain.output)."""

    target: Target
    listings: tuple[Discovery, ...]  # each scope listed (its error when it failed)
    found: Found | None  # None: no healthy listing held it
    lookup: bool | None  # a direct look-up kept it (True) or not (False); None: not asked
    extra: bool
    failed: tuple[str, ...]  # the errors of failed scopes that answer for the entry
    wanted: Entry | None  # the desired list's entry of this key; None: not in the desired list
    held: tuple[Entry, ...] | None  # what Datadog holds of this key; None: the list could not be read
    datadog_error: str | None
    action: str  # one of ACTIONS
    conclusion: str
    errors: tuple[str, ...] = ()  # anything else that went wrong (a look-up that broke)

    @property
    def kept_by_failure(self) -> bool:
        """True when a sync keeps the entry as Datadog holds it because a scope answering for it failed."""
        return bool(self.failed and self.held and self.wanted is None and self.action == "keep")

    @property
    def exit_code(self) -> ExitCode:
        """FAILURE when the scope's listing or Datadog failed (what is known is still shown), else OK."""
        failed = self.datadog_error is not None or any(not d.ok for d in self.listings) or self.errors
        return ExitCode.FAILURE if failed else ExitCode.OK


def explain(config: Config, text: str, policy: RetryPolicy | None = None) -> Explanation:
    """Explain ENTRY `text` under `config`; BadEntry (a ConfigError) before any request when it names nothing."""
    target = resolve(config, parse(text))
    settings = config.effective(target.integration)
    deadline = Deadline(settings.run_timeout_seconds)
    retry = policy or RetryPolicy()
    key = target.entry.key()
    listings: list[Discovery] = []
    found: Found | None = None
    errors: list[str] = []
    sources = _sources(config, target, retry, deadline)
    for source in sources:
        discoveries, hit = _search(source, key)
        listings.extend(discoveries)
        found = found or hit
    covering = [d for d in listings if d.scope.owns is None or d.scope.covers(target.entry)]
    failed = tuple(redact(d.error) for d in covering if d.error is not None)
    lookup = None
    if found is None and covering and not failed and target.integration is not Integration.PAGERDUTY:
        lookup, found, problem = _look_up(sources, target.entry)
        errors.extend([problem] if problem else [])
    extra = factory.extra(target.integration, config)
    in_extra = any(e.key() == key for e in extra)
    wanted = next((e for e in desired.build(listings, extra) if e.key() == key), None)
    held, datadog_error = _held(config, target, retry, deadline)
    action, conclusion = _conclude(target, settings, listings, wanted, held, lookup, failed)
    if datadog_error is not None:
        conclusion = f"{conclusion}; Datadog's list could not be read: {datadog_error}"
    log.info("explain %s: %s", target.label, action, extra={"event": "explain", "action": action})
    return Explanation(
        target, tuple(listings), found, lookup, in_extra, failed, wanted, held, datadog_error, action, conclusion,
        tuple(errors),
    )  # fmt: skip


def _sources(config: Config, target: Target, policy: RetryPolicy, deadline: Deadline) -> list[Source]:
    """The sources of a targeted run of the entry's scope; PagerDuty: those that can be its account."""
    if target.scope is None and target.integration is not Integration.PAGERDUTY:
        return []  # an extra entry of a scope no source lists
    targeted = () if target.scope is None else (target.scope,)
    narrowed = scopes.narrowed(config, target.integration, targeted) if targeted else config
    built = factory.sources(target.integration, narrowed, policy, deadline.sleep, deadline=deadline, targeted=targeted)
    return [s for s in built if s.scope.owns is None or s.scope.covers(target.entry)]


def _search(source: Source, key: EntryKey) -> tuple[list[Discovery], Found | None]:
    """List one source (`inspect`) and find the item of `key`; an unexpected failure fails the source's scope."""
    try:
        if isinstance(source, GithubRepos):
            return _find(source, key)
        if isinstance(source, JiraProjects):
            return _find(source, key)
        if isinstance(source, PagerDutyAccounts):
            return _find(source, key)
        return list(source.discover()), None
    except ConfigError:
        raise
    except Exception as exc:  # a listing that breaks is a failed scope, never a traceback
        log.debug("explain: listing %s failed", source.scope.label, exc_info=True)
        return [Discovery(source.scope, error=redact(f"{source.scope.label}: {type(exc).__name__}: {exc}"))], None


def _find(source: _Lister[T], key: EntryKey) -> tuple[list[Discovery], Found | None]:
    inspections = source.inspect()
    for inspection in inspections:
        for item in inspection.listed:
            entry = source.entry_of(item)
            if entry.key() == key:
                found = Found(
                    inspection.discovery.scope.label, entry, source.verdicts(item), decided=source.decided(item)
                )
                return [i.discovery for i in inspections], found
    return [i.discovery for i in inspections], None


def _look_up(sources: Sequence[Source], entry: Entry) -> tuple[bool | None, Found | None, str | None]:
    """What the source's direct look-up says of an entry its healthy listing lacks (a sync asks it before a removal):
    True when it still exists and passes the filters; with a Jira project Jira still has, its verdicts."""
    for source in sources:
        if not source.scope.covers(entry):
            continue
        try:
            kept = bool(source.confirm([entry]))
            if isinstance(source, JiraProjects) and isinstance(entry, JiraProject):
                project = source.look_up(entry.project_key)
                if project is not None:
                    where = source.scope.label
                    verdicts, decided = source.verdicts(project), source.decided(project)
                    return kept, Found(where, source.entry_of(project), verdicts, "look-up", decided), None
            return kept, None, None
        except ConfigError:
            raise
        except Exception as exc:
            return None, None, redact(f"looking {entry.label()} up failed: {type(exc).__name__}: {exc}")
    return None, None, None


def _held(
    config: Config, target: Target, policy: RetryPolicy, deadline: Deadline
) -> tuple[tuple[Entry, ...] | None, str | None]:
    """The stored items of the entry's key, or why Datadog's list could not be read."""
    try:
        with DatadogClient(config.datadog, retry=policy, sleep=deadline.sleep, http=config.http) as datadog:
            current = datadog.get_config(target.integration, deadline)
    except SyncerError as exc:
        return None, redact(str(exc))
    except Exception as exc:  # an answer nobody planned for: reported, never a traceback
        return None, redact(f"{type(exc).__name__}: {exc}")
    key = target.entry.key()
    return tuple(s.entry for s in current.entries if s.entry.key() == key), None


def _conclude(
    target: Target,
    settings: RunSettings,
    listings: Sequence[Discovery],
    wanted: Entry | None,
    held: tuple[Entry, ...] | None,
    lookup: bool | None,
    failed: tuple[str, ...],
) -> tuple[str, str]:
    """The action a sync would take on the key, and a sentence saying why."""
    integration = target.integration
    where = "in the desired list" if wanted is not None else "not in the desired list"
    if failed and settings.on_source_error is OnSourceError.ABORT:
        return "nothing", f"{where}, but its source failed and on_source_error is abort: {integration} is not written"
    if held is None:
        return "unknown", f"{where}; what a sync would do depends on Datadog's list"
    confirmed = [h for h in held[:1] if lookup and settings.confirm_removals > 0 and wanted is None]
    targeted = () if target.scope is None else (target.scope,)
    keep = guards.keeper(listings, settings.upsert_only, confirmed, targeted)
    changes = plan.compute(integration, held, () if wanted is None else (wanted,), keep)
    return _action(changes, held, wanted, settings, bool(failed), bool(confirmed), where)


def _action(
    changes: Plan,
    held: tuple[Entry, ...],
    wanted: Entry | None,
    settings: RunSettings,
    failed: bool,
    confirmed: bool,
    where: str,
) -> tuple[str, str]:
    if changes.added:
        return "add", f"{where}; Datadog does not hold it: a sync would add it"
    if changes.changed:
        before, after = changes.changed[0].before, changes.changed[0].after
        return "change", f"{where}; Datadog holds it as {before.label()}: a sync would write {after.label()}"
    if not held:
        return "nothing", f"{where}; Datadog does not hold it: a sync would do nothing"
    duplicates = f" (and remove {len(changes.removed)} duplicate item(s) of its key)" if changes.removed else ""
    if changes.unchanged and wanted is not None:
        return "keep", f"{where}; Datadog holds it: a sync would keep it{duplicates}"
    if changes.unchanged:
        why = (
            "its source failed, so a sync keeps it as Datadog holds it"
            if failed
            else "a direct look-up finds it passing the filters (the listing missed it), so a sync keeps it"
            if confirmed
            else "policy upsert-only never removes, so a sync keeps it"
            if settings.upsert_only
            else "a sync keeps it"
        )
        return "keep", f"{where}; Datadog holds it: {why}"
    limit = f"max_deletions {settings.max_deletions}"
    return "remove", f"{where}; Datadog holds it: a sync would remove it (if the deletion guard, {limit}, allows)"
