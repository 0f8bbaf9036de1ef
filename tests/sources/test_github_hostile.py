"""GithubRepos against answers nobody planned for (SPEC §6 "Hostile and odd answers"), over real HTTP.

Every case asserts the org (or, for the App endpoints, the host) failed with no entries and an error naming it and
the cause, and that discover() returned within a generous bound of its deadline.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from syncer.config.schema import GithubSource
from syncer.deadline import Deadline
from syncer.errors import PermanentError
from syncer.model import Discovery
from syncer.retry import RetryPolicy
from syncer.simulator.faults import Fault
from syncer.simulator.github.fake import FakeGitHub
from syncer.sources import github_transport
from syncer.sources.github import GithubRepos

from .conftest import FAST, Sleeps, returns_within
from .test_github_app import TOKENS, app_source

pytestmark = pytest.mark.reliability(system="GitHub")

REPOS = r"^/orgs/acme/repos$"
INSTALLATIONS = r"^/app/installations$"
SLOW = r"deadline|run_timeout of 1\.5s exceeded"
PATIENT = RetryPolicy(attempts=3, base=0.01, cap=0.05, max_wait=7200.0)


class Elsewhere(http.server.ThreadingHTTPServer):
    """Another host: answers every GET with an anonymous-looking 200 `[]` and remembers what it was sent."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.seen.append((self.path, self.headers.get("Authorization")))
                body = b"[]"
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                self.do_GET()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        """Its base URL."""
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture(scope="module")
def _elsewhere() -> Iterator[Elsewhere]:
    server = Elsewhere()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def elsewhere(_elsewhere: Elsewhere) -> Elsewhere:
    """Another host, with a fresh record of the requests it received."""
    _elsewhere.seen.clear()
    return _elsewhere


def token_source(fake: FakeGitHub, org: str = "acme", **overrides: Any) -> GithubSource:
    """A token-authenticated source listing one org of the fake github.com."""
    return GithubSource.model_validate({"api_url": fake.url, "token": fake.token, "orgs": [org], **overrides})


def discover_within(
    source: GithubSource,
    sleeps: Sleeps,
    deadline: Deadline | None = None,
    bound: float = 30.0,
    policy: RetryPolicy = FAST,
    concurrency: int = 4,
) -> list[Discovery]:
    """discover() in a thread that must end within `bound` seconds."""
    result = returns_within(
        lambda: GithubRepos(source, concurrency, policy, sleeps, deadline=deadline).discover(), bound, "discover()"
    )
    found: list[Discovery] = result
    return found


def assert_failed(found: list[Discovery], label: str, *causes: str) -> Discovery:
    """The one Discovery failed: no entries, an error naming its scope and every cause (a regular expression)."""
    [discovery] = found
    assert not discovery.ok, "the scope must fail"
    assert discovery.entries == ()
    assert discovery.scope.label == label
    assert discovery.error is not None and label in discovery.error, discovery.error
    for cause in causes:
        assert re.search(cause, discovery.error), discovery.error
    return discovery


def repo(index: int, org: str = "acme", **fields: Any) -> dict[str, Any]:
    """A minimal, well-typed repository object."""
    name = f"r{index}"
    base: dict[str, Any] = {
        "id": 1000 + index,
        "name": name,
        "full_name": f"{org}/{name}",
        "private": False,
        "visibility": "public",
        "fork": False,
        "archived": False,
        "is_template": False,
        "topics": ["service"],
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not DROP}


DROP = object()

# -- only a 200 is a page ---------------------------------------------------------------------------------------

ODD_STATUSES = [202, 203, 204, 205, 206, 207, 226, 300, 301, 302, 303, 304, 307, 308]


@pytest.mark.parametrize("status", ODD_STATUSES, ids=[f"status-{s}" for s in ODD_STATUSES])
@pytest.mark.parametrize("page", [1, 2], ids=["page-1", "page-2"])
def test_any_status_but_200_fails_the_org(github_api: FakeGitHub, sleeps: Sleeps, status: int, page: int) -> None:
    if page == 2:
        github_api.faults.add(Fault(method="GET", path=REPOS, times=1))  # page 1 answers normally
    body = "" if status in (204, 304) else []  # HTTP forbids a body on these
    github_api.faults.add(Fault(method="GET", path=REPOS, status=status, body=body, times=None))

    found = discover_within(token_source(github_api), sleeps, concurrency=1)

    assert_failed(found, "github.com/acme", f"page {page} answered {status}", "only a 200")
    assert github_api.count("GET", REPOS) <= 3, "never retried, never followed"


@pytest.mark.parametrize(
    "location",
    [
        pytest.param("/organizations/81234567/repos?per_page=100&page=1", id="relative-same-host"),
        pytest.param("{fake}/organizations/81234567/repos?page=1", id="absolute-same-host"),
        pytest.param("{fake}/orgs/acme/repos", id="same-url"),
    ],
)
@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_same_host_redirect_is_not_followed(
    github_api: FakeGitHub, sleeps: Sleeps, status: int, location: str
) -> None:
    github_api.faults.add(
        Fault(
            method="GET", path=REPOS, status=status, body=[], headers={"location": location.format(fake=github_api.url)}
        )
    )

    found = discover_within(token_source(github_api), sleeps)

    assert_failed(found, "github.com/acme", f"answered {status}", "not followed")
    assert github_api.count(path=r"^/organizations/") == 0
    assert github_api.count("GET", REPOS) == 1


def test_202_forever_is_asked_once(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    github_api.faults.add(Fault(method="GET", path=REPOS, status=202, body=[], times=None))

    found = discover_within(token_source(github_api), sleeps, Deadline(10.0), bound=5.0)

    assert_failed(found, "github.com/acme", "answered 202")
    assert github_api.count("GET", REPOS) == 1, "PyGithub's 202 loop (2 s apart, forever) never runs"
    assert sleeps == []


# -- a redirect to another host never gets a request, let alone credentials --------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("page", [1, 2], ids=["page-1", "page-2"])
def test_a_list_page_redirected_to_another_host_fails_the_org(
    github_api: FakeGitHub, elsewhere: Elsewhere, sleeps: Sleeps, status: int, page: int
) -> None:
    if page == 2:
        github_api.faults.add(Fault(method="GET", path=REPOS, times=1))
    location = f"{elsewhere.url}/orgs/acme/repos?page={page}&token={github_api.token}"
    github_api.faults.add(Fault(method="GET", path=REPOS, status=status, body="", headers={"location": location}))

    found = discover_within(token_source(github_api), sleeps, concurrency=1)

    failed = assert_failed(found, "github.com/acme", f"answered {status}", "not followed", elsewhere.url)
    assert github_api.token not in (failed.error or ""), "the Location's query is not shown"
    assert elsewhere.seen == []


@pytest.mark.parametrize(
    ("path", "label", "cause"),
    [
        pytest.param(INSTALLATIONS, "github.com", "listing the app's installations", id="installations"),
        pytest.param(TOKENS, "github.com/acme", "access_tokens", id="access-token"),
    ],
)
@pytest.mark.parametrize("status", [301, 302, 307])
def test_app_endpoints_redirected_to_another_host_fail(
    github_api: FakeGitHub, elsewhere: Elsewhere, sleeps: Sleeps, path: str, label: str, cause: str, status: int
) -> None:
    location = f"{elsewhere.url}/app/installations"
    github_api.faults.add(Fault(path=path, status=status, body=[], headers={"location": location}, times=None))

    found = discover_within(app_source(github_api, orgs=["acme"]), sleeps)

    assert_failed(found, label, cause, f"answered {status}")
    assert elsewhere.seen == []


def test_check_of_an_org_redirected_elsewhere_fails(
    github_api: FakeGitHub, elsewhere: Elsewhere, sleeps: Sleeps
) -> None:
    github_api.faults.add(Fault(path=r"^/orgs/acme$", status=302, body="", headers={"location": elsewhere.url}))

    with pytest.raises(PermanentError, match=r"github.com/acme: GET /orgs/acme answered 302"):
        GithubRepos(token_source(github_api), 2, FAST, sleeps).check()

    assert elsewhere.seen == []


@pytest.mark.parametrize("status", [202, 204, 206, 301])
def test_check_takes_only_a_200(github_api: FakeGitHub, sleeps: Sleeps, status: int) -> None:
    github_api.faults.add(Fault(path=r"^/orgs/acme$", status=status, body=""))

    with pytest.raises(PermanentError, match=rf"GET /orgs/acme answered {status}"):
        GithubRepos(token_source(github_api), 2, FAST, sleeps).check()


# -- bounded work whatever the server claims --------------------------------------------------------------------


def claims(**rels: int) -> dict[str, str]:
    """A Link header with these relations (rel=page number)."""
    url = "https://api.github.com/organizations/81234567/repos?per_page=100&page={}"
    return {"link": ", ".join(f'<{url.format(n)}>; rel="{rel}"' for rel, n in rels.items())}


@pytest.mark.parametrize(
    ("link", "cause"),
    [
        pytest.param(claims(next=2, last=1_000_000_000), "claims 1000000000 pages", id="last-a-billion"),
        pytest.param(claims(next=2, last=1001), "claims 1001 pages", id="last-1001"),
        pytest.param(claims(next=1, last=3), "next link points to page 1, not to page 2", id="next-is-itself"),
        pytest.param(claims(next=7, last=9), "next link points to page 7", id="next-skips-pages"),
        pytest.param({"link": '<https://x/repos?cursor=abc>; rel="next"'}, "no page number", id="next-no-number"),
        pytest.param(claims(next=2, last=1), "names page 1 as the last", id="next-after-last"),
    ],
)
def test_a_link_header_that_cannot_be_right_fails_the_org_before_more_pages(
    github_api: FakeGitHub, sleeps: Sleeps, link: dict[str, str], cause: str
) -> None:
    github_api.faults.add(Fault(method="GET", path=REPOS, status=200, body=[repo(i) for i in range(100)], headers=link))

    found = discover_within(token_source(github_api), sleeps, bound=10.0)

    assert_failed(found, "github.com/acme", "page 1", cause)
    assert github_api.count("GET", REPOS) == 1, "no further page is asked"


@pytest.mark.parametrize(
    ("links", "cause"),
    [
        pytest.param(lambda page, last: {"next": 1, "last": 3} if page == 2 else None, "page 1", id="back-to-1"),
        pytest.param(lambda page, last: {"next": page - 1} if page == 3 else None, "page 2", id="back-to-2"),
        pytest.param(lambda page, last: {"next": page + 1}, "empty but", id="endless-next"),
        pytest.param(lambda page, last: {"next": page + 1, "last": page + 1}, "empty but", id="last-moves-on"),
    ],
)
def test_pagination_that_goes_back_or_never_ends_fails_the_org(
    github_api: FakeGitHub, sleeps: Sleeps, links: Any, cause: str
) -> None:
    github_api.paging.links = links

    found = discover_within(token_source(github_api), sleeps, Deadline(20.0), bound=20.0)

    assert_failed(found, "github.com/acme", cause)
    assert github_api.count("GET", REPOS) <= 5


def test_endless_full_pages_stop_at_the_page_cap(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    github_api.paging.links = lambda page, last: {"next": page + 1}
    github_api.paging.ignore_page = True  # every page answers the same 100 repos

    found = discover_within(token_source(github_api), sleeps, bound=20.0)

    assert_failed(found, "github.com/acme", "page 2", "repeats page 1")
    assert github_api.count("GET", REPOS) == 2


def test_a_server_ignoring_the_page_fails_the_org(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    github_api.paging.ignore_page = True  # the real Link header (3 pages), page 1's repos on each

    found = discover_within(token_source(github_api), sleeps)

    assert_failed(found, "github.com/acme", "repeats page 1", "ignores pagination")


def test_exactly_the_page_cap_is_still_read(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    github_api.paging.links = lambda page, last: {"next": page + 1, "last": 1000} if page == 1 else None

    found = discover_within(token_source(github_api), sleeps, concurrency=8, bound=60.0)

    assert github_api.count("GET", REPOS) == 1000  # the cap lets exactly 1,000 pages be read
    # the fake org has 250 repos: page 3 of the 1,000 announced is short, so the listing is not whole
    assert_failed(found, "github.com/acme", "page 3 of 1000 holds 50 repositories")
    assert "more than" not in (found[0].error or "")


def test_a_body_larger_than_the_cap_fails_the_org(
    github_api: FakeGitHub, sleeps: Sleeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(github_transport, "MAX_ANSWER_BYTES", 20_000)  # a page of 100 repos is ~500 kB

    found = discover_within(token_source(github_api), sleeps)

    assert_failed(found, "github.com/acme", "larger than")
    assert github_api.count("GET", REPOS) == 1, "not retried"


def test_an_expired_deadline_asks_nothing(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    found = discover_within(token_source(github_api), sleeps, Deadline(0.0))

    assert_failed(found, "github.com/acme", "run_timeout of 0s exceeded")
    assert github_api.count() == 0


# -- the deadline: trickled bodies, held requests, waits the server asks for ------------------------------------


def trickled(**fields: Any) -> list[Fault]:
    """Every page from the first on trickled a byte every 50 ms (with `fields`)."""
    return [Fault(method="GET", path=REPOS, trickle=0.05, times=None, **fields)]


@pytest.mark.parametrize(
    ("faults", "cause"),
    [
        pytest.param(trickled, SLOW, id="page-1"),
        pytest.param(lambda: [Fault(method="GET", path=REPOS, times=1), *trickled()], SLOW, id="page-2"),
        pytest.param(lambda: trickled(status=500, body="x" * 5000), "run_timeout of 1.5s exceeded", id="500"),
        pytest.param(lambda: trickled(status=403, body={"message": "x" * 5000}), "run_timeout", id="403"),
        pytest.param(lambda: trickled(status=302, body="[]" * 5000), SLOW, id="302"),
        pytest.param(lambda: [Fault(method="GET", path=REPOS, timeout=True, times=None)], "run_timeout", id="held"),
        pytest.param(lambda: [Fault(method="GET", path=REPOS, latency=30.0, times=None)], "run_timeout", id="slow"),
    ],
)
def test_a_slow_answer_ends_with_the_deadline(github_api: FakeGitHub, sleeps: Sleeps, faults: Any, cause: str) -> None:
    for fault in faults():
        github_api.faults.add(fault)

    found = discover_within(token_source(github_api), sleeps, Deadline(1.5), bound=4.5, concurrency=1)

    assert_failed(found, "github.com/acme", cause)


@pytest.mark.parametrize(
    ("path", "label"),
    [
        pytest.param(INSTALLATIONS, "github.com", id="installations"),
        pytest.param(TOKENS, "github.com/acme", id="access-token"),
    ],
)
def test_a_trickled_app_endpoint_ends_with_the_deadline(
    github_api: FakeGitHub, sleeps: Sleeps, path: str, label: str
) -> None:
    github_api.faults.add(Fault(path=path, trickle=0.05, times=None))

    found = discover_within(app_source(github_api, orgs=["acme"]), sleeps, Deadline(1.5), bound=4.5)

    assert_failed(found, label, SLOW)


@pytest.mark.parametrize(
    ("fault", "cause"),
    [
        pytest.param(lambda: Fault(status=429, headers={"Retry-After": "3600"}), "429", id="429-retry-after"),
        pytest.param(lambda: Fault(status=503, headers={"Retry-After": "3600"}), "503", id="503-retry-after"),
        pytest.param(lambda: Fault(status=403, headers={"Retry-After": "3600"}), "403", id="403-retry-after"),
        pytest.param(lambda: Fault.rate_limited("github", retry_after=3600), "403", id="primary-limit-in-an-hour"),
        pytest.param(
            lambda: Fault.rate_limited("github-secondary", retry_after=3600, status=429), "429", id="secondary-limit"
        ),
        pytest.param(
            lambda: Fault(
                status=429,
                headers={"x-ratelimit-remaining": "0"},
                reset_after=3600,
                reset_header="x-ratelimit-reset",
                reset_epoch=True,
            ),
            "429",
            id="429-reset-in-an-hour",
        ),
    ],
)
def test_a_wait_past_the_deadline_is_not_waited(github_api: FakeGitHub, sleeps: Sleeps, fault: Any, cause: str) -> None:
    answer = fault()
    answer.path, answer.times = REPOS, None
    github_api.faults.add(answer)

    found = discover_within(token_source(github_api), sleeps, Deadline(2.0), bound=6.0, policy=PATIENT)

    assert_failed(found, "github.com/acme", cause, "deadline")
    assert github_api.count("GET", REPOS) == 1
    assert sleeps == []


def test_a_stop_ends_a_trickled_listing(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    github_api.faults.add(Fault(method="GET", path=REPOS, trickle=0.05, times=None))
    deadline = Deadline(600.0)
    timer = threading.Timer(0.5, deadline.stop, kwargs={"reason": "interrupted by SIGINT"})
    timer.start()
    try:
        found = discover_within(token_source(github_api), sleeps, deadline, bound=10.0)
    finally:
        timer.cancel()

    assert_failed(found, "github.com/acme")


def test_a_stop_ends_a_retry_wait(github_api: FakeGitHub) -> None:
    github_api.faults.add(Fault(path=REPOS, status=503, headers={"Retry-After": "30"}, times=None))
    deadline = Deadline(600.0)
    timer = threading.Timer(0.5, deadline.stop, kwargs={"reason": "interrupted by SIGTERM"})
    timer.start()
    try:
        box: list[list[Discovery]] = []
        thread = threading.Thread(
            target=lambda: box.append(GithubRepos(token_source(github_api), 2, PATIENT, deadline=deadline).discover())
        )
        thread.start()
        thread.join(10.0)
        assert not thread.is_alive()
    finally:
        timer.cancel()

    assert_failed(box[0], "github.com/acme", "interrupted by SIGTERM")


# -- strict types ------------------------------------------------------------------------------------------------

WRONG = [
    pytest.param(repo(3, archived="false"), "archived", id="archived-string"),
    pytest.param(repo(3, archived=None), "archived", id="archived-null"),
    pytest.param(repo(3, fork=1), "fork", id="fork-number"),
    pytest.param(repo(3, fork="true"), "fork", id="fork-string"),
    pytest.param(repo(3, private="true"), "private", id="private-string"),
    pytest.param(repo(3, private=0, visibility=DROP), "private", id="private-number-old-ghes"),
    pytest.param(repo(3, is_template="no"), "is_template", id="is-template-string"),
    pytest.param(repo(3, disabled=1), "disabled", id="disabled-number"),
    pytest.param(repo(3, topics="a,b"), "topics", id="topics-string"),
    pytest.param(repo(3, topics=["a", 1]), "topics", id="topics-holding-a-number"),
    pytest.param(repo(3, topics=None), "topics", id="topics-null"),
    pytest.param(repo(3, topics={"a": 1}), "topics", id="topics-object"),
    pytest.param(repo(3, name=5), "name", id="name-number"),
    pytest.param(repo(3, name=DROP), "name", id="name-missing"),
    pytest.param(repo(3, name=""), "name", id="name-empty"),
    pytest.param(repo(3, full_name=DROP), "full_name", id="full-name-missing"),
    pytest.param(repo(3, full_name=["acme", "r3"]), "full_name", id="full-name-list"),
    pytest.param(repo(3, full_name="evil/r3"), "not in the org acme", id="full-name-other-org"),
    pytest.param(repo(3, full_name="acme/r4"), "full_name", id="full-name-other-repo"),
    pytest.param(repo(3, full_name="r3"), "full_name", id="full-name-without-org"),
    pytest.param(repo(3, full_name="acme/r3/x", name="r3/x"), "name", id="name-with-slash"),
    pytest.param(repo(3, private=True, visibility=None), "visibility", id="visibility-null-on-private"),
    pytest.param(repo(3, visibility=None), "visibility", id="visibility-null"),
    pytest.param(repo(3, visibility=1), "visibility", id="visibility-number"),
    pytest.param(repo(3, visibility="secret"), "visibility", id="visibility-unknown"),
    pytest.param(repo(3, visibility="private", private=False), "visibility", id="visibility-contradicts-private"),
    pytest.param(repo(3, visibility="public", private=True), "visibility", id="public-but-private"),
    pytest.param(repo(3, visibility=DROP, private=DROP), "neither visibility nor private", id="no-visibility-at-all"),
    pytest.param(repo(3, id="1003"), "id", id="id-string"),
    pytest.param(repo(3, language=3), "language of 'acme/r3' is a number", id="language-number"),
    pytest.param(repo(3, language=["Go"]), "language of 'acme/r3' is a list", id="language-list"),
    pytest.param(repo(3, pushed_at=17e8), "pushed_at of 'acme/r3' is a number", id="pushed-at-number"),
    pytest.param(repo(3, pushed_at="yesterday"), "pushed_at of 'acme/r3' is 'yesterday', not a date", id="pushed-at"),
    pytest.param(repo(3, custom_properties=[]), "custom_properties of 'acme/r3' is a list", id="properties-list"),
    pytest.param(repo(3, custom_properties="team=x"), "custom_properties of 'acme/r3' is a string", id="props-str"),
    pytest.param(
        repo(3, custom_properties={"on-call": True}),
        "custom property 'on-call' of 'acme/r3' is a boolean, expected a string, a list of strings or null",
        id="property-boolean",
    ),
    pytest.param(
        repo(3, custom_properties={"team": ["a", 1]}),
        "custom property 'team' of 'acme/r3' is a list",
        id="property-list-holding-a-number",
    ),
    pytest.param(repo(3, id=True), "id", id="id-boolean"),
    pytest.param("acme/r3", "expected an object", id="item-string"),
    pytest.param(None, "expected an object", id="item-null"),
    pytest.param([repo(3)], "expected an object", id="item-list"),
]


@pytest.mark.parametrize(("bad", "cause"), WRONG)
def test_a_field_of_the_wrong_type_fails_the_org(github_api: FakeGitHub, sleeps: Sleeps, bad: Any, cause: str) -> None:
    page = [repo(i) for i in range(3)] + [bad] + [repo(i) for i in range(4, 10)]
    github_api.faults.add(Fault(method="GET", path=REPOS, status=200, body=page, times=None))

    found = discover_within(token_source(github_api), sleeps)

    assert_failed(found, "github.com/acme", "repository 3 is malformed", cause)


@pytest.mark.parametrize(
    ("body", "cause"),
    [
        pytest.param({"message": "Not Found"}, "got an object", id="object"),
        pytest.param("null", "got null", id="null"),
        pytest.param('"[]"', "got a string", id="string"),
        pytest.param("42", "got a number", id="number"),
        pytest.param('[{"name": "r1", "full_name": "acme/r1"', "not valid JSON", id="truncated"),
        pytest.param("<html>OK</html>", "not valid JSON", id="html"),
        pytest.param("", "not valid JSON", id="empty"),
    ],
)
def test_a_page_that_is_not_a_list_fails_the_org(
    github_api: FakeGitHub, sleeps: Sleeps, body: str | dict[str, str], cause: str
) -> None:
    github_api.faults.add(Fault(method="GET", path=REPOS, status=200, body=body))

    found = discover_within(token_source(github_api), sleeps)

    assert_failed(found, "github.com/acme", cause)


def test_old_ghes_without_visibility_reads_private(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    page = [repo(1, visibility=DROP, private=True), repo(2, visibility=DROP, topics=DROP, is_template=DROP)]
    github_api.faults.add(Fault(method="GET", path=REPOS, status=200, body=page))

    [found] = discover_within(token_source(github_api, visibility=["private"]), sleeps)

    assert found.ok, found.error
    assert [e.label() for e in found.entries] == ["github.com/acme/r1"]


@pytest.mark.parametrize(
    ("bad", "cause"),
    [
        pytest.param([{"id": "51001", "account": {"login": "acme"}, "target_type": "Organization"}], "id"),
        pytest.param([{"id": 51001, "account": None, "target_type": "Organization"}], "account login"),
        pytest.param([{"id": 51001, "account": {"login": 7}, "target_type": "Organization"}], "account login"),
        pytest.param([{"id": 51001, "account": {"login": "acme"}, "target_type": 1}], "target_type"),
        pytest.param(
            [{"id": 51001, "account": {"login": "acme"}, "target_type": "Organization", "suspended_at": True}],
            "suspended_at",
        ),
        pytest.param({"installations": []}, "expected a JSON list"),
    ],
)
def test_a_malformed_installations_page_fails_the_host(
    github_api: FakeGitHub, sleeps: Sleeps, bad: Any, cause: str
) -> None:
    github_api.faults.add(Fault(path=INSTALLATIONS, status=200, body=bad))

    found = discover_within(app_source(github_api), sleeps)

    assert_failed(found, "github.com", "installations", cause)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"expires_at": "2030-01-01T00:00:00Z"}, id="no-token"),
        pytest.param({"token": 5, "expires_at": "2030-01-01T00:00:00Z"}, id="token-number"),
        pytest.param({"token": "ghs_" + "a" * 36, "expires_at": "soon"}, id="expiry-not-a-time"),
        pytest.param([], id="list"),
    ],
)
def test_a_malformed_access_token_fails_the_org(github_api: FakeGitHub, sleeps: Sleeps, body: Any) -> None:
    github_api.faults.add(Fault(method="POST", path=TOKENS, status=201, body=body, times=None))

    found = discover_within(app_source(github_api, orgs=["acme"]), sleeps)

    failed = assert_failed(found, "github.com/acme", "access_tokens")
    assert "ghs_" + "a" * 36 not in (failed.error or "")


# -- secrets never shown -----------------------------------------------------------------------------------------

PLAIN_TOKEN = "plain-secret-value-without-a-known-shape-1234"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_an_echoed_token_is_not_shown(
    github_api: FakeGitHub, sleeps: Sleeps, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    github_api.tokens.add(PLAIN_TOKEN)
    github_api.echo_credentials = status
    source = GithubSource.model_validate({"api_url": github_api.url, "token": PLAIN_TOKEN, "orgs": ["acme"]})
    caplog.set_level("DEBUG", logger="syncer")

    found = discover_within(source, sleeps)

    failed = assert_failed(found, "github.com/acme", f"answered {status}", "Bad credentials")
    shown = f"{failed.error} {failed!r} {found!r} {caplog.text}"
    assert PLAIN_TOKEN not in shown
    assert "***" in (failed.error or "")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("token {token}", id="text"),
        pytest.param('{{"message": "Bad credentials {token}"}}', id="json-message"),
        pytest.param('{{"message": "x", "errors": ["{token}"]}}', id="json-elsewhere"),
        pytest.param("<html>" + "x" * 280 + "{token}</html>", id="straddling-the-cut"),
    ],
)
def test_a_token_in_an_error_body_is_not_shown(github_api: FakeGitHub, sleeps: Sleeps, body: str) -> None:
    github_api.tokens.add(PLAIN_TOKEN)
    github_api.faults.add(Fault(path=REPOS, status=401, body=body.format(token=PLAIN_TOKEN)))
    source = GithubSource.model_validate({"api_url": github_api.url, "token": PLAIN_TOKEN, "orgs": ["acme"]})

    found = discover_within(source, sleeps)

    failed = assert_failed(found, "github.com/acme", "answered 401")
    assert PLAIN_TOKEN not in (failed.error or "")
    assert PLAIN_TOKEN[:20] not in (failed.error or ""), "not even cut in half"


def test_a_long_error_body_is_cut(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    github_api.faults.add(Fault(path=REPOS, status=400, body=json.dumps({"message": "y" * 5000})))

    found = discover_within(token_source(github_api), sleeps)

    failed = assert_failed(found, "github.com/acme", "answered 400")
    assert "y" * 300 in (failed.error or "") and "y" * 301 not in (failed.error or "")


@pytest.mark.parametrize("status", [401, 403])
def test_echoed_app_credentials_are_not_shown(github_api: FakeGitHub, sleeps: Sleeps, status: int) -> None:
    github_api.echo_credentials = status  # the JWT of /app/installations comes back in the error

    found = discover_within(app_source(github_api), sleeps)

    failed = assert_failed(found, "github.com", f"answered {status}")
    assert "Bearer ***" in (failed.error or "") or "***" in (failed.error or "")
    assert "eyJ" not in (failed.error or "")


def test_an_echoed_installation_token_is_not_shown(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    github_api.during(REPOS, lambda: setattr(github_api, "echo_credentials", 401))  # after the token was minted

    found = discover_within(app_source(github_api, orgs=["acme"]), sleeps)

    failed = assert_failed(found, "github.com/acme", "answered 401")
    assert github_api.installation_tokens, "a token was minted"
    for token in github_api.installation_tokens:
        assert token not in f"{failed.error} {failed!r}"


def test_api_url_userinfo_is_never_shown(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    url = github_api.url.replace("http://", "http://someone:hunter2-password@")
    github_api.faults.add(Fault(path=REPOS, status=302, body="", headers={"location": f"{url}/elsewhere"}))
    source = GithubSource.model_validate({"api_url": url, "token": github_api.token, "orgs": ["acme"]})

    found = discover_within(source, sleeps)

    failed = assert_failed(found, "github.com/acme", "answered 302")
    assert "hunter2-password" not in f"{failed.error} {found!r}"
    assert "hunter2-password" not in repr(GithubRepos(source))


@pytest.mark.parametrize(
    ("page", "items", "cause"),
    [
        pytest.param(2, [], "page 2 of 3 holds 0 repositories", id="empty-page-in-the-middle"),
        pytest.param(2, "short", "page 2 of 3 holds 90 repositories", id="short-page-in-the-middle"),
        pytest.param(3, [], "page 3 was announced but is empty", id="announced-last-page-empty"),
    ],
)
def test_a_listing_with_a_hole_fails_the_org(
    github_api: FakeGitHub, sleeps: Sleeps, page: int, items: object, cause: str
) -> None:
    """A short or empty page before the end announced is never taken for the end of the org."""
    if items == "short":  # 60 repos deleted while page 1 is being read: page 2 is short, page 3 empty
        github_api.during(REPOS, lambda: [github_api.orgs["acme"].pop() for _ in range(60)], query=r"\bpage=2\b")
    else:
        github_api.faults.add(
            Fault(method="GET", path=REPOS, status=200, body=items, headers={}, times=None, query=rf"\bpage={page}\b")
        )

    found = discover_within(token_source(github_api), sleeps)

    assert_failed(found, "github.com/acme", cause)


@pytest.mark.parametrize("kind", ["text/html", "text/plain; charset=utf-8", "application/octet-stream"])
def test_a_page_that_is_not_json_by_its_content_type_fails_the_org(
    github_api: FakeGitHub, sleeps: Sleeps, kind: str
) -> None:
    """A `[]` served as HTML (a proxy, a login page) is not an empty org."""
    github_api.faults.add(Fault(method="GET", path=REPOS, status=200, body="[]", headers={"content-type": kind}))

    found = discover_within(token_source(github_api), sleeps)

    assert_failed(found, "github.com/acme", "not JSON")
