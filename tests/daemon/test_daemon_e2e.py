"""The real `syncer daemon` process against the simulator: HTTP interface, metrics, single-flight, shutdown."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from syncer.simulator import Fault, Simulator
from tests.daemon.conftest import SPEC_METRICS
from tests.orchestrator import COUNT_KEYS, REPORT_KEYS

if TYPE_CHECKING:
    from tests.daemon.conftest import DaemonProcess


def test_health_and_readiness_answer_200(daemon: DaemonProcess) -> None:
    assert daemon.http.get("/healthz").status_code == 200
    answer = daemon.http.get("/readyz")
    assert answer.status_code == 200
    assert answer.json()["checks"]["datadog_keys"] == "ok"


def test_the_first_run_happens_at_start_and_writes_datadog(daemon: DaemonProcess, sim: Simulator) -> None:
    github = daemon.wait_idle()
    assert github["last_run"]["trigger"] == "schedule"
    assert github["last_run"]["result"] == "success"
    assert github["next_run"].startswith(f"{time.gmtime().tm_year + 1}-01-01T00:00:00")
    assert sim.datadog.count("PUT") == 1
    assert len(sim.datadog.store["github"]["enabled_repos"]) == github["last_run"]["counts"]["final"]
    (entry,) = daemon.http.get("/status").json()["journal"]  # the change journal (in memory without state.path)
    assert (entry["integration"], entry["trigger"], entry["run_id"]) == (
        "github",
        "schedule",
        github["last_run"]["run_id"],
    )
    assert len(entry["added"]) == entry["final"] == github["last_run"]["counts"]["final"]


def test_metrics_carry_every_spec_name_after_a_run(daemon: DaemonProcess) -> None:
    daemon.wait_idle()
    answer = daemon.http.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    text = answer.text
    for name in SPEC_METRICS:
        assert f"# TYPE {name} " in text
    for sample in (
        'syncer_runs_total{integration="github",result="success"}',
        'syncer_run_duration_seconds_count{integration="github"}',
        'syncer_entries{integration="github"}',
        'syncer_changes_total{change="added",integration="github"}',
        'syncer_last_success_timestamp_seconds{integration="github"}',
        'syncer_http_requests_total{api="github",status="200"}',
        'syncer_http_requests_total{api="datadog",status="200"}',
    ):
        assert sample in text


def test_trigger_without_or_with_a_wrong_token_is_refused(daemon: DaemonProcess, sim: Simulator) -> None:
    before = daemon.wait_idle()["last_run"]["run_id"]
    for token in (None, "wrong-token"):
        answer = daemon.sync("wait=true", token=token)
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"].startswith("Bearer")
    assert daemon.wait_idle()["last_run"]["run_id"] == before
    assert daemon.token not in daemon.log


def test_trigger_with_wait_performs_the_sync(daemon: DaemonProcess, sim: Simulator) -> None:
    daemon.wait_idle()
    sim.github.add_repo("acme", "brand-new-service")
    puts = sim.datadog.count("PUT")
    answer = daemon.sync("integration=github&wait=true")
    assert answer.status_code == 200
    body = answer.json()
    assert body["exit_code"] == 0
    (github,) = body["integrations"]
    assert github["added"] == [{"hostname": "github.com", "github_org_name": "acme", "repo_name": "brand-new-service"}]
    assert sim.datadog.count("PUT") == puts + 1
    assert {"hostname": "github.com", "github_org_name": "acme", "repo_name": "brand-new-service"} in (
        sim.datadog.store["github"]["enabled_repos"]
    )
    assert daemon.github()["last_run"]["run_id"] == body["run_id"]
    assert (github["run_id"], github["trigger"]) == (body["run_id"], "http")
    assert daemon.github()["last_run"] == github  # /status and POST /sync?wait=true: the same object
    assert set(github) == REPORT_KEYS and set(github["counts"]) == COUNT_KEYS


def test_trigger_without_wait_answers_202_and_runs_in_the_background(daemon: DaemonProcess) -> None:
    daemon.wait_idle()
    answer = daemon.sync()
    assert answer.status_code == 202
    assert answer.json()["integrations"] == ["github"]
    assert daemon.wait_idle()["last_run"]["run_id"] == answer.json()["run_id"]


def test_unknown_or_unconfigured_integration_is_refused(daemon: DaemonProcess) -> None:
    assert daemon.sync("integration=gitlab").status_code == 400
    assert daemon.sync("integration=jira").status_code == 404


def test_two_concurrent_triggers_give_one_run_and_one_409(daemon: DaemonProcess, sim: Simulator) -> None:
    daemon.wait_idle()
    runs_before = sim.github.count("GET", r"^/orgs/acme-labs/repos$")
    sim.github.latency = 1.0
    barrier = threading.Barrier(2)
    answers: list[httpx.Response] = []

    def trigger() -> None:
        barrier.wait()
        answers.append(daemon.sync("integration=github&wait=true"))

    try:
        threads = [threading.Thread(target=trigger) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        sim.github.latency = 0.0
    assert sorted(a.status_code for a in answers) == [200, 409]
    assert sim.github.count("GET", r"^/orgs/acme-labs/repos$") == runs_before + 1


def test_a_failing_source_leaves_the_daemon_serving_and_the_next_run_succeeds(
    daemon: DaemonProcess, sim: Simulator
) -> None:
    daemon.wait_idle()
    kept = len(sim.datadog.store["github"]["enabled_repos"])
    sim.github.faults.add(Fault(method="GET", path=r"^/orgs/acme/repos$", status=404, times=1))
    failed = daemon.sync("integration=github&wait=true").json()
    assert failed["exit_code"] == 1
    assert any("github.com/acme" in error for error in failed["integrations"][0]["errors"])
    assert len(sim.datadog.store["github"]["enabled_repos"]) == kept
    assert daemon.http.get("/healthz").status_code == 200
    metrics = daemon.http.get("/metrics").text
    assert 'syncer_source_errors_total{integration="github",source="github.com/acme"} 1.0' in metrics
    assert 'syncer_runs_total{integration="github",result="failure"} 1.0' in metrics
    healed = daemon.sync("integration=github&wait=true").json()
    assert healed["exit_code"] == 0
    assert daemon.github()["last_run"]["result"] == "success"


def test_sigint_exits_0(daemon: DaemonProcess) -> None:
    daemon.wait_idle()
    code, took = daemon.terminate(signal.SIGINT)
    assert (code, took < 10) == (0, True)
    assert '"event": "daemon_stopped"' in daemon.log


def test_sigterm_mid_run_exits_0_quickly_and_writes_nothing_more(start: Any, sim: Simulator) -> None:
    sim.github.latency = 2.0
    daemon = start()
    daemon.wait_ready()
    daemon.wait_running()
    code, took = daemon.terminate(signal.SIGTERM)
    assert code == 0
    assert took < 10
    assert sim.datadog.count("PUT") == 0
    # the shutdown stops the run's deadline: the run ends interrupted, or (still discovering) is abandoned
    assert '"result": "failure"' in daemon.log or "abandoning runs still discovering: github" in daemon.log
    assert "interrupted" in daemon.log or "abandoning runs still discovering: github" in daemon.log


def test_sigterm_lets_a_running_put_finish(start: Any, sim: Simulator) -> None:
    slow_put = sim.datadog.faults.add(Fault(method="PUT", path="entity_integrations", latency=1.5, times=1))
    daemon = start()
    daemon.wait_ready()
    deadline = time.monotonic() + 10
    while slow_put.hits == 0:
        assert time.monotonic() < deadline, daemon.log
        time.sleep(0.01)
    code, took = daemon.terminate(signal.SIGTERM)
    assert code == 0
    assert 0.5 < took < 10
    assert sim.datadog.count("PUT") == 1
    assert sim.datadog.store["github"]["enabled_repos"]
    assert '"event": "integration_run"' in daemon.log


def test_without_the_variable_triggers_are_forbidden_and_a_second_signal_exits_at_once(
    start: Any, sim: Simulator
) -> None:
    stuck = sim.datadog.faults.add(Fault(method="PUT", path="entity_integrations", latency=30.0, times=1))
    daemon = start(token=None, SYNCER_SHUTDOWN_TIMEOUT="60")
    daemon.wait_ready()
    answer = daemon.sync("wait=true")
    assert answer.status_code == 403
    assert "SYNCER_TRIGGER_TOKEN" in answer.json()["error"]
    deadline = time.monotonic() + 10
    while stuck.hits == 0:
        assert time.monotonic() < deadline, daemon.log
        time.sleep(0.01)
    daemon.process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert daemon.process.poll() is None, "the first signal waits for the PUT under way"
    code, took = daemon.terminate(signal.SIGINT)
    assert (code, took < 3) == (1, True)
    assert '"event": "shutdown_forced"' in daemon.log


def test_a_bad_config_exits_2_before_serving(start: Any, sim: Simulator, config: Callable[..., dict[str, Any]]) -> None:
    daemon = start({**config(), "github": {"sources": [], "unknown_key": 1}})
    assert daemon.process.wait(10) == 2
    assert "unknown_key" in daemon.log
    with pytest.raises(httpx.TransportError):
        daemon.http.get("/healthz")
    assert sim.github.count() == sim.datadog.count() == 0
