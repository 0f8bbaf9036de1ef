"""The fake Jira: Cloud project search paging, archived projects, Data Center differences, auth."""

from __future__ import annotations

import httpx

from syncer.simulator import Simulator
from syncer.simulator.seed import JIRA_DC_TOKEN, JIRA_EMAIL

PAGE_BEAN_KEYS = {"self", "maxResults", "startAt", "total", "isLast", "values"}


def cloud_auth(sim: Simulator) -> tuple[str, str]:
    return JIRA_EMAIL, sim.jira.users[JIRA_EMAIL]


def test_server_info(sim: Simulator, http: httpx.Client) -> None:
    cloud = http.get(f"{sim.jira.url}/rest/api/2/serverInfo", auth=cloud_auth(sim)).json()
    assert cloud["deploymentType"] == "Cloud" and cloud["baseUrl"] == sim.jira.url
    assert cloud["versionNumbers"] == [1001, 0, 0]
    dc = http.get(f"{sim.jira_dc.url}/rest/api/2/serverInfo").json()
    assert dc["deploymentType"] == "Server" and dc["version"] == "9.12.15"


def test_project_search_pages_with_the_server_cap(sim: Simulator, http: httpx.Client) -> None:
    url = f"{sim.jira.url}/rest/api/2/project/search"
    live = sum(1 for p in sim.jira.projects if p["status"] == "live")
    first = http.get(url, params={"startAt": 0, "maxResults": 100}, auth=cloud_auth(sim)).json()
    assert PAGE_BEAN_KEYS | {"nextPage"} == first.keys()
    assert (first["maxResults"], first["startAt"], first["total"], first["isLast"]) == (50, 0, live, False)
    assert first["self"] == f"{url}?startAt=0&maxResults=100"
    assert first["nextPage"] == f"{url}?startAt=50&maxResults=50"
    seen = [p["key"] for p in first["values"]]
    page = first
    while not page["isLast"]:
        page = http.get(page["nextPage"], auth=cloud_auth(sim)).json()
        seen += [p["key"] for p in page["values"]]
    assert "nextPage" not in page
    assert len(seen) == len(set(seen)) == live
    assert seen == sorted(seen)
    project = first["values"][0]
    expected = {"expand", "self", "id", "key", "name", "avatarUrls", "projectTypeKey", "simplified", "style"}
    assert expected <= set(project)
    assert isinstance(project["id"], str) and "archived" not in project


def test_archived_and_deleted_projects_need_status(sim: Simulator, http: httpx.Client) -> None:
    url = f"{sim.jira.url}/rest/api/2/project/search"
    archived = [p["key"] for p in sim.jira.projects if p["status"] == "archived"]
    assert archived and len(sim.jira.projects) == 123
    both = http.get(url, params={"status": "live,archived", "maxResults": 50, "startAt": 0}, auth=cloud_auth(sim))
    assert both.json()["total"] == 120
    only = http.get(url, params=[("status", "archived")], auth=cloud_auth(sim)).json()
    assert sorted(p["key"] for p in only["values"]) == sorted(archived)
    assert all(p["archived"] is True and "archivedDate" in p for p in only["values"])
    deleted = http.get(url, params={"status": "deleted"}, auth=cloud_auth(sim)).json()
    assert deleted["total"] == 3 and all(p["deleted"] for p in deleted["values"])
    listing = http.get(f"{sim.jira.url}/rest/api/2/project", params={"includeArchived": "true"}, auth=cloud_auth(sim))
    assert not set(archived) & {p["key"] for p in listing.json()}


def test_type_key_filter(sim: Simulator, http: httpx.Client) -> None:
    url = f"{sim.jira.url}/rest/api/2/project/search"
    answer = http.get(url, params={"typeKey": "service_desk", "maxResults": 50}, auth=cloud_auth(sim)).json()
    assert answer["total"] > 0 and all(p["projectTypeKey"] == "service_desk" for p in answer["values"])


def test_data_center_has_no_project_search(sim: Simulator, http: httpx.Client) -> None:
    headers = {"Authorization": f"Bearer {JIRA_DC_TOKEN}"}
    missing = http.get(f"{sim.jira_dc.url}/rest/api/2/project/search", headers=headers)
    assert missing.status_code == 404
    assert missing.json() == {"errorMessages": ["No project could be found with key 'search'."], "errors": {}}
    live = http.get(f"{sim.jira_dc.url}/rest/api/2/project", headers=headers).json()
    every = http.get(f"{sim.jira_dc.url}/rest/api/2/project?includeArchived=true", headers=headers).json()
    assert len(every) == 30 and len(live) < 30
    assert all(p["archived"] is False for p in live)
    archived = {p["key"] for p in sim.jira_dc.projects if p["status"] == "archived"}
    assert archived and {p["key"] for p in every if p["archived"]} == archived
    assert http.get(f"{sim.jira_dc.url}/rest/api/2/nothing", headers=headers).json()["status-code"] == 404


def test_authentication(sim: Simulator, http: httpx.Client) -> None:
    cloud_bad = http.get(f"{sim.jira.url}/rest/api/2/project", auth=(JIRA_EMAIL, "wrong"))
    assert cloud_bad.status_code == 401
    assert cloud_bad.text == "Client must be authenticated to access this resource."
    dc_bad = http.get(f"{sim.jira_dc.url}/rest/api/2/project", headers={"Authorization": "Bearer nope"})
    assert dc_bad.status_code == 401 and dc_bad.json()["errorMessages"]
    assert dc_bad.headers["x-seraph-loginreason"] == "AUTHENTICATED_FAILED"
    anonymous = http.get(f"{sim.jira.url}/rest/api/2/project/search")
    assert anonymous.status_code == 200 and anonymous.json()["total"] == 0
    basic_dc = http.get(f"{sim.jira_dc.url}/rest/api/2/myself", auth=("syncer", "syncer-password"))
    assert basic_dc.status_code == 200 and basic_dc.json()["name"] == "admin"


def test_add_project_and_detail(sim: Simulator, http: httpx.Client) -> None:
    sim.jira.add_project("ZZNEW", "Brand New", projectTypeKey="business", category="Business")
    detail = http.get(f"{sim.jira.url}/rest/api/2/project/ZZNEW", auth=cloud_auth(sim)).json()
    assert detail["name"] == "Brand New" and detail["projectCategory"]["name"] == "Business"
    missing = http.get(f"{sim.jira.url}/rest/api/2/project/NOPE", auth=cloud_auth(sim))
    assert missing.status_code == 404


def test_project_detail_carries_the_archive_fields_on_cloud(sim: Simulator, http: httpx.Client) -> None:
    archived = next(p["key"] for p in sim.jira.projects if p["status"] == "archived")
    live = next(p["key"] for p in sim.jira.projects if p["status"] == "live")
    detail = http.get(f"{sim.jira.url}/rest/api/2/project/{archived}", auth=cloud_auth(sim)).json()
    assert detail["archived"] is True and "archivedDate" in detail and detail["archivedBy"]["accountId"]
    assert "archived" not in http.get(f"{sim.jira.url}/rest/api/2/project/{live}", auth=cloud_auth(sim)).json()
    deleted = next(p["key"] for p in sim.jira.projects if p["status"] == "deleted")
    assert http.get(f"{sim.jira.url}/rest/api/2/project/{deleted}", auth=cloud_auth(sim)).status_code == 404


def test_a_renamed_project_answers_under_its_old_key(sim: Simulator, http: httpx.Client) -> None:
    old = next(p["key"] for p in sim.jira.projects if p["status"] == "live")
    sim.jira.rename_project(old, "RENAMED")
    detail = http.get(f"{sim.jira.url}/rest/api/2/project/{old}", auth=cloud_auth(sim)).json()
    assert detail["key"] == "RENAMED"
    assert http.get(f"{sim.jira.url}/rest/api/2/project/RENAMED", auth=cloud_auth(sim)).json()["key"] == "RENAMED"
    search = http.get(f"{sim.jira.url}/rest/api/2/project/search", params={"keys": old}, auth=cloud_auth(sim))
    assert search.json()["values"] == [], "the listing has the new key only"


def test_pages_without_is_last_and_with_a_claimed_total(sim: Simulator, http: httpx.Client) -> None:
    sim.jira.omit_is_last, sim.jira.claimed_total = True, 7
    url = f"{sim.jira.url}/rest/api/2/project/search"
    live = sum(1 for p in sim.jira.projects if p["status"] == "live")
    first = http.get(url, params={"startAt": 0}, auth=cloud_auth(sim)).json()
    assert "isLast" not in first and "nextPage" not in first
    assert first["total"] == 7 and len(first["values"]) == 50
    past = http.get(url, params={"startAt": live}, auth=cloud_auth(sim)).json()
    assert past["values"] == [] and "isLast" not in past
    sim.jira.reset()
    assert http.get(url, auth=cloud_auth(sim)).json()["isLast"] is False, "reset restores honest paging"


def test_endless_pages_invent_new_projects(sim: Simulator, http: httpx.Client) -> None:
    sim.jira.endless = True
    url = f"{sim.jira.url}/rest/api/2/project/search"
    far = http.get(url, params={"startAt": 100000, "maxResults": 10}, auth=cloud_auth(sim)).json()
    assert far["isLast"] is False and len(far["values"]) == 10
    keys = [p["key"] for p in far["values"]]
    assert len(set(keys)) == 10 and keys[0] == "ZZ0100000"
    assert {"id", "key", "name", "projectTypeKey"} <= set(far["values"][0])
