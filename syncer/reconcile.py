"""run_once: one pass of the pipeline for one integration — the ONLY place dry-run is decided.

discover (every source, concurrently, bounded by the run's deadline; target.get_config meanwhile) → filter (inside
each source) → desired.build → plan.compute → confirm removals (direct look-ups) → guards.check → [dry-run stops here] →
re-read the list, re-plan if it changed → target.put_config → report. Every safety rule is guards'. A targeted run
(`Job.targeted`, from a webhook delivery) lists only its scopes again and keeps every other current entry as it is.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from syncer import desired, discovery, guards, plan
from syncer.config.settings import OnSourceError, RunSettings
from syncer.datadog import document
from syncer.datadog.target import Target
from syncer.deadline import Deadline
from syncer.errors import GuardRefused, PermanentError, Stopped, SyncerError
from syncer.model import Current, Discovery, Entry, Integration, IntegrationReport, Plan, Result, Scope
from syncer.sources.base import Source
from syncer.writelock import WriteLock, unlocked

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
REPLANS = 3  # the list changed between the plan and the PUT: plan again on the new list up to this many times
VERIFY_SECONDS = 30.0  # reading the list back after a PUT whose answer was not readable


@dataclass(frozen=True)
class Job:
    """Everything one run of one integration needs."""

    integration: Integration
    settings: RunSettings
    sources: Sequence[Source]
    extra: Sequence[Entry] = ()
    dry_run: bool = False
    allow_deletions: int = 0
    deadline: Deadline = field(default_factory=Deadline.unbounded)
    grace_seconds: float = discovery.GRACE_SECONDS
    write_lock: WriteLock = unlocked
    run_id: str = ""
    trigger: str = "cli"
    targeted: tuple[Scope, ...] = ()  # a targeted run lists only these scopes again; () = a full run

    @property
    def rules(self) -> guards.Rules:
        """The safety rules of this run, as plain values."""
        return guards.Rules(
            max_deletions=self.settings.max_deletions,
            allow_deletions=self.allow_deletions,
            upsert_only=self.settings.upsert_only,
            abort_on_source_error=self.settings.on_source_error is OnSourceError.ABORT,
        )


@dataclass
class _Run:
    """What a run has learnt so far: the report is made from it, whichever way the run ends."""

    job: Job
    started: datetime
    discoveries: list[Discovery] = field(default_factory=list)
    changes: Plan | None = None
    held: int = 0

    @property
    def failures(self) -> list[str]:
        return [d.error for d in self.discoveries if d.error is not None]


def run_once(job: Job, target: Target, clock: Clock = lambda: datetime.now(UTC)) -> IntegrationReport:
    """Run the pipeline for one integration; never raises — every failure becomes the report's result."""
    run = _Run(job, clock())
    reader = ThreadPoolExecutor(1, thread_name_prefix=f"read-{job.integration}")
    try:  # the list is read while the sources are listed: one round trip less before the PUT
        reading = reader.submit(target.get_config, job.integration, job.deadline)
        run.discoveries = discovery.run(job.sources, job.deadline, job.grace_seconds)
        return _reconcile(run, target, clock, reading)
    except SyncerError as exc:
        return _report(run, clock, Result.FAILURE, [*run.failures, str(exc)])
    except Exception as exc:  # the one catch-all of a run: a bug becomes a failed run, never a crash
        log.exception("%s: unexpected error", job.integration, extra={"integration": str(job.integration)})
        return _report(run, clock, Result.FAILURE, [*run.failures, f"unexpected error: {type(exc).__name__}: {exc}"])
    finally:
        reader.shutdown(wait=False)


def _reconcile(run: _Run, target: Target, clock: Clock, reading: Future[Current]) -> IntegrationReport:
    job, failures, rules = run.job, run.failures, run.job.rules
    aborted = guards.abort(rules, failures, str(job.integration))
    if aborted is not None:
        return _report(run, clock, Result.FAILURE, [*failures, aborted])
    job.deadline.check()
    current = reading.result()  # bounded by the run's deadline, as every request is
    wanted = desired.build(run.discoveries, job.extra)
    draft = _plan(job, current, wanted, run.discoveries, ())
    confirmed = _confirm(job, draft, wanted, run.discoveries)
    for attempt in range(REPLANS + 1):
        reuse = attempt == 0 and not confirmed  # nothing the look-ups kept: the draft is the plan
        run.changes = draft if reuse else _plan(job, current, wanted, run.discoveries, confirmed)
        run.held = len(current.entries)
        try:
            guards.check(run.changes, run.held, rules)
        except GuardRefused as exc:
            return _report(run, clock, guards.result(bool(failures), refused=True), [*failures, str(exc)])
        if not run.changes.has_changes or job.dry_run:
            return _report(run, clock, guards.result(bool(failures)), failures)
        with job.write_lock(job.deadline):  # another writer on this machine re-reads only after this PUT
            fresh = target.get_config(job.integration, job.deadline)
            if fresh == current:
                return _write(run, target, current, run.changes, clock)
        log.warning(
            "%s: the list in Datadog changed since it was read; planning again on the new list",
            job.integration,
            extra={"integration": str(job.integration), "attempt": attempt + 1},
        )
        current = fresh
    raise PermanentError(
        f"the {job.integration} list in Datadog changed {REPLANS + 1} times between the plan and the PUT "
        "(another writer?); nothing written"
    )


def _write(run: _Run, target: Target, current: Current, changes: Plan, clock: Clock) -> IntegrationReport:
    """PUT the plan's list (no PUT starts once the run is past its deadline or stopped), then check what is held."""
    job = run.job
    job.deadline.check("before the PUT")
    answer = target.put_config(
        job.integration, document.render(current, changes.to_write, changes.origin), job.deadline
    )
    # accepted, but an answer that says nothing readable: look at what is stored now
    stored = answer if answer is not None else _read_back(job, target)
    problems = _unconfirmed(changes, stored) if isinstance(stored, Current) else [stored]
    final = len(stored.entries) if isinstance(stored, Current) else len(changes.to_write)
    result = guards.result(bool(run.failures or problems))
    return _report(run, clock, result, [*run.failures, *problems], final_count=final, applied=True)


def _plan(
    job: Job, current: Current, wanted: Sequence[Entry], discoveries: Sequence[Discovery], confirmed: Sequence[Entry]
) -> Plan:
    held = [stored.entry for stored in current.entries]
    keep = guards.keeper(discoveries, job.settings.upsert_only, confirmed, job.targeted)
    return plan.compute(job.integration, held, wanted, keep)


def _confirm(job: Job, draft: Plan, wanted: Sequence[Entry], discoveries: Sequence[Discovery]) -> tuple[Entry, ...]:
    """Look up (up to confirm_removals) entries healthy listings would remove; those still there are kept."""
    limit = job.settings.confirm_removals
    if limit <= 0:
        return ()
    missing = guards.to_confirm(draft.removed, wanted, discoveries)
    asked = missing[:limit]
    kept: list[Entry] = []
    for source in job.sources:
        mine = [e for e in asked if source.scope.covers(e)]
        if mine:
            kept.extend(_confirm_with(source, mine))
    if len(missing) > limit:
        log.warning(
            "%s: %d removals, %d looked up (confirm_removals); the deletion guard decides the rest",
            job.integration,
            len(missing),
            limit,
            extra={"integration": str(job.integration)},
        )
    if kept:
        log.warning(
            "%s: %d entries missing from a listing still exist and are kept: %s",
            job.integration,
            len(kept),
            ", ".join(e.label() for e in kept[:20]),
            extra={"integration": str(job.integration), "event": "removals_confirmed"},
        )
    return tuple(kept)


def _confirm_with(source: Source, entries: Sequence[Entry]) -> tuple[Entry, ...]:
    """A source's look-ups; if the look-up itself breaks, every entry is kept (never a removal on doubt)."""
    try:
        return tuple(source.confirm(entries))
    except Stopped:
        raise
    except Exception as exc:
        log.warning("%s: looking up removals failed (%s); keeping them", source.scope.label, exc)
        return tuple(entries)


def _read_back(job: Job, target: Target) -> Current | str:
    """The list after a PUT whose answer was unreadable, or why it could not be read (the PUT was accepted)."""
    try:
        return target.get_config(job.integration, Deadline(VERIFY_SECONDS))
    except SyncerError as exc:
        return f"Datadog accepted the PUT, but the list could not be read back to confirm it: {exc}"


def _unconfirmed(changes: Plan, stored: Current) -> list[str]:
    """An error when what Datadog holds after the PUT lacks entries that were written (none when all are there)."""
    held = Counter(item.entry.key() for item in stored.entries)
    missing: list[Entry] = []
    for entry in changes.to_write:
        if held[entry.key()] > 0:
            held[entry.key()] -= 1
        else:
            missing.append(entry)
    if not missing:
        return []
    shown = ", ".join(entry.label() for entry in missing[:10])
    return [
        f"Datadog accepted the PUT but holds {len(stored.entries)} entries without {len(missing)} of the "
        f"{len(changes.to_write)} written (e.g. {shown}); check the {changes.integration} list in Datadog"
    ]


def _unique(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _report(
    run: _Run,
    clock: Clock,
    result: Result,
    errors: Sequence[str],
    final_count: int | None = None,
    applied: bool = False,
) -> IntegrationReport:
    job = run.job
    return IntegrationReport(
        integration=job.integration,
        result=result,
        started_at=run.started,
        finished_at=clock(),
        dry_run=job.dry_run,
        applied=applied,
        plan=run.changes,
        current_count=run.held,
        final_count=run.held if final_count is None else final_count,
        sources=tuple(run.discoveries),
        errors=_unique(errors),
        interrupted=job.deadline.stopped and not applied and result is not Result.SUCCESS,
        run_id=job.run_id,
        trigger=job.trigger,
        targeted=tuple(scope.label for scope in job.targeted),
    )
