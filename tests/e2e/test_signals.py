"""Signals during a one-shot sync, as a person at a terminal or Kubernetes sends them: a real process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from syncer.simulator import Simulator
from syncer.simulator.faults import Fault


def start(config: dict[str, Any], tmp_path: Path, sim: Simulator, *args: str) -> subprocess.Popen[str]:
    path = tmp_path / "syncer.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {**os.environ, **sim.env(), "SYNCER_SHUTDOWN_TIMEOUT": "30"}
    command = [sys.executable, "-m", "syncer", "--config", str(path), "--log-format", "json", "sync", *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def wait_for(predicate: Any, seconds: float = 20.0) -> None:
    end = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError("condition not reached")
        time.sleep(0.02)


@pytest.mark.reliability(system="signal", outcome="no PUT; exit 130 / 143; the report says interrupted")
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_discovery_writes_nothing_and_exits_with_its_code(
    sim: Simulator, github_only: dict[str, Any], tmp_path: Path, signum: int, code: int
) -> None:
    sim.github.faults.add(Fault(path=r"/orgs/.*/repos", latency=30.0, times=None))
    process = start(github_only, tmp_path, sim, "--output", "json")
    wait_for(lambda: sim.github.faults.active[0].hits > 0)
    process.send_signal(signum)
    out, err = process.communicate(timeout=25)
    assert process.returncode == code, err
    assert "Traceback" not in err
    report = json.loads(out)
    assert report["interrupted"] == signal.Signals(signum).name
    assert report["exit_code"] == code
    assert {r["status"] for r in report["integrations"]} == {"interrupted"}
    assert sim.datadog.count("PUT") == 0


@pytest.mark.reliability(
    system="signal",
    answer="SIGINT during a PUT, then a second SIGINT",
    outcome="the PUT under way is awaited; the second signal exits at once",
)
def test_a_put_under_way_is_awaited_and_a_second_signal_exits_at_once(
    sim: Simulator, github_only: dict[str, Any], tmp_path: Path
) -> None:
    sim.datadog.faults.add(Fault(method="PUT", path="entity_integrations", latency=20.0, times=None))
    process = start(github_only, tmp_path, sim)
    wait_for(lambda: sim.datadog.faults.active[0].hits > 0)
    process.send_signal(signal.SIGINT)
    time.sleep(0.5)
    assert process.poll() is None, "the PUT under way must be awaited after the first signal"
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=10)
    assert time.monotonic() - started < 5
    assert process.returncode == 130
    assert "second SIGINT" in err
    assert "Traceback" not in err
