"""GithubRepos.confirm: a repo missing from a healthy listing is looked up before it is removed, over real HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from syncer import metrics
from syncer.config.schema import GithubSource
from syncer.deadline import Deadline
from syncer.model import GithubRepo, JiraProject
from syncer.simulator.faults import Fault
from syncer.simulator.github.fake import FakeGitHub
from syncer.sources.github import GithubRepos

from .conftest import FAST, Sleeps
from .test_github_app import app_source
from .test_github_hostile import Elsewhere

pytestmark = pytest.mark.reliability(system="GitHub confirm_removals")

LOOKUPS = r"^/(repos|repositories)/"


@pytest.fixture(scope="module")
def elsewhere() -> Iterator[Elsewhere]:
    """Another host, recording what it is sent."""
    server = Elsewhere()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def source(fake: FakeGitHub, orgs: tuple[str, ...] = ("acme",), **overrides: Any) -> GithubSource:
    """Token auth on the fake github.com; archived repos included unless overridden (so every repo passes)."""
    fields = {"api_url": fake.url, "token": fake.token, "orgs": list(orgs), "archived": True, **overrides}
    return GithubSource.model_validate(fields)


def entry(org: str, name: str, host: str = "github.com") -> GithubRepo:
    """A current Datadog entry."""
    return GithubRepo(host, org, name)


def listed(fake: FakeGitHub, repos: GithubRepos, hidden: set[str] | None = None) -> None:
    """discover() once (with `hidden` left out of every page); every org must list."""
    fake.paging.hidden = set(hidden or ())
    found = repos.discover()
    assert all(d.ok for d in found), [d.error for d in found]
    fake.paging.hidden = set()
    fake.reset_counters()


def a_repo(fake: FakeGitHub, org: str = "acme", **traits: Any) -> str:
    """The name of a seeded repo of `org` with these traits."""
    return next(r["name"] for r in fake.orgs[org] if all(r.get(k) == v for k, v in traits.items()))


def github_answers(status: str) -> float:
    """syncer_http_requests_total{api="github", status} so far."""
    return metrics.REGISTRY.get_sample_value("syncer_http_requests_total", {"api": "github", "status": status}) or 0.0


def test_a_repo_that_is_gone_is_not_kept(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    repos = GithubRepos(source(github_api), 4, FAST, sleeps)
    listed(github_api, repos)
    before = github_answers("404")

    assert repos.confirm([entry("acme", "deleted-long-ago")]) == ()

    assert github_api.count("GET", r"^/repos/acme/deleted-long-ago$") == 1
    assert github_answers("404") == before + 1, "look-ups are counted like every request"


def test_a_repo_the_listing_missed_is_kept(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    name = a_repo(github_api, archived=False, fork=False)
    repos = GithubRepos(source(github_api), 4, FAST, sleeps)
    listed(github_api, repos, hidden={name})

    missed = entry("ACME", name.upper())  # Datadog's spelling may differ in case
    assert repos.confirm([missed]) == (missed,)

    assert github_api.count("GET", LOOKUPS) == 1


@pytest.mark.parametrize(
    ("traits", "overrides"),
    [
        pytest.param({"archived": True}, {"archived": False}, id="archived"),
        pytest.param({"fork": True}, {"forks": False}, id="fork"),
        pytest.param({"visibility": "private"}, {"visibility": ["public"]}, id="private"),
        pytest.param({"archived": False}, {"exclude": ["*"], "include": ["*"]}, id="excluded-by-name"),
    ],
)
def test_a_repo_that_exists_but_fails_the_filters_is_not_kept(
    github_api: FakeGitHub, sleeps: Sleeps, traits: dict[str, Any], overrides: dict[str, Any]
) -> None:
    name = a_repo(github_api, **traits)
    repos = GithubRepos(source(github_api, **overrides), 4, FAST, sleeps)
    listed(github_api, repos, hidden={name})

    assert repos.confirm([entry("acme", name)]) == ()

    assert github_api.count("GET", LOOKUPS) == 1


def test_a_repo_renamed_to_a_listed_name_is_not_kept(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    old = a_repo(github_api, archived=False)
    github_api.rename_repo("acme", old, f"{old}-renamed")
    repos = GithubRepos(source(github_api), 4, FAST, sleeps)
    listed(github_api, repos)

    assert repos.confirm([entry("acme", old)]) == ()

    assert github_api.count("GET", rf"^/repos/acme/{old}$") == 1
    assert github_api.count("GET", r"^/repositories/\d+$") == 1, "the 301 is followed once, on the same host"


def test_a_repo_transferred_to_another_listed_org_is_not_kept(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    old = a_repo(github_api, archived=False)
    github_api.rename_repo("acme", old, old, new_org="acme-labs")
    repos = GithubRepos(source(github_api, orgs=("acme", "acme-labs")), 4, FAST, sleeps)
    listed(github_api, repos)

    assert repos.confirm([entry("acme", old)]) == ()


def test_a_repo_renamed_to_a_name_the_listing_lacks_is_kept(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    old = a_repo(github_api, archived=False)
    repos = GithubRepos(source(github_api), 4, FAST, sleeps)
    listed(github_api, repos, hidden={old})
    github_api.rename_repo("acme", old, f"{old}-new")  # renamed after the listing

    kept = entry("acme", old)
    assert repos.confirm([kept]) == (kept,)


def test_a_repo_transferred_out_of_the_listed_orgs_is_kept(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    old = a_repo(github_api, archived=False)
    github_api.rename_repo("acme", old, old, new_org="acme-labs")
    repos = GithubRepos(source(github_api), 4, FAST, sleeps)
    listed(github_api, repos)

    kept = entry("acme", old)
    assert repos.confirm([kept]) == (kept,), "never removed on doubt: the listing did not look at acme-labs"


def doubtful(fake: FakeGitHub, elsewhere: Elsewhere, name: str) -> dict[str, Any]:
    """Answers of GET /repos/acme/{name} that prove nothing."""
    path = rf"^/repos/acme/{name}$"
    return {
        "500": Fault(path=path, status=500, times=None),
        "502-forever": Fault(path=path, status=502, times=None),
        "401": Fault(path=path, status=401),
        "403": Fault(path=path, status=403, body={"message": "Resource not accessible by integration"}),
        "429": Fault(path=path, status=429, times=None),
        "404-html": Fault(path=path, status=404, body="<html><body>Not Found</body></html>"),
        "202": Fault(path=path, status=202, body=""),
        "302-elsewhere": Fault(path=path, status=302, body="", headers={"location": f"{elsewhere.url}/x"}),
        "301-without-location": Fault(path=path, status=301, body=""),
        "301-to-a-404": Fault(path=path, status=301, body="", headers={"location": f"{fake.url}/repositories/1"}),
        "200-malformed": Fault(path=path, status=200, body={"name": name, "full_name": f"acme/{name}", "fork": 1}),
        "200-not-json": Fault(path=path, status=200, body="<html>"),
        "200-a-list": Fault(path=path, status=200, body=[]),
        "held": Fault(path=path, timeout=True),
    }


DOUBTS = [
    "500",
    "502-forever",
    "401",
    "403",
    "429",
    "404-html",
    "202",
    "302-elsewhere",
    "301-without-location",
    "301-to-a-404",
    "200-malformed",
    "200-not-json",
    "200-a-list",
    "held",
]


@pytest.mark.parametrize("answer", DOUBTS)
def test_an_answer_that_proves_nothing_keeps_the_entry(
    github_api: FakeGitHub, elsewhere: Elsewhere, sleeps: Sleeps, answer: str
) -> None:
    elsewhere.seen.clear()
    gone = "repo-that-is-gone"  # a plain 404 would remove it: only the odd answer stands between
    deadline = Deadline(3.0) if answer == "held" else None
    repos = GithubRepos(source(github_api), 4, FAST, sleeps, deadline=deadline)
    listed(github_api, repos)
    github_api.faults.add(doubtful(github_api, elsewhere, gone)[answer])

    kept = entry("acme", gone)
    started = time.monotonic()
    assert repos.confirm([kept]) == (kept,)

    assert time.monotonic() - started < 9.0
    assert elsewhere.seen == []


def test_a_passed_deadline_keeps_every_entry_without_asking(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    deadline = Deadline(2.0)
    repos = GithubRepos(source(github_api), 4, FAST, sleeps, deadline=deadline)
    listed(github_api, repos)
    while not deadline.expired:
        time.sleep(0.05)

    asked = [entry("acme", "gone-1"), entry("acme", "gone-2")]
    assert repos.confirm(asked) == tuple(asked)

    assert github_api.count() == 0


def test_a_stop_keeps_every_entry(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    deadline = Deadline(600.0)
    repos = GithubRepos(source(github_api), 4, FAST, sleeps, deadline=deadline)
    listed(github_api, repos)
    deadline.stop("interrupted by SIGINT")

    asked = [entry("acme", "gone-1")]
    assert repos.confirm(asked) == tuple(asked)


def test_entries_the_listing_did_not_cover(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    github_api.faults.add(Fault(path=r"^/orgs/acme-labs/repos$", status=500, times=None))
    repos = GithubRepos(source(github_api, orgs=("acme", "acme-labs")), 4, FAST, sleeps)
    found = {d.scope.label: d for d in repos.discover()}
    assert found["github.com/acme"].ok and not found["github.com/acme-labs"].ok
    github_api.reset_counters()
    filtered = a_repo(github_api, archived=True)
    strict = GithubRepos(source(github_api, archived=False), 4, FAST, sleeps)
    listed(github_api, strict)

    failed_org = entry("acme-labs", "anything")
    assert repos.confirm([failed_org, entry("other-org", "x"), entry("acme", "x", host="ghes.example")]) == (
        failed_org,
    ), "a failed org is kept; an org this source does not list, or another host, is not this source's to keep"
    assert strict.confirm([entry("acme", filtered)]) == (), "the listing saw it and the filters dropped it"
    assert repos.confirm([JiraProject("acme.atlassian.net", "1", "OPS")]) == ()
    assert github_api.count() == 0, "none of these needs a look-up"


def test_without_a_healthy_listing_everything_is_kept(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    never_listed = GithubRepos(source(github_api), 4, FAST, sleeps)
    asked = [entry("acme", "a"), entry("acme", "a"), entry("acme", "b")]
    assert never_listed.confirm(asked) == (asked[0], asked[2]), "deduplicated, all kept"

    github_api.faults.add(Fault(path=r"^/app/installations$", status=500, times=None))
    host_failed = GithubRepos(app_source(github_api), 4, FAST, sleeps)
    [failed] = host_failed.discover()
    assert failed.scope.label == "github.com" and not failed.ok
    assert host_failed.confirm([entry("acme", "a")]) == (entry("acme", "a"),)


def test_pages_shifted_by_a_deletion_mid_listing(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    """A repo deleted between pages 1 and 2 moves the first repo of page 2 onto page 1: the listing misses it."""
    ordered = sorted(github_api.orgs["acme"], key=lambda r: (r["created_at"], r["id"]))
    deleted, shifted = ordered[0]["name"], ordered[100]["name"]
    github_api.during(r"^/orgs/acme/repos$", lambda: github_api.remove_repo("acme", deleted), query=r"\bpage=2\b")
    repos = GithubRepos(source(github_api), 4, FAST, sleeps)

    [found] = repos.discover()

    assert found.ok, found.error
    names = {e.label().rsplit("/", 1)[1] for e in found.entries}
    assert shifted not in names and deleted in names, "page 1 came before the deletion, page 2 after"
    assert github_api.count("GET", rf"^/repos/acme/{deleted}$") == 0
    github_api.reset_counters()
    gone = entry("acme", deleted)  # listed on page 1, then deleted: removed by the next run's listing
    assert repos.confirm([entry("acme", shifted), gone, entry("acme", "gone-before")]) == (entry("acme", shifted),)
    assert github_api.count("GET", LOOKUPS) == 2, "the listed one needs no look-up"


def test_look_ups_run_with_the_apps_installation_token(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    name = a_repo(github_api, archived=False, visibility="private")
    repos = GithubRepos(app_source(github_api, orgs=["acme"], archived=True), 4, FAST, sleeps)
    listed(github_api, repos, hidden={name})

    kept = entry("acme", name)
    assert repos.confirm([kept, entry("acme", "gone")]) == (kept,), "the private repo is visible to the app"
    assert github_api.count("POST", r"access_tokens$") == 0, "the listing's token is reused"


def test_many_look_ups_are_bounded_by_concurrency_and_asked_once(github_api: FakeGitHub, sleeps: Sleeps) -> None:
    repos = GithubRepos(source(github_api), 3, FAST, sleeps)
    listed(github_api, repos)

    asked = [entry("acme", f"gone-{i}") for i in range(25)]
    assert repos.confirm(asked + asked) == ()

    assert github_api.count("GET", LOOKUPS) == 25
