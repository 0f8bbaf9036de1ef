"""One pass over the selected integrations: build jobs from the config, run them concurrently, record them."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

from syncer import metrics, scopes, writelock
from syncer import report as report_
from syncer.config.schema import Config
from syncer.datadog import change_event
from syncer.datadog.client import DatadogClient
from syncer.deadline import Deadline, Stop
from syncer.discovery import watched
from syncer.model import Integration, IntegrationReport, Result, RunReport, Scope
from syncer.progress import SILENT, Progress
from syncer.reconcile import Job, run_once
from syncer.retry import RetryPolicy, Sleep
from syncer.sources import factory
from syncer.sources.github_cache import PageCache
from syncer.state.store import StateStore

log = logging.getLogger("syncer")


def job(
    config: Config,
    integration: Integration,
    *,
    dry_run: bool = False,
    allow_deletions: int = 0,
    policy: RetryPolicy | None = None,
    sleep: Sleep | None = None,
    deadline: Deadline | None = None,
    stop: threading.Event | None = None,
    run_id: str = "",
    trigger: str = "cli",
    targeted: Sequence[Scope] = (),
    cache: PageCache | None = None,
    progress: Progress | None = None,
) -> Job:
    """The Job of one integration, with its sources built from the configuration, bounded by `deadline`.

    Without a deadline the run gets its own: `run_timeout` from now, stopped by `stop`. Retry waits end when
    the run is stopped unless `sleep` is given. With `targeted` scopes, only they are listed again (SPEC §9).
    `cache` (the state store) keeps the ETags of GitHub list pages: an unchanged page costs no rate limit.
    `progress` is shown the pages the sources list (None: nothing is shown).
    """
    settings = config.effective(integration)
    listed = scopes.narrowed(config, integration, targeted) if targeted else config
    bound = deadline if deadline is not None else Deadline(settings.run_timeout_seconds, stop=stop)
    waits = sleep if sleep is not None else bound.sleep
    return Job(
        integration=integration,
        settings=settings,
        sources=watched(
            factory.sources(
                integration, listed, policy or RetryPolicy(), waits, deadline=bound, cache=cache, targeted=targeted
            ),
            progress,
        ),
        extra=factory.extra(integration, config),
        dry_run=dry_run,
        allow_deletions=allow_deletions,
        deadline=bound,
        write_lock=writelock.file_lock(writelock.path_for(config.datadog.base_url, str(integration))),
        run_id=run_id,
        trigger=trigger,
        targeted=tuple(targeted),
    )


def run(
    config: Config,
    only: Sequence[Integration] | None = None,
    *,
    dry_run: bool = False,
    allow_deletions: int = 0,
    policy: RetryPolicy | None = None,
    sleep: Sleep | None = None,
    stop: Stop | None = None,
    store: StateStore | None = None,
    progress: Progress | None = None,
) -> RunReport:
    """Run every selected integration concurrently; one never stops the others; `store` journals applied writes
    and caches the ETags of GitHub list pages.

    `stop` (set by a signal) stops every run: waits end, no PUT starts after it, the report says interrupted.
    `progress` (`progress.for_terminal`) shows the pages the sources list; it is closed once the runs end.
    """
    halt = stop if stop is not None else Stop()
    selected = [i for i in config.integrations() if only is None or i in only]
    run_id = uuid.uuid4().hex
    jobs = [
        job(
            config,
            i,
            dry_run=dry_run,
            allow_deletions=allow_deletions,
            policy=policy,
            sleep=sleep,
            stop=halt,
            run_id=run_id,
            cache=store,
            progress=progress,
        )
        for i in selected
    ]
    waits: Sleep = sleep if sleep is not None else _waiter(halt)
    with DatadogClient(config.datadog, http=config.http, retry=policy or RetryPolicy(), sleep=waits) as datadog:
        if not jobs:
            return RunReport((), run_id=run_id)
        with ThreadPoolExecutor(len(jobs), thread_name_prefix="integration") as pool, closing(progress or SILENT):
            reports = list(pool.map(lambda j: run_once(j, datadog), jobs))
        for report in reports:
            record(report, store)
        change_event.announce_all(datadog, config.datadog, reports, halt)  # after every report is recorded
    interrupted_by = halt.signal or ("stop" if halt.is_set() else None)
    return RunReport(tuple(reports), interrupted_by=interrupted_by, run_id=run_id)


def record(report: IntegrationReport, store: StateStore | None = None) -> None:
    """Metrics, the one structured log event of an integration's run, and its journal row (applied writes)."""
    name = str(report.integration)
    metrics.RUNS.labels(integration=name, result=str(report.result)).inc()
    metrics.RUN_DURATION.labels(integration=name).observe(report.duration_seconds)
    for discovery in report.sources:
        if not discovery.ok:
            metrics.SOURCE_ERRORS.labels(integration=name, source=discovery.scope.label).inc()
    plan = report.plan
    if plan is not None and (report.applied or not plan.has_changes):
        metrics.ENTRIES.labels(integration=name).set(report.final_count)
    if plan is not None and report.applied:
        for change, items in (("added", plan.added), ("removed", plan.removed), ("changed", plan.changed)):
            metrics.CHANGES.labels(integration=name, change=change).inc(len(items))
    if report.result is Result.SUCCESS:
        metrics.LAST_SUCCESS.labels(integration=name).set(report.finished_at.timestamp())
    level = logging.INFO if report.result is Result.SUCCESS else logging.ERROR
    log.log(level, "%s: %s", name, report_.summary(report), extra=report_.log_event(report))
    if store is not None:
        store.record(report)


def _waiter(stop: Stop) -> Sleep:
    """A retry wait that ends at once when the pass is stopped."""

    def wait(seconds: float) -> None:
        stop.wait(seconds)

    return wait
