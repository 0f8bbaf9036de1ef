"""run_once: one pass of the pipeline for one integration — the ONLY place dry-run is decided.

discover (every source, concurrently, bounded by the run's deadline) → filter (inside each source) → desired.build →
datadog.get_config → guards.keeper → plan.compute → confirm removals (direct look-ups) → guards.check →
[dry-run stops here] → re-read the list, re-plan if it changed → datadog.put_config → report.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime

from syncer import desired, document, guards, plan
from syncer.datadog import DatadogClient
from syncer.deadline import Deadline
from syncer.errors import DatadogError, GuardRefused, Stopped, SyncerError
from syncer.model import Current, Discovery, Entry, Integration, IntegrationReport, Plan, Result
from syncer.settings import Effective
from syncer.sources.base import Source
from syncer.writelock import WriteLock, unlocked

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
REPLANS = 3  # the list changed between the plan and the PUT: plan again on the new list up to this many times
GRACE_SECONDS = 5.0  # after the deadline, how long sources get to notice it and return before they are abandoned
POLL_SECONDS = 0.1
VERIFY_SECONDS = 30.0  # reading the list back after a PUT whose answer was not readable


@dataclass(frozen=True)
class Job:
    """Everything one run of one integration needs."""

    integration: Integration
    settings: Effective
    sources: Sequence[Source]
    extra: Sequence[Entry] = ()
    dry_run: bool = False
    allow_deletions: int = 0
    deadline: Deadline = field(default_factory=Deadline.unbounded)
    grace_seconds: float = GRACE_SECONDS
    write_lock: WriteLock = unlocked


def run_once(job: Job, datadog: DatadogClient, clock: Clock = lambda: datetime.now(UTC)) -> IntegrationReport:
    """Run the pipeline for one integration; never raises — every failure becomes the report's result."""
    started = clock()
    discoveries: list[Discovery] = []
    try:
        discoveries = discover(job.sources, job.deadline, job.grace_seconds)
        return _reconcile(job, datadog, discoveries, started, clock)
    except SyncerError as exc:
        errors = [*_failures(discoveries), str(exc)]
        return _report(job, Result.FAILURE, started, clock, discoveries, errors=_unique(errors))
    except Exception as exc:
        log.exception("unexpected error", extra={"integration": str(job.integration)})
        message = f"unexpected error: {type(exc).__name__}: {exc}"
        return _report(job, Result.FAILURE, started, clock, discoveries, errors=[message])


def discover(
    sources: Sequence[Source], deadline: Deadline | None = None, grace: float = GRACE_SECONDS
) -> list[Discovery]:
    """Run every source concurrently; a source that raises, or outlives the deadline, fails its whole scope.

    Sources run in daemon threads: one that does not return by the deadline (plus a short grace) is abandoned —
    its scope fails and whatever it finds later is never used, so a stuck server cannot hold the run.
    """
    bound = deadline or Deadline.unbounded()
    futures = [_start(source) for source in sources]
    out: list[Discovery] = []
    give_up: list[float] = []  # when the run ended (deadline or stop) plus the grace: shared by every source
    for source, future in zip(sources, futures, strict=True):
        label = source.scope.label
        try:
            out.extend(_await(future, bound, grace, give_up))
        except TimeoutError:
            reason = bound.reason if bound.stopped else "run_timeout exceeded"
            log.error("%s: still listing at the run's end; abandoned", label, extra={"source": label})
            error = f"{label}: {reason}; the listing was abandoned"
            out.append(Discovery(source.scope, error=error, abandoned=True))
        except Exception as exc:
            log.exception("source raised", extra={"source": label})
            out.append(Discovery(source.scope, error=f"{label}: {type(exc).__name__}: {exc}"))
    return out


def _await(future: Future[list[Discovery]], bound: Deadline, grace: float, give_up: list[float]) -> list[Discovery]:
    """The source's result; TimeoutError once the run ended (deadline or stop) and the grace is over."""
    while True:
        try:
            return future.result(timeout=POLL_SECONDS)
        except TimeoutError:
            if not bound.expired:
                continue
            now = time.monotonic()
            if not give_up:
                give_up.append(now + grace)
            if now >= give_up[0]:
                raise


def _start(source: Source) -> Future[list[Discovery]]:
    future: Future[list[Discovery]] = Future()

    def work() -> None:
        try:
            future.set_result(source.discover())
        except BaseException as exc:
            future.set_exception(exc)

    threading.Thread(target=work, name=f"source-{source.scope.label}", daemon=True).start()
    return future


def _reconcile(
    job: Job, datadog: DatadogClient, discoveries: list[Discovery], started: datetime, clock: Clock
) -> IntegrationReport:
    failures = _failures(discoveries)
    if failures and job.settings.on_source_error == "abort":
        errors = [*failures, f"on_source_error is abort: {job.integration} was not written"]
        return _report(job, Result.FAILURE, started, clock, discoveries, errors=errors)
    job.deadline.check()
    current = datadog.get_config(job.integration, job.deadline)
    wanted = desired.build(discoveries, job.extra)
    confirmed = _confirm(job, current, wanted, discoveries)
    for attempt in range(REPLANS + 1):
        changes = _plan(job, current, wanted, discoveries, confirmed)
        held = len(current.entries)
        try:
            guards.check(changes, held, job.settings.max_deletions, job.allow_deletions)
        except GuardRefused as exc:
            refused = Result.FAILURE if failures else Result.REFUSED
            return _report(job, refused, started, clock, discoveries, [*failures, str(exc)], changes, held)
        result = Result.FAILURE if failures else Result.SUCCESS
        if not changes.has_changes or job.dry_run:
            return _report(job, result, started, clock, discoveries, failures, changes, held)
        job.deadline.check("before the PUT")
        with job.write_lock(job.deadline):  # another writer on this machine re-reads only after this PUT
            fresh = datadog.get_config(job.integration, job.deadline)
            if fresh == current:
                job.deadline.check("before the PUT")
                body = document.render(current, changes.result, changes.origin)
                answer = datadog.put_config(job.integration, body, job.deadline)
                # accepted, but an answer that says nothing readable: look at what is stored now
                stored = answer if answer is not None else _read_back(job, datadog)
                problems = _unconfirmed(changes, stored) if isinstance(stored, Current) else [stored]
                if problems:
                    result = Result.FAILURE
                final = len(stored.entries) if isinstance(stored, Current) else len(changes.result)
                errors = [*failures, *problems]
                return _report(job, result, started, clock, discoveries, errors, changes, held, final, True)
        log.warning(
            "%s: the list in Datadog changed since it was read; planning again on the new list",
            job.integration,
            extra={"integration": str(job.integration), "attempt": attempt + 1},
        )
        current = fresh
    raise DatadogError(
        f"the {job.integration} list in Datadog changed {REPLANS + 1} times between the plan and the PUT "
        "(another writer?); nothing written"
    )


def _plan(
    job: Job, current: Current, wanted: Sequence[Entry], discoveries: Sequence[Discovery], confirmed: Sequence[Entry]
) -> Plan:
    upsert_only = job.settings.policy == "upsert-only"
    held = [stored.entry for stored in current.entries]
    protected = guards.protect(held, [*wanted, *confirmed], discoveries, upsert_only)
    return plan.compute(job.integration, held, protected, guards.keeper(discoveries, upsert_only, confirmed))


def _confirm(
    job: Job, current: Current, wanted: Sequence[Entry], discoveries: Sequence[Discovery]
) -> tuple[Entry, ...]:
    """Look up (up to confirm_removals) entries healthy listings would remove; those still there are kept."""
    limit = job.settings.confirm_removals
    if limit <= 0 or job.settings.policy == "upsert-only":
        return ()
    draft = _plan(job, current, wanted, discoveries, ())
    wanted_keys = {e.key() for e in wanted}
    healthy = [d.scope for d in discoveries if d.ok]
    missing = [e for e in draft.removed if e.key() not in wanted_keys and any(s.covers(e) for s in healthy)]
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


def _read_back(job: Job, datadog: DatadogClient) -> Current | str:
    """The list after a PUT whose answer was unreadable, or why it could not be read (the PUT was accepted)."""
    try:
        return datadog.get_config(job.integration, Deadline(VERIFY_SECONDS))
    except SyncerError as exc:
        return f"Datadog accepted the PUT, but the list could not be read back to confirm it: {exc}"


def _unconfirmed(changes: Plan, stored: Current) -> list[str]:
    """An error when what Datadog holds after the PUT lacks entries that were written (none when all are there)."""
    held = Counter(item.entry.key() for item in stored.entries)
    missing: list[Entry] = []
    for entry in changes.result:
        if held[entry.key()] > 0:
            held[entry.key()] -= 1
        else:
            missing.append(entry)
    if not missing:
        return []
    shown = ", ".join(entry.label() for entry in missing[:10])
    return [
        f"Datadog accepted the PUT but holds {len(stored.entries)} entries without {len(missing)} of the "
        f"{len(changes.result)} written (e.g. {shown}); check the {changes.integration} list in Datadog"
    ]


def _failures(discoveries: Sequence[Discovery]) -> list[str]:
    return [d.error for d in discoveries if d.error is not None]


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _report(
    job: Job,
    result: Result,
    started: datetime,
    clock: Clock,
    discoveries: list[Discovery],
    errors: list[str],
    changes: Plan | None = None,
    current_count: int = 0,
    final_count: int | None = None,
    applied: bool = False,
) -> IntegrationReport:
    interrupted = job.deadline.stopped and not applied and result is not Result.SUCCESS
    return IntegrationReport(
        integration=job.integration,
        result=result,
        started_at=started,
        finished_at=clock(),
        dry_run=job.dry_run,
        applied=applied,
        plan=changes,
        current_count=current_count,
        final_count=current_count if final_count is None else final_count,
        sources=tuple(discoveries),
        errors=tuple(errors),
        interrupted=interrupted,
    )
