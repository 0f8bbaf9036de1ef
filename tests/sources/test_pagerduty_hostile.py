"""PagerDutyAccounts against answers nobody planned for (SPEC §6 "Hostile and odd answers"), over real HTTP.

Every failing case asserts the token's scope failed (no entry, so its account is kept by the caller) with an error
naming the token and the cause, and that discover() returned within a generous bound of its deadline.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from syncer.config.loader import parse
from syncer.config.schema import PagerDutySource
from syncer.deadline import Deadline
from syncer.errors import PermanentError
from syncer.model import Discovery, Integration, PagerDutyAccount, Scope
from syncer.simulator import seed
from syncer.simulator.faults import Fault
from syncer.simulator.pagerduty import FakePagerDuty
from syncer.sources import factory, pagerduty_client
from syncer.sources.pagerduty import PagerDutyAccounts
from syncer.sources.pagerduty_client import PagerDutyClient

from .conftest import FAST, Sleeps, returns_within
from .test_pagerduty import USERS, source

pytestmark = pytest.mark.reliability(system="PagerDuty")

TOKEN = seed.PAGERDUTY_TOKEN
LABEL = "pagerduty token #1"
EMPTY_STATUSES = (204, 205, 304)


@pytest.fixture(scope="module")
def _elsewhere() -> Iterator[FakePagerDuty]:
    fake = FakePagerDuty("elsewhere.example")
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def elsewhere(_elsewhere: FakePagerDuty) -> FakePagerDuty:
    """Another host, which would answer any token with some account."""
    _elsewhere.reset()
    return _elsewhere


def discover_within(
    src: PagerDutySource, sleeps: Sleeps, deadline: Deadline | None = None, bound: float = 30.0
) -> Discovery:
    """discover() in a thread that must end within `bound` seconds; its single Discovery."""
    result = returns_within(
        lambda: PagerDutyAccounts(src, 0, None, FAST, sleeps, deadline).discover(), bound, "discover()"
    )
    found: list[Discovery] = result
    [discovery] = found
    return discovery


def assert_failed(discovery: Discovery, *causes: str) -> None:
    """The token's scope failed: unknown account, no entry, an error naming the token and every cause given."""
    assert not discovery.ok, "the source must fail"
    assert discovery.entries == ()
    assert discovery.scope == Scope(LABEL, None)
    assert discovery.error is not None and discovery.error.startswith(f"{LABEL}: GET "), discovery.error
    for cause in causes:
        assert cause in discovery.error, discovery.error


def quiet(fake: FakePagerDuty, still: float = 0.3, within: float = 5.0) -> None:
    """Wait until the fake has answered nothing new for `still` seconds (a request given up on answers late)."""
    end = time.monotonic() + within
    seen, since = fake.count(), time.monotonic()
    while time.monotonic() < end and time.monotonic() - since < still:
        time.sleep(0.05)
        if fake.count() != seen:
            seen, since = fake.count(), time.monotonic()


def users(html_url: Any) -> dict[str, Any]:
    """A /users page whose one user has this html_url."""
    return {"users": [{"id": "PUSER01", "type": "user", "html_url": html_url}], "limit": 1, "offset": 0, "more": True}


# -- only a 200 is an answer ----------------------------------------------------------------------------------------

STATUSES = [202, 203, 204, 205, 206, 226, 300, 301, 302, 303, 304, 307, 308]


@pytest.mark.parametrize("status", STATUSES)
def test_anything_but_200_fails_the_token(
    pagerduty_api: FakePagerDuty, elsewhere: FakePagerDuty, sleeps: Sleeps, status: int
) -> None:
    body: Any = "" if status in EMPTY_STATUSES else users("https://evil.pagerduty.com/users/PUSER01")
    headers = {"Location": f"{elsewhere.url}/users?limit=1"} if 300 <= status < 400 else {}
    pagerduty_api.faults.add(Fault(method="GET", path=USERS, status=status, body=body, headers=headers))

    discovery = discover_within(source(pagerduty_api), sleeps)

    assert_failed(discovery, f"answered {status}", "/users")
    assert pagerduty_api.count() == 1 and sleeps == []
    assert elsewhere.count() == 0


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_host_is_never_followed(
    pagerduty_api: FakePagerDuty, elsewhere: FakePagerDuty, sleeps: Sleeps, status: int
) -> None:
    location = f"{elsewhere.url}/users?limit=1"
    pagerduty_api.faults.add(Fault(method="GET", path=USERS, status=status, headers={"Location": location}))

    discovery = discover_within(source(pagerduty_api), sleeps)

    assert_failed(discovery, f"answered {status}", "redirect", "not followed", "127.0.0.1")
    assert elsewhere.count() == 0, "the other host got no request, so not the token"


def test_a_redirect_location_is_shown_without_userinfo_or_the_token(
    pagerduty_api: FakePagerDuty, sleeps: Sleeps
) -> None:
    location = f"https://admin:hunter2-password@elsewhere.example/users?token={TOKEN}"
    pagerduty_api.faults.add(Fault(method="GET", path=USERS, status=302, headers={"Location": location}))

    discovery = discover_within(source(pagerduty_api), sleeps)

    assert_failed(discovery, "answered 302", "elsewhere.example")
    assert discovery.error is not None
    assert "hunter2-password" not in discovery.error and TOKEN not in discovery.error


# -- the subdomain comes only from <sub>.pagerduty.com or <sub>.eu.pagerduty.com --------------------------------------


@pytest.mark.parametrize(
    ("html_url", "subdomain"),
    [
        pytest.param("https://acme.pagerduty.com/users/PUSER01", "acme", id="us"),
        pytest.param("https://acme.eu.pagerduty.com/users/PUSER01", "acme", id="eu"),
        pytest.param("https://ACME-Corp.PagerDuty.COM/users/PUSER01", "acme-corp", id="any-case"),
        pytest.param("HTTPS://acme.pagerduty.com", "acme", id="no-path-scheme-any-case"),
        pytest.param("https://a.pagerduty.com/users/P1", "a", id="one-letter"),
        pytest.param("https://0day.pagerduty.com/users/P1", "0day", id="leading-digit"),
        pytest.param(f"https://{'a' * 63}.pagerduty.com/users/P1", "a" * 63, id="63-characters"),
        pytest.param("https://xn--caf-dma.pagerduty.com/users/P1", "xn--caf-dma", id="punycode"),
    ],
)
def test_an_account_web_host_names_the_subdomain(
    pagerduty_api: FakePagerDuty, sleeps: Sleeps, html_url: str, subdomain: str
) -> None:
    pagerduty_api.faults.add(Fault(method="GET", path=USERS, status=200, body=users(html_url)))

    discovery = discover_within(source(pagerduty_api), sleeps)

    assert discovery.ok, discovery.error
    assert discovery.entries == (PagerDutyAccount(enabled=True, subdomain=subdomain),)


BAD_HOSTS = [
    pytest.param("https://app.pagerduty.com/users/P1", "'app' is a PagerDuty host", id="app"),
    pytest.param("https://APP.PagerDuty.com/users/P1", "'app' is a PagerDuty host", id="app-any-case"),
    pytest.param("https://www.pagerduty.com/users/P1", "'www' is a PagerDuty host", id="www"),
    pytest.param("https://api.pagerduty.com/users/P1", "'api' is a PagerDuty host", id="api"),
    pytest.param("https://events.pagerduty.com/users/P1", "'events' is a PagerDuty host", id="events"),
    pytest.param("https://app.eu.pagerduty.com/users/P1", "'app' is a PagerDuty host", id="eu-app"),
    pytest.param("https://api.eu.pagerduty.com/users/P1", "'api' is a PagerDuty host", id="eu-api"),
    pytest.param("https://eu.pagerduty.com/users/P1", "'eu' is a PagerDuty host", id="eu-itself"),
    pytest.param("https://pagerduty.com/users/P1", "not a PagerDuty account's host", id="bare-domain"),
    pytest.param("https://x.y.pagerduty.com/users/P1", "not a PagerDuty account's host", id="two-labels"),
    pytest.param("https://a.b.eu.pagerduty.com/users/P1", "not a PagerDuty account's host", id="eu-two-labels"),
    pytest.param("https://evil.com/users/P1", "not a PagerDuty account's host", id="other-host"),
    pytest.param("https://acme.pagerduty.com.evil.com/u", "not a PagerDuty account's host", id="suffix-trick"),
    pytest.param("https://acmepagerduty.com/u", "not a PagerDuty account's host", id="no-dot"),
    pytest.param("https://acme.pagerduty.co/u", "not a PagerDuty account's host", id="other-tld"),
    pytest.param("https://acme.pagerduty.com./u", "not a PagerDuty account's host", id="trailing-dot"),
    pytest.param("https://127.0.0.1/users/P1", "not a PagerDuty account's host", id="ip"),
    pytest.param("http://acme.pagerduty.com/users/P1", "not an https URL", id="plain-http"),
    pytest.param("ftp://acme.pagerduty.com/users/P1", "not an https URL", id="ftp"),
    pytest.param("//acme.pagerduty.com/users/P1", "not an https URL", id="no-scheme"),
    pytest.param("https://acme.pagerduty.com:8443/users/P1", "user or port given", id="port"),
    pytest.param("https://evil.com@acme.pagerduty.com/u", "user or port given", id="userinfo"),
    pytest.param("https://acme.pagerduty.com:99999/u", "not a URL", id="port-out-of-range"),
    pytest.param("https://[::1/u", "not a URL", id="broken-ipv6"),
    pytest.param("https://-acme.pagerduty.com/u", "is not a DNS label", id="leading-hyphen"),
    pytest.param("https://acme-.pagerduty.com/u", "is not a DNS label", id="trailing-hyphen"),
    pytest.param("https://ac_me.pagerduty.com/u", "is not a DNS label", id="underscore"),
    pytest.param(f"https://{'a' * 64}.pagerduty.com/u", "is not a DNS label", id="64-characters"),
    pytest.param("https://.pagerduty.com/u", "is not a DNS label", id="empty-label"),
    pytest.param("", "not an https URL", id="empty"),
    pytest.param("acme", "not an https URL", id="not-a-url"),
]


@pytest.mark.parametrize(("html_url", "cause"), BAD_HOSTS)
def test_any_other_html_url_fails_the_token(
    pagerduty_api: FakePagerDuty, sleeps: Sleeps, html_url: str, cause: str
) -> None:
    pagerduty_api.faults.add(Fault(method="GET", path=USERS, status=200, body=users(html_url)))

    discovery = discover_within(source(pagerduty_api), sleeps)

    assert_failed(discovery, "cannot tell the account from the first user's html_url", cause)
    assert "set subdomain in the configuration" in (discovery.error or "")


@pytest.mark.parametrize(
    ("body", "cause"),
    [
        pytest.param(users(None), "html_url is null, not a string", id="html_url-null"),
        pytest.param(users(5), "html_url is a number, not a string", id="html_url-number"),
        pytest.param(users(["https://acme.pagerduty.com"]), "html_url is a list", id="html_url-list"),
        pytest.param(users({"href": "https://acme.pagerduty.com"}), "html_url is an object", id="html_url-object"),
        pytest.param({"users": [{"id": "P1"}]}, "the first user has no html_url", id="html_url-missing"),
        pytest.param({"users": ["https://acme.pagerduty.com"]}, "the first user is a string", id="user-string"),
        pytest.param({"users": [None]}, "the first user is null", id="user-null"),
        pytest.param({"users": "acme"}, "'users' is a string", id="users-string"),
        pytest.param({"users": {"0": {}}}, "'users' is an object", id="users-object"),
        pytest.param({"users": None}, "'users' is null", id="users-null"),
        pytest.param({"more": False}, "'users' is null", id="users-missing"),
        pytest.param([{"html_url": "https://acme.pagerduty.com"}], "got a list", id="body-list"),
        pytest.param('"acme"', "got a string", id="body-string"),  # raw JSON text
        pytest.param("null", "got null", id="body-null"),
    ],
)
def test_an_answer_of_the_wrong_shape_fails_the_token(
    pagerduty_api: FakePagerDuty, sleeps: Sleeps, body: Any, cause: str
) -> None:
    pagerduty_api.faults.add(Fault(method="GET", path=USERS, status=200, body=body))

    discovery = discover_within(source(pagerduty_api), sleeps)

    assert_failed(discovery, cause)
    assert sleeps == []


# -- the deadline ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "cause"),
    [
        pytest.param(
            Fault(method="GET", path=USERS, trickle=0.05, times=None), "run_timeout of 1s exceeded", id="body"
        ),
        pytest.param(
            Fault(method="GET", path=USERS, status=403, body="x" * 5000, trickle=0.05, times=None),
            "run_timeout of 1s exceeded",
            id="error-body",
        ),
        pytest.param(  # a 5xx is retried from its headers: its body is never waited for
            Fault(method="GET", path=USERS, status=500, body="x" * 5000, trickle=0.05, times=None),
            "answered 500 (gave up after 3 attempts)",
            id="server-error-body",
        ),
        pytest.param(
            Fault(method="GET", path=USERS, timeout=True, times=None), "run_timeout of 1s exceeded", id="held"
        ),
    ],
)
def test_a_slow_answer_ends_with_the_deadline(
    pagerduty_api: FakePagerDuty, sleeps: Sleeps, fault: Fault, cause: str
) -> None:
    pagerduty_api.faults.add(fault)

    discovery = discover_within(source(pagerduty_api), sleeps, Deadline(1.0), bound=15.0)

    assert_failed(discovery, cause)
    quiet(pagerduty_api)


def test_a_stop_ends_a_trickled_answer(pagerduty_api: FakePagerDuty, sleeps: Sleeps) -> None:
    pagerduty_api.faults.add(Fault(method="GET", path=USERS, trickle=0.05, times=None))
    deadline = Deadline(600.0)
    timer = threading.Timer(0.5, deadline.stop, kwargs={"reason": "interrupted by SIGTERM"})
    timer.start()
    try:
        discovery = discover_within(source(pagerduty_api), sleeps, deadline, bound=15.0)
    finally:
        timer.cancel()

    assert_failed(discovery, "interrupted by SIGTERM")
    quiet(pagerduty_api)


def test_an_expired_deadline_asks_nothing(pagerduty_api: FakePagerDuty, sleeps: Sleeps) -> None:
    discovery = discover_within(source(pagerduty_api), sleeps, Deadline(0.0))

    assert_failed(discovery, "run_timeout of 0s exceeded")
    assert pagerduty_api.count() == 0


def test_a_rate_limit_wait_past_the_deadline_is_not_waited(pagerduty_api: FakePagerDuty, sleeps: Sleeps) -> None:
    pagerduty_api.faults.add(Fault.rate_limited("pagerduty", method="GET", path=USERS, retry_after=3600, times=None))

    discovery = discover_within(source(pagerduty_api), sleeps, Deadline(0.3), bound=15.0)

    assert_failed(discovery, "answered 429")
    assert sleeps == [] and pagerduty_api.count() == 1


def test_a_body_larger_than_the_cap_fails_the_token(
    pagerduty_api: FakePagerDuty, sleeps: Sleeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pagerduty_client, "MAX_BYTES", 500)

    discovery = discover_within(source(pagerduty_api), sleeps)

    assert_failed(discovery, "larger than 500 bytes")
    assert sleeps == [], "not retried"


def test_the_timeouts_are_lowered_to_what_the_deadline_leaves(pagerduty_api: FakePagerDuty, sleeps: Sleeps) -> None:
    client = PagerDutyClient(source(pagerduty_api), LABEL, FAST, sleeps, Deadline(2.0))
    try:
        timeout = client._timeout()
    finally:
        client.close()

    assert all(0 < t <= 2.0 for t in (timeout.connect, timeout.read, timeout.write, timeout.pool) if t is not None)


# -- secrets ---------------------------------------------------------------------------------------------------------


def _echo(kind: str) -> Any:
    if kind == "json-message":
        return {"error": {"message": f"Invalid token {TOKEN}", "code": 2006}}
    if kind == "json-string":
        return {"error": f"Token token={TOKEN} is not valid"}
    if kind == "text":
        return f"Authorization: Token token={TOKEN}"
    if kind == "straddling-the-cut":
        return "x" * 290 + TOKEN + "y" * 50
    if kind == "html":
        return f"<html><body>{TOKEN}</body></html>" + "z" * 1000
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["json-message", "json-string", "text", "straddling-the-cut", "html"])
@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_an_error_echoing_the_token_never_shows_it(
    pagerduty_api: FakePagerDuty, sleeps: Sleeps, status: int, kind: str
) -> None:
    pagerduty_api.faults.add(Fault(method="GET", path=USERS, status=status, body=_echo(kind)))

    discovery = discover_within(source(pagerduty_api), sleeps)

    assert_failed(discovery, f"answered {status}")
    error = discovery.error or ""
    assert TOKEN not in error and TOKEN[:10] not in error and TOKEN[-10:] not in error
    assert len(error) < 500, "the quoted body is cut to 300 characters"


def test_an_html_url_echoing_the_token_never_shows_it(pagerduty_api: FakePagerDuty, sleeps: Sleeps) -> None:
    body = users(f"https://app.pagerduty.com/users/P1?token={TOKEN}")
    pagerduty_api.faults.add(Fault(method="GET", path=USERS, status=200, body=body))

    discovery = discover_within(source(pagerduty_api), sleeps)

    assert_failed(discovery, "'app' is a PagerDuty host")
    assert TOKEN not in (discovery.error or "")


def test_a_check_error_never_shows_the_token(pagerduty_api: FakePagerDuty, sleeps: Sleeps) -> None:
    pagerduty_api.faults.add(Fault(method="GET", path=USERS, status=401, body=_echo("json-message")))

    with pytest.raises(PermanentError) as caught:
        PagerDutyAccounts(source(pagerduty_api), 0, None, FAST, sleeps).check()

    assert "answered 401" in str(caught.value) and TOKEN not in str(caught.value)


# -- confirm ---------------------------------------------------------------------------------------------------------


def test_confirm_keeps_nothing_and_asks_nothing(pagerduty_api: FakePagerDuty, sleeps: Sleeps) -> None:
    accounts = PagerDutyAccounts(source(pagerduty_api), 0, None, FAST, sleeps)
    [discovery] = accounts.discover()
    assert discovery.ok, discovery.error
    pagerduty_api.reset_counters()

    assert accounts.confirm([PagerDutyAccount(enabled=True, subdomain="acme")]) == ()
    assert pagerduty_api.count() == 0


def test_the_factory_bounds_pagerduty_sources_by_the_runs_deadline(
    pagerduty_api: FakePagerDuty, sleeps: Sleeps
) -> None:
    tree: dict[str, object] = {
        "datadog": {"api_key": "dd-api-key-value", "app_key": "dd-app-key-value"},
        "pagerduty": {"sources": [{"token": TOKEN, "api_url": pagerduty_api.url}]},
    }
    [built] = factory.sources(Integration.PAGERDUTY, parse(tree, {}), FAST, sleeps, deadline=Deadline(0.0))

    [discovery] = built.discover()

    assert_failed(discovery, "run_timeout of 0s exceeded")
    assert pagerduty_api.count() == 0
