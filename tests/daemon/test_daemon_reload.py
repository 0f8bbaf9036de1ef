"""SIGHUP reloads the configuration of the real `syncer daemon` process: validated first, the running one stays on
any error, counted in syncer_config_reloads_total; SIGHUP never kills the daemon."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from syncer.simulator import Simulator
from tests.daemon.conftest import FAR_FUTURE

pytestmark = pytest.mark.reliability(system="daemon SIGHUP")

if TYPE_CHECKING:
    from tests.daemon.conftest import DaemonProcess

SUCCESS = 'syncer_config_reloads_total{result="success"}'
FAILURE = 'syncer_config_reloads_total{result="failure"}'


def until(condition: Callable[[], Any], daemon: DaemonProcess, timeout: float = 15, what: str = "it") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert daemon.process.poll() is None, f"daemon exited with {daemon.process.returncode}:\n{daemon.log}"
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} not seen within {timeout}s:\n{daemon.log}")


def hangup(daemon: DaemonProcess, result: str, count: int) -> None:
    """Send SIGHUP and wait until the reload counter of `result` reaches `count`."""
    daemon.process.send_signal(signal.SIGHUP)
    sample = SUCCESS if result == "success" else FAILURE
    until(lambda: daemon.metric(sample) == count, daemon, what=f"{sample} == {count}")


def test_both_reload_series_and_build_info_exist_from_the_start(start: Any) -> None:
    daemon = start()
    daemon.wait_ready()
    assert daemon.metric(SUCCESS) == 0
    assert daemon.metric(FAILURE) == 0
    assert 'syncer_build_info{version="' in daemon.http.get("/metrics").text
    assert daemon.http.get("/status").json()["config"]["last_reload"] is None


def test_sighup_with_a_good_config_changes_the_schedule_for_the_next_runs(
    start: Any, config: Callable[..., dict[str, Any]]
) -> None:
    daemon = start()
    daemon.wait_ready()
    before = daemon.wait_idle()
    assert before["schedule"] == FAR_FUTURE
    daemon.write_config(config(schedule="every 1h"))
    asked = datetime.now(UTC)
    hangup(daemon, "success", 1)
    github = until(lambda: (g := daemon.github())["schedule"] == "every 1h" and g, daemon, what="the new schedule")
    next_run = datetime.fromisoformat(github["next_run"])
    assert asked < next_run <= asked + timedelta(hours=1, seconds=5)
    assert github["last_run"]["run_id"] == before["last_run"]["run_id"]  # a changed schedule starts no run
    status = daemon.http.get("/status").json()["config"]
    assert status["reloads"] == {"success": 1, "failure": 0}
    assert status["last_reload"]["result"] == "success"
    assert daemon.http.get("/readyz").json()["checks"]["config_reload"].startswith("success")
    assert '"event": "config_reloaded"' in daemon.log
    assert daemon.sync("integration=github&wait=true").status_code == 200  # the trigger token is unchanged


def test_sighup_with_a_broken_config_keeps_the_running_one_and_counts_a_failure(
    start: Any, sim: Simulator, config: Callable[..., dict[str, Any]]
) -> None:
    daemon = start()
    daemon.wait_ready()
    daemon.wait_idle()
    broken = [
        {**config(schedule="every 1h"), "github": {"sources": [], "unknown_key": 1}},
        "defaults: [unclosed\n",
        {**config(schedule="every 1h"), "datadog": {"api_key": "${NOT_SET_ANYWHERE}", "app_key": "x"}},
        {**config(schedule="not a schedule")},
    ]
    for count, text in enumerate(broken, start=1):
        daemon.write_config(text)
        hangup(daemon, "failure", count)
    assert daemon.metric(SUCCESS) == 0
    github = daemon.github()
    assert github["schedule"] == FAR_FUTURE
    ready = daemon.http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["config_reload"].startswith("failure")
    last = daemon.http.get("/status").json()["config"]["last_reload"]
    assert last["result"] == "failure"
    assert "schedule" in last["error"]
    log = daemon.log
    assert log.count('"event": "config_reload_failed"') == len(broken)
    assert "unknown_key" in log
    assert "NOT_SET_ANYWHERE" in log
    assert "Traceback" not in log
    puts = sim.datadog.count("PUT")
    sim.github.add_repo("acme", "after-a-failed-reload")
    answer = daemon.sync("integration=github&wait=true")
    assert answer.status_code == 200
    assert answer.json()["exit_code"] == 0
    assert sim.datadog.count("PUT") == puts + 1


def test_sighup_adds_and_removes_integrations(
    start: Any, sim: Simulator, config: Callable[..., dict[str, Any]]
) -> None:
    daemon = start()
    daemon.wait_ready()
    daemon.wait_idle()
    with_pagerduty = {**config(), "pagerduty": sim.config_dict()["pagerduty"]}
    daemon.write_config(with_pagerduty)
    hangup(daemon, "success", 1)
    pagerduty = until(
        lambda: (p := daemon.http.get("/status").json()["integrations"].get("pagerduty")) and p["last_run"] and p,
        daemon,
        what="the first pagerduty run",
    )
    assert pagerduty["last_run"]["result"] == "success"
    assert sim.datadog.store["pagerduty"]["accounts"]
    assert 'syncer_runs_total{integration="pagerduty",result="success"} 1.0' in daemon.http.get("/metrics").text
    daemon.write_config(config())
    hangup(daemon, "success", 2)
    until(lambda: "pagerduty" not in daemon.http.get("/status").json()["integrations"], daemon, what="removal")
    assert daemon.sync("integration=pagerduty").status_code == 404
    assert daemon.sync("integration=github&wait=true").status_code == 200


def test_sighup_never_kills_the_daemon_and_sigterm_still_stops_it(
    start: Any, config: Callable[..., dict[str, Any]]
) -> None:
    daemon = start()
    daemon.wait_ready()
    for _ in range(5):
        daemon.process.send_signal(signal.SIGHUP)
        time.sleep(0.05)
    until(lambda: (daemon.metric(SUCCESS) or 0) >= 1, daemon, what="a reload")
    time.sleep(0.5)
    assert daemon.process.poll() is None
    assert daemon.http.get("/healthz").status_code == 200
    code, took = daemon.terminate(signal.SIGTERM)
    assert (code, took < 10) == (0, True)
    assert '"event": "daemon_stopped"' in daemon.log
