"""`syncer daemon`: one APScheduler job per integration, the HTTP interface, reloads and a graceful shutdown.

Every run gets a Deadline of its integration's `run_timeout` whose stop event is the daemon's shutdown event: a
shutdown ends every run's waits at once. A run still going `grace` seconds past its deadline is abandoned by the
Registry (it writes nothing from then on). SIGHUP reloads the configuration file (syncer.daemon.reload).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED

from syncer import metrics, runner
from syncer.checks import KeyCheck
from syncer.config.schema import Config
from syncer.daemon import memory, web
from syncer.daemon.events import Coalescer
from syncer.daemon.registry import GRACE_SECONDS, Registry, current
from syncer.daemon.reload import History, Loaded, Schedules, load, prepare
from syncer.daemon.runs import Busy, Closed
from syncer.daemon.webhooks import Receivers
from syncer.daemon.writegate import GatedTarget, PutGate, RunGuard
from syncer.datadog import change_event
from syncer.datadog.client import DatadogClient
from syncer.deadline import Deadline
from syncer.errors import ConfigError, SyncerError
from syncer.model import Integration, IntegrationReport, Result, Scope
from syncer.reconcile import run_once
from syncer.retry import RetryPolicy
from syncer.state.store import StateStore

log = logging.getLogger("syncer")
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
SETTLE_SECONDS = 2.0


class _Server(uvicorn.Server):
    """uvicorn in a thread; signals stay with the daemon."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Daemon:
    """The scheduler, the runs and the HTTP server of one `syncer daemon` process."""

    def __init__(
        self,
        config: Config,
        token: str | None,
        policy: RetryPolicy | None = None,
        *,
        config_path: str | Path | None = None,
        grace: float = GRACE_SECONDS,
    ) -> None:
        loaded = prepare(config)
        self.config = config
        self.policy = policy or RetryPolicy()
        self._stopping = threading.Event()
        self.gate = PutGate()  # every PUT of every run, across reloads: shutdown closes it
        self.datadog = DatadogClient(config.datadog, retry=self.policy, sleep=self._sleep, http=config.http)
        self._retired: list[DatadogClient] = []
        self.state = StateStore(config.state.path)  # a bad file stops the start-up here, with a ConfigError
        self.registry = Registry(
            config.integrations(), self._execute, timeout=self.run_timeout, grace=grace, record=self._record
        )
        self.events = Coalescer(self._start_targeted, lambda: self.config.webhooks.debounce_seconds)
        self.scheduler = BackgroundScheduler(timezone="UTC", job_defaults=JOB_DEFAULTS)
        self.jobs = Schedules(self.scheduler, self.scheduled, loaded)
        self.schedules = self.jobs.texts
        self.history = History(config_path)
        self.keys = KeyCheck(self._stopping)
        self.control = web.Control(
            self.registry,
            self.schedules,
            self.next_run,
            self.alive,
            self.ready,
            self.checks,
            token,
            config=self.history.as_json,
            journal=lambda: [entry.to_json() for entry in self.state.journal()],
            receivers=Receivers(lambda: self.config, self.events.submit, self.state),
            queued=self.events.pending,
        )
        self._reloading = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def _record(self, report: IntegrationReport) -> None:
        try:
            runner.record(report, self.state)
        finally:
            self.events.finished(report.integration)
        try:
            change_event.announce_all(self.datadog, self.config.datadog, [report], self._stopping)
        finally:
            memory.trim()  # what the run's threads freed goes back to the system

    def _start_targeted(self, integration: Integration, trigger: str, targeted: Sequence[Scope]) -> object:
        """The Coalescer's way to start a run: a targeted one, or a deferred scheduled one (no scopes)."""
        return self.registry.start([integration], trigger=trigger, targeted=targeted)

    def run_timeout(self, integration: Integration) -> float | None:
        """Seconds one run of `integration` may take (its `run_timeout`; None: no limit)."""
        return self.config.effective(integration).run_timeout_seconds

    def start(self, sock: socket.socket) -> None:
        """Serve HTTP on `sock`, schedule every integration (first run now), check the Datadog keys."""
        _label_metrics(self.registry.integrations)
        level = logging.getLogger().getEffectiveLevel()  # as the other libraries: warnings only, unless DEBUG
        logging.getLogger("uvicorn.error").setLevel(level if level <= logging.DEBUG else max(logging.WARNING, level))
        config = uvicorn.Config(
            web.create_app(self.control),
            lifespan="off",
            loop="asyncio",
            log_config=None,
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=3,
        )
        self._server = _Server(config)
        self._thread = threading.Thread(target=self._server.run, args=([sock],), name="http", daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise SyncerError("the HTTP server could not start")
            time.sleep(0.01)
        now = datetime.now(UTC)
        self.jobs.add_all(now)
        host, port = sock.getsockname()[:2]
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        plan = {
            str(i): {"schedule": s, "next_run": _iso(self.jobs.first_after(i, now))} for i, s in self.schedules.items()
        }
        log.info(
            "daemon listening on %s; first run of %s now",
            address,
            ", ".join(plan),
            extra={"event": "daemon_started", "listen": address, "schedules": plan},
        )
        self.scheduler.start()
        self.events.start()
        self.keys.start(lambda: self.datadog)

    @property
    def serving(self) -> bool:
        """True while the HTTP server thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def alive(self) -> bool:
        """Liveness: the scheduler runs (or the daemon is shutting down on purpose)."""
        return self._stopping.is_set() or self.scheduler.state != STATE_STOPPED

    def ready(self) -> bool:
        """Readiness: the scheduler runs, no shutdown began, Datadog did not reject the keys, no run is stuck."""
        return (
            self.scheduler.running
            and not self._stopping.is_set()
            and not self.keys.rejected
            and not self.registry.overdue()
        )

    def checks(self) -> dict[str, str]:
        """What readiness is made of, for people reading /readyz."""
        return {
            "config": "loaded",
            "config_reload": self.history.check(),
            "scheduler": "running" if self.scheduler.running else "stopped",
            "shutdown": "in progress" if self._stopping.is_set() else "no",
            "datadog_keys": self.keys.state,
            "runs": self._runs_check(),
        }

    def _runs_check(self) -> str:
        stuck = [
            f"{i} past its run_timeout since {run.timeout_at.isoformat()} (abandoned {self.registry.grace:g}s after)"
            for i, run in sorted(self.registry.overdue().items())
            if run.timeout_at is not None
        ]
        gone = [f"{a.integration} run {a.run_id} at {a.abandoned_at.isoformat()}" for a in self.registry.abandoned()]
        parts = [f"stuck: {'; '.join(stuck)}"] if stuck else []
        if gone:
            parts.append(f"abandoned (writes nothing; its thread has not returned): {'; '.join(gone)}")
        return " | ".join(parts) or "ok"

    def next_run(self, integration: Integration) -> datetime | None:
        """The next scheduled run of an integration; None once scheduling stopped."""
        return None if self._stopping.is_set() else self.jobs.next_run(integration)

    def stop(self, timeout: float) -> bool:
        """Stop scheduling and triggers, let a running PUT finish (bounded), stop HTTP; True when nothing is left."""
        self._stopping.set()  # every run's deadline is stopped: its waits end, its next check raises
        self.registry.close()
        self.events.close()
        with contextlib.suppress(SchedulerNotRunningError):
            self.scheduler.shutdown(wait=False)
        running = sorted(map(str, self.registry.running()))
        log.info(
            "shutting down: no new runs%s",
            f"; in progress: {', '.join(running)} (a PUT under way gets up to {timeout:g}s)" if running else "",
            extra={"event": "shutdown_started", "running": running},
        )
        if not self.gate.close(timeout):
            log.error("a PUT to Datadog did not finish within %gs", timeout, extra={"event": "shutdown_timeout"})
        self.registry.wait_idle(SETTLE_SECONDS)
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        left = sorted(map(str, self.registry.running()))
        if left:
            log.warning("abandoning runs still discovering: %s (they write nothing)", ", ".join(left))
        zombies = self.registry.abandoned()  # abandoned earlier (run_timeout): their threads may hold the exit
        if not left and not zombies:
            for client in (self.datadog, *self._retired):
                client.close()
            self.state.close()
        log.info("daemon stopped", extra={"event": "daemon_stopped", "abandoned": left})
        return not left and not zombies

    def scheduled(self, integration: Integration) -> None:
        """The scheduler's job: start a run, or skip it (logged) while the previous one is still going."""
        try:
            self.registry.start([integration], trigger="schedule")
        except Busy:
            running = self.registry.running().get(integration)
            if running is None or running.targeted:  # a webhook's run (or one that just ended): the full run follows
                self.events.defer_full(integration)
                log.info(
                    "%s: scheduled run deferred until the targeted run going now ends",
                    integration,
                    extra={"event": "run_deferred", "integration": str(integration)},
                )
                return
            log.warning(
                "%s: scheduled run skipped: the previous run is still going",
                integration,
                extra={"event": "run_skipped", "integration": str(integration)},
            )
        except (Closed, ValueError):  # shutting down, or removed by a reload a moment ago
            pass

    def reload(self, path: str | Path) -> bool:
        """Load the configuration again (validated first); on any error the running one stays. True on success."""
        with self._reloading:
            if self._stopping.is_set():
                return False
            try:
                self._apply(load(path))
            except Exception as exc:  # never a traceback: the message names the key (ConfigError) or the cause
                problem = str(exc) if isinstance(exc, ConfigError) else f"{type(exc).__name__}: {exc}"
                self.history.failed(problem)
                metrics.CONFIG_RELOADS.labels(result="failure").inc()
                log.error(
                    "configuration reload failed; the running configuration stays: %s",
                    problem,
                    extra={"event": "config_reload_failed", "path": str(path)},
                )
                return False
            self.history.succeeded()
            metrics.CONFIG_RELOADS.labels(result="success").inc()
            plan = {str(i): {"schedule": s, "next_run": _iso(self.next_run(i))} for i, s in self.schedules.items()}
            log.info(
                "configuration reloaded from %s: %s",
                path,
                ", ".join(plan),
                extra={"event": "config_reloaded", "path": str(path), "schedules": plan},
            )
            return True

    def _apply(self, loaded: Loaded) -> None:
        """Make a validated configuration the running one; runs under way finish with the one they started with."""
        old, new = self.config, loaded.config
        keys_changed = new.datadog != old.datadog or new.http != old.http  # a new CA bundle: a new client too
        if keys_changed or new.http.ca_bundle is not None:  # a reload also reads a rotated bundle file again
            self._retired.append(self.datadog)
            self.datadog = DatadogClient(new.datadog, retry=self.policy, sleep=self._sleep, http=new.http)
        self.config = new
        self.registry.configure(new.integrations())
        self.jobs.apply(loaded)
        _label_metrics(tuple(new.integrations()))
        if keys_changed:
            self.keys.start(lambda: self.datadog)

    def _sleep(self, seconds: float) -> None:
        """A retry wait that a shutdown ends at once."""
        self._stopping.wait(seconds)

    def _execute(self, integration: Integration) -> IntegrationReport:
        run = current()
        guard = run.guard if run is not None else RunGuard()
        seconds = run.run_timeout if run is not None else self.run_timeout(integration)
        deadline = Deadline(seconds, stop=self._stopping)
        guard.deadline = deadline
        targeted = run.targeted if run is not None else ()
        job = runner.job(
            self.config,
            integration,
            policy=self.policy,
            sleep=self._sleep,
            deadline=deadline,
            targeted=targeted,
            cache=self.state,
        )
        return run_once(job, GatedTarget(self.datadog, self.gate, guard))  # the registry stamps run id and trigger


def _label_metrics(integrations: tuple[Integration, ...]) -> None:
    """Create the counters' series of every configured integration at zero, so they exist before a run."""
    for integration in integrations:
        for result in Result:
            metrics.RUNS.labels(integration=str(integration), result=str(result))
        for change in ("added", "removed", "changed"):
            metrics.CHANGES.labels(integration=str(integration), change=change)
        for posted in ("posted", "failed"):  # a monitor on failed change events has its series from the start
            metrics.CHANGE_EVENTS.labels(integration=str(integration), result=posted)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
