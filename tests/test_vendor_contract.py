"""Contract tests: every private part of a library that syncer's product code reads, writes or overrides.

The libraries are pinned in pyproject.toml to the minor versions these tests pass with. Before a pin is raised,
these tests run against the new version; a failure names the attribute and what syncer needs from it. One test
per attribute:

- `JIRA._session` (jira): the client's own requests Session, which carries the credentials. syncer mounts its
  bounded adapter on it, appends a metrics response hook, sets `.timeout` before each request and GETs through
  it with `allow_redirects=False` (a redirect comes back unfollowed, a 4xx/5xx raises JIRAError, `max_retries=0`
  sends once). Where: sources/jira_client.py, `JiraClient.__init__` and `_get_once`.
- `JIRA._get_url` (jira): `_get_url(path)` is `{base}/rest/api/2/{path}`, a context path in the base kept.
  Where: sources/jira_client.py, `JiraClient.where` and `get`.
- `ApiClient._url` (pagerduty): the API base behind the `url` property, set through it in `__init__` and read
  through it for every request URL. `_RestClient` overrides the property (to take http:// for a proxy or the
  simulator) and keeps the base in `_url`. Where: sources/pagerduty_client.py, `_RestClient.url`.
- `ApiClient.retry` (pagerduty): a dict status -> retries, read on every answer; `{}` means the library never
  retries an error status. Where: sources/pagerduty_client.py, `PagerDutyClient.__init__`.
- `ApiClient.max_network_attempts` (pagerduty): `0` means a transport error is raised at once, as
  `pagerduty.Error` with the httpx2 error as `__cause__`. Where: sources/pagerduty_client.py,
  `PagerDutyClient.__init__` and `_transport_error`.
- `ApiClient.timeout` (pagerduty): public, but typed `int` upstream: sent as each request's `timeout=`, so an
  `httpx2.Timeout` set before a request bounds it. Where: sources/pagerduty_client.py, `PagerDutyClient.__init__`
  and `_get_once`.
- `Requester._Requester__connectionClass` (PyGithub): the factory of the connection to `base_url`, looked up on
  the instance whenever a connection is opened. The connection it returns has `pool_size`, `adapter` (mounted on
  its session) and the requests `session` every request goes through; syncer mounts its own adapter there.
  Where: sources/github_transport.py, `bound_requester` and `_bounded_connection`.
- `Requester._Requester__httpConnectionClass` (PyGithub): the same, for an http:// URL off `base_url`.
- `Requester._Requester__httpsConnectionClass` (PyGithub): the same, for an https:// URL off `base_url`.
- `Requester.requestJson` (PyGithub, public, but what it does with a conditional GET is not documented): it sends
  the caller's headers (`If-None-Match`) as given (adding its auth to them) and returns a 304 as
  `(304, lower-cased headers, "")` without raising, retrying or following anything. Where:
  sources/github_transport.py `request_json`, sources/github_cache.py `fetch_page`.
- `Response._content` (requests): the bytes written there are what `.content`, `.text`, `.json()` and
  `iter_content()` give; raw is not read again. Where: sources/bounded.py, `BoundedAdapter.send`.
"""

from __future__ import annotations

import inspect
import io
from collections.abc import Mapping
from importlib.metadata import version
from typing import Any

import httpx2
import pagerduty
import pytest
import requests
from github import Auth, Github
from github.Requester import Requester
from jira import JIRA, JIRAError
from requests.adapters import BaseAdapter, HTTPAdapter

from syncer.sources.pagerduty_client import _RestClient

JIRA_SITE = "https://acme.example"
PD_BASE = "https://api.pd.example"


def _lib(dist: str) -> str:
    return f"{dist} {version(dist)}"


class Canned(BaseAdapter):
    """A requests transport answering every request with one canned status and body; records what was sent."""

    def __init__(self, status: int = 200, body: bytes = b"{}", headers: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.status = status
        self.body = body
        self.headers = dict(headers or {"Content-Type": "application/json"})
        self.sent: list[requests.PreparedRequest] = []
        self.timeouts: list[object] = []

    def send(
        self, request: requests.PreparedRequest, stream: bool = False, timeout: object = None, **kwargs: Any
    ) -> requests.Response:
        self.sent.append(request)
        self.timeouts.append(timeout)
        response = requests.Response()
        response.status_code = self.status
        response.reason = "canned"
        response.headers.update(self.headers)
        response.raw = io.BytesIO(self.body)
        response.encoding = "utf-8"
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass


def _jira(base: str = JIRA_SITE) -> JIRA:
    """A client built as JiraClient builds it (no network: no server info is asked for)."""
    return JIRA(base, get_server_info=False, max_retries=0, timeout=(5.0, 30.0), logging=False, token_auth="pat")


# -- jira -------------------------------------------------------------------------------------------------------


def test_jira_session_is_the_clients_requests_session_and_honours_adapter_hooks_timeout_and_errors() -> None:
    client = _jira()
    session = getattr(client, "_session", None)
    assert isinstance(session, requests.Session), (
        f"{_lib('jira')}: JIRA._session is {type(session).__name__}, not a requests.Session; JiraClient mounts "
        "its bounded adapter on it and GETs through it (sources/jira_client.py)"
    )
    canned = Canned(body=b'{"name": "bot"}')
    session.mount("https://", canned)
    hooked: list[int] = []
    session.hooks["response"].append(lambda response, *args, **kwargs: hooked.append(response.status_code))
    session.timeout = (1.5, 2.5)

    answer = session.get(f"{JIRA_SITE}/rest/api/2/myself", allow_redirects=False)

    assert answer.json() == {"name": "bot"}
    assert [r.url for r in canned.sent] == [f"{JIRA_SITE}/rest/api/2/myself"], "the mounted adapter was bypassed"
    assert canned.sent[0].headers.get("Authorization") == "Bearer pat", "JIRA._session no longer carries the PAT"
    assert canned.timeouts == [(1.5, 2.5)], f"{_lib('jira')}: JIRA._session.timeout is no longer sent with requests"
    assert hooked == [200], "response hooks of JIRA._session are not called"

    canned.status = 302
    redirect = session.get(f"{JIRA_SITE}/rest/api/2/myself", allow_redirects=False)
    assert redirect.status_code == 302 and len(canned.sent) == 2, "a redirect is no longer handed back unfollowed"

    canned.status = 503
    with pytest.raises(JIRAError) as raised:
        session.get(f"{JIRA_SITE}/rest/api/2/myself", allow_redirects=False)
    assert raised.value.status_code == 503
    assert len(canned.sent) == 3, f"{_lib('jira')}: max_retries=0 no longer sends a request only once"


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        (JIRA_SITE, f"{JIRA_SITE}/rest/api/2/project/search"),
        (f"{JIRA_SITE}/jira", f"{JIRA_SITE}/jira/rest/api/2/project/search"),
    ],
    ids=["site-root", "context-path"],
)
def test_jira_get_url_is_the_rest_api_2_url_of_a_path(base: str, expected: str) -> None:
    client = _jira(base)
    get_url = getattr(client, "_get_url", None)
    assert callable(get_url), f"{_lib('jira')}: JIRA._get_url is gone; JiraClient builds every URL with it"

    assert get_url("project/search") == expected, f"{_lib('jira')}: JIRA._get_url changed its meaning"


# -- pagerduty --------------------------------------------------------------------------------------------------


class Answers:
    """An httpx2 handler: answers `status` (or raises `error`) and counts the requests."""

    def __init__(self, status: int = 200, error: type[httpx2.TransportError] | None = None) -> None:
        self.status = status
        self.error = error
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        if self.error is not None:
            raise self.error("refused", request=request)
        body = httpx2.ByteStream(b'{"users": []}')  # a stream, as the network gives: the library reads .elapsed
        return httpx2.Response(self.status, headers={"Content-Type": "application/json"}, stream=body)


def _pagerduty(answers: Answers) -> pagerduty.RestApiV2Client:
    client = pagerduty.RestApiV2Client("pd-token", base_url=PD_BASE, transport=httpx2.MockTransport(answers))
    client.sleep_timer = 0.0  # the library's own waits between its retries, which these tests provoke
    return client


def test_pagerduty_url_keeps_its_base_in_underscore_url_set_and_read_through_the_property() -> None:
    assert isinstance(inspect.getattr_static(pagerduty.ApiClient, "url", None), property), (
        f"{_lib('pagerduty')}: ApiClient.url is no longer a property; _RestClient overrides it"
    )
    assert pagerduty.RestApiV2Client("pd-token", base_url=PD_BASE)._url == PD_BASE, (
        f"{_lib('pagerduty')}: ApiClient no longer keeps its base URL in _url (_RestClient.url reads and writes it)"
    )
    answers = Answers()
    client = _RestClient("pd-token", base_url="http://127.0.0.1:9/pd/", transport=httpx2.MockTransport(answers))

    client.get("/users")

    assert client._url == "http://127.0.0.1:9/pd", "ApiClient.__init__ no longer sets the base through `url`"
    assert [str(r.url) for r in answers.requests] == ["http://127.0.0.1:9/pd/users"], (
        f"{_lib('pagerduty')}: request URLs are no longer built from the `url` property"
    )


def test_pagerduty_retry_is_read_per_status_and_empty_means_no_retry() -> None:
    answers = Answers(status=503)
    client = _pagerduty(answers)
    assert isinstance(client.retry, dict), f"{_lib('pagerduty')}: ApiClient.retry is no longer a dict"

    client.retry = {503: 2}
    assert client.get("/users").status_code == 503
    assert len(answers.requests) == 3, f"{_lib('pagerduty')}: ApiClient.retry is no longer read per status"

    client.retry = {}
    assert client.get("/users").status_code == 503
    assert len(answers.requests) == 4, f"{_lib('pagerduty')}: ApiClient.retry = {{}} no longer means no retry"


def test_pagerduty_max_network_attempts_zero_raises_the_first_transport_error() -> None:
    answers = Answers(error=httpx2.ConnectError)
    client = _pagerduty(answers)
    assert hasattr(client, "max_network_attempts"), f"{_lib('pagerduty')}: ApiClient.max_network_attempts is gone"

    client.max_network_attempts = 2
    with pytest.raises(pagerduty.Error):
        client.get("/users")
    assert len(answers.requests) == 3, f"{_lib('pagerduty')}: max_network_attempts no longer counts retries"

    client.max_network_attempts = 0
    with pytest.raises(pagerduty.Error) as raised:
        client.get("/users")
    assert len(answers.requests) == 4, f"{_lib('pagerduty')}: max_network_attempts = 0 no longer means one attempt"
    assert isinstance(raised.value.__cause__, httpx2.ConnectError), (
        "pagerduty.Error no longer carries the httpx2 error as __cause__ (_transport_error reads it)"
    )


def test_pagerduty_timeout_is_sent_with_each_request() -> None:
    answers = Answers()
    client = _pagerduty(answers)
    assert hasattr(client, "timeout"), f"{_lib('pagerduty')}: ApiClient.timeout is gone"

    client.timeout = httpx2.Timeout(2.0, connect=0.5)
    client.get("/users")

    assert answers.requests[0].extensions["timeout"] == {"connect": 0.5, "read": 2.0, "write": 2.0, "pool": 2.0}, (
        f"{_lib('pagerduty')}: ApiClient.timeout is no longer each request's timeout"
    )


# -- PyGithub ---------------------------------------------------------------------------------------------------


def _requester(base_url: str) -> Requester:
    """A client's requester, built as new_client builds it (no retry, a pool of 3)."""
    return Github(base_url=base_url, auth=Auth.Token("t"), retry=0, pool_size=3, lazy=True).requester


class Opened:
    """The connections a wrapped connection class made, each with the adapter its session had for the scheme."""

    def __init__(self) -> None:
        self.connections: list[tuple[Any, object]] = []


def _wrap(requester: Requester, name: str, scheme: str, opened: Opened) -> Canned:
    """Replace `name` on the requester as bound_requester does; the connections it makes answer from a Canned."""
    original = getattr(requester, name, None)
    assert original is not None, (
        f"{_lib('PyGithub')}: Requester has no {name}; syncer replaces it to bound every request "
        "(sources/github_transport.py bound_requester)"
    )
    canned = Canned()

    def connect(*args: Any, **kwargs: Any) -> Any:
        connection = original(*args, **kwargs)
        opened.connections.append((connection, connection.session.get_adapter(f"{scheme}://x")))
        connection.session.mount(f"{scheme}://", canned)
        return connection

    setattr(requester, name, connect)
    return canned


def _check_connection(opened: Opened, what: str) -> None:
    """What _bounded_connection reads and replaces on the one connection PyGithub opened."""
    assert len(opened.connections) == 1, f"{_lib('PyGithub')}: Requester no longer opens {what} with that class"
    [(connection, mounted)] = opened.connections
    assert connection.pool_size == 3, "the connection no longer has the client's pool size as `pool_size`"
    assert isinstance(connection.adapter, HTTPAdapter), "the connection no longer has its HTTPAdapter as `adapter`"
    assert isinstance(connection.session, requests.Session), "the connection no longer sends through `session`"
    assert mounted is connection.adapter, "the connection's `adapter` is not the one its session sends through"


def test_pygithub_requester_opens_its_base_url_connection_with_connectionclass() -> None:
    requester = _requester("https://ghe.example/api/v3")
    opened = Opened()
    canned = _wrap(requester, "_Requester__connectionClass", "https", opened)

    status, _, body = requester.requestJson("GET", "/user")

    _check_connection(opened, "the connection to base_url")
    assert (status, body) == (200, "{}")
    assert [r.url for r in canned.sent] == ["https://ghe.example:443/api/v3/user"], "the session was bypassed"


def test_pygithub_requester_opens_other_http_hosts_with_httpconnectionclass() -> None:
    requester = _requester("http://ghe.example/api/v3")
    opened = Opened()
    canned = _wrap(requester, "_Requester__httpConnectionClass", "http", opened)

    requester.requestJsonAndCheck("GET", "http://uploads.ghe.example/x")  # as PyGithub's objects ask

    _check_connection(opened, "a connection to another http host")
    assert [r.url for r in canned.sent] == ["http://uploads.ghe.example:80/x"]


def test_pygithub_requester_opens_other_https_hosts_with_httpsconnectionclass() -> None:
    requester = _requester("https://api.github.com")
    opened = Opened()
    canned = _wrap(requester, "_Requester__httpsConnectionClass", "https", opened)

    requester.requestJsonAndCheck("GET", "https://uploads.github.com/x")  # as PyGithub's objects ask

    _check_connection(opened, "a connection to another https host")
    assert [r.url for r in canned.sent] == ["https://uploads.github.com:443/x"]


def test_pygithub_request_json_sends_if_none_match_and_returns_a_304_as_it_came() -> None:
    requester = _requester("https://ghe.example/api/v3")
    opened = Opened()
    canned = _wrap(requester, "_Requester__connectionClass", "https", opened)
    canned.status, canned.body, canned.headers = 304, b"", {"ETag": 'W/"abc"', "X-RateLimit-Remaining": "4999"}
    given = {"If-None-Match": 'W/"abc"'}

    status, headers, body = requester.requestJson("GET", "/orgs/acme/repos", parameters={"page": 2}, headers=given)

    assert (status, body) == (304, ""), f"{_lib('PyGithub')}: requestJson no longer returns a 304 as it came"
    assert headers["etag"] == 'W/"abc"' and headers["x-ratelimit-remaining"] == "4999", "headers not lower-cased"
    [sent] = canned.sent
    assert sent.headers["If-None-Match"] == 'W/"abc"', "the caller's headers are no longer sent as given"
    assert sent.url == "https://ghe.example:443/api/v3/orgs/acme/repos?page=2"
    assert requester.hostname_and_port == "ghe.example", "hostname_and_port (the rate-limit gauge's host) changed"


# -- requests ------------------------------------------------------------------------------------------------


class _NoRead(io.RawIOBase):
    def read(self, size: int = -1) -> bytes:
        raise AssertionError("requests read raw although _content was set")


def test_requests_response_content_set_is_what_content_text_and_json_return() -> None:
    response = requests.Response()
    assert getattr(response, "_content", None) is False, (
        f"{_lib('requests')}: a fresh Response's _content is no longer False (unread); BoundedAdapter sets it"
    )
    response.status_code = 200
    response.encoding = "utf-8"
    response.raw = _NoRead()

    response._content = b'{"a": 1}'

    assert response.content == b'{"a": 1}' and response.text == '{"a": 1}' and response.json() == {"a": 1}
    assert list(response.iter_content(4)) == [b'{"a"', b": 1}"], "iter_content no longer reuses _content"
