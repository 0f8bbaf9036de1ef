"""`syncer daemon`: one APScheduler job per integration, the HTTP interface, and a graceful shutdown."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

import uvicorn
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED

from syncer import configfile, metrics, runner, schedule, web
from syncer.config import Config, DatadogConfig
from syncer.datadog import DatadogClient
from syncer.errors import ConfigError, DatadogError, SyncerError
from syncer.model import JSON, Current, Integration, IntegrationReport, Result
from syncer.reconcile import run_once
from syncer.retry import RetryPolicy, Sleep, Sleeper
from syncer.status import Busy, Closed, PutGate, Registry, failed

log = logging.getLogger("syncer")
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
SHUTDOWN_TIMEOUT = 20.0
KEY_RECHECK_SECONDS = 60.0
SETTLE_SECONDS = 2.0
_Handler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None


def serve(config_path: Path, listen: str) -> int:
    """Run the daemon until SIGTERM/SIGINT and return the exit code; ConfigError before anything is served."""
    config = configfile.load(config_path)
    host, port = parse_listen(listen)
    timeout = shutdown_timeout(os.environ)
    sock = _bind(host, port, listen)
    stop = threading.Event()
    daemon = Daemon(config, os.environ.get("SYNCER_TRIGGER_TOKEN", "").strip() or None)
    previous = _install_signals(stop)
    code = 0
    try:
        daemon.start(sock)
        while not stop.wait(0.5):
            if not daemon.serving:
                log.error("the HTTP server stopped unexpectedly", extra={"event": "server_failed"})
                code = 1
                break
    finally:
        clean = daemon.stop(timeout)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if not clean:  # threads of abandoned runs would hold the interpreter open: end the process now
        _flush()
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


class _DaemonDatadog(DatadogClient):
    """The daemon's shared Datadog client: no PUT starts once shutdown began."""

    def __init__(self, config: DatadogConfig, *, retry: RetryPolicy, sleep: Sleep) -> None:
        super().__init__(config, retry=retry, sleep=sleep)
        self.gate = PutGate()

    def put_config(self, integration: Integration, config: Mapping[str, JSON]) -> Current | None:
        with self.gate.put():
            return super().put_config(integration, config)


class _Server(uvicorn.Server):
    """uvicorn in a thread; signals stay with the daemon."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Daemon:
    """The scheduler, the runs and the HTTP server of one `syncer daemon` process."""

    def __init__(self, config: Config, token: str | None, policy: RetryPolicy | None = None) -> None:
        self.config = config
        self.policy = policy or RetryPolicy()
        self.sleeper = Sleeper()
        self.datadog = _DaemonDatadog(config.datadog, retry=self.policy, sleep=self.sleeper)
        self.registry = Registry(config.integrations(), self._execute)
        self.schedules = {i: config.effective(i).schedule for i in config.integrations()}
        self.scheduler = BackgroundScheduler(timezone="UTC", job_defaults=JOB_DEFAULTS)
        self.control = web.Control(
            self.registry, self.schedules, self.next_run, self.alive, self.ready, self.checks, token
        )
        self._stopping = threading.Event()
        self._keys = "not checked yet"
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, sock: socket.socket) -> None:
        """Serve HTTP on `sock`, schedule every integration (first run now), check the Datadog keys."""
        _label_metrics(self.registry.integrations)
        quiet = max(logging.WARNING, logging.getLogger().getEffectiveLevel())
        logging.getLogger("uvicorn.error").setLevel(quiet)
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
        for integration, text in self.schedules.items():
            trigger = schedule.parse(text).trigger(self.config.effective(integration).jitter)
            self.scheduler.add_job(self.scheduled, trigger, args=[integration], id=str(integration), next_run_time=now)
        host, port = sock.getsockname()[:2]
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        plan = {str(i): {"schedule": s, "next_run": _iso(self._after_first(i, now))} for i, s in self.schedules.items()}
        log.info(
            "daemon listening on %s; first run of %s now",
            address,
            ", ".join(plan),
            extra={"event": "daemon_started", "listen": address, "schedules": plan},
        )
        self.scheduler.start()
        threading.Thread(target=self._check_keys, name="datadog-keys", daemon=True).start()

    @property
    def serving(self) -> bool:
        """True while the HTTP server thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def alive(self) -> bool:
        """Liveness: the scheduler runs (or the daemon is shutting down on purpose)."""
        return self._stopping.is_set() or self.scheduler.state != STATE_STOPPED

    def ready(self) -> bool:
        """Readiness: the scheduler runs, no shutdown began, and Datadog did not reject the keys."""
        return self.scheduler.running and not self._stopping.is_set() and not self._keys.startswith("rejected")

    def checks(self) -> dict[str, str]:
        """What readiness is made of, for people reading /readyz."""
        return {
            "config": "loaded",
            "scheduler": "running" if self.scheduler.running else "stopped",
            "shutdown": "in progress" if self._stopping.is_set() else "no",
            "datadog_keys": self._keys,
        }

    def next_run(self, integration: Integration) -> datetime | None:
        """The next scheduled run of an integration; None once scheduling stopped."""
        if self._stopping.is_set():
            return None
        job = self.scheduler.get_job(str(integration))
        moment: datetime | None = job.next_run_time if job is not None else None
        return moment

    def stop(self, timeout: float) -> bool:
        """Stop scheduling and triggers, let a running PUT finish (bounded), stop HTTP; True when nothing is left."""
        self._stopping.set()
        self.registry.close()
        with contextlib.suppress(SchedulerNotRunningError):
            self.scheduler.shutdown(wait=False)
        self.sleeper.stop()
        running = sorted(map(str, self.registry.running()))
        log.info(
            "shutting down: no new runs%s",
            f"; in progress: {', '.join(running)} (a PUT under way gets up to {timeout:g}s)" if running else "",
            extra={"event": "shutdown_started", "running": running},
        )
        if not self.datadog.gate.close(timeout):
            log.error("a PUT to Datadog did not finish within %gs", timeout, extra={"event": "shutdown_timeout"})
        self.registry.wait_idle(SETTLE_SECONDS)
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        left = sorted(map(str, self.registry.running()))
        if left:
            log.warning("abandoning runs still discovering: %s (they write nothing)", ", ".join(left))
        else:
            self.datadog.close()
        log.info("daemon stopped", extra={"event": "daemon_stopped", "abandoned": left})
        return not left

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
        except Closed:
            pass

    def _execute(self, integration: Integration) -> IntegrationReport:
        started = datetime.now(UTC)
        try:
            job = runner.job(self.config, integration, policy=self.policy, sleep=self.sleeper)
            report = run_once(job, self.datadog)
        except Exception as exc:
            log.exception("%s: run failed unexpectedly", integration, extra={"integration": str(integration)})
            report = failed(integration, started, f"unexpected error: {type(exc).__name__}: {exc}")
        runner.record(report)
        return report

    def _check_keys(self) -> None:
        while not self._stopping.is_set():
            try:
                self.datadog.validate_keys()
            except DatadogError as exc:
                rejected = exc.status in (401, 403)
                self._keys = f"rejected: {exc}" if rejected else f"unchecked: {exc}"
                log.log(logging.ERROR if rejected else logging.WARNING, "Datadog key check: %s", exc)
            except Exception as exc:
                self._keys = f"unchecked: {type(exc).__name__}: {exc}"
                log.warning("Datadog key check failed: %s", self._keys)
            else:
                self._keys = "ok"
                return
            self.sleeper(KEY_RECHECK_SECONDS)

    def _after_first(self, integration: Integration, now: datetime) -> datetime | None:
        trigger = schedule.parse(self.schedules[integration]).trigger()
        moment: datetime | None = trigger.get_next_fire_time(None, now)
        return moment


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


def _install_signals(stop: threading.Event) -> dict[int, _Handler]:
    """SIGTERM/SIGINT: the first asks for a graceful stop, a second one ends the process at once."""
    if threading.current_thread() is not threading.main_thread():
        return {}

    def handle(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            log.error("second %s: exiting at once", name, extra={"event": "shutdown_forced"})
            _flush()
            os._exit(1)
        log.info("%s received: shutting down", name, extra={"event": "signal"})
        stop.set()

    return {signum: signal.signal(signum, handle) for signum in (signal.SIGTERM, signal.SIGINT)}


def _flush() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stdout.flush()
    sys.stderr.flush()


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
