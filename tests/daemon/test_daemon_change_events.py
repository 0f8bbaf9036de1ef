"""The daemon posts one Datadog change event per applied write (`datadog.events: true`); a failing post is counted."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from syncer.simulator import Fault, Simulator
from tests.daemon.conftest import github_config


def _metric(text: str, result: str) -> float:
    line = f'syncer_change_events_total{{integration="github",result="{result}"}} '
    found = [row for row in text.splitlines() if row.startswith(line)]
    return float(found[0].split()[-1]) if found else 0.0


def _until(check: Callable[[], bool], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_daemons_write_reaches_datadog_as_a_change_event(start: Any, sim: Simulator) -> None:
    config = github_config(sim)
    config["datadog"]["events"] = True
    daemon = start(config)
    daemon.wait_ready()
    github = daemon.wait_idle()
    assert github["last_run"]["applied"] is True
    _until(lambda: len(sim.datadog.events) == 1)
    event = sim.datadog.events[0]["data"]["attributes"]
    assert event["category"] == "change"
    assert event["attributes"]["change_metadata"]["trigger"] == "schedule"
    assert event["attributes"]["change_metadata"]["run_id"] == github["last_run"]["run_id"]
    _until(lambda: _metric(daemon.http.get("/metrics").text, "posted") == 1)


def test_a_failing_event_post_leaves_the_run_a_success(start: Any, sim: Simulator) -> None:
    sim.datadog.faults.add(Fault(method="POST", path="^/api/v2/events$", status=503, times=None))
    config = github_config(sim)
    config["datadog"]["events"] = True
    daemon = start(config)
    daemon.wait_ready()
    github = daemon.wait_idle()
    assert github["last_run"]["result"] == "success"
    assert sim.datadog.store["github"]["enabled_repos"]
    _until(lambda: _metric(daemon.http.get("/metrics").text, "failed") == 1)
    assert sim.datadog.events == []
    assert "change event was not posted" in daemon.log
