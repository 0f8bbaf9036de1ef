"""The daemon's run state: single-flight runs per integration, their last reports, and PUTs in flight."""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from syncer.errors import DatadogError
from syncer.model import Integration, IntegrationReport, Result

log = logging.getLogger("syncer")
Execute = Callable[[Integration], IntegrationReport]


class Busy(Exception):
    """Some of the requested integrations are running already; nothing was started."""

    def __init__(self, integrations: Sequence[Integration]) -> None:
        self.integrations = tuple(integrations)
        super().__init__(f"already running: {', '.join(map(str, self.integrations))}")


class Closed(Exception):
    """The registry takes no new runs: the daemon is shutting down."""


@dataclass(frozen=True)
class Running:
    """A run in progress."""

    run_id: str
    trigger: str
    started_at: datetime


@dataclass(frozen=True)
class Finished:
    """The last finished run of an integration."""

    run_id: str
    trigger: str
    report: IntegrationReport


def failed(integration: Integration, started_at: datetime, message: str) -> IntegrationReport:
    """A failure report for a run that could not even produce its own."""
    return IntegrationReport(
        integration=integration,
        result=Result.FAILURE,
        started_at=started_at,
        finished_at=datetime.now(UTC),
        errors=(message,),
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


class Registry:
    """Starts runs in their own threads; one integration never has two runs at once."""

    def __init__(self, integrations: Sequence[Integration], execute: Execute) -> None:
        self.integrations = tuple(integrations)
        self._execute = execute
        self._cond = threading.Condition()
        self._running: dict[Integration, Running] = {}
        self._last: dict[Integration, Finished] = {}
        self._closed = False

    def start(self, integrations: Sequence[Integration], trigger: str) -> Batch:
        """Start one run per integration, all or none; raise Busy or Closed instead of waiting."""
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
            for integration in chosen:
                self._running[integration] = Running(batch.run_id, trigger, now)
        for integration in chosen:
            log.info(
                "%s: run started (%s)",
                integration,
                trigger,
                extra={"event": "run_started", "integration": str(integration), "run_id": batch.run_id},
            )
            thread = threading.Thread(
                target=self._run, args=(batch, integration, now), name=f"run-{integration}", daemon=True
            )
            thread.start()
        return batch

    def _run(self, batch: Batch, integration: Integration, started_at: datetime) -> None:
        try:
            report = self._execute(integration)
        except Exception as exc:
            log.exception("%s: run crashed", integration, extra={"integration": str(integration)})
            report = failed(integration, started_at, f"unexpected error: {type(exc).__name__}: {exc}")
        with self._cond:
            self._running.pop(integration, None)
            self._last[integration] = Finished(batch.run_id, batch.trigger, report)
            self._cond.notify_all()
        batch.finish(report)

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


class PutGate:
    """Counts PUTs in flight; once closed, refuses new ones and lets the caller wait for the others."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._in_flight = 0
        self._closed = False

    @contextlib.contextmanager
    def put(self) -> Iterator[None]:
        """Hold the gate open around one PUT; raise DatadogError once closed."""
        with self._cond:
            if self._closed:
                raise DatadogError("PUT not sent: the daemon is shutting down")
            self._in_flight += 1
        try:
            yield
        finally:
            with self._cond:
                self._in_flight -= 1
                self._cond.notify_all()

    def close(self, timeout: float) -> bool:
        """Refuse new PUTs and wait for those in flight (or timeout); True when none is left."""
        with self._cond:
            self._closed = True
            return self._cond.wait_for(lambda: self._in_flight == 0, timeout)
