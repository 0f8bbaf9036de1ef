"""Fixtures of the daemon tests: the simulator, a GitHub-only config, and the real daemon as a subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from syncer.simulator import Simulator

TOKEN = "trigger-token-for-tests"
FAR_FUTURE = "0 0 1 1 *"

SPEC_METRICS = (
    "syncer_runs_total",
    "syncer_run_duration_seconds",
    "syncer_entries",
    "syncer_changes_total",
    "syncer_last_success_timestamp_seconds",
    "syncer_source_errors_total",
    "syncer_http_requests_total",
)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def github_config(sim: Simulator, **defaults: Any) -> dict[str, Any]:
    """The simulator's config restricted to github (and datadog), scheduled far in the future."""
    config = sim.config_dict()
    config.pop("jira", None)
    config.pop("pagerduty", None)
    config["defaults"] = {"schedule": FAR_FUTURE, **defaults}
    return config


class DaemonProcess:
    """`python -m syncer daemon` in a subprocess, with its stderr kept in a file."""

    def __init__(
        self,
        tmp: Path,
        sim: Simulator,
        config: dict[str, Any],
        token: str | None = TOKEN,
        log_level: str | None = None,
        **env: str,
    ):
        self.token = token or TOKEN
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        tmp.mkdir(parents=True, exist_ok=True)
        self.config_path = tmp / "syncer.yaml"
        self.config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
        self.log_path = tmp / "daemon.log"
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("SYNCER_", "DD_"))}
        environ.update(sim.env())
        environ.update(env)
        if token is not None:
            environ["SYNCER_TRIGGER_TOKEN"] = token
        self.http = httpx.Client(base_url=self.url, timeout=20)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "syncer",
                    "--log-format",
                    "json",
                    *(["--log-level", log_level] if log_level else []),
                    "daemon",
                    "--config",
                    str(self.config_path),
                    "--listen",
                    f"127.0.0.1:{self.port}",
                ],
                env=environ,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )

    @property
    def log(self) -> str:
        """Everything the daemon logged so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 15) -> None:
        """Poll /readyz until 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"daemon exited with {self.process.returncode}:\n{self.log}"
            try:
                if self.http.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"daemon not ready after {timeout}s:\n{self.log}")

    def wait_serving(self, timeout: float = 15) -> None:
        """Poll /healthz until the HTTP server answers (ready or not)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"daemon exited with {self.process.returncode}:\n{self.log}"
            try:
                if self.http.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"daemon not serving after {timeout}s:\n{self.log}")

    def github(self) -> dict[str, Any]:
        """The github part of /status."""
        answer = self.http.get("/status")
        assert answer.status_code == 200
        github: dict[str, Any] = answer.json()["integrations"]["github"]
        return github

    def wait_idle(self, timeout: float = 15) -> dict[str, Any]:
        """Wait until github has a finished run and none in progress; return its /status part."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            github = self.github()
            if github["running"] is None and github["last_run"] is not None:
                return github
            time.sleep(0.05)
        raise AssertionError(f"github still running after {timeout}s:\n{self.log}")

    def wait_running(self, timeout: float = 15) -> None:
        """Wait until a github run is in progress."""
        deadline = time.monotonic() + timeout
        while self.github()["running"] is None:
            assert time.monotonic() < deadline, f"no run started:\n{self.log}"
            time.sleep(0.02)

    def sync(self, query: str = "", token: str | None = TOKEN) -> httpx.Response:
        """POST /sync with the bearer token (or none)."""
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return self.http.post(f"/sync{'?' + query if query else ''}", headers=headers)

    def write_config(self, config: dict[str, Any] | str) -> None:
        """Replace the daemon's configuration file (a dict as YAML, or the raw text)."""
        text = config if isinstance(config, str) else yaml.safe_dump(config)
        self.config_path.write_text(text, encoding="utf-8")

    def metric(self, sample: str) -> float | None:
        """The value of one sample line of /metrics (`name{labels}`), None when absent."""
        for line in self.http.get("/metrics").text.splitlines():
            if line.startswith(sample + " "):
                return float(line.rpartition(" ")[2])
        return None

    def terminate(self, signum: int = signal.SIGTERM, timeout: float = 10) -> tuple[int, float]:
        """Send `signum`, wait for the exit; return (exit code, seconds it took)."""
        started = time.monotonic()
        self.process.send_signal(signum)
        code = self.process.wait(timeout)
        return code, time.monotonic() - started

    def close(self) -> None:
        """Kill the process if it still runs and close the HTTP client."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.http.close()


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(scale="small") as simulator:
        yield simulator


@pytest.fixture(scope="module")
def daemon(sim: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    """One daemon shared by the tests of the HTTP interface (they run in file order)."""
    process = DaemonProcess(tmp_path_factory.mktemp("daemon"), sim, github_config(sim))
    try:
        process.wait_ready()
        yield process
    finally:
        process.close()


@pytest.fixture
def start(sim: Simulator, tmp_path: Path) -> Iterator[Any]:
    """Start a daemon of its own for one test; killed at the end."""
    started: list[DaemonProcess] = []

    def launch(config: dict[str, Any] | None = None, **kwargs: Any) -> DaemonProcess:
        process = DaemonProcess(tmp_path / str(len(started)), sim, config or github_config(sim), **kwargs)
        started.append(process)
        return process

    sim.reset()
    yield launch
    for process in started:
        process.close()
    sim.reset()


@pytest.fixture
def config(sim: Simulator) -> Callable[..., dict[str, Any]]:
    """Build the GitHub-only config of the simulator, with `defaults` overrides."""
    return lambda **defaults: github_config(sim, **defaults)
