"""Jira categories over real HTTP: `projectCategory.name` from the listing, compared case-insensitively.

The expected projects are computed from the fake's own records. The category comes with the listing itself
(`project/search` on Cloud, `GET /project` on Data Center), so filtering on it costs no request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from syncer.filters import ProjectTraits
from syncer.model import JiraProject
from syncer.simulator.faults import Fault
from syncer.simulator.jira import FakeJira
from syncer.sources.base import Inspectable
from syncer.sources.jira import JiraProjects, project_filter

from .conftest import FAST, Sleeps
from .test_jira import LIST, SEARCH, cloud, data_center

Record = dict[str, Any]


def keys(found: JiraProjects) -> set[str]:
    [discovery] = found.discover()
    assert discovery.ok, discovery.error
    return {e.project_key for e in discovery.entries if isinstance(e, JiraProject)}


def expected(fake: FakeJira, keep: Callable[[Record], bool]) -> set[str]:
    """Keys of the fake's live projects that `keep` takes."""
    return {p["key"] for p in fake.projects if p.get("status", "live") == "live" and keep(p)}


@pytest.mark.parametrize(
    ("selectors", "keep"),
    [
        pytest.param({"categories": ["Engineering"]}, lambda p: p["category"] == "Engineering", id="one"),
        pytest.param(
            {"categories": ["engineering", "OPERATIONS"]},
            lambda p: p["category"] in ("Engineering", "Operations"),
            id="case-insensitive",
        ),
        pytest.param(
            {"categories": ["Business"], "project_types": ["software"]},
            lambda p: p["category"] == "Business" and p["projectTypeKey"] == "software",
            id="with-project-types",
        ),
        pytest.param(
            {"categories": ["Engineering"], "exclude": ["P*"]},
            lambda p: p["category"] == "Engineering" and not p["key"].startswith("P"),
            id="with-exclude",
        ),
        pytest.param({"categories": ["No Such Category"]}, lambda p: False, id="none"),
    ],
)
def test_categories_keep_exactly_the_expected_projects_on_cloud(
    jira_cloud: FakeJira, sleeps: Sleeps, selectors: dict[str, object], keep: Callable[[Record], bool]
) -> None:
    plain = keys(JiraProjects(cloud(jira_cloud), FAST, sleeps))
    pages = jira_cloud.count("GET", SEARCH)
    jira_cloud.reset_counters()
    wanted = expected(jira_cloud, keep)
    assert keys(JiraProjects(cloud(jira_cloud, **selectors), FAST, sleeps)) == wanted
    assert wanted < plain
    assert jira_cloud.count("GET") == pages, "the category comes with the listing: not one request more"


def test_categories_on_data_center(jira_dc: FakeJira, sleeps: Sleeps) -> None:
    wanted = expected(jira_dc, lambda p: p["category"] == "Operations")
    assert wanted
    assert keys(JiraProjects(data_center(jira_dc, categories=["operations"]), FAST, sleeps)) == wanted
    assert jira_dc.count("GET", LIST) == 1


def test_inspect_lists_every_project_with_its_category(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    projects = JiraProjects(cloud(jira_cloud, categories=["Engineering"]), FAST, sleeps)
    checked: Inspectable[ProjectTraits] = projects
    [inspection] = checked.inspect()
    live = {p["key"]: p for p in jira_cloud.projects if p.get("status", "live") == "live"}
    assert {p.key: p.category for p in inspection.listed} == {k: p["category"] for k, p in live.items()}
    kept = {projects.entry_of(p) for p in inspection.listed if all(v.passed for v in projects.verdicts(p))}
    assert kept == set(inspection.discovery.entries)
    [dropped] = [p for p in inspection.listed if p.category is None][:1]
    assert projects.verdicts(dropped)[-1].detail == "no category, and categories asks for one of [engineering]"


def test_a_category_without_a_name_string_fails_the_site(jira_cloud: FakeJira, sleeps: Sleeps) -> None:
    page = {"isLast": True, "startAt": 0, "maxResults": 50, "total": 1, "values": [
        {"id": "10001", "key": "OPS", "name": "Ops", "projectTypeKey": "software", "projectCategory": {"name": 7}},
    ]}  # fmt: skip
    jira_cloud.faults.add(Fault(path=SEARCH, body=page))
    [found] = JiraProjects(cloud(jira_cloud, categories=["x"]), FAST, sleeps).discover()
    assert not found.ok
    assert "malformed project 'OPS': 'projectCategory.name' is a number (7), not a string" in (found.error or "")


def test_a_project_without_a_category_is_dropped_by_categories_and_kept_without(
    jira_cloud: FakeJira, sleeps: Sleeps
) -> None:
    jira_cloud.add_project("NOCAT", "No Category", projectTypeKey="software")
    assert "NOCAT" not in keys(JiraProjects(cloud(jira_cloud, categories=["Engineering"]), FAST, sleeps))
    assert "NOCAT" in keys(JiraProjects(cloud(jira_cloud), FAST, sleeps))


def test_categories_compile_casefolded(jira_cloud: FakeJira) -> None:
    assert project_filter(cloud(jira_cloud, categories=["Engineering", "Ops Team"])).categories == frozenset(
        {"engineering", "ops team"}
    )
    assert project_filter(cloud(jira_cloud)).categories == frozenset()
