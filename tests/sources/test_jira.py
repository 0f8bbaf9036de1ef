"""JiraProjects against the simulated Jira Cloud and Data Center sites, over real HTTP."""

from __future__ import annotations

import math
import socket
from typing import Any
from urllib.parse import parse_qs

import pytest

from syncer import metrics
from syncer.config.schema import JiraSource
from syncer.errors import PermanentError
from syncer.model import JiraProject, Scope
from syncer.retry import RetryPolicy
from syncer.simulator import seed
from syncer.simulator.faults import Fault
from syncer.simulator.jira import FakeJira
from syncer.sources import jira_client
from syncer.sources.jira import JiraProjects

from .conftest import FAST, Sleeps, settle

SEARCH = r"/rest/api/2/project/search$"
LIST = r"/rest/api/2/project$"


def cloud(fake: FakeJira, **overrides: Any) -> JiraSource:
    """A Cloud source (email + API token) pointed at the fake."""
    fields: dict[str, Any] = {
        "hostname": "acme.atlassian.net",
        "url": fake.url,
        "account_id": "123456789",
        "email": seed.JIRA_EMAIL,
        "api_token": seed.JIRA_API_TOKEN,
    }
    return JiraSource.model_validate({**fields, **overrides})


def data_center(fake: FakeJira, **overrides: Any) -> JiraSource:
    """A Data Center source (personal access token) pointed at the fake."""
    fields: dict[str, Any] = {
        "hostname": "jira.acme.internal",
        "url": fake.url,
        "account_id": "dc-1",
        "token": seed.JIRA_DC_TOKEN,
    }
    return JiraSource.model_validate({**fields, **overrides})


def keys(fake: FakeJira, *statuses: str, types: tuple[str, ...] = ()) -> list[str]:
    """The seeded project keys with one of these statuses (and types), sorted."""
    return sorted(
        p["key"] for p in fake.projects if p["status"] in statuses and (not types or p["projectTypeKey"] in types)
    )


def discover_one(source: JiraSource, sleeps: Sleeps) -> Any:
    """Run discovery and return its single Discovery."""
    found = JiraProjects(source, FAST, sleeps).discover()
    assert len(found) == 1
    return found[0]


def test_cloud_lists_every_live_project_across_server_capped_pages(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    live = keys(jira_cloud, "live")
    assert 100 < len(live) <= 120 and keys(jira_cloud, "archived")

    discovery = discover_one(cloud(jira_cloud), sleeps)

    assert discovery.ok, discovery.error
    assert discovery.scope == Scope("acme.atlassian.net", ("acme.atlassian.net",))
    assert sorted(e.project_key for e in discovery.entries) == live
    assert {(e.hostname, e.account_id) for e in discovery.entries} == {("acme.atlassian.net", "123456789")}
    assert discovery.seen == len(live)
    assert jira_cloud.count("GET", SEARCH) == math.ceil(len(live) / 50)
    assert jira_cloud.count() == jira_cloud.count("GET", SEARCH), "no serverInfo or other call"
    assert sleeps == []


def test_pages_follow_is_last_whatever_size_the_server_caps_them_to(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    jira_cloud.max_results_cap = 7
    live = keys(jira_cloud, "live")

    discovery = discover_one(cloud(jira_cloud), sleeps)

    assert sorted(e.project_key for e in discovery.entries) == live
    assert jira_cloud.count("GET", SEARCH) == math.ceil(len(live) / 7)
    starts = [int(parse_qs(r.query)["startAt"][0]) for r in jira_cloud.requests]
    assert starts == list(range(0, len(live), 7)), "each page starts where the answered one ended"


def test_archived_projects_only_when_asked(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    both = keys(jira_cloud, "live", "archived")

    discovery = discover_one(cloud(jira_cloud, archived=True), sleeps)

    assert sorted(e.project_key for e in discovery.entries) == both
    assert jira_cloud.count("GET", SEARCH) == math.ceil(len(both) / 50)
    assert all("status=live" in r.query and "status=archived" in r.query for r in jira_cloud.requests)
    assert not set(keys(jira_cloud, "deleted")) & {e.project_key for e in discovery.entries}


def test_archived_projects_answered_anyway_are_dropped(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    page = {"isLast": True, "values": [{"key": "LIVE", "projectTypeKey": "software"}, {"key": "OLD", "archived": True}]}
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, status=200, body=page))

    discovery = discover_one(cloud(jira_cloud), sleeps)

    assert [e.project_key for e in discovery.entries] == ["LIVE"]
    assert discovery.seen == 2


@pytest.mark.parametrize(
    ("types", "wanted"),
    [
        pytest.param(["service_desk"], ("service_desk",), id="one-type"),
        pytest.param(["software", "Business"], ("software", "business"), id="two-types-any-case"),
    ],
)
def test_project_types_keep_only_those_types(
    jira_cloud: FakeJira, sleeps: Sleeps, types: list[str], wanted: tuple[str, ...]
) -> None:
    expected = keys(jira_cloud, "live", types=wanted)
    assert expected

    discovery = discover_one(cloud(jira_cloud, project_types=types), sleeps)

    assert sorted(e.project_key for e in discovery.entries) == expected
    assert discovery.seen == len(keys(jira_cloud, "live"))


def test_include_and_exclude_apply_to_the_project_key(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    live = keys(jira_cloud, "live")
    included = [k for k in live if k.startswith(("P", "S"))]
    expected = [k for k in included if not k.startswith("SE")]
    assert expected and expected != included

    discovery = discover_one(cloud(jira_cloud, include=["p*", "S*"], exclude=["re:se.*"]), sleeps)

    assert sorted(e.project_key for e in discovery.entries) == expected


def test_data_center_falls_back_to_get_project(jira_dc: FakeJira, sleeps: Sleeps) -> None:
    live = keys(jira_dc, "live")

    discovery = discover_one(data_center(jira_dc), sleeps)

    assert discovery.ok, discovery.error
    assert sorted(e.project_key for e in discovery.entries) == live
    assert {e.account_id for e in discovery.entries} == {"dc-1"}
    assert [(r.path, r.status) for r in jira_dc.requests] == [
        ("/rest/api/2/project/search", 404),
        ("/rest/api/2/project", 200),
    ]
    assert "includeArchived" not in jira_dc.requests[1].query
    assert sleeps == [], "a 404 is an answer, not a failure to retry"


def test_data_center_archived_projects_with_include_archived(jira_dc: FakeJira, sleeps: Sleeps) -> None:
    jira_dc.add_project("OLDDC", "Old DC project", status="archived")

    discovery = discover_one(data_center(jira_dc, archived=True), sleeps)

    assert sorted(e.project_key for e in discovery.entries) == keys(jira_dc, "live", "archived")
    assert "OLDDC" in {e.project_key for e in discovery.entries}
    assert "includeArchived=true" in jira_dc.requests[-1].query


def test_wrong_credentials_fail_the_site_at_once_naming_it(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    discovery = discover_one(cloud(jira_cloud, api_token="wrong-token-value"), sleeps)

    assert not discovery.ok
    assert discovery.entries == ()
    assert discovery.scope.owns == ("acme.atlassian.net",)
    assert "jira acme.atlassian.net" in discovery.error
    assert "/rest/api/2/project/search" in discovery.error and "401" in discovery.error
    assert "wrong-token-value" not in discovery.error
    assert jira_cloud.count() == 1 and sleeps == []


def test_wrong_personal_access_token_fails_data_center(jira_dc: FakeJira, sleeps: Sleeps) -> None:
    discovery = discover_one(data_center(jira_dc, token="not-a-pat"), sleeps)

    assert not discovery.ok and "401" in discovery.error
    assert "not-a-pat" not in discovery.error


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"X-Seraph-LoginReason": "AUTHENTICATED_FAILED"}, id="login-failed"),
        pytest.param({"X-AUSERNAME": "anonymous"}, id="anonymous"),
    ],
)
def test_an_answer_served_anonymously_fails_the_site(
    jira_dc: FakeJira, sleeps: Sleeps, headers: dict[str, str]
) -> None:
    jira_dc.faults.add(Fault(method="GET", path=LIST, status=200, body=[{"key": "PUBLIC"}], headers=headers))

    discovery = discover_one(data_center(jira_dc), sleeps)

    assert not discovery.ok and discovery.entries == ()
    assert "jira jira.acme.internal: GET /rest/api/2/project" in discovery.error
    assert sleeps == []


def test_server_errors_are_retried_then_the_listing_completes(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, status=500, times=2))
    live = keys(jira_cloud, "live")

    discovery = discover_one(cloud(jira_cloud), sleeps)

    assert discovery.ok, discovery.error
    assert sorted(e.project_key for e in discovery.entries) == live
    assert jira_cloud.count("GET", SEARCH) == 2 + math.ceil(len(live) / 50)
    assert len(sleeps) == 2 and all(0 < s <= FAST.cap for s in sleeps)


def test_server_errors_forever_fail_the_site_after_bounded_attempts(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, status=503, times=None))

    discovery = discover_one(cloud(jira_cloud), sleeps)

    assert not discovery.ok and discovery.entries == ()
    assert "503" in discovery.error and "gave up after 3 attempts" in discovery.error
    assert jira_cloud.count("GET", SEARCH) == FAST.attempts
    assert len(sleeps) == FAST.attempts - 1


def test_a_later_page_failing_fails_the_whole_site_never_a_short_list(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, times=1))  # page 1 passes untouched
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, status=502, times=None))

    discovery = discover_one(cloud(jira_cloud), sleeps)

    assert not discovery.ok and discovery.entries == ()
    assert "502" in discovery.error
    assert jira_cloud.count("GET", SEARCH) == 1 + FAST.attempts


def test_rate_limit_waits_what_retry_after_asks(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, status=429, headers={"Retry-After": "7"}))
    policy = RetryPolicy(attempts=3, base=0.01, cap=0.05, max_wait=30)

    [discovery] = JiraProjects(cloud(jira_cloud), policy, sleeps).discover()

    assert discovery.ok, discovery.error
    assert sleeps == [7.0]


def test_rate_limit_wait_is_capped_by_the_policy(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, status=429, headers={"Retry-After": "3600"}))

    discovery = discover_one(cloud(jira_cloud), sleeps)

    assert discovery.ok and sleeps == [FAST.max_wait]


def test_read_timeout_is_retried(jira_cloud: FakeJira, sleeps: Sleeps, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jira_client, "TIMEOUT", (2.0, 0.2))
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, latency=0.6))

    discovery = discover_one(cloud(jira_cloud), sleeps)

    assert discovery.ok, discovery.error
    assert len(sleeps) == 1
    settle(jira_cloud, 1 + math.ceil(len(keys(jira_cloud, "live")) / 50))


def test_a_site_that_never_answers_fails_after_bounded_attempts(sleeps: Sleeps) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    source = JiraSource.model_validate(
        {
            "hostname": "down.atlassian.net",
            "url": f"http://127.0.0.1:{port}",
            "account_id": "1",
            "email": "a@b.c",
            "api_token": "x",
        }
    )

    [discovery] = JiraProjects(source, FAST, sleeps).discover()

    assert not discovery.ok
    assert "down.atlassian.net" in discovery.error and "no answer (ConnectionError)" in discovery.error
    assert len(sleeps) == FAST.attempts - 1


def test_malformed_body_fails_the_site(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, malformed=True))

    discovery = discover_one(cloud(jira_cloud), sleeps)

    assert not discovery.ok and "not JSON" in discovery.error


def test_a_page_without_values_fails_the_site(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    page = {"isLast": False, "values": []}
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, status=200, body=page))

    discovery = discover_one(cloud(jira_cloud), sleeps)

    assert not discovery.ok and "empty page that is not the last one" in discovery.error


def test_a_later_page_answering_404_fails_rather_than_starting_over(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, times=1))  # page 1 passes untouched
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, status=404))

    discovery = discover_one(cloud(jira_cloud), sleeps)

    assert not discovery.ok and "answered 404" in discovery.error and "on page 2" in discovery.error
    assert jira_cloud.count("GET", LIST) == 0


def test_url_wrong_for_both_listings_fails_naming_both(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    source = cloud(jira_cloud, url=f"{jira_cloud.url}/wrong")

    discovery = discover_one(source, sleeps)

    assert not discovery.ok
    assert "/wrong/rest/api/2/project/search answered 404" in discovery.error
    assert "/wrong/rest/api/2/project answered 404" in discovery.error


def test_every_answer_is_counted(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    jira_cloud.faults.add(Fault(method="GET", path=SEARCH, status=500))
    ok_before, err_before = _counted("200"), _counted("500")

    discover_one(cloud(jira_cloud), sleeps)

    assert _counted("500") - err_before == 1
    assert _counted("200") - ok_before == jira_cloud.count("GET", SEARCH) - 1


def test_check_reaches_server_info_and_myself(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    JiraProjects(cloud(jira_cloud), FAST, sleeps).check()

    assert [r.path for r in jira_cloud.requests] == ["/rest/api/2/serverInfo", "/rest/api/2/myself"]


def test_check_fails_on_wrong_credentials(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    with pytest.raises(PermanentError, match=r"acme\.atlassian\.net.*401"):
        JiraProjects(cloud(jira_cloud, api_token="nope"), FAST, sleeps).check()


def test_entries_are_jira_projects_with_the_configured_hostname(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    source = cloud(jira_cloud, hostname="jira.acme.com", include=["PAY*"])

    discovery = discover_one(source, sleeps)

    assert all(isinstance(e, JiraProject) and e.hostname == "jira.acme.com" for e in discovery.entries)
    assert discovery.scope == Scope("jira.acme.com", ("jira.acme.com",))


def _counted(status: str) -> float:
    value = metrics.REGISTRY.get_sample_value("syncer_http_requests_total", {"api": "jira", "status": status})
    return value or 0.0
