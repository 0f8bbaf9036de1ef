"""The daemon's runs as values: one running, finished or abandoned run, a batch of runs one trigger started."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from syncer.daemon.writegate import RunGuard
from syncer.model import Integration, IntegrationReport, Result, Scope

log = logging.getLogger("syncer")


class Busy(Exception):
    """Some of the requested integrations are running already; nothing was started."""

    def __init__(self, integrations: Sequence[Integration]) -> None:
        self.integrations = tuple(integrations)
        super().__init__(f"already running: {', '.join(map(str, self.integrations))}")


class Closed(Exception):
    """The registry takes no new runs: the daemon is shutting down."""


@dataclass(frozen=True)
class Running:
    """A run in progress; `timeout_at` is when its `run_timeout` (seconds) passes (None: no limit)."""

    run_id: str
    trigger: str
    started_at: datetime
    timeout_at: datetime | None = None
    run_timeout: float | None = None
    targeted: tuple[Scope, ...] = ()  # a targeted run (webhook): the scopes it lists again; () = a full run
    guard: RunGuard = field(default_factory=RunGuard, compare=False, repr=False)

    def overdue(self, now: datetime | None = None) -> bool:
        """True once the run is past its run_timeout and still going."""
        return self.timeout_at is not None and (now or datetime.now(UTC)) >= self.timeout_at


@dataclass(frozen=True)
class Finished:
    """The last finished run of an integration: its report, which names the run (run id, trigger, abandoned)."""

    report: IntegrationReport = field(repr=False)

    @property
    def run_id(self) -> str:
        """The id of the batch the run belonged to."""
        return self.report.run_id

    @property
    def trigger(self) -> str:
        """What started the run (schedule, http)."""
        return self.report.trigger

    @property
    def abandoned(self) -> bool:
        """True when the registry gave up on the run."""
        return self.report.abandoned


@dataclass(frozen=True)
class Abandoned:
    """A run given up on whose thread has not returned yet."""

    integration: Integration
    run_id: str
    started_at: datetime
    abandoned_at: datetime


def failed(
    integration: Integration, started_at: datetime, message: str, run: Running | None = None, abandoned: bool = False
) -> IntegrationReport:
    """A failure report for a run that could not even produce its own."""
    return IntegrationReport(
        integration=integration,
        result=Result.FAILURE,
        started_at=started_at,
        finished_at=datetime.now(UTC),
        errors=(message,),
        run_id="" if run is None else run.run_id,
        trigger="schedule" if run is None else run.trigger,
        abandoned=abandoned,
        targeted=() if run is None else tuple(scope.label for scope in run.targeted),
    )


class Batch:
    """The runs one trigger started together; done once every one of them has finished."""

    def __init__(self, run_id: str, trigger: str, integrations: Sequence[Integration]) -> None:
        self.run_id = run_id
        self.trigger = trigger
        self.integrations = tuple(integrations)
        self._reports: dict[Integration, IntegrationReport] = {}
        self._callbacks: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._done = threading.Event()

    @property
    def done(self) -> bool:
        """True once every run of the batch has finished."""
        return self._done.is_set()

    @property
    def reports(self) -> tuple[IntegrationReport, ...]:
        """The reports finished so far, in the order of `integrations`."""
        with self._lock:
            return tuple(self._reports[i] for i in self.integrations if i in self._reports)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until done (or timeout); True when done."""
        return self._done.wait(timeout)

    def on_done(self, callback: Callable[[], None]) -> None:
        """Call `callback` (from the finishing thread) once done; at once when done already."""
        with self._lock:
            if not self._done.is_set():
                self._callbacks.append(callback)
                return
        callback()

    def finish(self, report: IntegrationReport) -> None:
        """Record the report of one run of the batch."""
        with self._lock:
            self._reports[report.integration] = report
            complete = len(self._reports) == len(self.integrations)
            callbacks, self._callbacks = (self._callbacks, []) if complete else ([], self._callbacks)
            if complete:
                self._done.set()
        for callback in callbacks:
            try:
                callback()
            except Exception:
                log.exception("run completion callback failed", extra={"run_id": self.run_id})
