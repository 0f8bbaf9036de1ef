"""HTTPS_PROXY / HTTP_PROXY / NO_PROXY are honoured by every client, through a real loopback proxy that counts.

The proxy forwards plain-http requests (absolute-form) and tunnels CONNECT; every request it carried is recorded.
With HTTP_PROXY set, each source's every request goes through it; with NO_PROXY covering the host, none does;
with HTTPS_PROXY and `http.ca_bundle`, TLS is tunnelled through it and still verified against the bundle.
"""

from __future__ import annotations

import http.client
import select
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import requests

from syncer import tls
from syncer.config.http import HttpConfig
from syncer.config.schema import DatadogConfig, GithubSource, JiraSource, PagerDutySource
from syncer.datadog.client import DatadogClient
from syncer.model import Discovery
from syncer.redact import redact
from syncer.simulator import seed
from syncer.simulator.datadog import FakeDatadog
from syncer.simulator.github.fake import FakeGitHub
from syncer.simulator.jira import FakeJira
from syncer.simulator.pagerduty import FakePagerDuty
from syncer.simulator.server import FakeServer
from syncer.sources.github import GithubRepos
from syncer.sources.jira import JiraProjects
from syncer.sources.pagerduty import PagerDutyAccounts
from tests.test_ca_bundle import ONCE, Pki, make_pki, no_sleep, start_tls

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "transfer-encoding", "te"}
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: CountingProxy

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_CONNECT(self) -> None:
        self.server.carry(f"CONNECT {self.path}")
        host, _, port = self.path.rpartition(":")
        upstream = socket.create_connection((host, int(port)), timeout=10)
        self.send_response(200, "Connection established")
        self.end_headers()
        self.close_connection = True
        sockets = [self.connection, upstream]
        try:
            while True:
                ready, _, _ = select.select(sockets, [], [], 10)
                if not ready:
                    return
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is self.connection else self.connection).sendall(data)
        finally:
            upstream.close()

    def _forward(self) -> None:
        self.server.carry(f"{self.command} {self.path}")
        target = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        upstream = http.client.HTTPConnection(target.hostname or "", target.port or 80, timeout=10)
        try:
            path = target.path + (f"?{target.query}" if target.query else "")
            upstream.request(self.command, path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
        finally:
            upstream.close()
        self.send_response(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def do_PUT(self) -> None:
        self._forward()


class CountingProxy(ThreadingHTTPServer):
    """A forwarding (absolute-form) and CONNECT proxy on 127.0.0.1 that records every request it carried."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.carried: list[str] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, name="test-proxy", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def carry(self, line: str) -> None:
        with self._lock:
            self.carried.append(line)

    def close(self) -> None:
        self.shutdown()
        self.server_close()


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingProxy]:
    """A counting proxy, and an environment without any proxy variable set."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    server = CountingProxy()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def no_extra_ca() -> Iterator[None]:
    tls.use(HttpConfig())
    yield
    tls.use(HttpConfig())


def _started(fake: FakeServer) -> Iterator[Any]:
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def github() -> Iterator[FakeGitHub]:
    yield from _started(FakeGitHub())


@pytest.fixture(scope="module")
def jira() -> Iterator[FakeJira]:
    yield from _started(FakeJira("acme.atlassian.net"))


@pytest.fixture(scope="module")
def pagerduty() -> Iterator[FakePagerDuty]:
    yield from _started(FakePagerDuty())


@pytest.fixture(scope="module")
def datadog() -> Iterator[FakeDatadog]:
    yield from _started(FakeDatadog())


def github_source(url: str, fake: FakeGitHub) -> GithubSource:
    return GithubSource.model_validate({"api_url": url, "token": fake.token, "orgs": ["acme-labs"]})


def jira_source(url: str) -> JiraSource:
    fields = {"hostname": "acme.atlassian.net", "url": url, "account_id": "1", "email": seed.JIRA_EMAIL}
    return JiraSource.model_validate({**fields, "api_token": seed.JIRA_API_TOKEN})


def pagerduty_source(url: str) -> PagerDutySource:
    return PagerDutySource.model_validate({"token": seed.PAGERDUTY_TOKEN, "api_url": url})


def discover_all(github: FakeGitHub, jira: FakeJira, pagerduty: FakePagerDuty, urls: dict[str, str]) -> list[Discovery]:
    for fake in (github, jira, pagerduty):
        fake.reset_counters()
    found = GithubRepos(github_source(urls["github"], github), 2, ONCE, no_sleep).discover()
    found += JiraProjects(jira_source(urls["jira"]), ONCE, no_sleep).discover()
    found += PagerDutyAccounts(pagerduty_source(urls["pagerduty"]), 0, None, ONCE, no_sleep).discover()
    for discovery in found:
        assert discovery.ok, discovery.error
    return found


def test_with_http_proxy_every_source_request_goes_through_it(
    proxy: CountingProxy,
    github: FakeGitHub,
    jira: FakeJira,
    pagerduty: FakePagerDuty,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)

    discover_all(github, jira, pagerduty, {"github": github.url, "jira": jira.url, "pagerduty": pagerduty.url})

    for fake in (github, jira, pagerduty):
        via = [line for line in proxy.carried if f"//127.0.0.1:{fake.port}/" in line]
        assert fake.count() > 0
        assert len(via) == fake.count(), (fake.name, proxy.carried)
    assert len(proxy.carried) == github.count() + jira.count() + pagerduty.count()


def test_no_proxy_covering_the_host_bypasses_the_proxy(
    proxy: CountingProxy,
    github: FakeGitHub,
    jira: FakeJira,
    pagerduty: FakePagerDuty,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")

    discover_all(github, jira, pagerduty, {"github": github.url, "jira": jira.url, "pagerduty": pagerduty.url})

    assert proxy.carried == []
    assert github.count() > 0 and jira.count() > 0 and pagerduty.count() > 0


def test_https_is_tunnelled_through_https_proxy_and_verified_with_the_bundle(
    proxy: CountingProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pki: Pki = make_pki(tmp_path)
    fakes = (FakeGitHub(), FakeJira("acme.atlassian.net"), FakePagerDuty())
    urls = dict(zip(("github", "jira", "pagerduty"), (start_tls(f, pki) for f in fakes), strict=True))
    try:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        tls.use(HttpConfig(ca_bundle=str(pki.ca)))

        discover_all(*fakes, urls)  # type: ignore[arg-type]
    finally:
        for fake in fakes:
            fake.stop()

    tunnels = {line for line in proxy.carried if line.startswith("CONNECT ")}
    assert tunnels == {f"CONNECT 127.0.0.1:{fake.port}" for fake in fakes}
    assert all(line.startswith("CONNECT ") for line in proxy.carried)  # nothing went around the tunnel in clear


def test_an_httpx_client_built_without_a_transport_goes_through_the_proxy(
    proxy: CountingProxy, datadog: FakeDatadog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    headers = {"DD-API-KEY": datadog.api_key}

    with httpx.Client(base_url=datadog.url, verify=tls.httpx_verify()) as client:  # how DatadogClient should build it
        assert client.get("/api/v1/validate", headers=headers).status_code == 200

    assert proxy.carried == [f"GET {datadog.url}/api/v1/validate"]


def test_the_datadog_client_goes_through_the_proxy(
    proxy: CountingProxy, datadog: FakeDatadog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    config = DatadogConfig.model_validate(
        {"api_key": datadog.api_key, "app_key": datadog.app_key, "api_url": datadog.url}
    )

    with DatadogClient(config, retry=ONCE, sleep=no_sleep) as client:
        client.validate_keys()

    assert proxy.carried == [f"GET {datadog.url}/api/v2/validate_keys"]


def test_the_environment_is_read_once_per_session_not_per_request(
    proxy: CountingProxy,
    github: FakeGitHub,
    jira: FakeJira,
    pagerduty: FakePagerDuty,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    jira.max_results_cap = 10  # several pages through one session
    looked_up: list[str] = []
    real = requests.utils.should_bypass_proxies

    def counted(url: str, no_proxy: str | None) -> bool:
        looked_up.append(url)
        return real(url, no_proxy)

    monkeypatch.setattr(requests.utils, "should_bypass_proxies", counted)
    try:
        discover_all(github, jira, pagerduty, {"github": github.url, "jira": jira.url, "pagerduty": pagerduty.url})
    finally:
        jira.max_results_cap = 50

    assert jira.count() > 3
    assert len([url for url in looked_up if f":{jira.port}" in url]) == 1  # requests itself: twice per request
    assert len(proxy.carried) == github.count() + jira.count() + pagerduty.count()  # and every request proxied


def test_requests_ca_bundle_is_still_honoured_without_http_ca_bundle(
    proxy: CountingProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pki = make_pki(tmp_path)
    fakes = (FakeGitHub(), FakeJira("acme.atlassian.net"), FakePagerDuty())
    urls = dict(zip(("github", "jira", "pagerduty"), (start_tls(f, pki) for f in fakes), strict=True))
    try:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki.ca))  # what requests' trust_env would read
        monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca))  # and httpx2's
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)

        discover_all(*fakes, urls)  # type: ignore[arg-type]
    finally:
        for fake in fakes:
            fake.stop()

    assert set(proxy.carried) == {f"CONNECT 127.0.0.1:{fake.port}" for fake in fakes}


def test_a_proxy_password_in_the_environment_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://syncer:pr0xy-pa55word-42@proxy.acme.internal:3128")

    tls.use(HttpConfig())

    shown = redact("ProxyError: http://syncer:pr0xy-pa55word-42@proxy.acme.internal:3128 refused")
    assert "pr0xy-pa55word-42" not in shown
