"""JiraProjects against answers nobody planned for (SPEC §6 "Hostile and odd answers"), over real HTTP.

Every case asserts the site failed (no entries, never a short list) with an error naming the site and the cause,
and that discover() returned within a generous bound of its deadline.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from syncer.config.loader import parse
from syncer.config.schema import JiraSource
from syncer.deadline import Deadline
from syncer.model import Discovery, Integration, JiraProject
from syncer.simulator import seed
from syncer.simulator.faults import Fault
from syncer.simulator.jira import FakeJira
from syncer.sources import factory, jira, jira_client
from syncer.sources.jira import JiraProjects

from .conftest import FAST, Sleeps, returns_within
from .test_jira import LIST, SEARCH, cloud, data_center, keys

pytestmark = pytest.mark.reliability(system="Jira")

CLOUD = "jira acme.atlassian.net"
DC = "jira jira.acme.internal"
ANONYMOUS_PAGE = {"self": "x", "maxResults": 50, "startAt": 0, "total": 0, "isLast": True, "values": []}
BASIC = base64.b64encode(f"{seed.JIRA_EMAIL}:{seed.JIRA_API_TOKEN}".encode()).decode()


@pytest.fixture(scope="module")
def _elsewhere() -> Iterator[FakeJira]:
    fake = FakeJira("elsewhere.example")
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def elsewhere(_elsewhere: FakeJira) -> FakeJira:
    """Another host, answering anonymous requests with an empty last page (what Jira Cloud shows anonymous users)."""
    _elsewhere.reset()
    return _elsewhere


def discover_within(
    source: JiraSource, sleeps: Sleeps, deadline: Deadline | None = None, bound: float = 30.0
) -> Discovery:
    """discover() in a thread that must end within `bound` seconds; its single Discovery."""
    result = returns_within(lambda: JiraProjects(source, FAST, sleeps, deadline).discover(), bound, "discover()")
    found: list[Discovery] = result
    [discovery] = found
    return discovery


def project_keys(discovery: Discovery) -> list[str]:
    """The project keys of a Discovery's entries."""
    return [e.project_key for e in discovery.entries if isinstance(e, JiraProject)]


def assert_failed(discovery: Discovery, site: str, *causes: str) -> None:
    """The whole site failed: no entries, an error naming the site and every cause given."""
    assert not discovery.ok, "the site must fail"
    assert discovery.entries == ()
    assert discovery.scope.owns == (site.removeprefix("jira ").casefold(),)
    assert discovery.error is not None and site in discovery.error, discovery.error
    for cause in causes:
        assert cause in discovery.error, discovery.error


def quiet(fake: FakeJira, still: float = 0.3, within: float = 5.0) -> None:
    """Wait until the fake has answered nothing new for `still` seconds (a request given up on answers late)."""
    end = time.monotonic() + within
    seen, since = fake.count(), time.monotonic()
    while time.monotonic() < end and time.monotonic() - since < still:
        time.sleep(0.05)
        if fake.count() != seen:
            seen, since = fake.count(), time.monotonic()


# -- only a 200 is a page ---------------------------------------------------------------------------------------

EMPTY_STATUSES = (204, 205, 304)  # statuses that carry no body


def _status_fault(path: str, status: int, body: Any, location: str) -> Fault:
    headers = {"Location": location} if 300 <= status < 400 else {}
    return Fault(method="GET", path=path, status=status, body="" if status in EMPTY_STATUSES else body, headers=headers)


STATUSES = [202, 203, 204, 205, 206, 226, 300, 301, 302, 303, 304, 307, 308]


@pytest.mark.parametrize("status", STATUSES, ids=[f"search-{s}" for s in STATUSES])
def test_cloud_search_answering_anything_but_200_fails_the_site(
    jira_cloud: FakeJira, elsewhere: FakeJira, sleeps: Sleeps, status: int
) -> None:
    location = f"{elsewhere.url}/rest/api/2/project/search?startAt=0"
    jira_cloud.faults.add(_status_fault(SEARCH, status, ANONYMOUS_PAGE, location))

    discovery = discover_within(cloud(jira_cloud), sleeps)

    assert_failed(discovery, CLOUD, f"answered {status}", "/rest/api/2/project/search")
    assert jira_cloud.count() == 1, "no retry, no fallback to GET /project"
    assert elsewhere.count() == 0
    assert sleeps == []


@pytest.mark.parametrize("status", STATUSES, ids=[f"list-{s}" for s in STATUSES])
def test_data_center_list_answering_anything_but_200_fails_the_site(
    jira_dc: FakeJira, elsewhere: FakeJira, sleeps: Sleeps, status: int
) -> None:
    jira_dc.faults.add(_status_fault(LIST, status, [], f"{elsewhere.url}/rest/api/2/project"))

    discovery = discover_within(data_center(jira_dc), sleeps)

    assert_failed(discovery, DC, f"answered {status}", "GET /rest/api/2/project")
    assert elsewhere.count() == 0


@pytest.mark.parametrize("status", [202, 206, 302, 307], ids=lambda s: f"page-2-{s}")
def test_a_later_page_answering_anything_but_200_fails_the_site(
    jira_cloud: FakeJira, elsewhere: FakeJira, sleeps: Sleeps, status: int
) -> None:
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, times=1))  # page 1 passes untouched
    jira_cloud.faults.add(_status_fault(SEARCH, status, ANONYMOUS_PAGE, f"{elsewhere.url}/rest/api/2/project/search"))

    discovery = discover_within(cloud(jira_cloud), sleeps)

    assert_failed(discovery, CLOUD, f"answered {status}", "page 2")
    assert elsewhere.count() == 0


@pytest.mark.parametrize(
    ("make", "site"),
    [
        pytest.param(cloud, CLOUD, id="cloud-basic-auth"),
        pytest.param(data_center, DC, id="data-center-pat"),
    ],
)
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_host_is_never_followed(
    jira_cloud: FakeJira,
    jira_dc: FakeJira,
    elsewhere: FakeJira,
    sleeps: Sleeps,
    make: Any,
    site: str,
    status: int,
) -> None:
    fake = jira_cloud if site == CLOUD else jira_dc
    path = SEARCH if site == CLOUD else LIST
    location = f"{elsewhere.url}/rest/api/2/project{'/search' if site == CLOUD else ''}"
    fake.faults.add(Fault(method="GET", path=path, status=status, headers={"Location": location}, body=ANONYMOUS_PAGE))

    discovery = discover_within(make(fake), sleeps)

    assert_failed(discovery, site, f"answered {status}", "redirect", "not followed", "127.0.0.1")
    assert elsewhere.count() == 0, "the other host got no request, so no credential"


def test_a_redirect_to_the_same_site_is_not_followed_either(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    location = f"{jira_cloud.url}/rest/api/2/project/search?startAt=0&maxResults=100"
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, status=307, headers={"Location": location}))

    discovery = discover_within(cloud(jira_cloud), sleeps)

    assert_failed(discovery, CLOUD, "answered 307")
    assert jira_cloud.count() == 1


def test_a_redirect_location_is_shown_without_userinfo_or_secrets(
    jira_dc: FakeJira, elsewhere: FakeJira, sleeps: Sleeps
) -> None:
    location = f"http://admin:hunter2-password@elsewhere.example/login?token={seed.JIRA_DC_TOKEN}"
    jira_dc.faults.add(Fault(method="GET", path=LIST, status=302, headers={"Location": location}))

    discovery = discover_within(data_center(jira_dc), sleeps)

    assert_failed(discovery, DC, "answered 302", "elsewhere.example")
    assert discovery.error is not None
    assert "hunter2-password" not in discovery.error and "admin:" not in discovery.error
    assert seed.JIRA_DC_TOKEN not in discovery.error


# -- listings end on isLast: true or an empty page, never on total alone ------------------------------------------


@pytest.mark.parametrize(
    ("total", "cap"),
    [
        pytest.param(None, 50, id="no-isLast-real-total"),
        pytest.param(10, 50, id="no-isLast-total-10"),
        pytest.param(0, 50, id="no-isLast-total-0"),
        pytest.param(50, 50, id="no-isLast-total-one-page"),
        pytest.param(1, 7, id="no-isLast-total-1-small-pages"),
    ],
)
def test_without_is_last_a_too_small_total_never_gives_a_short_list(
    jira_cloud: FakeJira, sleeps: Sleeps, total: int | None, cap: int
) -> None:
    jira_cloud.omit_is_last, jira_cloud.claimed_total, jira_cloud.max_results_cap = True, total, cap
    live = keys(jira_cloud, "live")

    discovery = discover_within(cloud(jira_cloud), sleeps)

    assert discovery.ok, discovery.error
    assert sorted(project_keys(discovery)) == live
    assert jira_cloud.count("GET", SEARCH) == -(-len(live) // cap) + 1, "asked on to the first empty page"


def test_without_is_last_an_empty_page_before_the_total_fails(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    jira_cloud.omit_is_last, jira_cloud.claimed_total = True, 500
    live = keys(jira_cloud, "live")

    discovery = discover_within(cloud(jira_cloud), sleeps)

    assert_failed(discovery, CLOUD, f"an empty page after {len(live)} projects of the 500 counted")


def test_is_last_true_ends_the_listing_whatever_total_says(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    page = {"startAt": 0, "total": 999, "isLast": True, "values": [{"key": "ONLY", "projectTypeKey": "software"}]}
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, status=200, body=page))

    discovery = discover_within(cloud(jira_cloud), sleeps)

    assert discovery.ok and project_keys(discovery) == ["ONLY"]
    assert jira_cloud.count() == 1


def test_a_page_longer_than_asked_fails_the_site(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    values = [{"key": f"P{n}", "projectTypeKey": "software"} for n in range(101)]
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, status=200, body={"startAt": 0, "values": values}))

    discovery = discover_within(cloud(jira_cloud), sleeps)

    assert_failed(discovery, CLOUD, "101 projects on a page of at most 100")


def test_pages_that_never_end_fail_at_the_page_cap(
    jira_cloud: FakeJira, sleeps: Sleeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jira, "MAX_PAGES", 6)
    jira_cloud.endless, jira_cloud.omit_is_last = True, True

    discovery = discover_within(cloud(jira_cloud), sleeps)

    assert_failed(discovery, CLOUD, "more than 6 pages")
    assert jira_cloud.count("GET", SEARCH) == 6


@pytest.mark.parametrize("omit", [True, False], ids=["isLast-missing", "isLast-false"])
def test_pages_that_never_end_fail_at_the_deadline(jira_cloud: FakeJira, sleeps: Sleeps, omit: bool) -> None:
    jira_cloud.endless, jira_cloud.omit_is_last, jira_cloud.latency = True, omit, 0.02

    discovery = discover_within(cloud(jira_cloud), sleeps, Deadline(1.0), bound=15.0)

    assert_failed(discovery, CLOUD, "run_timeout of 1s exceeded")
    quiet(jira_cloud)


@pytest.mark.parametrize(
    "page",
    [
        pytest.param({"isLast": False, "values": [{"key": "SAME"}]}, id="same-page-isLast-false"),
        pytest.param({"values": [{"key": "SAME"}, {"key": "TWICE"}]}, id="same-page-isLast-missing"),
        pytest.param({"total": 1000, "values": [{"key": "SAME"}]}, id="same-page-big-total"),
    ],
)
def test_a_page_repeated_forever_does_not_loop(jira_cloud: FakeJira, sleeps: Sleeps, page: dict[str, Any]) -> None:
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, status=200, body=page, times=None))

    discovery = discover_within(cloud(jira_cloud), sleeps)

    assert_failed(discovery, CLOUD, "repeats only projects already listed", "page 2")
    assert jira_cloud.count() == 2


def test_a_page_that_is_not_the_start_asked_fails(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, times=1))  # page 1 passes untouched
    page = {"startAt": 0, "isLast": False, "values": [{"key": "NEW1"}]}
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, status=200, body=page))

    discovery = discover_within(cloud(jira_cloud), sleeps)

    assert_failed(discovery, CLOUD, "says startAt=0, not the 50 asked")


# -- strict types -----------------------------------------------------------------------------------------------

PROJECT = {"id": "10000", "key": "ABC", "name": "Alpha", "projectTypeKey": "software"}

PAGE_CASES = [
    pytest.param({"isLast": "true", "values": [PROJECT]}, "'isLast' is a string", id="isLast-string"),
    pytest.param({"isLast": 1, "values": [PROJECT]}, "'isLast' is a number", id="isLast-number"),
    pytest.param({"isLast": None, "values": [PROJECT]}, "'isLast' is null", id="isLast-null"),
    pytest.param({"isLast": True, "values": {"0": PROJECT}}, "'values' is an object", id="values-object"),
    pytest.param({"isLast": True, "values": "[]"}, "'values' is a string", id="values-string"),
    pytest.param({"isLast": True, "values": None}, "'values' is null", id="values-null"),
    pytest.param({"isLast": True}, "no 'values'", id="values-missing"),
    pytest.param({"isLast": True, "total": "3", "values": [PROJECT]}, "'total' is a string", id="total-string"),
    pytest.param({"isLast": True, "total": -1, "values": [PROJECT]}, "'total' is a number", id="total-negative"),
    pytest.param({"isLast": True, "total": True, "values": [PROJECT]}, "'total' is a boolean", id="total-boolean"),
    pytest.param({"isLast": True, "startAt": "0", "values": [PROJECT]}, "'startAt' is a string", id="startAt-string"),
    pytest.param({"isLast": True, "maxResults": 1.5, "values": [PROJECT]}, "'maxResults' is a number", id="max-float"),
    pytest.param([PROJECT], "expected a page object, got a list", id="page-is-a-list"),
    pytest.param('"values"', "expected a page object, got a string", id="page-is-a-string"),  # raw JSON text
    pytest.param("null", "expected a page object, got null", id="page-is-null"),
]

PROJECT_CASES = [
    pytest.param({"key": 5}, "'key' is a number", id="key-number"),
    pytest.param({"key": None}, "'key' is null", id="key-null"),
    pytest.param({"key": ["ABC"]}, "'key' is a list", id="key-list"),
    pytest.param({"name": "no key"}, "'key' is missing", id="key-missing"),
    pytest.param({"key": "  "}, "'key' is empty", id="key-blank"),
    pytest.param({**PROJECT, "archived": "false"}, "'archived' is a string", id="archived-string"),
    pytest.param({**PROJECT, "archived": 0}, "'archived' is a number", id="archived-number"),
    pytest.param({**PROJECT, "archived": None}, "'archived' is null", id="archived-null"),
    pytest.param({**PROJECT, "projectTypeKey": 1}, "'projectTypeKey' is a number", id="type-number"),
    pytest.param({**PROJECT, "projectTypeKey": None}, "'projectTypeKey' is null", id="type-null"),
    pytest.param({**PROJECT, "deleted": "no"}, "'deleted' is a string", id="deleted-string"),
    pytest.param({**PROJECT, "id": 10000}, "'id' is a number", id="id-number"),
    pytest.param({**PROJECT, "name": ["Alpha"]}, "'name' is a list", id="name-list"),
    pytest.param({**PROJECT, "projectCategory": "Eng"}, "'projectCategory' is a string", id="category-string"),
    pytest.param("ABC", "expected an object, got a string", id="project-is-a-string"),
    pytest.param(None, "expected an object, got null", id="project-is-null"),
]


@pytest.mark.parametrize(("body", "cause"), PAGE_CASES)
def test_a_page_of_the_wrong_shape_fails_the_site(jira_cloud: FakeJira, sleeps: Sleeps, body: Any, cause: str) -> None:
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, status=200, body=body))

    discovery = discover_within(cloud(jira_cloud), sleeps)

    assert_failed(discovery, CLOUD, cause, "page 1")
    assert sleeps == [] and jira_cloud.count() == 1


@pytest.mark.parametrize(("project", "cause"), PROJECT_CASES)
def test_a_project_of_the_wrong_shape_fails_the_site(
    jira_cloud: FakeJira, sleeps: Sleeps, project: Any, cause: str
) -> None:
    page = {
        "startAt": 0,
        "total": 2,
        "isLast": True,
        "values": [{"key": "FINE", "projectTypeKey": "software"}, project],
    }
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, status=200, body=page))

    discovery = discover_within(cloud(jira_cloud), sleeps)

    assert_failed(discovery, CLOUD, "malformed project", cause)


@pytest.mark.parametrize(("project", "cause"), PROJECT_CASES[:8])
def test_a_data_center_project_of_the_wrong_shape_fails_the_site(
    jira_dc: FakeJira, sleeps: Sleeps, project: Any, cause: str
) -> None:
    jira_dc.faults.add(Fault(method="GET", path=LIST, status=200, body=[{"key": "FINE"}, project]))

    discovery = discover_within(data_center(jira_dc), sleeps)

    assert_failed(discovery, DC, "malformed project", cause)


@pytest.mark.parametrize(
    ("body", "cause"),
    [
        pytest.param({"values": []}, "expected a JSON list of projects, got an object", id="object"),
        pytest.param('"[]"', "expected a JSON list of projects, got a string", id="string"),  # raw JSON text
        pytest.param("null", "expected a JSON list of projects, got null", id="null"),
    ],
)
def test_a_data_center_list_of_the_wrong_shape_fails_the_site(
    jira_dc: FakeJira, sleeps: Sleeps, body: Any, cause: str
) -> None:
    jira_dc.faults.add(Fault(method="GET", path=LIST, status=200, body=body))

    assert_failed(discover_within(data_center(jira_dc), sleeps), DC, cause)


def test_a_long_string_of_the_wrong_type_is_not_quoted(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    page = {"isLast": True, "values": [{**PROJECT, "archived": seed.JIRA_API_TOKEN[:20]}]}
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, status=200, body=page))

    discovery = discover_within(cloud(jira_cloud), sleeps)

    assert_failed(discovery, CLOUD, "'archived' is a string")
    assert discovery.error is not None and seed.JIRA_API_TOKEN[:12] not in discovery.error


# -- the deadline: trickled bodies, slow retries, a stop ----------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "site", "path", "first_page_ok"),
    [
        pytest.param(cloud, CLOUD, SEARCH, False, id="cloud-page-1"),
        pytest.param(cloud, CLOUD, SEARCH, True, id="cloud-page-2"),
        pytest.param(data_center, DC, LIST, False, id="data-center-list"),
    ],
)
def test_a_body_trickled_a_byte_at_a_time_ends_with_the_deadline(
    jira_cloud: FakeJira, jira_dc: FakeJira, sleeps: Sleeps, make: Any, site: str, path: str, first_page_ok: bool
) -> None:
    fake = jira_cloud if site == CLOUD else jira_dc
    if first_page_ok:
        fake.faults.add(Fault(method="GET", path=path, times=1))
    fake.faults.add(Fault(method="GET", path=path, trickle=0.05, times=None))

    discovery = discover_within(make(fake), sleeps, Deadline(1.5), bound=15.0)

    assert_failed(discovery, site, "run_timeout of 1.5s exceeded")
    quiet(fake)


def test_a_trickled_error_body_ends_with_the_deadline(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, status=500, body="x" * 5000, trickle=0.05, times=None))

    discovery = discover_within(cloud(jira_cloud), sleeps, Deadline(1.0), bound=15.0)

    assert_failed(discovery, CLOUD, "run_timeout of 1s exceeded")
    quiet(jira_cloud)


def test_a_body_larger_than_the_cap_fails_the_site(
    jira_cloud: FakeJira, sleeps: Sleeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jira_client, "MAX_BYTES", 2000)

    discovery = discover_within(cloud(jira_cloud), sleeps)

    assert_failed(discovery, CLOUD, "larger than")
    assert sleeps == [], "not retried"


def test_a_server_that_holds_the_request_ends_with_the_deadline(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, timeout=True, times=None))

    discovery = discover_within(cloud(jira_cloud), sleeps, Deadline(1.0), bound=15.0)

    assert_failed(discovery, CLOUD, "run_timeout of 1s exceeded")
    quiet(jira_cloud)


def test_a_rate_limit_wait_past_the_deadline_is_not_waited(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, status=429, headers={"Retry-After": "3600"}, times=None))

    discovery = discover_within(cloud(jira_cloud), sleeps, Deadline(0.3), bound=15.0)

    assert_failed(discovery, CLOUD, "429")
    assert sleeps == [] and jira_cloud.count() == 1


def test_an_expired_deadline_asks_nothing(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    discovery = discover_within(cloud(jira_cloud), sleeps, Deadline(0.0))

    assert_failed(discovery, CLOUD, "run_timeout of 0s exceeded")
    assert jira_cloud.count() == 0


def test_a_stop_ends_a_trickled_listing(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, trickle=0.05, times=None))
    deadline = Deadline(600.0)
    timer = threading.Timer(0.5, deadline.stop, kwargs={"reason": "interrupted by SIGINT"})
    timer.start()
    try:
        discovery = discover_within(cloud(jira_cloud), sleeps, deadline, bound=15.0)
    finally:
        timer.cancel()

    assert_failed(discovery, CLOUD, "interrupted by SIGINT")
    quiet(jira_cloud)


# -- secrets echoed by error answers ------------------------------------------------------------------------------

PAT, API_TOKEN = seed.JIRA_DC_TOKEN, seed.JIRA_API_TOKEN


def _echo(secret: str, kind: str) -> Any:
    if kind == "json":
        return {"errorMessages": [f"Invalid credentials: {secret}"], "errors": {}}
    if kind == "errors-map":
        return {"errorMessages": [], "errors": {"auth": f"token {secret} is revoked"}}
    if kind == "text":
        return f"Client must be authenticated. Authorization: Basic {secret}; Bearer {secret}"
    if kind == "straddling-the-cut":
        return "x" * 290 + secret + "y" * 50
    if kind == "html":
        return f"<html><body><pre>Authorization: {secret}</pre></body></html>" + "z" * 1000
    raise AssertionError(kind)


KINDS = ["json", "errors-map", "text", "straddling-the-cut", "html"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status", [400, 401, 403])
def test_a_data_center_error_echoing_the_pat_never_shows_it(
    jira_dc: FakeJira, sleeps: Sleeps, status: int, kind: str
) -> None:
    jira_dc.faults.add(Fault(method="GET", path=SEARCH, status=status, body=_echo(PAT, kind)))

    discovery = discover_within(data_center(jira_dc), sleeps)

    assert_failed(discovery, DC, f"answered {status}")
    _assert_hidden(discovery, PAT)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "secret", [pytest.param(API_TOKEN, id="api-token"), pytest.param(BASIC, id="base64-email-token")]
)
@pytest.mark.parametrize("status", [400, 401, 403])
def test_a_cloud_error_echoing_the_credentials_never_shows_them(
    jira_cloud: FakeJira, sleeps: Sleeps, status: int, secret: str, kind: str
) -> None:
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, status=status, body=_echo(secret, kind)))

    discovery = discover_within(cloud(jira_cloud), sleeps)

    assert_failed(discovery, CLOUD, f"answered {status}")
    _assert_hidden(discovery, API_TOKEN)
    _assert_hidden(discovery, BASIC)


def test_a_denied_reason_header_echoing_the_token_never_shows_it(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    headers = {"X-Authentication-Denied-Reason": f"CAPTCHA_CHALLENGE; token={API_TOKEN}"}
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, status=403, body="", headers=headers))

    discovery = discover_within(cloud(jira_cloud), sleeps)

    assert_failed(discovery, CLOUD, "answered 403", "CAPTCHA_CHALLENGE")
    _assert_hidden(discovery, API_TOKEN)


def test_a_quoted_body_is_cut_to_300_characters(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, status=400, body={"errorMessages": ["e" * 5000]}))

    discovery = discover_within(cloud(jira_cloud), sleeps)

    assert_failed(discovery, CLOUD, "answered 400")
    assert discovery.error is not None and discovery.error.count("e" * 10) <= 30 and "e" * 301 not in discovery.error


def _assert_hidden(discovery: Discovery, secret: str) -> None:
    error = discovery.error or ""
    assert secret not in error
    assert secret[:10] not in error, "not even a cut piece of it"
    assert secret[-10:] not in error


def test_the_factory_bounds_jira_sources_by_the_runs_deadline(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    site = {"hostname": "acme.atlassian.net", "url": jira_cloud.url, "account_id": "1"}
    tree: dict[str, object] = {
        "datadog": {"api_key": "dd-api-key-value", "app_key": "dd-app-key-value"},
        "jira": {"sources": [{**site, "email": seed.JIRA_EMAIL, "api_token": seed.JIRA_API_TOKEN}]},
    }
    [built] = factory.sources(Integration.JIRA, parse(tree, {}), FAST, sleeps, deadline=Deadline(0.0))

    [discovery] = built.discover()

    assert_failed(discovery, CLOUD, "run_timeout of 0s exceeded")
    assert jira_cloud.count() == 0
