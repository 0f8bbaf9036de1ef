"""`syncer daemon`: one APScheduler job per integration, the HTTP interface, reloads and a graceful shutdown.

Every run gets a Deadline of its integration's `run_timeout` whose stop event is the daemon's shutdown event: a
shutdown ends every run's waits at once. A run still going `grace` seconds past its deadline is abandoned by the
Registry (it writes nothing from then on). SIGHUP reloads the configuration file (syncer.reload).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED

from syncer import metrics, runner, web
from syncer.checks import KeyCheck
from syncer.config import Config
from syncer.datadog import DatadogClient
from syncer.deadline import Deadline
from syncer.errors import ConfigError, SyncerError
from syncer.model import Integration, IntegrationReport, Result
from syncer.reconcile import run_once
from syncer.redact import REDACTOR
from syncer.reload import History, Loaded, Schedules, load, prepare
from syncer.retry import RetryPolicy
from syncer.signals import Signals, flush
from syncer.status import GRACE_SECONDS, Busy, Closed, Registry, current
from syncer.writegate import GatedTarget, PutGate, RunGuard

log = logging.getLogger("syncer")
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
SHUTDOWN_TIMEOUT = 20.0
SETTLE_SECONDS = 2.0


def serve(config_path: Path, listen: str) -> int:
    """Run the daemon until SIGTERM/SIGINT and return the exit code; ConfigError before anything is served.

    SIGHUP reloads the configuration from `config_path` (Daemon.reload).
    """
    loaded = load(config_path)
    host, port = parse_listen(listen)
    timeout = shutdown_timeout(os.environ)
    sock = _bind(host, port, listen)
    token = os.environ.get("SYNCER_TRIGGER_TOKEN", "").strip() or None
    REDACTOR.add(token)
    signals = Signals()
    daemon = Daemon(loaded.config, token, config_path=config_path)
    previous = signals.install()
    code = 0
    try:
        daemon.start(sock)
        while not signals.stop.is_set():
            signals.wake.wait(0.5)
            signals.wake.clear()
            if signals.stop.is_set():
                break
            if signals.take_reload():
                daemon.reload(config_path)
            if not daemon.serving:
                log.error("the HTTP server stopped unexpectedly", extra={"event": "server_failed"})
                code = 1
                break
    finally:
        clean = daemon.stop(timeout)
        Signals.restore(previous)
    if not clean:  # threads of abandoned runs would hold the interpreter open: end the process now
        flush()
        os._exit(code)
    return code


def parse_listen(text: str) -> tuple[str, int]:
    """HOST:PORT (IPv6 in brackets) → (host, port); ConfigError naming --listen otherwise."""
    host, sep, port_text = text.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ConfigError(f"--listen: expected HOST:PORT such as 0.0.0.0:8080, got {text!r}")
    return host, int(port_text)


def shutdown_timeout(env: Mapping[str, str]) -> float:
    """Seconds a running PUT may take after SIGTERM: env SYNCER_SHUTDOWN_TIMEOUT, default 20."""
    raw = env.get("SYNCER_SHUTDOWN_TIMEOUT", "").strip()
    if not raw:
        return SHUTDOWN_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise ConfigError(f"SYNCER_SHUTDOWN_TIMEOUT: expected seconds between 0 and 3600, got {raw!r}")
    return value


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
        self.datadog = DatadogClient(config.datadog, retry=self.policy, sleep=self._sleep)
        self._retired: list[DatadogClient] = []
        self.registry = Registry(
            config.integrations(), self._execute, timeout=self.run_timeout, grace=grace, record=runner.record
        )
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
        )
        self._reloading = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

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
        log.info("daemon stopped", extra={"event": "daemon_stopped", "abandoned": left})
        return not left and not zombies

    def scheduled(self, integration: Integration) -> None:
        """The scheduler's job: start a run, or skip it (logged) while the previous one is still going."""
        try:
            self.registry.start([integration], trigger="schedule")
        except Busy:
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
        keys_changed = new.datadog != old.datadog
        if keys_changed:
            self._retired.append(self.datadog)
            self.datadog = DatadogClient(new.datadog, retry=self.policy, sleep=self._sleep)
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
        job = runner.job(
            self.config,
            integration,
            policy=self.policy,
            sleep=self._sleep,
            deadline=deadline,
            run_id="" if run is None else run.run_id,
            trigger="schedule" if run is None else run.trigger,
        )
        return run_once(job, GatedTarget(self.datadog, self.gate, guard))


def _label_metrics(integrations: tuple[Integration, ...]) -> None:
    """Create the counters' series of every configured integration at zero, so they exist before a run."""
    for integration in integrations:
        for result in Result:
            metrics.RUNS.labels(integration=str(integration), result=str(result))
        for change in ("added", "removed", "changed"):
            metrics.CHANGES.labels(integration=str(integration), change=change)


def _bind(host: str, port: int, listen: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=128)
    except OSError as exc:
        raise ConfigError(f"--listen {listen}: cannot listen there: {exc.strerror or exc}") from exc


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
