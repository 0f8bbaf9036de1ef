"""Fault injection, latency and request counters shared by every fake."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from syncer.simulator import FakeDatadog, Fault, Simulator

REPOS = r"^/orgs/acme/repos$"


def test_status_fault_uses_the_api_error_body_and_applies_times(
    sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]
) -> None:
    fault = sim.github.faults.add(Fault(method="GET", path=REPOS, status=502, times=2))
    url = f"{sim.github.url}/orgs/acme/repos"
    statuses = [http.get(url, headers=gh_headers).status_code for _ in range(3)]
    assert statuses == [502, 502, 200]
    assert fault.hits == 2 and fault.exhausted
    bad = sim.github.requests[0]
    assert (bad.method, bad.path, bad.status) == ("GET", "/orgs/acme/repos", 502)
    first = http.get(url, headers=gh_headers)
    assert first.status_code == 200
    sim.github.faults.add(Fault(path=REPOS, status=500))
    body = http.get(url, headers=gh_headers).json()
    assert body == {"message": "Server Error", "documentation_url": "https://docs.github.com/rest", "status": "500"}


def test_fault_method_filter_and_forever(sim: Simulator, http: httpx.Client, dd_headers: dict[str, str]) -> None:
    sim.datadog.faults.add(Fault(method="PUT", path="entity_integrations", status=503, times=None))
    url = f"{sim.datadog.url}/api/v2/idp/entity_integrations/github"
    assert http.get(url, headers=dd_headers).status_code == 404
    for _ in range(3):
        answer = http.put(url, headers=dd_headers, json={})
        assert answer.status_code == 503
        assert answer.json() == {"errors": ["Service Unavailable"]}
    assert sim.datadog.count("PUT") == 3
    assert sim.datadog.count(path="entity_integrations/github$") == 4


def test_fault_body_and_headers_override(sim: Simulator, http: httpx.Client) -> None:
    sim.pagerduty.faults.add(
        Fault(path="^/users$", status=418, body={"custom": True}, headers={"Retry-After": "7", "X-Extra": "1"})
    )
    answer = http.get(f"{sim.pagerduty.url}/users")
    assert answer.status_code == 418
    assert answer.json() == {"custom": True}
    assert answer.headers["retry-after"] == "7"
    assert answer.headers["x-extra"] == "1"


def test_latency_fault_delays_then_answers_normally(sim: Simulator, http: httpx.Client) -> None:
    sim.jira.faults.add(Fault(path="serverInfo", latency=0.3))
    started = time.monotonic()
    answer = http.get(f"{sim.jira.url}/rest/api/2/serverInfo")
    assert answer.status_code == 200
    assert time.monotonic() - started >= 0.3
    assert answer.json()["deploymentType"] == "Cloud"


def test_timeout_fault_holds_the_request_until_the_client_gives_up(sim: Simulator, http: httpx.Client) -> None:
    sim.jira.faults.add(Fault(path="serverInfo", timeout=True))
    with pytest.raises(httpx.ReadTimeout):
        http.get(f"{sim.jira.url}/rest/api/2/serverInfo", timeout=httpx.Timeout(5.0, read=0.3))
    assert sim.jira.requests[-1].status == 0
    assert http.get(f"{sim.jira.url}/rest/api/2/serverInfo").status_code == 200


def test_malformed_fault_truncates_the_real_body(
    sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]
) -> None:
    sim.github.faults.add(Fault(path=REPOS, malformed=True))
    answer = http.get(f"{sim.github.url}/orgs/acme/repos", headers=gh_headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.text.startswith('[{"id":')
    with pytest.raises(json.JSONDecodeError):
        json.loads(answer.text)
    assert "link" in answer.headers


def test_runtime_latency_does_not_serialize_requests(sim: Simulator) -> None:
    sim.github.latency = 0.3
    url = f"{sim.github.url}/orgs/acme/repos"
    headers = {"Authorization": f"token {sim.github.token}"}
    with httpx.Client(limits=httpx.Limits(max_connections=40), timeout=10, verify=False) as client:

        def fetch(page: int) -> int:
            return client.get(url, params={"page": page}, headers=headers).status_code

        started = time.monotonic()
        with ThreadPoolExecutor(20) as pool:
            statuses = list(pool.map(fetch, range(1, 21)))
        elapsed = time.monotonic() - started
    assert statuses == [200] * 20
    assert elapsed < 2.0, f"20 concurrent requests with 0.3 s latency took {elapsed:.2f} s"


def test_rate_limited_helpers_carry_the_real_headers(sim: Simulator, http: httpx.Client) -> None:
    sim.datadog.faults.add(Fault.rate_limited("datadog", path="validate_keys", retry_after=3))
    answer = http.get(f"{sim.datadog.url}/api/v2/validate_keys")
    assert answer.status_code == 429
    assert answer.json() == {"errors": ["Too many requests"]}
    assert answer.headers["x-ratelimit-reset"] == "3"
    assert answer.headers["x-ratelimit-remaining"] == "0"
    assert answer.headers["x-ratelimit-period"] == "60"
    sim.pagerduty.faults.add(Fault.rate_limited("pagerduty", path="users", retry_after=2))
    answer = http.get(f"{sim.pagerduty.url}/users")
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "2"
    assert answer.headers["ratelimit-reset"] == "2"
    assert answer.json() == {"error": {"message": "Rate Limit Exceeded", "code": 2020}}
    sim.jira.faults.add(Fault.rate_limited("jira", path="serverInfo"))
    answer = http.get(f"{sim.jira.url}/rest/api/2/serverInfo")
    assert (answer.status_code, answer.headers["retry-after"]) == (429, "1")
    with pytest.raises(ValueError, match="unknown api"):
        Fault.rate_limited("gitlab")


def test_counters_reset_and_faults_clear(sim: Simulator, http: httpx.Client) -> None:
    http.get(f"{sim.datadog.url}/api/v2/validate_keys")
    sim.datadog.faults.add(Fault(status=500, times=None))
    assert sim.datadog.count() == 1
    assert len(sim.datadog.faults) == 1
    sim.datadog.faults.clear()
    sim.datadog.reset_counters()
    assert sim.datadog.requests == []
    assert http.get(f"{sim.datadog.url}/api/v2/validate_keys").status_code == 403


def test_reset_restores_data_latency_and_limits(sim: Simulator) -> None:
    sim.github.orgs["acme"].clear()
    sim.github.latency = 2.0
    sim.github.rate_limit = 1
    sim.jira.max_results_cap = 5
    sim.datadog.seed("github", {"enabled_repos": []})
    sim.github.faults.add(Fault(status=500))
    sim.reset()
    assert len(sim.github.orgs["acme"]) == 250
    assert sim.github.latency == 0.0
    assert sim.github.rate_limit == 5000
    assert sim.jira.max_results_cap == 50
    assert sim.datadog.store == {}
    assert len(sim.github.faults) == 0


def test_fake_server_lifecycle_and_fixed_port() -> None:
    fake = FakeDatadog()
    with pytest.raises(RuntimeError, match="not started"):
        _ = fake.url
    fake.start()
    try:
        port = fake.port
        assert fake.running
        with httpx.Client(verify=False) as client:
            assert client.get(f"{fake.url}/api/v2/validate_keys").status_code == 403
        occupied = FakeDatadog(port=port)
        with pytest.raises(RuntimeError, match="could not start"):
            occupied.start()
    finally:
        fake.stop()
    assert not fake.running
    again = FakeDatadog(port=port)
    again.start()
    try:
        assert again.url == f"http://127.0.0.1:{port}"
    finally:
        again.stop()


def test_per_fake_rate_limit_helpers(sim: Simulator, http: httpx.Client, gh_headers: dict[str, str]) -> None:
    fault = sim.github.rate_limited(path="repos", secondary=True, status=429, times=2)
    url = f"{sim.github.url}/orgs/acme/repos"
    answers = [http.get(url, headers=gh_headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200] and fault.exhausted
    assert answers[0].headers["retry-after"] == "1"
    sim.datadog.rate_limited(retry_after=5)
    limited = http.get(f"{sim.datadog.url}/api/v2/validate_keys")
    assert (limited.status_code, limited.headers["x-ratelimit-reset"]) == (429, "5")
