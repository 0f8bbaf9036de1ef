"""The real daemon (`python -m syncer daemon`) in a subprocess, for the benchmarks of the daemon's behaviour.

Its CPU and memory are its own: the simulator runs in the benchmark's process (or its own). This module starts
it on a free loopback port with a configuration written to a temporary folder, waits for it, and reads what the
benchmarks measure: `/status`, `/metrics` samples, and the resident set size from /proc.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import yaml

FAR_FUTURE = "0 0 1 1 *"  # the daemon's first run happens at start; the next one not during the benchmark
TRIGGER_TOKEN = "syncer-bench-trigger-token"  # noqa: S105 - loopback only, for POST /sync


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Daemon:
    """`python -m syncer daemon --config F --listen 127.0.0.1:PORT`, its log kept in a file next to F."""

    def __init__(self, config: dict[str, Any], env: dict[str, str]) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="syncer-bench-daemon-"))
        self.config_path = self.folder / "syncer.yaml"
        self.config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
        self.log_path = self.folder / "daemon.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("SYNCER_", "DD_"))}
        environ.update(env)
        environ["SYNCER_TRIGGER_TOKEN"] = TRIGGER_TOKEN
        command = [sys.executable, "-m", "syncer", "--log-format", "json", "daemon"]
        command += ["--config", str(self.config_path), "--listen", f"127.0.0.1:{self.port}"]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(command, env=environ, stdout=subprocess.DEVNULL, stderr=log)
        self.http = httpx.Client(base_url=self.url, timeout=120)

    def __enter__(self) -> Daemon:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the daemon (SIGTERM, then SIGKILL after 15 s) and close the HTTP client."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.http.close()

    @property
    def log(self) -> str:
        """Everything the daemon logged so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def _alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"daemon exited with {self.process.returncode}:\n{self.log[-4000:]}")

    def wait_ready(self, timeout: float = 120) -> None:
        """Poll /readyz until 200 (the first run of every integration has succeeded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._alive()
            try:
                if self.http.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"daemon not ready after {timeout}s:\n{self.log[-4000:]}")

    def status(self) -> dict[str, Any]:
        """The body of GET /status."""
        answer = self.http.get("/status")
        answer.raise_for_status()
        body: dict[str, Any] = answer.json()
        return body

    def wait_runs(self, at_least: int, settle: float, timeout: float = 120, integration: str | None = None) -> int:
        """Wait until syncer_runs_total reaches `at_least` and then stays unchanged for `settle` seconds.

        Polls /metrics (about 3 ms of the daemon's CPU each), never /status: the status body carries the journal,
        whose first entry lists every entry the first run added (18,000 names here), and costs the daemon about
        0.4 s of CPU per call at this size; polling it would slow the runs being measured.
        """
        deadline = time.monotonic() + timeout
        last, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            self._alive()
            runs = self.runs(integration)
            if runs != last:
                last, since = runs, time.monotonic()
            elif runs >= at_least and time.monotonic() - since >= settle:
                return runs
            time.sleep(0.05)
        raise RuntimeError(f"daemon: {last} runs, not {at_least} and settled, after {timeout}s:\n{self.log[-4000:]}")

    def metric(self, name: str, **labels: str) -> float:
        """The sum of the samples of `name` whose labels include `labels` (0 when there is none)."""
        total = 0.0
        for line in self.http.get("/metrics").text.splitlines():
            if line.startswith("#") or not line.startswith(name):
                continue
            sample, _, value = line.rpartition(" ")
            metric, _, rest = sample.partition("{")
            if metric != name:
                continue
            pairs = dict(p.split("=", 1) for p in rest.rstrip("}").split(",") if "=" in p)
            if all(pairs.get(k) == f'"{v}"' for k, v in labels.items()):
                total += float(value)
        return total

    def runs(self, integration: str | None = None) -> int:
        """syncer_runs_total (of one integration, or of all), summed over results."""
        labels = {} if integration is None else {"integration": integration}
        return round(self.metric("syncer_runs_total", **labels))

    def sync(self, integration: str | None = None) -> dict[str, Any]:
        """POST /sync?wait=true (one run of every integration, or of one) and return the report."""
        query = "wait=true" + ("" if integration is None else f"&integration={integration}")
        answer = self.http.post(f"/sync?{query}", headers={"Authorization": f"Bearer {TRIGGER_TOKEN}"})
        answer.raise_for_status()
        body: dict[str, Any] = answer.json()
        return body

    def rss_mb(self) -> float:
        """The daemon's resident set size (VmRSS of /proc/PID/status) in MB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS in /proc/PID/status")

    def cpu_seconds(self) -> float:
        """User + system CPU seconds the daemon process has used (from /proc/PID/stat)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return ticks / os.sysconf("SC_CLK_TCK")
