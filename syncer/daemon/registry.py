"""The daemon's run registry: single-flight runs per integration and their last reports (writes: see writegate).

A run whose thread has not returned `grace` seconds after its `run_timeout` is abandoned: it is marked finished
as failed (so schedules and triggers work again), its RunGuard refuses every PUT from then on, and the report
its thread may still return one day is dropped.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from syncer.daemon.runs import Abandoned, Batch, Busy, Closed, Finished, Running, failed
from syncer.daemon.writegate import ABANDONED
from syncer.model import Integration, IntegrationReport, Scope

log = logging.getLogger("syncer")
Execute = Callable[[Integration], IntegrationReport]
Record = Callable[[IntegrationReport], None]
Timeout = Callable[[Integration], float | None]
GRACE_SECONDS = 30.0
RETRY_ABANDON_SECONDS = 1.0
_current = threading.local()


def current() -> Running | None:
    """The run the calling thread executes (inside a Registry's execute function), else None."""
    run: Running | None = getattr(_current, "run", None)
    return run


class Registry:
    """Starts runs in their own threads; one integration never has two runs at once.

    `timeout(integration)` is the run_timeout of a run starting now (None: no limit); a run still going `grace`
    seconds after it is abandoned. `record` is called exactly once per finished run (abandoned ones included),
    before the run's batch is told.
    """

    def __init__(
        self,
        integrations: Sequence[Integration],
        execute: Execute,
        *,
        timeout: Timeout | None = None,
        grace: float = GRACE_SECONDS,
        record: Record | None = None,
    ) -> None:
        self.integrations = tuple(integrations)
        self._execute = execute
        self._timeout = timeout
        self._grace = grace
        self._record = record
        self._cond = threading.Condition()
        self._running: dict[Integration, Running] = {}
        self._last: dict[Integration, Finished] = {}
        self._abandoned: dict[int, Abandoned] = {}
        self._timers: dict[int, threading.Timer] = {}
        self._closed = False

    @property
    def grace(self) -> float:
        """Seconds after its run_timeout a run still going is abandoned."""
        return self._grace

    def configure(self, integrations: Sequence[Integration]) -> None:
        """Change the configured integrations (a reload); runs of removed ones go on, their reports are kept."""
        with self._cond:
            self.integrations = tuple(integrations)

    def start(self, integrations: Sequence[Integration], trigger: str, targeted: Sequence[Scope] = ()) -> Batch:
        """Start one run per integration, all or none; raise Busy or Closed instead of waiting.

        With `targeted` scopes each run lists only the scopes of its integration again (a targeted run).
        """
        chosen = tuple(dict.fromkeys(integrations))
        unknown = [i for i in chosen if i not in self.integrations]
        if unknown:
            raise ValueError(f"not configured: {', '.join(map(str, unknown))}")
        with self._cond:
            if self._closed:
                raise Closed("shutting down: no new runs")
            busy = [i for i in chosen if i in self._running]
            if busy:
                raise Busy(busy)
            batch = Batch(uuid.uuid4().hex, trigger, chosen)
            now = datetime.now(UTC)
            limits = {i: self._timeout(i) if self._timeout is not None else None for i in chosen}
            runs = {
                i: Running(
                    batch.run_id,
                    trigger,
                    now,
                    None if limit is None else now + timedelta(seconds=limit),
                    limit,
                    tuple(targeted),
                )
                for i, limit in limits.items()
            }
            self._running.update(runs)
        for integration in chosen:
            log.info(
                "%s: run started (%s)",
                integration,
                trigger,
                extra={"event": "run_started", "integration": str(integration), "run_id": batch.run_id},
            )
            run = runs[integration]
            thread = threading.Thread(
                target=self._run, args=(batch, integration, run), name=f"run-{integration}", daemon=True
            )
            thread.start()
            limit = limits[integration]
            if limit is not None:
                self._watch(batch, integration, run, max(limit, 0.0) + self._grace)
        return batch

    def _run(self, batch: Batch, integration: Integration, run: Running) -> None:
        _current.run = run
        try:
            report = self._execute(integration)
        except Exception as exc:
            log.exception("%s: run crashed", integration, extra={"integration": str(integration)})
            report = failed(integration, run.started_at, f"unexpected error: {type(exc).__name__}: {exc}", run)
        finally:
            _current.run = None
        # whatever `execute` filled in
        report = replace(report, run_id=batch.run_id, trigger=batch.trigger, targeted=_labels(run.targeted))
        with self._cond:
            mine = self._running.get(integration) is run
            if mine:
                self._running.pop(integration)
                self._last[integration] = Finished(report)
            self._abandoned.pop(id(run), None)
            timer = self._timers.pop(id(run), None)
            self._cond.notify_all()
        if timer is not None:
            timer.cancel()
        if not mine:
            log.warning(
                "%s: the abandoned run %s returned at last; its report is dropped",
                integration,
                batch.run_id,
                extra={"event": "abandoned_run_returned", "integration": str(integration), "run_id": batch.run_id},
            )
            return
        self._recorded(report)
        batch.finish(report)

    def _watch(self, batch: Batch, integration: Integration, run: Running, seconds: float) -> None:
        timer = threading.Timer(seconds, self._expire, args=(batch, integration, run))
        timer.daemon = True
        timer.name = f"watch-{integration}"
        with self._cond:
            if self._running.get(integration) is not run:
                return
            self._timers[id(run)] = timer
        timer.start()

    def _expire(self, batch: Batch, integration: Integration, run: Running) -> None:
        """The run is past run_timeout + grace: abandon it unless a PUT of it is under way (then look again)."""
        with self._cond:
            self._timers.pop(id(run), None)
            if self._running.get(integration) is not run:
                return
        if not run.guard.abandon():
            self._watch(batch, integration, run, RETRY_ABANDON_SECONDS)
            return
        now = datetime.now(UTC)
        report = failed(integration, run.started_at, ABANDONED, run, abandoned=True)
        with self._cond:
            if self._running.get(integration) is not run:
                return  # it returned meanwhile: its own report stands
            self._running.pop(integration)
            self._last[integration] = Finished(report)
            self._abandoned[id(run)] = Abandoned(integration, batch.run_id, run.started_at, now)
            self._cond.notify_all()
        log.error(
            "%s: run %s abandoned: %s",
            integration,
            batch.run_id,
            ABANDONED,
            extra={"event": "run_abandoned", "integration": str(integration), "run_id": batch.run_id},
        )
        self._recorded(report)
        batch.finish(report)

    def _recorded(self, report: IntegrationReport) -> None:
        if self._record is None:
            return
        try:
            self._record(report)
        except Exception:
            log.exception("recording a run failed", extra={"integration": str(report.integration)})

    def close(self) -> None:
        """Refuse every later start (running ones go on)."""
        with self._cond:
            self._closed = True

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no run is in progress (or timeout); True when idle."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._running, timeout)

    def running(self) -> dict[Integration, Running]:
        """The runs in progress."""
        with self._cond:
            return dict(self._running)

    def last(self) -> dict[Integration, Finished]:
        """The last finished run of each integration that has one."""
        with self._cond:
            return dict(self._last)

    def overdue(self) -> dict[Integration, Running]:
        """The runs past their run_timeout that have neither returned nor been abandoned yet (stuck)."""
        now = datetime.now(UTC)
        with self._cond:
            return {i: run for i, run in self._running.items() if run.overdue(now)}

    def abandoned(self) -> list[Abandoned]:
        """The abandoned runs whose threads have not returned yet, oldest first."""
        with self._cond:
            return sorted(self._abandoned.values(), key=lambda a: a.abandoned_at)


def _labels(targeted: Sequence[Scope]) -> tuple[str, ...]:
    return tuple(scope.label for scope in targeted)
