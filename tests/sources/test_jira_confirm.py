"""JiraProjects.confirm: entries a healthy listing did not produce, looked up one by one (GET /project/{key})."""

from __future__ import annotations

import time
from typing import Any

import pytest

from syncer.config.schema import JiraSource
from syncer.deadline import Deadline
from syncer.model import Entry, GithubRepo, JiraProject
from syncer.simulator.faults import Fault
from syncer.simulator.jira import FakeJira
from syncer.sources.jira import JiraProjects

from .conftest import FAST, Sleeps, returns_within
from .test_jira import cloud, data_center

pytestmark = pytest.mark.reliability(system="Jira confirm_removals")

DETAIL = r"^/rest/api/2/project/(?!search$)[^/]+$"
HOST = "acme.atlassian.net"


def entry(key: str, host: str = HOST) -> JiraProject:
    """A current Datadog entry of the Cloud site."""
    return JiraProject(host, "123456789", key)


def listed(source: JiraSource, sleeps: Sleeps, deadline: Deadline | None = None) -> JiraProjects:
    """A source after a healthy discovery."""
    projects = JiraProjects(source, FAST, sleeps, deadline)
    [discovery] = projects.discover()
    assert discovery.ok, discovery.error
    return projects


def confirm_within(projects: JiraProjects, entries: list[Entry], bound: float = 30.0) -> tuple[Entry, ...]:
    """confirm() in a thread that must end within `bound` seconds."""
    result = returns_within(lambda: projects.confirm(entries), bound, "confirm()")
    kept: tuple[Entry, ...] = result
    return kept


def a_key(fake: FakeJira, status: str = "live", **where: str) -> str:
    """A seeded project key with this status (and fields)."""
    return next(
        str(p["key"]) for p in fake.projects if p["status"] == status and all(p.get(k) == v for k, v in where.items())
    )


def test_a_project_gone_404_is_not_kept(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    projects = listed(cloud(jira_cloud), sleeps)
    jira_cloud.reset_counters()

    assert confirm_within(projects, [entry("GONE")]) == ()
    assert [(r.path, r.status) for r in jira_cloud.requests] == [("/rest/api/2/project/GONE", 404)]


def test_a_project_the_listing_missed_is_kept(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    projects = listed(cloud(jira_cloud), sleeps)
    missed = jira_cloud.add_project("MISSED", "Created after its page was read")

    assert confirm_within(projects, [entry(missed["key"])]) == (entry("MISSED"),)


def test_a_project_answered_in_another_case_is_the_same_project(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    projects = listed(cloud(jira_cloud), sleeps)
    jira_cloud.add_project("MIXED", "Mixed case")

    assert confirm_within(projects, [entry("mixed")]) == (entry("mixed"),)


@pytest.mark.parametrize(
    ("archived", "kept"),
    [pytest.param(False, False, id="archived-not-wanted"), pytest.param(True, True, id="archived-wanted")],
)
def test_an_archived_project_is_kept_only_when_archived_projects_are_wanted(
    jira_cloud: FakeJira, sleeps: Sleeps, archived: bool, kept: bool
) -> None:
    key = a_key(jira_cloud, "archived")
    projects = listed(cloud(jira_cloud, archived=archived), sleeps)

    assert confirm_within(projects, [entry(key)]) == ((entry(key),) if kept else ())


def test_a_data_center_archived_project_is_not_kept(jira_dc: FakeJira, sleeps: Sleeps) -> None:
    jira_dc.add_project("OLDDC", "Old DC project", status="archived")
    projects = listed(data_center(jira_dc), sleeps)
    jira_dc.reset_counters()

    assert confirm_within(projects, [JiraProject("jira.acme.internal", "dc-1", "OLDDC")]) == ()
    assert [r.path for r in jira_dc.requests] == ["/rest/api/2/project/OLDDC"]


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        pytest.param({"exclude": ["ZZ*"]}, {}, id="excluded"),
        pytest.param({"include": ["A*"]}, {}, id="not-included"),
        pytest.param({"project_types": ["service_desk"]}, {"projectTypeKey": "software"}, id="other-type"),
    ],
)
def test_a_project_failing_the_filters_is_not_kept(
    jira_cloud: FakeJira, sleeps: Sleeps, overrides: dict[str, Any], fields: dict[str, Any]
) -> None:
    projects = listed(cloud(jira_cloud, **overrides), sleeps)
    jira_cloud.add_project("ZZFILTERED", "Filtered out", **fields)

    assert confirm_within(projects, [entry("ZZFILTERED")]) == ()


def test_a_renamed_project_whose_new_key_is_listed_is_not_kept(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    old = a_key(jira_cloud)
    jira_cloud.rename_project(old, "RENAMEDNEW")
    projects = listed(cloud(jira_cloud), sleeps)
    jira_cloud.reset_counters()

    assert confirm_within(projects, [entry(old)]) == ()
    assert [(r.path, r.status) for r in jira_cloud.requests] == [(f"/rest/api/2/project/{old}", 200)]


def test_a_renamed_project_the_listing_missed_is_kept(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    old = a_key(jira_cloud)
    projects = listed(cloud(jira_cloud), sleeps)
    jira_cloud.rename_project(old, "RENAMEDLATE")  # after the listing: it has neither key's new spelling

    assert confirm_within(projects, [entry(old)]) == (entry(old),)


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Fault(method="GET", path=DETAIL, status=500, times=None), id="500-forever"),
        pytest.param(Fault(method="GET", path=DETAIL, status=503, times=None), id="503-forever"),
        pytest.param(Fault(method="GET", path=DETAIL, status=401), id="401"),
        pytest.param(Fault(method="GET", path=DETAIL, status=403), id="403"),
        pytest.param(Fault(method="GET", path=DETAIL, status=400), id="400"),
        pytest.param(Fault(method="GET", path=DETAIL, status=302, headers={"Location": "http://x.invalid/"}), id="302"),
        pytest.param(Fault(method="GET", path=DETAIL, status=202, body={"key": "GONE"}), id="202"),
        pytest.param(Fault(method="GET", path=DETAIL, status=204, body=""), id="204"),
        pytest.param(Fault(method="GET", path=DETAIL, malformed=True), id="malformed"),
        pytest.param(Fault(method="GET", path=DETAIL, status=200, body={"key": 5}), id="key-number"),
        pytest.param(Fault(method="GET", path=DETAIL, status=200, body={"key": "GONE", "archived": "true"}), id="bad"),
        pytest.param(Fault(method="GET", path=DETAIL, status=200, body=[]), id="list"),
        pytest.param(
            Fault(method="GET", path=DETAIL, status=200, body={"key": "GONE"}, headers={"X-AUSERNAME": "anonymous"}),
            id="anonymous",
        ),
    ],
)
def test_any_other_answer_keeps_the_entry(jira_cloud: FakeJira, sleeps: Sleeps, fault: Fault) -> None:
    projects = listed(cloud(jira_cloud), sleeps)
    jira_cloud.faults.add(fault)

    assert confirm_within(projects, [entry("GONE")]) == (entry("GONE"),), "never a removal on doubt"


def test_a_lookup_trickled_past_the_deadline_keeps_the_entry(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    spent = [0.0]
    deadline = Deadline(60.0, clock=lambda: time.monotonic() + spent[0])
    projects = listed(cloud(jira_cloud), sleeps, deadline)
    spent[0] = 59.0  # the listing took its time: about a second of the run is left
    jira_cloud.faults.add(Fault(method="GET", path=DETAIL, trickle=0.05, status=404, body={"errorMessages": ["x"]}))

    kept = confirm_within(projects, [entry("GONE"), entry("ALSOGONE")], bound=15.0)

    assert kept == (entry("GONE"), entry("ALSOGONE"))
    assert jira_cloud.count("GET", DETAIL) == 1, "nothing asked once the deadline passed"


def test_a_deadline_already_past_keeps_everything_and_asks_nothing(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    deadline = Deadline(60.0)
    projects = listed(cloud(jira_cloud), sleeps, deadline)
    deadline.stop()
    jira_cloud.reset_counters()

    assert confirm_within(projects, [entry("GONE")]) == (entry("GONE"),)
    assert jira_cloud.count() == 0


def test_each_key_is_looked_up_at_most_once(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    projects = listed(cloud(jira_cloud), sleeps)
    jira_cloud.add_project("MISSED", "Missed")
    jira_cloud.reset_counters()

    kept = confirm_within(projects, [entry("MISSED"), entry("missed"), entry("GONE"), entry("gone")])

    assert kept == (entry("MISSED"), entry("missed"))
    assert jira_cloud.count() == 2


def test_without_a_healthy_listing_everything_is_kept_unasked(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    projects = JiraProjects(cloud(jira_cloud), FAST, sleeps)
    assert projects.confirm([entry("GONE")]) == (entry("GONE"),), "confirm() before any discover()"
    jira_cloud.faults.add(Fault(method="GET", path=r"/project/search$", status=500, times=None))
    [discovery] = projects.discover()
    assert not discovery.ok
    jira_cloud.reset_counters()

    assert projects.confirm([entry("GONE")]) == (entry("GONE"),)
    assert jira_cloud.count() == 0


def test_entries_of_another_site_are_kept_unasked(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    projects = listed(cloud(jira_cloud), sleeps)
    jira_cloud.reset_counters()
    other: list[Entry] = [entry("GONE", host="other.atlassian.net"), GithubRepo("github.com", "acme", "x")]

    assert confirm_within(projects, other) == tuple(other)
    assert jira_cloud.count() == 0
