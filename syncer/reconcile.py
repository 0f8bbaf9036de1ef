"""run_once: one pass of the pipeline for one integration — the ONLY place dry-run is decided.

discover (every source, concurrently) → filter (inside each source) → desired.build → datadog.get_config →
guards.protect → plan.compute → guards.check → [dry-run stops here] → datadog.put_config → report.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from syncer import desired, document, guards, plan
from syncer.datadog import DatadogClient
from syncer.deadline import Deadline
from syncer.errors import GuardRefused, SyncerError
from syncer.model import Discovery, Entry, Integration, IntegrationReport, Plan, Result
from syncer.settings import Effective
from syncer.sources.base import Source

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


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


def run_once(job: Job, datadog: DatadogClient, clock: Clock = lambda: datetime.now(UTC)) -> IntegrationReport:
    """Run the pipeline for one integration; never raises — every failure becomes the report's result."""
    started = clock()
    discoveries: list[Discovery] = []
    try:
        discoveries = discover(job.sources)
        return _reconcile(job, datadog, discoveries, started, clock)
    except SyncerError as exc:
        return _report(job, Result.FAILURE, started, clock, discoveries, errors=[str(exc)])
    except Exception as exc:
        log.exception("unexpected error", extra={"integration": str(job.integration)})
        message = f"unexpected error: {type(exc).__name__}: {exc}"
        return _report(job, Result.FAILURE, started, clock, discoveries, errors=[message])


def discover(sources: Sequence[Source]) -> list[Discovery]:
    """Run every source concurrently; an exception escaping a source fails that source's whole scope."""
    if not sources:
        return []
    with ThreadPoolExecutor(len(sources), thread_name_prefix="source") as pool:
        futures = [pool.submit(source.discover) for source in sources]
        out: list[Discovery] = []
        for source, future in zip(sources, futures, strict=True):
            try:
                out.extend(future.result())
            except Exception as exc:
                log.exception("source raised", extra={"source": source.scope.label})
                out.append(Discovery(source.scope, error=f"{source.scope.label}: {type(exc).__name__}: {exc}"))
    return out


def _reconcile(
    job: Job, datadog: DatadogClient, discoveries: list[Discovery], started: datetime, clock: Clock
) -> IntegrationReport:
    failures = [d.error for d in discoveries if d.error is not None]
    if failures and job.settings.on_source_error == "abort":
        errors = [*failures, f"on_source_error is abort: {job.integration} was not written"]
        return _report(job, Result.FAILURE, started, clock, discoveries, errors=errors)
    current = datadog.get_config(job.integration)
    held = [stored.entry for stored in current.entries]
    wanted = guards.protect(
        held, desired.build(discoveries, job.extra), discoveries, job.settings.policy == "upsert-only"
    )
    changes = plan.compute(job.integration, held, wanted)
    result = Result.FAILURE if failures else Result.SUCCESS
    try:
        guards.check(changes, len(held), job.settings.max_deletions, job.allow_deletions)
    except GuardRefused as exc:
        refused = Result.FAILURE if failures else Result.REFUSED
        return _report(job, refused, started, clock, discoveries, [*failures, str(exc)], changes, len(held))
    applied = False
    final = len(held)
    if changes.has_changes and not job.dry_run:
        stored = datadog.put_config(job.integration, document.render(current, changes.result))
        applied, final = True, len(stored.entries) if stored is not None else len(changes.result)
    return _report(job, result, started, clock, discoveries, failures, changes, len(held), final, applied)


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
    )
